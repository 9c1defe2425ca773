"""fs/iso9660/eltorito.py: the boot catalog (El Torito 1.0 §2), built here byte by byte."""

from __future__ import annotations

import struct

import pytest

from mount_image.disc.model import Track, TrackKind, TrackMode
from mount_image.errors import CorruptDataError
from mount_image.fs.iso9660.eltorito import BootEntry, read_boot_catalog
from mount_image.fs.iso9660.layout import BootRecord
from mount_image.sectors.blocks import BlockDevice
from support.memory import MemorySource

SECTOR = 2048
CATALOG_LBA = 30


def validation_entry(platform: int = 0, id_string: bytes = b"TEST", key: bytes = b"\x55\xaa",
                     header_id: int = 1, checksum_delta: int = 0) -> bytes:
    """Validation Entry (§2.1): the 16-bit words of the entry sum to zero."""
    body = bytes([header_id, platform, 0, 0]) + id_string.ljust(24, b"\0")
    words = sum(struct.unpack("<14H", body)) + struct.unpack("<H", key)[0]
    checksum = (-words + checksum_delta) & 0xFFFF
    return body + struct.pack("<H", checksum) + key


def boot_entry(indicator: int = 0x88, media: int = 0, segment: int = 0, system_type: int = 0,
               count: int = 4, rba: int = 40, criteria: bytes = b"") -> bytes:
    """Initial/Default Entry (§2.2) or Section Entry (§2.4)."""
    return struct.pack("<BBHBxHI", indicator, media, segment, system_type, count, rba) + criteria.ljust(20, b"\0")


def section_header(indicator: int, platform: int, count: int, id_string: bytes = b"") -> bytes:
    """Section Header Entry (§2.3): 0x90 more headers follow, 0x91 final."""
    return struct.pack("<BBH", indicator, platform, count) + id_string.ljust(28, b"\0")


def extension(more: bool = False) -> bytes:
    """Section Entry Extension (§2.5): 0x44, bit 5 of byte 1 says another follows."""
    return bytes([0x44, 0x20 if more else 0]) + b"\xee" * 30


def catalog_device(catalog: bytes, sectors: int = CATALOG_LBA + 2) -> BlockDevice:
    image = bytearray(sectors * SECTOR)
    image[CATALOG_LBA * SECTOR:CATALOG_LBA * SECTOR + len(catalog)] = catalog
    source = MemorySource(bytes(image))
    return BlockDevice(Track(1, 1, TrackKind.DATA, TrackMode.MODE1_2048, 0, sectors, source, 0, SECTOR))


def record(lba: int = CATALOG_LBA) -> BootRecord:
    return BootRecord(0, b"CD001", 1, BootRecord.EL_TORITO_ID.ljust(32, b"\0"), bytes(32), lba)


def test_validation_entry_helper_sums_to_zero() -> None:
    entry = validation_entry(0xEF, b"SOMEONE")
    assert len(entry) == 32 and sum(struct.unpack("<16H", entry)) & 0xFFFF == 0


def test_default_entry_only() -> None:
    catalog = validation_entry(0) + boot_entry(0x88, 0, 0x7C0, 0, 4, 40)
    entries = read_boot_catalog(catalog_device(catalog), record())
    assert entries == [BootEntry("x86", "noemul", True, 40, 4, 0x7C0, 0, section_id="TEST")]
    assert entries[0].as_dict() == {"platform": "x86", "emulation": "noemul", "bootable": True,
                                    "load_rba": 40, "sectors": 4, "load_segment": 0x7C0,
                                    "system_type": 0}


def test_default_and_section_entries() -> None:
    catalog = (validation_entry(0) + boot_entry(0x88, 2, rba=40)
               + section_header(0x90, 0x01, 1) + boot_entry(0x88, 0, rba=50)
               + section_header(0x91, 0xEF, 2) + boot_entry(0x88, 0, count=1, rba=60)
               + boot_entry(0x00, 4, system_type=0x0C, rba=70))
    entries = read_boot_catalog(catalog_device(catalog), record())
    assert [(e.platform, e.emulation, e.bootable, e.load_rba) for e in entries] == [
        ("x86", "floppy-1.44m", True, 40),
        ("ppc", "noemul", True, 50),
        ("efi", "noemul", True, 60),
        ("efi", "harddisk", False, 70),
    ]
    assert entries[3].system_type == 0x0C


def test_section_entry_extensions_are_skipped() -> None:
    catalog = (validation_entry(0) + boot_entry(rba=40)
               + section_header(0x91, 0xEF, 2) + boot_entry(rba=50, criteria=b"\x01")
               + extension(more=True) + extension() + boot_entry(rba=60))
    entries = read_boot_catalog(catalog_device(catalog), record())
    assert [e.load_rba for e in entries] == [40, 50, 60]


def test_walk_stops_at_the_final_header() -> None:
    catalog = (validation_entry(0) + boot_entry(rba=40)
               + section_header(0x91, 0xEF, 1) + boot_entry(rba=50)
               + section_header(0x91, 0x00, 1) + boot_entry(rba=99))
    assert [e.load_rba for e in read_boot_catalog(catalog_device(catalog), record())] == [40, 50]


def test_walk_stops_at_something_that_is_not_a_header() -> None:
    catalog = validation_entry(0) + boot_entry(rba=40) + b"\x12" * 32 + boot_entry(rba=99)
    assert [e.load_rba for e in read_boot_catalog(catalog_device(catalog), record())] == [40]


def test_section_entries_without_an_image_or_with_a_bad_indicator_are_left_out() -> None:
    catalog = (validation_entry(0) + boot_entry(rba=40)
               + section_header(0x91, 0xEF, 3) + boot_entry(rba=0) + boot_entry(0x42, rba=55)
               + boot_entry(rba=60))
    assert [e.load_rba for e in read_boot_catalog(catalog_device(catalog), record())] == [40, 60]


def test_header_count_past_the_catalog_is_bounded() -> None:
    catalog = validation_entry(0) + boot_entry(rba=40) + section_header(0x91, 0xEF, 0xFFFF)
    entries = read_boot_catalog(catalog_device(catalog, sectors=CATALOG_LBA + 1), record())
    assert [e.load_rba for e in entries] == [40]


def test_unknown_platform_and_media_type() -> None:
    catalog = validation_entry(0x05) + boot_entry(media=0x0F, rba=40)
    (entry,) = read_boot_catalog(catalog_device(catalog), record())
    assert entry.platform == "0x05" and entry.emulation == "0x0f"


@pytest.mark.parametrize(
    ("catalog", "lba", "fragment"),
    [
        (validation_entry(checksum_delta=1) + boot_entry(), CATALOG_LBA, "bad checksum"),
        (validation_entry(key=b"\xaa\x55") + boot_entry(), CATALOG_LBA, "is not valid"),
        (validation_entry(key=b"\x00\x00") + boot_entry(), CATALOG_LBA, "is not valid"),
        (validation_entry(header_id=2) + boot_entry(), CATALOG_LBA, "is not valid"),
        (bytes(64), CATALOG_LBA, "is not valid"),
        (validation_entry() + boot_entry(), 0, "boot catalog at sector 0 is outside the image"),
        (validation_entry() + boot_entry(), CATALOG_LBA + 2, "outside the image"),
        (validation_entry() + boot_entry(), 0xFFFFFFFF, "outside the image"),
    ],
    ids=["checksum", "key-swapped", "key-zero", "header-id", "all-zero", "pointer-zero",
         "pointer-at-end", "pointer-far"],
)
def test_broken_catalog(catalog: bytes, lba: int, fragment: str) -> None:
    with pytest.raises(CorruptDataError) as exc:
        read_boot_catalog(catalog_device(catalog), record(lba))
    assert fragment in str(exc.value)
