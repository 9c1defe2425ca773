"""El Torito boot catalog: the boot images a disc offers (El Torito 1.0, §2)."""

from __future__ import annotations

from dataclasses import dataclass

from ...binary import u16le
from ...errors import CorruptDataError
from ...sectors.blocks import BlockDevice
from .layout import BootRecord, SectionEntry, SectionHeader, ValidationEntry

MAX_CATALOG_SECTORS = 4         # 256 entries; real catalogs use one sector
PLATFORMS = {0x00: "x86", 0x01: "ppc", 0x02: "mac", 0xEF: "efi"}
EMULATIONS = {0: "noemul", 1: "floppy-1.2m", 2: "floppy-1.44m", 3: "floppy-2.88m", 4: "harddisk"}
HEADER_MORE, HEADER_FINAL = 0x90, 0x91
BOOTABLE = 0x88


@dataclass(frozen=True, slots=True)
class BootEntry:
    platform: str
    emulation: str
    bootable: bool
    load_rba: int
    sectors: int          # 512-byte virtual sectors
    load_segment: int
    system_type: int

    def as_dict(self) -> dict:
        return {"platform": self.platform, "emulation": self.emulation, "bootable": self.bootable,
                "load_rba": self.load_rba, "sectors": self.sectors,
                "load_segment": self.load_segment, "system_type": self.system_type}


def read_boot_catalog(device: BlockDevice, record: BootRecord) -> list[BootEntry]:
    """The default entry and every section entry; CorruptDataError for a broken catalog."""
    lba = record.boot_catalog_pointer
    if not 0 < lba < device.block_count:
        raise CorruptDataError(f"El Torito boot catalog at sector {lba} is outside the image")
    buf = device.read(lba, min(MAX_CATALOG_SECTORS, device.block_count - lba))
    validation = ValidationEntry.parse(buf, 0)
    if validation.header_id != 1 or validation.key != b"\x55\xaa":
        raise CorruptDataError(f"El Torito validation entry at sector {lba} is not valid")
    if sum(u16le(buf, i) for i in range(0, 32, 2)) & 0xFFFF:
        raise CorruptDataError(f"El Torito validation entry at sector {lba}: bad checksum")
    entries = [_entry(SectionEntry.parse(buf, 32), validation.platform_id)]
    pos = 64
    while pos + 32 <= len(buf):
        header = SectionHeader.parse(buf, pos)
        if header.header_indicator not in (HEADER_MORE, HEADER_FINAL):
            break
        pos += 32
        for _ in range(header.section_entries):
            if pos + 32 > len(buf):
                break
            entry = SectionEntry.parse(buf, pos)
            pos += 32
            if entry.boot_indicator in (BOOTABLE, 0) and entry.load_rba:
                entries.append(_entry(entry, header.platform_id))
            # Section entry extensions (0x44) follow their entry; skip them.
            while pos + 32 <= len(buf) and buf[pos] == 0x44:
                pos += 32
        if header.header_indicator == HEADER_FINAL:
            break
    return entries


def _entry(entry: SectionEntry, platform_id: int) -> BootEntry:
    return BootEntry(
        platform=PLATFORMS.get(platform_id, f"0x{platform_id:02x}"),
        emulation=EMULATIONS.get(entry.boot_media_type & 0x0F, f"0x{entry.boot_media_type:02x}"),
        bootable=entry.boot_indicator == BOOTABLE,
        load_rba=entry.load_rba,
        sectors=entry.sector_count,
        load_segment=entry.load_segment,
        system_type=entry.system_type,
    )

