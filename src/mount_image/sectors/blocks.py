"""BlockDevice: a data track seen as cooked 2048-byte blocks, where a raw sector becomes a block.

Reads take a run of sectors with one pread and slice out the user data; for cooked tracks a
byte range is one pread of exactly those bytes.
"""

from __future__ import annotations

from ..binary import optional_numpy
from ..disc.model import Track
from ..errors import CorruptDataError, UnsupportedError
from ..io.source import pread_into
from .layout import COOKED_BLOCK, RAW_SECTOR, layout_for

SYNC = b"\x00" + b"\xff" * 10 + b"\x00"   # ECMA-130 §14.1: the 12-byte sync pattern
MODE2_2336 = 2336


class BlockDevice:
    """Cooked 2048-byte blocks of one data track; every read is checked against the track."""

    block_size = COOKED_BLOCK

    def __init__(self, track: Track) -> None:
        self.track = track
        self._layout = layout_for(track.mode, track.sector_size)
        self._source = track.source
        # Sectors actually present in the file: a truncated image has fewer than the track says.
        stored = max(0, track.source.size - track.offset) // track.sector_size
        if track.sector_size == COOKED_BLOCK and (track.source.size - track.offset) % COOKED_BLOCK:
            stored += 1  # a trailing partial block stays readable up to the end of the file
        self.block_count = min(track.sectors, stored)
        self.size = self.block_count * COOKED_BLOCK
        self.name = track.source.name

    def read(self, lba: int, count: int) -> bytes:
        """``count`` whole blocks from ``lba``."""
        return self.read_bytes(lba * COOKED_BLOCK, count * COOKED_BLOCK)

    def _check_range(self, offset: int, size: int) -> None:
        if offset < 0 or offset + size > self.size:
            raise CorruptDataError(
                f"{self.name}: read of {size} bytes at block {offset // COOKED_BLOCK} "
                f"goes past the end of the image ({self.block_count} blocks)"
            )

    def read_bytes(self, offset: int, size: int) -> bytes:
        """``size`` cooked bytes at cooked byte ``offset``; CorruptDataError if outside the track."""
        if size <= 0:
            return b""
        self._check_range(offset, size)
        layout = self._layout
        if layout.stored_size == COOKED_BLOCK:
            data = self._source.pread(self.track.offset + offset, size)
        else:
            data = self._read_raw(offset, size)
        if len(data) != size:
            raise CorruptDataError(f"{self.name}: short read at block {offset // COOKED_BLOCK}: image truncated")
        return data

    def _read_raw(self, offset: int, size: int) -> bytes:
        # One pread for the whole run of stored sectors, then the user data of each gathered.
        layout = self._layout
        first = offset // COOKED_BLOCK
        last = (offset + size - 1) // COOKED_BLOCK
        stride = layout.stored_size
        raw = self._source.pread(self.track.offset + first * stride, (last - first + 1) * stride)
        data = gather(raw, stride, layout.user_offset, COOKED_BLOCK)
        skip = offset - first * COOKED_BLOCK
        return data[skip:skip + size] if skip or len(data) != size else data

    def read_into(self, offset: int, dest: memoryview) -> None:
        """Fill ``dest`` with the cooked bytes at ``offset``, as read_bytes would return them.

        For the daemon: ``dest`` is libfuse's reply buffer, so the bytes land there with no
        copy of our own. A cooked track is read straight into it; a raw one takes its run of
        stored sectors with one pread and gathers the user data into it.
        """
        size = len(dest)
        if size <= 0:
            return
        self._check_range(offset, size)
        layout = self._layout
        if layout.stored_size == COOKED_BLOCK:
            got = pread_into(self._source, self.track.offset + offset, dest)
        elif offset % COOKED_BLOCK or size % COOKED_BLOCK:
            data = self._read_raw(offset, size)  # a file's last partial block: not worth a path
            got = len(data)
            dest[:got] = data
        else:
            stride = layout.stored_size
            first = offset // COOKED_BLOCK
            raw = self._source.pread(self.track.offset + first * stride, size // COOKED_BLOCK * stride)
            got = _gather_into(raw, stride, layout.user_offset, dest)
        if got != size:
            raise CorruptDataError(f"{self.name}: short read at block {offset // COOKED_BLOCK}: image truncated")

    @property
    def has_raw(self) -> bool:
        """True when whole 2352-byte sectors can be given (the track is not stored cooked)."""
        return self._layout.stored_size != COOKED_BLOCK

    def read_raw(self, lba: int, count: int) -> bytes:
        """``count`` whole 2352-byte sectors from ``lba`` (relative to the track), as on the disc.

        Subchannel stored after a sector is dropped. A Mode 2 track stored as 2336-byte sectors
        (no sync, no header) gets them back: the sync pattern and a header holding the sector's
        address (BCD minute, second, frame of ``track.start + lba + 150``) and mode 2 (ECMA-130
        §14.1-14.2), which is what the drive read before the writer dropped them. Cooked tracks
        have no raw sectors: UnsupportedError.
        """
        if count <= 0:
            return b""
        layout = self._layout
        if layout.stored_size == COOKED_BLOCK:
            raise UnsupportedError(f"{self.name}: track {self.track.number} is stored as 2048-byte "
                                   "blocks; its raw sectors are not in the image")
        if lba < 0 or lba + count > self.block_count:
            raise CorruptDataError(
                f"{self.name}: raw read of {count} sectors at sector {lba} goes past the end of the "
                f"image ({self.block_count} sectors)")
        stride = layout.stored_size
        data = self._source.pread(self.track.offset + lba * stride, count * stride)
        if len(data) != count * stride:
            raise CorruptDataError(f"{self.name}: short read at sector {lba}: image truncated")
        view = memoryview(data)
        if stride == RAW_SECTOR:
            return data
        if stride == MODE2_2336:
            parts = []
            for i in range(count):
                parts.append(SYNC + _header(self.track.start + lba + i, 2))
                parts.append(view[i * stride:(i + 1) * stride])
            return b"".join(parts)
        return gather(data, stride, 0, RAW_SECTOR)


def gather(raw: bytes, stride: int, start: int, length: int) -> bytes:
    """``raw[start:start + length]`` of every whole ``stride``-byte sector in ``raw``, joined.

    numpy does it as one strided copy that releases the GIL: 38 us per MiB against 280 us for
    joining per-sector slices, and in the daemon the slices held the GIL while other FUSE threads
    waited to return from pread (raw BIN reads ran at 0.4x a plain ISO's). Without numpy the
    slices are joined.
    """
    whole = len(raw) - len(raw) % stride
    np = optional_numpy()
    if np is not None and whole:
        rows = np.frombuffer(raw, np.uint8, whole).reshape(-1, stride)
        return rows[:, start:start + length].tobytes()
    view = memoryview(raw)
    return b"".join([view[i + start:i + start + length] for i in range(0, whole, stride)])


def _gather_into(raw: bytes, stride: int, start: int, dest: memoryview) -> int:
    """gather's COOKED_BLOCK-byte pieces written into ``dest``; how many bytes were written."""
    count = min(len(raw) // stride, len(dest) // COOKED_BLOCK)
    np = optional_numpy()
    if np is None:
        data = gather(raw[:count * stride], stride, start, COOKED_BLOCK)
        dest[:len(data)] = data
        return len(data)
    rows = np.frombuffer(raw, np.uint8, count * stride).reshape(count, stride)
    out = np.frombuffer(dest, np.uint8, count * COOKED_BLOCK).reshape(count, COOKED_BLOCK)
    out[:] = rows[:, start:start + COOKED_BLOCK]
    return count * COOKED_BLOCK


def _bcd(value: int) -> int:
    return (value // 10) << 4 | value % 10


def _header(lba: int, mode: int) -> bytes:
    """The 4-byte sector header (ECMA-130 §14.2): BCD MSF of the physical address, then mode."""
    frames = lba + 150
    return bytes((_bcd(frames // 4500 % 100), _bcd(frames // 75 % 60), _bcd(frames % 75), mode))
