"""fs/iso9660/eltorito.py: how long each boot image is, on images built with tests/builders."""

from __future__ import annotations

import struct
from typing import Callable

import pytest

from builders.iso9660 import (DIRECTORY, HIDDEN, SECTOR, IsoBuilder, boot_catalog_entry, boot_record,
                              dir_record, section_extension, section_header, validation_entry)
from mount_image.disc.model import Track, TrackKind, TrackMode
from mount_image.fs.iso9660.eltorito import BootEntry, image_name, read_boot_image
from mount_image.fs.iso9660.filesystem import Iso9660FileSystem
from mount_image.sectors.blocks import BlockDevice
from support.memory import MemorySource


def device(image: bytes) -> BlockDevice:
    source = MemorySource(image)
    return BlockDevice(Track(1, 1, TrackKind.DATA, TrackMode.MODE1_2048, 0, -(-len(image) // SECTOR),
                             source, 0, SECTOR))


def bootable(catalog_entries: bytes | Callable[[dict[str, int]], bytes],
             files: dict[str, bytes] | None = None, raw: dict[int, bytes] | None = None, *,
             flags: int = 0) -> tuple[IsoBuilder, int]:
    """A builder with a boot record whose catalog holds ``catalog_entries`` (or what it returns
    for the files' sectors) after the validation entry; ``files`` go into the root (with
    ``flags``), ``raw`` at given sectors."""
    iso = IsoBuilder(extra_descriptors=[bytes(SECTOR)])
    catalog = iso.alloc(SECTOR)
    iso.extra_descriptors[0] = boot_record(catalog)
    where = {name: iso.add_file(iso.root, name, data, flags=flags) for name, data in (files or {}).items()}
    entries = catalog_entries(where) if callable(catalog_entries) else catalog_entries
    iso.put(catalog, validation_entry(0, b"TESTER") + entries)
    for lba, data in (raw or {}).items():
        iso.put(lba, data)
    return iso, catalog


def images(image: bytes) -> list:
    fs = Iso9660FileSystem(device(image))
    return fs.boot_images()


def fat_boot_sector(total16: int, total32: int = 0, bytes_per_sector: int = 512) -> bytes:
    """A FAT boot sector's BPB (fatgen103 §3.1) and the 0x55AA signature."""
    bpb = struct.pack("<3s8sHBHBHHBHHHII", b"\xeb\x3c\x90", b"mkfs.fat", bytes_per_sector, 4, 1, 2,
                      512, total16, 0xF8, 9, 18, 2, 0, total32)
    return bpb + bytes(510 - len(bpb)) + b"\x55\xaa"


def mbr(start: int, count: int, ptype: int = 0x06, signature: bytes = b"\x55\xaa") -> bytes:
    entry = struct.pack("<B3sB3sII", 0x80, b"\x01\x01\x00", ptype, b"\xfe\xff\xff", start, count)
    return bytes(446) + entry + bytes(48) + signature


def test_no_emulation_image_in_the_tree_takes_the_file_length() -> None:
    data = bytes(range(256)) * 50                        # 12,800 bytes; the catalog says 4 sectors
    iso, _ = bootable(lambda at: boot_catalog_entry(at["ISOLINUX.BIN;1"], 4), {"ISOLINUX.BIN;1": data})
    image = iso.build()
    (got,) = images(image)
    assert (got.size, got.size_from, got.iso_path) == (len(data), "iso9660-file", "/isolinux.bin")
    assert read_boot_image(device(image), got, 0, 1 << 20) == data
    assert got.as_dict()["boot_file"] == "boot/01-x86-noemul.img"


def test_hidden_file_still_gives_the_length() -> None:
    data = b"\x11" * 5000
    iso, _ = bootable(lambda at: boot_catalog_entry(at["BOOT.IMG;1"], 0), {"BOOT.IMG;1": data}, flags=HIDDEN)
    (got,) = images(iso.build())
    assert (got.size, got.size_from) == (5000, "iso9660-file")


@pytest.mark.parametrize(("total16", "total32", "bps", "size"), [
    (400, 0, 512, 204_800), (0, 900, 512, 460_800), (100, 0, 2048, 204_800)])
def test_fat_boot_sector_sizes_an_image_outside_the_tree(total16: int, total32: int, bps: int,
                                                         size: int) -> None:
    iso, catalog = bootable(boot_catalog_entry(40, 0))
    iso.put(40, fat_boot_sector(total16, total32, bps))
    iso.put(40 + size // SECTOR, b"\x77")             # the image reaches past the FAT volume
    image = iso.build()
    (got,) = images(image)
    assert (got.size, got.size_from, got.iso_path) == (size, "fat", None)
    assert read_boot_image(device(image), got, 0, size + 100)[:512] == fat_boot_sector(total16, total32, bps)


def test_a_fat_size_past_the_end_of_the_image_is_cut() -> None:
    iso, _ = bootable(boot_catalog_entry(40, 0))
    iso.put(40, fat_boot_sector(0, 10_000_000))
    image = iso.build()
    (got,) = images(image)
    assert got.size == len(image) - 40 * SECTOR and got.size_from == "fat"


@pytest.mark.parametrize(("count", "size"), [(0, 2048), (4, 2048), (7, 3584)])
def test_without_file_or_fat_the_catalog_count_decides(count: int, size: int) -> None:
    iso, _ = bootable(boot_catalog_entry(40, count))
    iso.put(40, b"\x90" * 4096)
    (got,) = images(iso.build())
    assert (got.size, got.size_from) == (size, "catalog")


def test_hard_disk_emulation_runs_to_the_end_of_the_mbr_partition() -> None:
    iso, _ = bootable(boot_catalog_entry(40, 1, media=4, system_type=6))
    iso.put(40, mbr(1, 99) + b"\xab" * (99 * 512))
    (got,) = images(iso.build())
    assert (got.size, got.size_from, got.name) == (100 * 512, "mbr", "01-x86-harddisk.img")


def test_hard_disk_image_without_an_mbr_signature_falls_back_to_the_catalog() -> None:
    iso, _ = bootable(boot_catalog_entry(40, 1, media=4))
    iso.put(40, mbr(1, 99, signature=b"\x00\x00") + bytes(4096))
    (got,) = images(iso.build())
    assert (got.size, got.size_from) == (512, "catalog")


def test_a_floppy_cut_short_by_the_image_end_reads_zeros_after_it() -> None:
    iso, _ = bootable(boot_catalog_entry(40, 1, media=2))
    iso.put(40, b"\xf0" * 3000)
    image = iso.build()
    (got,) = images(image)
    assert (got.size, got.size_from, got.name) == (1_474_560, "emulation", "01-x86-floppy-1.44m.img")
    assert got.stored == len(image) - 40 * SECTOR
    dev = device(image)
    assert read_boot_image(dev, got, 0, 3000) == b"\xf0" * 3000
    tail = read_boot_image(dev, got, got.stored - 10, 2_000_000)
    assert len(tail) == got.size - got.stored + 10 and tail[10:] == bytes(len(tail) - 10)
    assert read_boot_image(dev, got, got.size, 10) == b""


def test_load_rba_outside_the_image_gives_no_file() -> None:
    iso, _ = bootable(boot_catalog_entry(0xFFFF_FF00, 4) + section_header(1)
                      + boot_catalog_entry(0, 4, indicator=0x88))
    (got,) = images(iso.build())
    assert got.size == 0 and got.as_dict()["boot_file"] is None


def test_sections_criteria_and_extensions() -> None:
    entries = (boot_catalog_entry(40, 4)
               + section_header(2, platform=0xEF, final=False, id_string=b"UEFI SECTION")
               + boot_catalog_entry(41, 0, criteria=b"\x01VENDOR", media=0x20)
               + section_extension(b"MORE", more=True) + section_extension(b"LAST")
               + boot_catalog_entry(42, 0)
               + section_header(1, platform=0x01) + boot_catalog_entry(43, 4))
    iso, _ = bootable(entries, raw={40: b"\x01" * 4 * SECTOR})
    got = images(iso.build())
    assert [(g.name, g.entry.section, g.entry.section_id) for g in got] == [
        ("01-x86-noemul.img", 0, "TESTER"), ("02-efi.img", 1, "UEFI SECTION"),
        ("03-efi.img", 1, "UEFI SECTION"), ("04-ppc-noemul.img", 2, "")]
    second = got[1].as_dict()
    assert second["criteria_type"] == 1
    assert bytes.fromhex(second["criteria"]).startswith(b"VENDOR") and b"MORE" in bytes.fromhex(second["criteria"])
    assert bytes.fromhex(second["criteria"]).rstrip(b"\0").endswith(b"LAST")


def test_names_of_other_platforms_and_emulations() -> None:
    def entry(platform: str, emulation: str) -> BootEntry:
        return BootEntry(platform, emulation, True, 20, 4, 0, 0)
    assert image_name(1, entry("mac", "noemul")) == "01-mac-noemul.img"
    assert image_name(12, entry("efi", "harddisk")) == "12-efi-harddisk.img"
    assert image_name(3, entry("0x05", "0x0f")) == "03-0x05-0x0f.img"


def test_a_directory_loop_does_not_hang_the_search() -> None:
    iso, _ = bootable(boot_catalog_entry(60, 0))
    loop = iso.mkdir(iso.root, "LOOP")
    loop.add(dir_record(iso.root.lba, SECTOR, "BACK", DIRECTORY))   # points back at the root
    iso.put(60, b"\x55" * 100)
    (got,) = images(iso.build())
    assert (got.size, got.size_from) == (SECTOR, "catalog")


def test_damaged_catalogs_and_images_never_escape_as_other_errors() -> None:
    """Each byte of the catalog and of the images' first sectors, overwritten in turn (seeded):
    reading the images either works or is a CorruptDataError, and every size stays bounded."""
    import random
    from mount_image.errors import CorruptDataError
    from mount_image.fs.iso9660.eltorito import boot_images
    from mount_image.fs.iso9660.volume import read_volume_set
    entries = (boot_catalog_entry(40, 0) + section_header(3, final=False)
               + boot_catalog_entry(44, 1, media=4) + section_extension(b"X")
               + boot_catalog_entry(48, 1, media=2) + boot_catalog_entry(50, 0)
               + section_header(1, platform=0) + boot_catalog_entry(52, 0))
    iso, catalog = bootable(entries, raw={40: fat_boot_sector(100), 44: mbr(1, 20), 50: b"\x99" * 600})
    base = bytearray(iso.build())
    rng = random.Random(1234)
    for _ in range(400):
        image = bytearray(base)
        for _ in range(rng.randint(1, 6)):
            where = rng.choice([catalog * SECTOR + rng.randrange(256), 40 * SECTOR + rng.randrange(512),
                                44 * SECTOR + 446 + rng.randrange(66)])
            image[where] = rng.randrange(256)
        dev = device(bytes(image[:rng.choice([len(image), 45 * SECTOR, 41 * SECTOR + 100])]))
        volumes = read_volume_set(dev)
        try:
            got = boot_images(dev, volumes.boot_record, volumes.primary.root_directory_record)
        except CorruptDataError:
            continue
        for g in got:
            assert 0 <= g.stored <= g.size
            assert g.size <= max(3 * 1_474_560, dev.size)
            try:
                assert len(read_boot_image(dev, g, 0, g.size)) == g.size
            except CorruptDataError:
                pass
