"""CD-ROM XA Form 2 files read as Windows shows them: a 44-byte RIFF "CDXA" header, then the
extent's raw 2352-byte sectors (fs/iso9660/xa.py, BlockDevice.read_raw); Form 1 files stay plain."""

from __future__ import annotations

import struct

import pytest

from builders import iso9660 as b
from mount_image.disc.model import Track, TrackKind, TrackMode
from mount_image.errors import UnsupportedError
from mount_image.fs.iso9660.filesystem import Iso9660FileSystem
from mount_image.fs.iso9660.layout import XaSystemUse
from mount_image.fs.iso9660.xa import CDXA_HEADER_SIZE, cdxa_header, find_xa
from mount_image.sectors import edc
from mount_image.sectors.blocks import BlockDevice
from support.memory import MemorySource

SECTOR, RAW = 2048, 2352
ROOT, FORM1, FORM2, FORM2_SECTORS, XA_FORM1, TOTAL = 18, 19, 20, 3, 23, 24
FORM2_SUB = bytes((1, 1, 0x62, 0x80))          # file 1, channel 1, Form 2 real-time video


def xa(attributes: int, file_number: int = 0, group: int = 0, user: int = 0) -> bytes:
    """The 14-byte XA System Use: group, user, attributes (big-endian), "XA", file number, 5 zero."""
    return struct.pack(">HHH2sB5x", group, user, attributes, b"XA", file_number)


FORM1_XA, FORM2_XA = xa(0x0D55), xa(0x1555, file_number=1)


def form2_payload(i: int) -> bytes:
    return bytes((i * 7 + j) % 251 for j in range(2324))


def build_raw(form2_record_su: bytes = FORM2_XA) -> bytes:
    """A Mode 2 disc: ISO 9660 in Form 1 sectors, one 3-sector Form 2 file, two Form 1 files."""
    root = [b.dir_record(ROOT, SECTOR, b"\0", 2, xa(0x8D55)), b.dir_record(ROOT, SECTOR, b"\1", 2, xa(0x8D55)),
            b.dir_record(FORM1, 11, "PLAIN.TXT;1"),
            b.dir_record(FORM2, FORM2_SECTORS * SECTOR, "VIDEO.DAT;1", 0, form2_record_su),
            b.dir_record(XA_FORM1, 5, "INFO.VCD;1", 0, FORM1_XA)]
    pvd = b.primary_descriptor(b.dir_record(ROOT, SECTOR, b"\0", 2), TOTAL)
    cooked = {16: pvd, 17: b.terminator(), ROOT: b"".join(root).ljust(SECTOR, b"\0"),
              FORM1: b"hello world".ljust(SECTOR, b"\0"), XA_FORM1: b"VIDEO".ljust(SECTOR, b"\0")}
    out = []
    for lba in range(TOTAL):
        if FORM2 <= lba < FORM2 + FORM2_SECTORS:
            out.append(edc.encode_mode2_form2_run(form2_payload(lba - FORM2), lba, FORM2_SUB))
        else:
            out.append(edc.encode_mode2_form1_run(cooked.get(lba, bytes(SECTOR)), lba))
    return b"".join(out)


def device(raw: bytes, stored: int = RAW, mode: TrackMode = TrackMode.MODE2_2352) -> BlockDevice:
    if stored == 2336:
        raw = b"".join(raw[i + 16:i + RAW] for i in range(0, len(raw), RAW))
        mode = TrackMode.MODE2_2336
    return BlockDevice(Track(1, 1, TrackKind.DATA, mode, 0, len(raw) // stored, MemorySource(raw), 0, stored))


@pytest.fixture(scope="module")
def raw() -> bytes:
    return build_raw()


def entry(fs: Iso9660FileSystem, name: str):
    found = fs.lookup(fs.root(), name)
    assert found is not None, name
    return found


def test_xa_system_use_field_order() -> None:
    parsed = XaSystemUse.parse(xa(0x1555, file_number=3, group=0x1234, user=0x5678))
    assert (parsed.group_id, parsed.user_id, parsed.attributes, parsed.signature, parsed.file_number) == \
        (0x1234, 0x5678, 0x1555, b"XA", 3)
    assert parsed.is_form2 and not XaSystemUse.parse(FORM1_XA).is_form2
    assert XaSystemUse.parse(xa(0x2000)).is_form2          # interleaved
    assert find_xa(b"SP\x07\x01\xbe\xef\x00") is None
    assert find_xa(FORM2_XA + b"NM\x05\x01x", susp_skip=0) is not None
    assert find_xa(b"\0" * 14 + FORM2_XA + b"SP", susp_skip=28) is not None   # XA just before SP's skip


def test_header_bytes_as_windows_writes_them() -> None:
    header = cdxa_header(XaSystemUse.parse(FORM2_XA), 3)
    size = 44 + 3 * RAW
    assert len(header) == CDXA_HEADER_SIZE
    assert header == (b"RIFF" + struct.pack("<I", size - 8) + b"CDXA" + b"fmt " + struct.pack("<I", 16)
                      + b"\0\0\0\0" + b"\x15\x55" + b"XA" + b"\x01" + b"\0" * 7
                      + b"data" + struct.pack("<I", 3 * RAW))


@pytest.mark.parametrize("stored", [RAW, 2336])
def test_form2_file_reads_as_riff_cdxa(raw: bytes, stored: int) -> None:
    fs = Iso9660FileSystem(device(raw, stored))
    video = entry(fs, "video.dat")
    assert video.stat.size == 44 + FORM2_SECTORS * RAW
    data = fs.read(video, 0, 1 << 20)
    assert len(data) == video.stat.size
    assert data[:4] == b"RIFF" and data[8:12] == b"CDXA" and data[36:40] == b"data"
    assert data[44:] == raw[FORM2 * RAW:(FORM2 + FORM2_SECTORS) * RAW]   # sync and header included
    assert data[44 + 24:44 + 24 + 2324] == form2_payload(0)
    # odd offsets and sizes across the header/data boundary and across sectors
    for offset, size in [(0, 1), (3, 50), (43, 2), (44, 1), (41, 2400), (45 + RAW - 5, 11),
                         (1, video.stat.size), (video.stat.size - 3, 100), (video.stat.size, 10)]:
        assert fs.read(video, offset, size) == data[offset:offset + size], (offset, size)


def test_form1_files_stay_plain(raw: bytes) -> None:
    fs = Iso9660FileSystem(device(raw))
    assert fs.read(entry(fs, "plain.txt"), 0, 100) == b"hello world"
    info = entry(fs, "info.vcd")
    assert info.stat.size == 5 and fs.read(info, 0, 100) == b"VIDEO"


def test_no_xa_entry_means_plain_data() -> None:
    fs = Iso9660FileSystem(device(build_raw(form2_record_su=b"")))
    video = entry(fs, "video.dat")
    assert video.stat.size == FORM2_SECTORS * SECTOR and video.xa is None


def test_cooked_track_has_no_raw_sectors(raw: bytes) -> None:
    cooked = b"".join(raw[i + 24:i + 24 + SECTOR] for i in range(0, len(raw), RAW))
    dev = device(cooked, SECTOR, TrackMode.MODE1_2048)
    with pytest.raises(UnsupportedError):
        dev.read_raw(0, 1)
    fs = Iso9660FileSystem(dev)      # the XA entry is there, the raw sectors are not: plain data
    assert entry(fs, "video.dat").stat.size == FORM2_SECTORS * SECTOR


def test_read_raw_rebuilds_sync_and_header_of_2336_sectors(raw: bytes) -> None:
    assert device(raw, 2336).read_raw(3, 5) == raw[3 * RAW:8 * RAW]
    assert device(raw).read_raw(0, TOTAL) == raw
