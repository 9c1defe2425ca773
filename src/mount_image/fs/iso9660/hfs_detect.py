"""Hybrid ISO 9660 / HFS discs: find an Apple partition map, an HFS Master Directory Block or an
HFS+ volume header beside the ISO 9660 volume, so that ``info`` can say the disc carries one.

HFS itself is not read (a later issue): the files view shows ISO 9660. Where mastering tools put
them: genisoimage -hfs writes the HFS volume at byte 0 of the disc (its MDB at byte 1024, in the
ISO 9660 system area); with -part, an Apple partition map first ("ER" at byte 0, "PM" entries
from block 1) whose Apple_HFS partition holds it; xorriso -hfsplus writes a map and an HFS+
volume. Every offset is checked against the image; the walk over map entries is bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import CorruptDataError
from ...sectors.blocks import BlockDevice
from .layout import (DriverDescriptorRecord, HfsMasterDirectoryBlock, HfsPlusVolumeHeader,
                     PartitionMapEntry)

MAX_MAP_ENTRIES = 64                       # real maps have 2-10 entries
BLOCK_SIZES = (512, 1024, 2048, 4096)
HFS_PARTITION_TYPES = (b"Apple_HFS", b"Apple_HFSX")
HEADER_READ = 1536                         # a volume's first bytes up to its MDB / header


@dataclass(frozen=True, slots=True)
class HfsVolume:
    kind: str                  # "hfs", "hfsplus", "hfsx"
    offset: int                # byte offset of the volume in the image
    name: str | None           # HFS keeps its name in the MDB; HFS+ only in its catalog
    block_size: int
    blocks: int
    wrapped: bool = False      # an HFS wrapper whose MDB announces an embedded HFS+ volume

    def as_dict(self) -> dict:
        return {"kind": self.kind, "offset": self.offset, "name": self.name,
                "block_size": self.block_size, "blocks": self.blocks, "wrapped_hfsplus": self.wrapped}


@dataclass(slots=True)
class AppleLayout:
    partitions: list[dict] = field(default_factory=list)
    volumes: list[HfsVolume] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"partition_map": self.partitions, "volumes": [v.as_dict() for v in self.volumes]}


def detect_apple(device: BlockDevice) -> AppleLayout | None:
    """The Apple partition map and HFS / HFS+ volumes of the image; None when there are none.
    Damage is not an error here: what cannot be read is left out."""
    layout = AppleLayout()
    head = _read(device, 0, 1024 + HEADER_READ)
    if head is None:
        return None
    if head[:2] == DriverDescriptorRecord.SIGNATURE:
        _partition_map(device, DriverDescriptorRecord.parse(head), layout)
    if not layout.volumes:   # no map, or a map without HFS: a volume at byte 0 (genisoimage -hfs)
        volume = _volume_at(device, 0)
        if volume is not None:
            layout.volumes.append(volume)
    return layout if layout.partitions or layout.volumes else None


def _read(device: BlockDevice, offset: int, size: int) -> bytes | None:
    size = min(size, device.size - offset)
    if offset < 0 or size <= 0:
        return None
    try:
        return device.read_bytes(offset, size)
    except CorruptDataError:
        return None


def _partition_map(device: BlockDevice, ddr: DriverDescriptorRecord, layout: AppleLayout) -> None:
    # Map entries sit one per block from block 1; the block size is the DDR's (512 by
    # genisoimage, 2048 by xorriso -apm-block-size 2048). An unusable size: try 512.
    block = ddr.sb_blk_size if ddr.sb_blk_size in BLOCK_SIZES else 512
    count = MAX_MAP_ENTRIES
    i = 1
    while i <= count and i <= MAX_MAP_ENTRIES:
        raw = _read(device, i * block, PartitionMapEntry.SIZE)
        if raw is None or len(raw) < PartitionMapEntry.SIZE or raw[:2] != PartitionMapEntry.SIGNATURE:
            break
        entry = PartitionMapEntry.parse(raw)
        if i == 1:
            count = entry.pm_map_blk_cnt
        part_type = entry.pm_par_type.split(b"\x00", 1)[0]
        layout.partitions.append({
            "name": entry.pm_part_name.split(b"\x00", 1)[0].decode("latin-1"),
            "type": part_type.decode("latin-1"), "start": entry.pm_py_part_start,
            "blocks": entry.pm_part_blk_cnt, "block_size": block})
        if part_type in HFS_PARTITION_TYPES:
            volume = _volume_at(device, entry.pm_py_part_start * block)
            if volume is not None:
                layout.volumes.append(volume)
        i += 1


def _volume_at(device: BlockDevice, offset: int) -> HfsVolume | None:
    raw = _read(device, offset + HfsMasterDirectoryBlock.OFFSET, HEADER_READ - 1024 + 512)
    if raw is None or len(raw) < HfsMasterDirectoryBlock.SIZE:
        return None
    if raw[:2] == HfsMasterDirectoryBlock.SIGNATURE:
        mdb = HfsMasterDirectoryBlock.parse(raw)
        name = mdb.dr_vn[1:1 + min(mdb.dr_vn[0], 27)].decode("mac_roman")
        embed = raw[HfsMasterDirectoryBlock.EMBED_SIG_OFFSET:HfsMasterDirectoryBlock.EMBED_SIG_OFFSET + 2]
        return HfsVolume("hfs", offset, name, mdb.dr_al_blk_siz, mdb.dr_nm_al_blks, wrapped=embed == b"H+")
    kind = HfsPlusVolumeHeader.SIGNATURES.get(raw[:2])
    if kind is not None and len(raw) >= HfsPlusVolumeHeader.SIZE:
        header = HfsPlusVolumeHeader.parse(raw)
        return HfsVolume(kind, offset, None, header.block_size, header.total_blocks)
    return None
