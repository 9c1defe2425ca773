"""DiscBlockDevice: the data tracks of a disc as one space of cooked blocks addressed by disc LBA.

A filesystem on a CD addresses its extents by disc LBA (LBA 0 is the first sector of the program
area), not by position in a track: a Video CD's ISO 9660 in track 1 points at MPEG files in tracks
2..n, and ISO 9660 in a later session points back at files written by earlier sessions and forward
across the lead-out/lead-in gap (ECMA-119 §6.2.1 counts logical sectors from the start of the
volume space, which a multi-session disc shares). This device maps a disc LBA to the track that
stores it and reads there through that track's BlockDevice; LBAs that no data track stores (the
gap between sessions, audio tracks, pregaps) are damage to whoever asks: CorruptDataError.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Sequence

from ..disc.model import Track, TrackKind
from ..errors import CorruptDataError, UnsupportedError
from .blocks import BlockDevice
from .layout import COOKED_BLOCK


class DiscBlockDevice:
    """Every data track of a disc, each at its own disc LBA; the interface of BlockDevice."""

    block_size = COOKED_BLOCK

    def __init__(self, tracks: Sequence[Track]) -> None:
        data = sorted((t for t in tracks if t.kind is TrackKind.DATA), key=lambda t: t.start)
        self._devices: list[BlockDevice] = []
        self._firsts: list[int] = []
        end = 0
        for track in data:   # the parsers refuse overlapping tracks
            device = BlockDevice(track)
            self._devices.append(device)
            self._firsts.append(track.start)
            end = track.start + device.block_count
        if not self._devices:
            raise UnsupportedError("the disc has no data track")
        self.block_count = end
        self.size = end * COOKED_BLOCK
        self.name = self._devices[0].name
        # CD-ROM XA reads need raw sectors: offered when every data track stores them.
        self.has_raw = all(d.has_raw for d in self._devices)

    @classmethod
    def single(cls, device: BlockDevice) -> "DiscBlockDevice":
        """A track's blocks at LBA 0, for a filesystem that addresses its track, not the disc."""
        self = cls.__new__(cls)
        self._devices, self._firsts = [device], [0]
        self.block_count, self.size, self.name = device.block_count, device.size, device.name
        self.has_raw = device.has_raw
        return self

    def _segment(self, lba: int) -> int:
        """Index of the device holding disc ``lba``, or -1."""
        i = bisect_right(self._firsts, lba) - 1
        if i >= 0 and lba < self._firsts[i] + self._devices[i].block_count:
            return i
        return -1

    def read(self, lba: int, count: int) -> bytes:
        return self.read_bytes(lba * COOKED_BLOCK, count * COOKED_BLOCK)

    def read_bytes(self, offset: int, size: int) -> bytes:
        """``size`` cooked bytes at disc byte ``offset`` (LBA * 2048), across tracks if need be."""
        if size <= 0:
            return b""
        if len(self._devices) == 1:   # the common case: one data track, no search
            first = self._firsts[0] * COOKED_BLOCK
            if offset >= first:
                return self._devices[0].read_bytes(offset - first, size)
        parts = []
        end = offset + size
        while offset < end:
            lba = offset // COOKED_BLOCK
            i = self._segment(lba)
            if i < 0:
                raise CorruptDataError(f"{self.name}: block {lba} is in no data track of the disc")
            base = self._firsts[i] * COOKED_BLOCK
            device = self._devices[i]
            take = min(end, base + device.size) - offset
            parts.append(device.read_bytes(offset - base, take))
            offset += take
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def read_into(self, offset: int, dest: memoryview) -> None:
        """read_bytes(offset, len(dest)) written into ``dest`` (BlockDevice.read_into)."""
        if len(self._devices) == 1:   # the common case, with no copy of our own
            first = self._firsts[0] * COOKED_BLOCK
            if offset >= first:
                self._devices[0].read_into(offset - first, dest)
                return
        dest[:] = self.read_bytes(offset, len(dest))

    def read_raw(self, lba: int, count: int) -> bytes:
        """``count`` whole 2352-byte sectors from disc ``lba`` (BlockDevice.read_raw per track)."""
        parts = []
        while count > 0:
            i = self._segment(lba)
            if i < 0:
                raise CorruptDataError(f"{self.name}: sector {lba} is in no data track of the disc")
            device, first = self._devices[i], self._firsts[i]
            take = min(count, first + device.block_count - lba)
            parts.append(device.read_raw(lba - first, take))
            lba += take
            count -= take
        return b"".join(parts)
