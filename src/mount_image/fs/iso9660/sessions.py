"""ISO 9660 sessions inside one plain image, which has no table of contents to list them.

A CD-R or DVD keeps its sessions in the disc's TOC; a file does not, so the sessions of an image
grown session by session are found from the volume descriptors themselves:

- ``genisoimage -C last,next -M old.iso`` writes a session meant to sit at block ``next``; an
  image made by appending it to the previous one has a volume descriptor set at ``next + 16`` whose
  root directory lies inside the new session (ECMA-119 §6.2.1: addresses count from the start of
  the whole volume space, so later sessions point back at the files of earlier ones).
- xorriso / libisoburn on a regular file ("overwritable media") writes session 1 at block 32 and
  each later session at the next 32-block boundary after the previous one ends, each with its own
  descriptor set, and rewrites blocks 16.. with a copy of the newest session's descriptors, which
  differs from the session's own only in the volume space size (ECMA-119 §8.4.8).

So a session's successor is looked for at its end, counted either way (the volume space size from
block 0, as genisoimage counts, or from the session's start, as xorriso counts), rounded up to 1,
16 or 32 blocks. Nothing here is guessed from content but the descriptor and its root directory.
"""

from __future__ import annotations

from ...errors import CorruptDataError
from ...sectors.blocks import BlockDevice
from .layout import (FIRST_DESCRIPTOR_SECTOR, SECTOR, STANDARD_ID, VD_PRIMARY, DirectoryRecord,
                     VolumeDescriptor)

MAX_SESSIONS = 99                 # a CD has at most 99 tracks, so at most 99 sessions
OVERWRITABLE_FIRST_SESSION = 32   # libisoburn's first session on overwritable media
ALIGNMENTS = (1, 16, 32)
# Bytes of a primary descriptor that libisoburn's superblock copy changes (volume space size).
_VOLUME_SPACE_SIZE = slice(80, 88)


def _primary(device: BlockDevice, start: int) -> tuple[bytes, VolumeDescriptor] | None:
    """The primary volume descriptor at ``start + 16``, if there is one whose root directory
    lies inside this session and the image."""
    lba = start + FIRST_DESCRIPTOR_SECTOR
    if lba >= device.block_count:
        return None
    try:
        raw = device.read(lba, 1)
        descriptor = VolumeDescriptor.parse(raw)
        root = DirectoryRecord.parse(descriptor.root_directory_record)
    except CorruptDataError:
        return None
    if descriptor.type != VD_PRIMARY or descriptor.standard_identifier != STANDARD_ID:
        return None
    if descriptor.logical_block_size != SECTOR:
        return None
    if not lba < root.location_of_extent < device.block_count:
        return None
    return raw, descriptor


def _successor(device: BlockDevice, start: int, descriptor: VolumeDescriptor) -> int | None:
    size = descriptor.volume_space_size
    candidates = sorted({-(-end // a) * a for end in (size, start + size) for a in ALIGNMENTS})
    for candidate in candidates:
        if candidate > start and _primary(device, candidate) is not None:
            return candidate
    return None


def find_sessions(device: BlockDevice) -> list[int]:
    """Start blocks of the ISO 9660 sessions in a plain image, oldest first (at least [0] when
    block 16 holds a primary descriptor; [] when no session is found)."""
    first = _primary(device, 0)
    overwritable = _primary(device, OVERWRITABLE_FIRST_SESSION)
    found = overwritable or first
    if found is None:
        return []
    starts = [OVERWRITABLE_FIRST_SESSION if overwritable else 0]
    newest = found
    while len(starts) < MAX_SESSIONS:
        nxt = _successor(device, starts[-1], newest[1])
        if nxt is None:
            break
        starts.append(nxt)
        newest = _primary(device, nxt)  # type: ignore[assignment]
    if first is not None and starts[0] != 0 and not _same_but_size(first[0], newest[0]):
        # Block 16 is either libisoburn's copy of the newest session's descriptor (not a session
        # of its own) or a real first session that an overwritable-style one follows.
        starts.insert(0, 0)
    return starts


def _same_but_size(a: bytes, b: bytes) -> bool:
    return a[:_VOLUME_SPACE_SIZE.start] == b[:_VOLUME_SPACE_SIZE.start] and \
        a[_VOLUME_SPACE_SIZE.stop:] == b[_VOLUME_SPACE_SIZE.stop:]
