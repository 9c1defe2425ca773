"""BlockDevice: a data track seen as cooked 2048-byte blocks, where a raw sector becomes a block.

Reads take a run of sectors with one pread and slice out the user data; for cooked tracks a
byte range is one pread of exactly those bytes.
"""

from __future__ import annotations

from ..disc.model import Track
from ..errors import CorruptDataError
from .layout import COOKED_BLOCK, layout_for


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

    def read_bytes(self, offset: int, size: int) -> bytes:
        """``size`` cooked bytes at cooked byte ``offset``; CorruptDataError if outside the track."""
        if size <= 0:
            return b""
        end = offset + size
        if offset < 0 or end > self.size:
            raise CorruptDataError(
                f"{self.name}: read of {size} bytes at block {offset // COOKED_BLOCK} "
                f"goes past the end of the image ({self.block_count} blocks)"
            )
        layout = self._layout
        if layout.stored_size == COOKED_BLOCK:
            data = self._source.pread(self.track.offset + offset, size)
        else:
            data = self._read_raw(offset, size)
        if len(data) != size:
            raise CorruptDataError(f"{self.name}: short read at block {offset // COOKED_BLOCK}: image truncated")
        return data

    def _read_raw(self, offset: int, size: int) -> bytes:
        # One pread for the whole run of stored sectors, then one slice per sector.
        layout = self._layout
        first = offset // COOKED_BLOCK
        last = (offset + size - 1) // COOKED_BLOCK
        stride = layout.stored_size
        raw = self._source.pread(self.track.offset + first * stride, (last - first + 1) * stride)
        view = memoryview(raw)
        u0, u1 = layout.user_offset, layout.user_offset + COOKED_BLOCK
        cooked = b"".join([view[i + u0:i + u1] for i in range(0, len(raw) - stride + 1, stride)])
        skip = offset - first * COOKED_BLOCK
        return cooked[skip:skip + size]
