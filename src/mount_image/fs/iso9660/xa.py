"""CD-ROM XA Form 2 files shown as Windows shows them: a RIFF "CDXA" file of raw sectors.

A Form 2 sector holds 2324 user bytes plus its subheader, so the 2048-byte block a plain ISO 9660
read gives is not the file. Windows' CDFS (Windows-driver-samples filesys/cdfs, ``CdXAFileHeader``
in cddata.c, ``RIFF_HEADER`` in cdstruc.h, filled in read.c) prepends a 44-byte header and then
returns the extent's whole 2352-byte sectors::

    0  "RIFF"   4  u32 LE file size - 8     8  "CDXA"
    12 "fmt "   16 u32 LE 16                20 owner id (4 bytes, 0)
    24 attributes (2 bytes, copied as stored in the XA System Use, i.e. big-endian)
    26 "XA"     28 file number (1)          29 reserved (7 bytes, 0)
    36 "data"   40 u32 LE file size - 44    44 raw sectors

with file size = sectors * 2352 + 44 ("File Size = nSectors*2352 + sizeof(XAFileHeader)").
Readers of such files (vgmstream's xa.c, VGMToolbox's CDXA extractor) look for "RIFF" at 0,
"CDXA" at 8 and the data at 0x2C, as here.
"""

from __future__ import annotations

from typing import Callable

from ...sectors.layout import RAW_SECTOR
from .layout import CDXA_RIFF_HEADER, SECTOR, XaSystemUse

CDXA_HEADER_SIZE = CDXA_RIFF_HEADER.size


def find_xa(system_use: bytes, susp_skip: int = 0) -> XaSystemUse | None:
    """The XA entry of a record's System Use: at its start (as mkisofs -XA, vcdimager and
    libcdio write it, before any SUSP entries), or just before the SUSP area when SP's
    len_skp says the XA bytes are skipped (len_skp >= 14)."""
    for at in {0, susp_skip - XaSystemUse.SIZE} if susp_skip >= XaSystemUse.SIZE else (0,):
        chunk = system_use[at:at + XaSystemUse.SIZE]
        if len(chunk) == XaSystemUse.SIZE and chunk[6:8] == XaSystemUse.SIGNATURE:
            return XaSystemUse.parse(chunk)
    return None


def sector_count(data_length: int) -> int:
    return -(-data_length // SECTOR)


def cdxa_size(sectors: int) -> int:
    return CDXA_HEADER_SIZE + sectors * RAW_SECTOR


def cdxa_header(xa: XaSystemUse, sectors: int) -> bytes:
    """The 44-byte RIFF CDXA header Windows puts before ``sectors`` raw sectors."""
    size = cdxa_size(sectors)
    return CDXA_RIFF_HEADER.pack(b"RIFF", size - 8, b"CDXA", b"fmt ", 16, b"\0" * 4, xa.raw_attributes,
                        b"XA", xa.file_number, b"\0" * 7, b"data", size - CDXA_HEADER_SIZE)


def read_cdxa(header: bytes, read_raw: Callable[[int, int], bytes], lba: int, sectors: int, offset: int, size: int) -> bytes:
    """``size`` bytes at ``offset`` of the RIFF file: header bytes, then raw sectors read with
    ``read_raw(lba, count)`` (only the sectors the range touches)."""
    end = min(offset + size, CDXA_HEADER_SIZE + sectors * RAW_SECTOR)
    if offset >= end:
        return b""
    parts = []
    if offset < CDXA_HEADER_SIZE:
        parts.append(header[offset:min(end, CDXA_HEADER_SIZE)])
        offset = CDXA_HEADER_SIZE
    if end > offset:
        a, b = offset - CDXA_HEADER_SIZE, end - CDXA_HEADER_SIZE
        first, last = a // RAW_SECTOR, (b - 1) // RAW_SECTOR
        raw = read_raw(lba + first, last - first + 1)
        skip = a - first * RAW_SECTOR
        parts.append(raw[skip:skip + (b - a)])
    return b"".join(parts)
