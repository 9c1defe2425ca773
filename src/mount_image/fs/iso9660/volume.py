"""The volume descriptor set: sectors 16 onwards up to the terminator (ECMA-119 §6.7.1, §8)."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import CorruptDataError
from ...sectors.blocks import BlockDevice
from .layout import (FIRST_DESCRIPTOR_SECTOR, JOLIET_ESCAPES, SECTOR, STANDARD_ID, VD_BOOT_RECORD,
                     VD_PRIMARY, VD_SUPPLEMENTARY, VD_TERMINATOR, BootRecord, VolumeDescriptor,
                     VolumeDescriptorHeader)

MAX_DESCRIPTORS = 64        # real discs have 2-5; a set without a terminator stops here
DESCRIPTOR_READ = 16        # sectors read at once: the whole set in one request on real discs


@dataclass(frozen=True, slots=True)
class VolumeSet:
    """The descriptors we use: the primary, a Joliet supplementary, an El Torito boot record."""

    primary: VolumeDescriptor
    joliet: VolumeDescriptor | None
    joliet_level: int
    boot_record: BootRecord | None
    primary_sector: int


def _read_whole_sectors(device: BlockDevice, lba: int, count: int) -> bytes:
    """Up to ``count`` sectors from ``lba``; fewer when the image ends inside the window (a
    small image whose last sector is cut short must still show its descriptors)."""
    try:
        return device.read(lba, count)
    except CorruptDataError:
        parts = []
        for i in range(count):
            try:
                parts.append(device.read(lba + i, 1))
            except CorruptDataError:
                break
        return b"".join(parts)


def read_volume_set(device: BlockDevice, first_sector: int = FIRST_DESCRIPTOR_SECTOR) -> VolumeSet:
    """Read descriptors from ``first_sector`` until the terminator; CorruptDataError if unusable.

    ``first_sector`` is 16 plus the session start on multi-session discs.
    """
    if device.block_count <= first_sector:
        raise CorruptDataError(
            f"no ISO 9660 volume descriptor at sector {first_sector}: "
            f"the image has only {device.block_count} sectors")
    primary = joliet = boot = None
    joliet_level = 0
    primary_sector = -1
    count = min(MAX_DESCRIPTORS, device.block_count - first_sector)
    buf = _read_whole_sectors(device, first_sector, min(count, DESCRIPTOR_READ))
    for i in range(count):
        if (i + 1) * SECTOR > len(buf):
            more = _read_whole_sectors(device, first_sector + i, min(count - i, DESCRIPTOR_READ))
            if not more:
                break  # the image ends inside this descriptor
            buf += more
        header = VolumeDescriptorHeader.parse(buf, i * SECTOR)
        if header.standard_identifier != STANDARD_ID:
            if i == 0:
                raise CorruptDataError(f"no ISO 9660 volume descriptor at sector {first_sector}")
            break  # a set that ends without its terminator: use what we found (as the kernel does)
        if header.type == VD_TERMINATOR:
            break
        if header.type == VD_PRIMARY and primary is None:
            primary = VolumeDescriptor.parse(buf, i * SECTOR)
            primary_sector = first_sector + i
        elif header.type == VD_SUPPLEMENTARY and joliet is None:
            svd = VolumeDescriptor.parse(buf, i * SECTOR)
            level = JOLIET_ESCAPES.get(svd.escape_sequences[:3], 0)
            if level and svd.escape_sequences[3:].strip(b"\x00 ") == b"":
                joliet, joliet_level = svd, level
        elif header.type == VD_BOOT_RECORD and boot is None:
            record = BootRecord.parse(buf, i * SECTOR)
            if record.boot_system_identifier.rstrip(b"\x00 ") == BootRecord.EL_TORITO_ID:
                boot = record
    if primary is None:
        raise CorruptDataError(f"no ISO 9660 primary volume descriptor from sector {first_sector}")
    if primary.logical_block_size != SECTOR:
        raise CorruptDataError(
            f"primary volume descriptor at sector {primary_sector}: logical block size "
            f"{primary.logical_block_size}, expected {SECTOR}")
    return VolumeSet(primary, joliet, joliet_level, boot, primary_sector)
