"""El Torito boot catalog: the boot images a disc offers, and how long each one is (El Torito 1.0, §2).

The catalog says where an image starts (load RBA) and, for no-emulation images, how many 512-byte
virtual sectors the BIOS loads: often fewer than the image holds (ISOLINUX asks for 4) or 0
(EFI images). The length of each image, as ``boot/`` in the tracks view shows it, is chosen so:

- floppy emulation: the emulated diskette, 1,228,800 / 1,474,560 / 2,949,120 bytes;
- hard disk emulation: up to the end of the partition the image's MBR describes (§3.3);
- otherwise, the ISO 9660 file whose extent starts at the load RBA (xorriso and genisoimage
  images keep isolinux.bin and efi.img in the tree); else, for an image outside the tree (an
  appended EFI partition), the size its FAT boot sector states; else the catalog's count of
  512-byte sectors (one 2048-byte block when that count is 0).

Lengths are cut at the end of the image, except floppy images, whose missing tail reads as zeros.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

from ...binary import u16le
from ...errors import CorruptDataError
from ...sectors.blocks import BlockDevice
from .directory import PARENT_ID, SELF_ID, map_iso_name, read_directory
from .layout import (FLAG_ASSOCIATED, FLAG_DIRECTORY, MEDIA_TYPE_MASK, SECTOR, BootRecord,
                     DirectoryRecord, FatBootSector, MbrPartitionEntry, SectionEntry,
                     SectionEntryExtension, SectionHeader, ValidationEntry)

log = logging.getLogger("mount_image.iso9660")

MAX_CATALOG_SECTORS = 4         # 256 entries; real catalogs use one sector
MAX_EXTENSIONS = 8              # Section Entry Extensions followed for one entry
MAX_WALK_DIRECTORIES = 4096     # directories searched for the file behind a load RBA
MAX_WALK_RECORDS = 200_000
PLATFORMS = {0x00: "x86", 0x01: "ppc", 0x02: "mac", 0xEF: "efi"}
EMULATIONS = {0: "noemul", 1: "floppy-1.2m", 2: "floppy-1.44m", 3: "floppy-2.88m", 4: "harddisk"}
FLOPPY_BYTES = {1: 1_228_800, 2: 1_474_560, 3: 2_949_120}
VIRTUAL_SECTOR = 512
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
    section: int = 0      # 0: the initial/default entry; n: the n-th section header's
    section_id: str = ""  # the ID string of the validation entry or section header
    criteria_type: int = 0
    criteria: bytes = b""  # selection criteria, the extensions' appended
    media_type: int = 0    # byte 1 as stored (emulation, extension and ATAPI bits)

    def as_dict(self) -> dict:
        return {"platform": self.platform, "emulation": self.emulation, "bootable": self.bootable,
                "load_rba": self.load_rba, "sectors": self.sectors,
                "load_segment": self.load_segment, "system_type": self.system_type}


@dataclass(frozen=True, slots=True)
class BootImage:
    """One boot image as ``boot/`` shows it: where its bytes are and how long it is."""

    number: int            # 1-based, catalog order
    entry: BootEntry
    name: str              # "01-x86-noemul.img"
    size: int              # bytes the file shows
    stored: int            # bytes of it read from the image at load_rba (the rest reads as zeros)
    size_from: str         # "emulation", "mbr", "iso9660-file", "fat", "catalog"
    iso_path: str | None   # the ISO 9660 file whose extent starts at the load RBA

    def as_dict(self) -> dict:
        e = self.entry
        return {**e.as_dict(), "number": self.number,
                "boot_file": f"boot/{self.name}" if self.size else None, "size": self.size,
                "size_from": self.size_from, "iso_path": self.iso_path, "section": e.section,
                "section_id": e.section_id, "criteria_type": e.criteria_type,
                "criteria": e.criteria.rstrip(b"\x00").hex()}


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
    default = SectionEntry.parse(buf, 32)
    entries = [_entry(default, validation.platform_id, 0, _text(validation.id_string), b"")]
    pos = 64
    section = 0
    while pos + 32 <= len(buf):
        header = SectionHeader.parse(buf, pos)
        if header.header_indicator not in (HEADER_MORE, HEADER_FINAL):
            break
        section += 1
        pos += 32
        for _ in range(header.section_entries):
            if pos + 32 > len(buf):
                break
            entry = SectionEntry.parse(buf, pos)
            pos += 32
            criteria, pos = _extensions(buf, pos)
            if entry.boot_indicator in (BOOTABLE, 0) and entry.load_rba:
                entries.append(_entry(entry, header.platform_id, section, _text(header.id_string),
                                      criteria))
        if header.header_indicator == HEADER_FINAL:
            break
    return entries


def _extensions(buf: bytes, pos: int) -> tuple[bytes, int]:
    """Selection criteria of the Section Entry Extensions (§2.5) after an entry, and where the
    next entry starts. Extensions are skipped whatever the entry's bit 5 says (writers forget it)."""
    criteria = b""
    for _ in range(MAX_EXTENSIONS * 4):
        if pos + 32 > len(buf) or buf[pos] != SectionEntryExtension.INDICATOR:
            break
        ext = SectionEntryExtension.parse(buf, pos)
        pos += 32
        if len(criteria) < MAX_EXTENSIONS * 30:
            criteria += ext.selection_criteria
    return criteria, pos


def _text(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode("latin-1").strip()


def _entry(entry: SectionEntry, platform_id: int, section: int, section_id: str,
           more_criteria: bytes) -> BootEntry:
    criteria_type = entry.selection_criteria[0]
    return BootEntry(
        platform=PLATFORMS.get(platform_id, f"0x{platform_id:02x}"),
        emulation=EMULATIONS.get(entry.boot_media_type & MEDIA_TYPE_MASK, f"0x{entry.boot_media_type:02x}"),
        bootable=entry.boot_indicator == BOOTABLE,
        load_rba=entry.load_rba,
        sectors=entry.sector_count,
        load_segment=entry.load_segment,
        system_type=entry.system_type,
        section=section,
        section_id=section_id,
        criteria_type=criteria_type,
        criteria=(entry.selection_criteria[1:] + more_criteria) if criteria_type or more_criteria else b"",
        media_type=entry.boot_media_type,
    )


# ---- boot images --------------------------------------------------------------------------

def image_name(number: int, entry: BootEntry) -> str:
    """``01-x86-noemul.img``, ``02-efi.img`` (EFI images are no-emulation by nature),
    ``03-x86-floppy-1.44m.img``, ``04-x86-harddisk.img``."""
    kind = entry.platform if entry.platform == "efi" and entry.emulation == "noemul" \
        else f"{entry.platform}-{entry.emulation}"
    return f"{number:02d}-{kind}.img"


def boot_images(device: BlockDevice, record: BootRecord, primary_root: bytes) -> list[BootImage]:
    """Every catalog entry with its length decided (module docstring); CorruptDataError for a
    broken catalog. ``primary_root`` is the PVD's 34-byte root directory record."""
    entries = read_boot_catalog(device, record)
    wanted = {e.load_rba for e in entries if 0 < e.load_rba < device.block_count}
    files = _files_at(device, primary_root, wanted) if wanted else {}
    return [_image(device, n, e, files) for n, e in enumerate(entries, 1)]


def _image(device: BlockDevice, number: int, entry: BootEntry,
           files: dict[int, tuple[int, str]]) -> BootImage:
    name = image_name(number, entry)
    rba = entry.load_rba
    available = max(0, device.block_count - rba) * SECTOR if rba else 0
    if not available:
        log.warning("El Torito entry %d: load RBA %d is outside the image; no boot file", number, rba)
        return BootImage(number, entry, name, 0, 0, "catalog", None)
    size_from, size = "catalog", (entry.sectors * VIRTUAL_SECTOR) or SECTOR
    media = entry.media_type & MEDIA_TYPE_MASK
    length, path = files.get(rba, (0, None))
    if media in FLOPPY_BYTES:
        size_from, size = "emulation", FLOPPY_BYTES[media]
        return BootImage(number, entry, name, size, min(size, available), size_from, path)
    try:
        mbr_size = _mbr_size(device, rba) if media == 4 else 0
        fat_size = 0 if mbr_size or length else _fat_size(device, rba)
    except CorruptDataError as exc:   # a short image: the catalog's count stands
        log.warning("El Torito entry %d: %s", number, exc)
        mbr_size = fat_size = 0
    if mbr_size:
        size_from, size = "mbr", mbr_size
    elif length:
        size_from, size = "iso9660-file", length
    elif fat_size:
        size_from, size = "fat", fat_size
    size = min(size, available)
    return BootImage(number, entry, name, size, size, size_from, path)


def _mbr_size(device: BlockDevice, rba: int) -> int:
    """Bytes up to the end of the last partition of the MBR at the image's start, 0 if none."""
    sector = device.read_bytes(rba * SECTOR, VIRTUAL_SECTOR)
    if sector[510:512] != b"\x55\xaa":
        return 0
    end = 0
    for i in range(4):
        part = MbrPartitionEntry.parse(sector, MbrPartitionEntry.TABLE_OFFSET + 16 * i)
        if part.partition_type and part.sector_count:
            end = max(end, part.lba_first + part.sector_count)
    return end * VIRTUAL_SECTOR


def _fat_size(device: BlockDevice, rba: int) -> int:
    """The volume size a FAT boot sector at the image's start states, 0 if it is not one."""
    sector = device.read_bytes(rba * SECTOR, VIRTUAL_SECTOR)
    if sector[FatBootSector.SIGNATURE_OFFSET:FatBootSector.SIGNATURE_OFFSET + 2] != FatBootSector.SIGNATURE:
        return 0
    bpb = FatBootSector.parse(sector)
    if bpb.jump[0] not in (0xEB, 0xE9) or bpb.bytes_per_sector not in (512, 1024, 2048, 4096):
        return 0
    if bpb.sectors_per_cluster == 0 or bpb.number_of_fats == 0:
        return 0
    total = bpb.total_sectors_16 or bpb.total_sectors_32
    return total * bpb.bytes_per_sector


def _files_at(device: BlockDevice, primary_root: bytes, wanted: set[int]) -> dict[int, tuple[int, str]]:
    """(data length, path) of the ISO 9660 files whose extent starts at one of ``wanted``,
    breadth first (boot files sit near the root), bounded by MAX_WALK_DIRECTORIES/RECORDS."""
    found: dict[int, tuple[int, str]] = {}
    try:
        root = DirectoryRecord.parse(bytes([34]) + primary_root[1:34])
    except CorruptDataError:
        return found
    queue = deque([(root.location_of_extent, root.data_length, "")])
    seen = {root.location_of_extent}
    directories = records_read = 0
    while queue and len(found) < len(wanted) and directories < MAX_WALK_DIRECTORIES:
        lba, length, path = queue.popleft()
        directories += 1
        try:
            records = read_directory(device, lba, min(length, MAX_WALK_RECORDS * 34), log.debug)
        except CorruptDataError:
            continue
        for placed in records:
            r = placed.record
            if r.file_identifier in (SELF_ID, PARENT_ID):
                continue
            records_read += 1
            name = map_iso_name(r.file_identifier, "normal", bool(r.file_flags & FLAG_DIRECTORY))
            if r.file_flags & FLAG_DIRECTORY:
                if r.location_of_extent not in seen:
                    seen.add(r.location_of_extent)
                    queue.append((r.location_of_extent, r.data_length, f"{path}/{name}"))
            elif (r.location_of_extent in wanted and r.data_length
                  and not r.file_flags & FLAG_ASSOCIATED and r.location_of_extent not in found):
                found[r.location_of_extent] = (r.data_length, f"{path}/{name}")
        if records_read > MAX_WALK_RECORDS:
            break
    return found


def read_boot_image(device: BlockDevice, image: BootImage, offset: int, size: int) -> bytes:
    """Bytes of a boot image; past ``image.stored`` (a floppy image cut by the image's end) zeros."""
    end = min(image.size, offset + size)
    if offset < 0 or offset >= end:
        return b""
    start = image.entry.load_rba * SECTOR
    stored_end = min(end, image.stored)
    data = device.read_bytes(start + offset, stored_end - offset) if offset < stored_end else b""
    return data + bytes(end - offset - len(data))
