"""System Use Sharing Protocol: walk the entries of a System Use area and its continuations.

SUSP 1.12 §4-5. Each walk is bounded: a CE chain may loop or go on for thousands of areas in a
crafted image (the kernel bounds its walk for the same reason, after a real infinite loop).
"""

from __future__ import annotations

from typing import Callable, Iterator

from ...errors import CorruptDataError
from .layout import SECTOR, SUSP_ENTRY_HEADER_SIZE, ContinuationArea

MAX_CONTINUATIONS = 32            # CE areas followed for one directory record
MAX_SUSP_BYTES = 64 * 1024        # System Use bytes read for one directory record

ReadArea = Callable[[int, int, int], bytes]   # (block, offset, length) -> bytes


def iter_entries(system_use: bytes, skip: int, read_area: ReadArea,
                 log: Callable[[str], None] | None = None) -> Iterator[tuple[bytes, int, bytes]]:
    """Yield (signature, version, data) for each entry, following CE continuation areas.

    Malformed entries end the walk of that area (what came before still counts); a bad CE
    (loop, too many, outside the image) is skipped with a log line.
    """
    area = system_use[skip:] if skip else system_use
    seen: set[tuple[int, int]] = set()
    total = len(area)
    hops = 0
    while True:
        pending: ContinuationArea | None = None
        pos = 0
        end = len(area)
        while pos + SUSP_ENTRY_HEADER_SIZE <= end:
            sig, length, version = area[pos:pos + 2], area[pos + 2], area[pos + 3]
            if length < SUSP_ENTRY_HEADER_SIZE or pos + length > end:
                if log and area[pos:].strip(b"\x00"):
                    log(f"SUSP entry {sig!r} with length {length} at {pos} of a {len(area)}-byte area")
                break
            data = area[pos + 4:pos + length]
            pos += length
            if sig == b"ST":
                break
            if sig == b"CE":
                try:
                    pending = ContinuationArea.parse(data)
                except CorruptDataError:
                    pending = None
                continue
            yield sig, version, data
        if pending is None:
            return
        key = (pending.block_location, pending.offset)
        hops += 1
        if key in seen or hops > MAX_CONTINUATIONS:
            if log:
                log(f"SUSP continuation chain loops or is too long at block {pending.block_location}")
            return
        if pending.offset >= SECTOR or pending.length == 0 or total + pending.length > MAX_SUSP_BYTES:
            if log:
                log(f"SUSP continuation area at block {pending.block_location} offset "
                    f"{pending.offset} length {pending.length} is out of bounds")
            return
        seen.add(key)
        total += pending.length
        try:
            area = read_area(pending.block_location, pending.offset, pending.length)
        except CorruptDataError as exc:
            if log:
                log(str(exc))
            return
