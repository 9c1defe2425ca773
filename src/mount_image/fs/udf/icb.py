"""ICBs: file entries (FE/EFE), their allocation descriptors and where a file's bytes are.

ECMA-167 4/14.6-14.9, 4/14.14, 4/14.17; strategy 4096 (UDF 2.60 §2.3.5.1, ECMA-167 4/A.5:
a direct entry followed by an indirect entry that may point to a newer ICB).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Iterator, Protocol

from ...errors import CorruptDataError
from .layout import TAG_AED, TAG_EFE, TAG_FE, TAG_IE, check_tag
from .layout_files import (AD_EXTENDED, AD_IN_ICB, AD_LONG, AD_SHORT, EXTENT_LENGTH_MASK,
                           EXTENT_NEXT, EXTENT_RECORDED, STRATEGY_4096, AllocationExtentDescriptor,
                           ExtAd, FileEntry, LongAd, ShortAd, parse_indirect_entry)

MAX_AD_EXTENTS = 1 << 20        # allocation descriptors of one file
MAX_AED_BLOCKS = 1 << 16        # continuation blocks of one file's descriptors
MAX_ICB_HOPS = 64               # indirect entries followed from one ICB


class Space(Protocol):
    """The logical volume as icb.py sees it (partitions.LogicalVolume answers this)."""

    block_size: int

    def candidates(self, ref: int, lbn: int) -> list[int]: ...
    def runs(self, ref: int, lbn: int, count: int, copy: int = 0) -> list[tuple[int, int]]: ...
    def read_blocks(self, block: int, count: int) -> bytes: ...


@dataclass(slots=True)
class Icb:
    """A file entry as found: the parsed entry, its block's bytes and where it is."""

    entry: FileEntry
    raw: bytes
    ref: int
    lbn: int
    position: int               # absolute byte position of the entry: a stable inode number


@dataclass(frozen=True, slots=True)
class Extent:
    """One allocation descriptor: type (4/14.14.1.1), byte length, partition and block."""

    kind: int
    length: int
    ref: int
    lbn: int


def read_tagged(space: Space, ref: int, lbn: int, expected: int | tuple[int, ...],
                what: str, prefetched: dict[int, bytes] | None = None) -> tuple[bytes, int, int]:
    """The block at (ref, lbn) holding a good descriptor: bytes, tag identifier, byte position.

    Each copy the partition has (a metadata partition's mirror) is tried in turn; blocks in
    ``prefetched`` (absolute block -> bytes) are not read again."""
    error: CorruptDataError | None = None
    for block in space.candidates(ref, lbn):
        try:
            raw = prefetched.get(block) if prefetched else None
            if raw is None:
                raw = space.read_blocks(block, 1)
            ident = check_tag(raw, 0, expected, lbn, f"{what} at block {lbn} of partition {ref}")
            return raw, ident, block * space.block_size
        except CorruptDataError as exc:
            error = exc
    raise error or CorruptDataError(f"{what} at block {lbn} of partition {ref}: not mapped")


def read_icb(space: Space, ref: int, lbn: int, what: str = "file entry",
             prefetched: dict[int, bytes] | None = None) -> Icb:
    """The file entry at (ref, lbn), after indirect entries and strategy 4096 successors."""
    for _ in range(MAX_ICB_HOPS):
        raw, ident, position = read_tagged(space, ref, lbn, (TAG_FE, TAG_EFE, TAG_IE), what, prefetched)
        if ident == TAG_IE:
            target = parse_indirect_entry(raw)
            if target.extent_length == 0:
                raise CorruptDataError(f"{what} at block {lbn}: indirect entry points nowhere")
            ref, lbn = target.partition_reference_number, target.logical_block_number
            continue
        entry = FileEntry.parse(raw, 0, extended=ident == TAG_EFE)
        if entry.icb_tag.strategy_type == STRATEGY_4096:
            newer = _successor(space, ref, lbn, prefetched)
            if newer is not None and newer != (ref, lbn):
                ref, lbn = newer
                continue
        if entry.ad_offset > len(raw) or entry.ad_offset + entry.length_of_allocation_descriptors > len(raw):
            raise CorruptDataError(f"{what} at block {lbn}: extended attributes and allocation "
                                   f"descriptors ({entry.ad_offset - entry.ea_offset} + "
                                   f"{entry.length_of_allocation_descriptors} bytes) pass its block")
        return Icb(entry, raw, ref, lbn, position)
    raise CorruptDataError(f"{what} at block {lbn}: more than {MAX_ICB_HOPS} indirect entries")


def _successor(space: Space, ref: int, lbn: int,
               prefetched: dict[int, bytes] | None) -> tuple[int, int] | None:
    """Strategy 4096: the block after a direct entry may hold an indirect entry to a newer ICB;
    an unrecorded or other block there means this entry is the current one."""
    try:
        raw, _ident, _pos = read_tagged(space, ref, lbn + 1, TAG_IE, "indirect entry", prefetched)
    except CorruptDataError:
        return None
    target = parse_indirect_entry(raw)
    if target.extent_length == 0:
        return None
    return target.partition_reference_number, target.logical_block_number


PREFETCH_GAP = 8           # unused blocks read through rather than starting another read
PREFETCH_RUN = 256         # blocks in one read


def prefetch(space: Space, where: list[tuple[int, int]], successors: bool = False) -> dict[int, bytes]:
    """The blocks of these (ref, lbn) ICBs read in few large reads: file entries of one
    directory are usually written next to each other, and one read per file is what makes
    listing a big directory slow. Unmapped blocks are left out (read_icb reports them)."""
    blocks: set[int] = set()
    for ref, lbn in where:
        try:
            found = space.candidates(ref, lbn)
        except CorruptDataError:
            continue
        if found:
            blocks.add(found[0])
            if successors:
                blocks.add(found[0] + 1)
    out: dict[int, bytes] = {}
    order = sorted(blocks)
    bs = space.block_size
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and order[j + 1] - order[j] <= PREFETCH_GAP and \
                order[j + 1] - order[i] < PREFETCH_RUN:
            j += 1
        first, count = order[i], order[j] - order[i] + 1
        try:
            data = space.read_blocks(first, count)
        except CorruptDataError:
            i = j + 1
            continue  # past the image: each block is read (and reported) on its own
        for block in order[i:j + 1]:
            at = (block - first) * bs
            out[block] = data[at:at + bs]
        i = j + 1
    return out


def allocation_extents(space: Space, icb: Icb) -> list[Extent]:
    """The file's allocation descriptors in order, continuation extents (AEDs) followed with
    a cap and loop check. Not for embedded data (AD type 3): see ``embedded_data``."""
    ad_type = icb.entry.icb_tag.ad_type
    if ad_type == AD_IN_ICB:
        return []
    start = icb.entry.ad_offset
    area = icb.raw[start:start + icb.entry.length_of_allocation_descriptors]
    extents: list[Extent] = []
    seen: set[tuple[int, int]] = set()
    ref = icb.ref
    while True:
        nxt = _parse_ads(area, ad_type, ref, extents)
        if nxt is None:
            return extents
        if len(seen) >= MAX_AED_BLOCKS or (nxt.ref, nxt.lbn) in seen:
            raise CorruptDataError(f"file entry at block {icb.lbn}: allocation descriptor chain "
                                   f"loops or exceeds {MAX_AED_BLOCKS} blocks")
        seen.add((nxt.ref, nxt.lbn))
        raw, _ident, _pos = read_tagged(space, nxt.ref, nxt.lbn, TAG_AED, "allocation extent descriptor")
        aed = AllocationExtentDescriptor.parse(raw)
        length = min(aed.length_of_allocation_descriptors, nxt.length - 24)
        if 24 + length > len(raw) or length < 0:
            raise CorruptDataError(f"allocation extent descriptor at block {nxt.lbn}: "
                                   f"{aed.length_of_allocation_descriptors} bytes of descriptors")
        area = raw[24:24 + length]
        ref = nxt.ref


def _parse_ads(area: bytes, ad_type: int, ref: int, out: list[Extent]) -> Extent | None:
    """Append the descriptors of one area to ``out``; the continuation extent if one ends it."""
    if ad_type == AD_SHORT:
        size = 8
    elif ad_type == AD_LONG:
        size = 16
    elif ad_type == AD_EXTENDED:
        size = 20
    else:
        raise CorruptDataError(f"allocation descriptor type {ad_type} is reserved")
    for offset in range(0, len(area) - size + 1, size):
        if ad_type == AD_SHORT:
            ad = ShortAd.parse(area, offset)
            raw_len, lbn, part = ad.extent_length_raw, ad.extent_position, ref
        elif ad_type == AD_LONG:
            la = LongAd.parse(area, offset)
            raw_len, lbn, part = la.extent_length_raw, la.logical_block_number, la.partition_reference_number
        else:
            ea = ExtAd.parse(area, offset)
            raw_len, lbn, part = ea.extent_length_raw, ea.logical_block_number, ea.partition_reference_number
        length = raw_len & EXTENT_LENGTH_MASK
        if length == 0:
            return None  # 4/12: a zero length ends the descriptors
        extent = Extent(raw_len >> 30, length, part, lbn)
        if extent.kind == EXTENT_NEXT:
            return extent
        if len(out) >= MAX_AD_EXTENTS:
            raise CorruptDataError(f"more than {MAX_AD_EXTENTS} allocation descriptors")
        out.append(extent)
    return None


def embedded_data(icb: Icb) -> bytes:
    """The bytes of a file stored in its ICB (AD type 3, 4/14.6.8)."""
    start = icb.entry.ad_offset
    data = icb.raw[start:start + icb.entry.length_of_allocation_descriptors]
    return data[:icb.entry.information_length]


ZEROS = -1          # a piece with no recorded bytes: reads as zeros (4/14.14.1.1 types 1, 2)
MISSING = -2        # past the allocated extents although inside the length: damage


@dataclass(slots=True)
class DataMap:
    """Where each byte of a file is: pieces (file offset, length, absolute byte position)."""

    size: int
    embedded: bytes | None
    offsets: list[int]
    pieces: list[tuple[int, int, int]]

    def spans(self, offset: int, end: int, what: str) -> Iterator[tuple[int, int, int]]:
        """(file position, length, byte position or ZEROS) of each piece of [offset, end);
        CorruptDataError where the allocation has a gap. Shorter than asked only when the
        pieces end first."""
        i = max(0, bisect.bisect_right(self.offsets, offset) - 1)
        pos = offset
        while pos < end and i < len(self.pieces):
            start, length, where = self.pieces[i]
            a, b = pos - start, min(end, start + length) - start
            if where == MISSING:
                raise CorruptDataError(f"{what}: bytes {pos}-{end} have no allocation descriptor")
            yield pos, b - a, where if where == ZEROS else where + a
            pos = start + b
            i += 1

    def read(self, read_bytes, offset: int, size: int, what: str) -> bytes:  # noqa: ANN001
        end = min(offset + size, self.size)
        if offset >= end:
            return b""
        if self.embedded is not None:
            return self.embedded[offset:end]
        return b"".join(bytes(length) if where == ZEROS else read_bytes(where, length)
                        for _pos, length, where in self.spans(offset, end, what))

    def read_into(self, read_into, offset: int, dest: memoryview, what: str) -> int:  # noqa: ANN001
        """read(...) written into ``dest``, each recorded piece by ``read_into(position, view)``
        (the device's: no copy of our own); the bytes written."""
        end = min(offset + len(dest), self.size)
        if offset >= end:
            return 0
        if self.embedded is not None:
            data = self.embedded[offset:end]
            dest[:len(data)] = data
            return len(data)
        written = 0
        for pos, length, where in self.spans(offset, end, what):
            out = dest[pos - offset:pos - offset + length]
            if where == ZEROS:
                out[:] = bytes(length)
            else:
                read_into(where, out)
            written = pos - offset + length
        return written


def data_map(space: Space, icb: Icb, limit: int | None = None, copy: int = 0) -> DataMap:
    """The data map of a file; every extent is bounded by its partition (``space.runs``).
    ``limit`` caps the length taken (directories, VATs); ``copy`` 1 reads a metadata
    partition's blocks from its mirror."""
    size = icb.entry.information_length
    if limit is not None and size > limit:
        raise CorruptDataError(f"file entry at block {icb.lbn}: {size} bytes, more than {limit}")
    if icb.entry.icb_tag.ad_type == AD_IN_ICB:
        data = embedded_data(icb)
        if len(data) < size:
            raise CorruptDataError(f"file entry at block {icb.lbn}: embedded data is {len(data)} "
                                   f"bytes, length says {size}")
        return DataMap(size, data, [], [])
    bs = space.block_size
    pieces: list[tuple[int, int, int]] = []
    pos = 0
    for extent in allocation_extents(space, icb):
        if pos >= size:
            break
        length = min(extent.length, size - pos)
        if extent.kind != EXTENT_RECORDED:
            pieces.append((pos, length, ZEROS))
            pos += length
            continue
        left = length
        for block, count in space.runs(extent.ref, extent.lbn, (length + bs - 1) // bs, copy):
            take = min(left, count * bs)
            if pieces and pieces[-1][2] >= 0 and pieces[-1][2] + pieces[-1][1] == block * bs:
                start, plen, where = pieces.pop()  # contiguous with the last: one read
                pieces.append((start, plen + take, where))
            else:
                pieces.append((pos, take, block * bs))
            pos += take
            left -= take
    if pos < size:
        pieces.append((pos, size - pos, MISSING))
    return DataMap(size, None, [p[0] for p in pieces], pieces)
