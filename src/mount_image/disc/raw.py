"""A plain .bin/.img/.iso of raw 2352-byte sectors with no descriptor: one Mode 1 or Mode 2 track.

Recognised by the 12-byte sync pattern (00, ten FF, 00) that starts every raw data sector and
the mode byte at offset 15 (ECMA-130 §14.1-14.3), checked at sector 0 and, when the image is
long enough, at sector 16 (where ISO 9660 and UDF keep their first volume descriptor).
"""

from __future__ import annotations

from ..errors import ImageFormatError
from ..io.source import ByteSource
from .model import Disc, Session, Track, TrackKind, TrackMode

RAW_SECTOR = 2352
SYNC = b"\x00" + b"\xff" * 10 + b"\x00"
MODE_BYTE = 15
CHECK_SECTOR = 16
_MODES = {1: TrackMode.MODE1_2352, 2: TrackMode.MODE2_2352}


def _sector_mode(source: ByteSource, sector: int) -> int | None:
    """The mode byte of ``sector`` if it starts with the sync pattern, else None."""
    head = source.pread(sector * RAW_SECTOR, MODE_BYTE + 1)
    if len(head) != MODE_BYTE + 1 or head[:len(SYNC)] != SYNC:
        return None
    return head[MODE_BYTE]


def raw_mode(source: ByteSource) -> TrackMode | None:
    """The track mode when ``source`` holds raw 2352-byte data sectors, else None. Never raises."""
    try:
        if source.size < RAW_SECTOR:
            return None
        first = _sector_mode(source, 0)
        if first not in _MODES:
            return None
        if source.size < (CHECK_SECTOR + 1) * RAW_SECTOR:
            return _MODES[first]
        later = _sector_mode(source, CHECK_SECTOR)
        return _MODES.get(later) if later is not None else None
    except OSError:
        return None


def open_raw(path: str, source: ByteSource) -> Disc:
    """A Disc with one data track covering every whole raw sector of the file."""
    mode = raw_mode(source)
    if mode is None:
        raise ImageFormatError(path, None, "no raw 2352-byte data sectors (sync pattern and mode byte)")
    track = Track(
        number=1,
        session=1,
        kind=TrackKind.DATA,
        mode=mode,
        start=0,
        sectors=source.size // RAW_SECTOR,
        source=source,
        offset=0,
        sector_size=RAW_SECTOR,
    )
    return Disc(path=path, container="raw", sessions=(Session(1, (track,)),), sources=(source,))
