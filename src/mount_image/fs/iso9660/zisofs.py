"""zisofs: transparently decompressed files (RRIP ZF entry; block format of mkzftree / the kernel).

The file's data starts with a 16-byte header, then a table of block pointers; block i is the
zlib stream between pointers i and i+1 (equal pointers: a block of zeros).
"""

from __future__ import annotations

import zlib
from typing import Callable

from ...errors import CorruptDataError
from ..base import LruCache
from .layout import ZISOFS_POINTER, ZisofsEntry, ZisofsHeader

MIN_LOG2_BLOCK, MAX_LOG2_BLOCK = 15, 17     # the kernel's limits; mkzftree writes 15-17
ReadRaw = Callable[[int, int], bytes]        # (offset in the stored file, size) -> bytes

_blocks: LruCache[tuple[int, int], bytes] = LruCache(64 << 20, weigh=len)  # shared, 64 MiB


class ZisofsFile:
    """Random access to one zisofs file's uncompressed bytes."""

    def __init__(self, key: int, zf: ZisofsEntry, stored_size: int, read_raw: ReadRaw) -> None:
        if zf.algorithm != b"pz":
            raise CorruptDataError(f"zisofs algorithm {zf.algorithm!r} is not 'pz'")
        if not MIN_LOG2_BLOCK <= zf.log2_block_size <= MAX_LOG2_BLOCK:
            raise CorruptDataError(f"zisofs block size 2^{zf.log2_block_size} outside 2^15..2^17")
        self.size = zf.uncompressed_size
        self._key = key
        self._block = 1 << zf.log2_block_size
        self._stored_size = stored_size
        self._read_raw = read_raw
        self._header_size = zf.header_size_div4 * 4
        self._nblocks = -(-self.size // self._block)
        self._pointers: tuple[int, ...] | None = None

    def _table(self) -> tuple[int, ...]:
        if self._pointers is None:
            table_size = (self._nblocks + 1) * ZISOFS_POINTER.size
            if self._header_size < ZisofsHeader.SIZE or self._header_size + table_size > self._stored_size:
                raise CorruptDataError(
                    f"zisofs table of {self._nblocks + 1} pointers does not fit the "
                    f"{self._stored_size}-byte stored file")
            raw = self._read_raw(0, self._header_size + table_size)
            header = ZisofsHeader.parse(raw)
            if header.magic != ZisofsHeader.MAGIC:
                raise CorruptDataError("zisofs header magic is wrong")
            pointers = tuple(p for (p,) in ZISOFS_POINTER.iter_unpack(raw[self._header_size:]))
            for a, b in zip(pointers, pointers[1:]):
                if not self._header_size <= a <= b <= self._stored_size:
                    raise CorruptDataError("zisofs block pointers out of order or past the file")
            self._pointers = pointers
        return self._pointers

    def read(self, offset: int, size: int) -> bytes:
        end = min(offset + size, self.size)
        if offset >= end:
            return b""
        first, last = offset // self._block, (end - 1) // self._block
        data = b"".join(self._block_data(i) for i in range(first, last + 1))
        skip = offset - first * self._block
        return data[skip:skip + end - offset]

    def _block_data(self, index: int) -> bytes:
        return _blocks.get_or_compute((self._key, index), lambda: self._inflate(index))

    def _inflate(self, index: int) -> bytes:
        pointers = self._table()
        want = min(self._block, self.size - index * self._block)
        start, stop = pointers[index], pointers[index + 1]
        if start == stop:
            return bytes(want)
        d = zlib.decompressobj()
        try:
            out = d.decompress(self._read_raw(start, stop - start), want)
        except zlib.error as exc:
            raise CorruptDataError(f"zisofs block {index} does not inflate: {exc}") from None
        if len(out) != want:
            raise CorruptDataError(f"zisofs block {index} inflates to {len(out)} bytes, expected {want}")
        return out
