"""Finding a UDF volume: the recognition sequence, the anchors, the volume descriptor sequence.

ECMA-167 2/8.3-9.1 (BEA01, NSR02/NSR03, TEA01 from byte 32768 of the session), 3/8.4.2 (anchors
at block 256, N-256 and N) and 3/8.4.3 (the main sequence, then its reserve copy).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ...errors import CorruptDataError
from .layout import (ANCHOR_BLOCK, TAG_AVDP, TAG_IUVD, TAG_LVD, TAG_PD, TAG_PVD, TAG_TD, TAG_USD,
                     TAG_VDP, AnchorVolumeDescriptorPointer, ExtentAd, LogicalVolumeDescriptor,
                     PartitionDescriptor, PrimaryVolumeDescriptor, parse_tag, parse_vdp_next)
from .recognition import DEVICE_BLOCK, Device, recognition_sequence

log = logging.getLogger("mount_image.udf")

BLOCK_SIZES = (2048, 512, 1024, 4096)   # the common one first; UDF 2.60 §2.1.4 allows these
MAX_VDS_BLOCKS = 512                # descriptors read from one volume descriptor sequence
MAX_VDS_POINTERS = 16               # Volume Descriptor Pointer hops (3/10.3) followed


@dataclass(slots=True)
class Anchor:
    block_size: int
    block: int
    avdp: AnchorVolumeDescriptorPointer


def find_anchor(device: Device, start: int = 0) -> Anchor:
    """The first good Anchor Volume Descriptor Pointer at 256, N-256 or N (3/8.4.2.1), trying
    each block size; the tag's recorded location must be the block it was found in."""
    for bs in BLOCK_SIZES:
        last = device.size // bs - 1
        first = start * DEVICE_BLOCK // bs + ANCHOR_BLOCK
        for block in dict.fromkeys((first, last - ANCHOR_BLOCK, last)):
            if block < first or (block + 1) * bs > device.size:
                continue
            raw = device.read_bytes(block * bs, 512)
            try:
                parse_tag(raw, 0, TAG_AVDP, block, "anchor")
                return Anchor(bs, block, AnchorVolumeDescriptorPointer.parse(raw))
            except CorruptDataError:
                continue
    raise CorruptDataError("no UDF anchor at 256, N-256 or N")


@dataclass(slots=True)
class VolumeDescriptors:
    """The prevailing descriptors of one sequence (3/8.4.3: highest sequence number wins)."""

    pvd: PrimaryVolumeDescriptor | None = None
    lvd: LogicalVolumeDescriptor | None = None
    partitions: dict[int, PartitionDescriptor] = field(default_factory=dict)
    _numbers: dict[object, int] = field(default_factory=dict)

    def _newer(self, key: object, number: int) -> bool:
        if number < self._numbers.get(key, -1):
            return False
        self._numbers[key] = number
        return True

    @property
    def usable(self) -> bool:
        return self.lvd is not None and bool(self.partitions)


def read_sequence(device: Device, bs: int, extent: ExtentAd) -> VolumeDescriptors:
    """One volume descriptor sequence, following Volume Descriptor Pointers (bounded); a
    damaged descriptor is skipped with a log line, an unrecorded block or TD ends it."""
    found = VolumeDescriptors()
    block, count = extent.extent_location, extent.extent_length // bs
    hops = read = 0
    seen: set[int] = set()
    while count > 0 and read < MAX_VDS_BLOCKS:
        if block in seen or (block + 1) * bs > device.size:
            break
        seen.add(block)
        raw = device.read_bytes(block * bs, bs)
        read += 1
        if not any(raw[:16]):
            break  # unrecorded: the sequence ended without a terminator
        try:
            tag = parse_tag(raw, 0, None, block, f"volume descriptor at block {block}")
            _take(found, tag.tag_identifier, raw)
        except CorruptDataError as exc:
            log.warning("%s", exc)
            block, count = block + 1, count - 1
            continue
        if tag.tag_identifier == TAG_TD:
            break
        if tag.tag_identifier == TAG_VDP:
            hops += 1
            nxt = parse_vdp_next(raw)
            if hops > MAX_VDS_POINTERS or nxt.extent_length < bs:
                break
            block, count = nxt.extent_location, nxt.extent_length // bs
            continue
        block, count = block + 1, count - 1
    return found


def _take(found: VolumeDescriptors, ident: int, raw: bytes) -> None:
    if ident == TAG_PVD:
        pvd = PrimaryVolumeDescriptor.parse(raw)
        if found._newer("pvd", pvd.volume_descriptor_sequence_number):
            found.pvd = pvd
    elif ident == TAG_LVD:
        lvd = LogicalVolumeDescriptor.parse(raw)
        if found._newer("lvd", lvd.volume_descriptor_sequence_number):
            found.lvd = lvd
    elif ident == TAG_PD:
        pd = PartitionDescriptor.parse(raw)
        if found._newer(("pd", pd.partition_number), pd.volume_descriptor_sequence_number):
            found.partitions[pd.partition_number] = pd
    elif ident not in (TAG_IUVD, TAG_USD, TAG_TD, TAG_VDP):
        log.info("volume descriptor sequence: ignoring tag %d", ident)


@dataclass(slots=True)
class UdfVolume:
    """A found volume: block size, anchor, the prevailing descriptors and the VRS identifiers."""

    block_size: int
    anchor_block: int
    descriptors: VolumeDescriptors
    recognition: list[str]
    used_reserve: bool

    @property
    def lvd(self) -> LogicalVolumeDescriptor:
        assert self.descriptors.lvd is not None
        return self.descriptors.lvd


def read_volume(device: Device, start: int = 0) -> UdfVolume:
    """The volume of the session at ``start``: anchor, then the main VDS, else its reserve."""
    ids = recognition_sequence(device, start)
    anchor = find_anchor(device, start)
    bs = anchor.block_size
    problems = []
    for which, extent in (("main", anchor.avdp.main_vds), ("reserve", anchor.avdp.reserve_vds)):
        if extent.extent_length < bs:
            problems.append(f"{which} sequence is empty")
            continue
        found = read_sequence(device, bs, extent)
        if not found.usable:
            problems.append(f"{which} sequence at block {extent.extent_location} has no "
                            f"{'logical volume' if found.lvd is None else 'partition'} descriptor")
            continue
        lvd_bs = found.lvd.logical_block_size if found.lvd else 0
        if lvd_bs != bs:
            problems.append(f"{which} sequence: logical block size {lvd_bs}, anchor found with {bs}")
            continue
        if which == "reserve":
            log.warning("UDF: main volume descriptor sequence unusable (%s); using the reserve",
                        problems[0])
        return UdfVolume(bs, anchor.block, found, ids, which == "reserve")
    raise CorruptDataError("UDF volume descriptor sequence unusable: " + "; ".join(problems))
