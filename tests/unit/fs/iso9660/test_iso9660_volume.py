"""fs/iso9660/volume.py: the volume descriptor set from sector 16 (ECMA-119 §6.7.1, §8)."""

from __future__ import annotations

import pytest

from builders import iso9660 as b
from mount_image.disc.model import Track, TrackKind, TrackMode
from mount_image.errors import CorruptDataError
from mount_image.fs.iso9660 import volume
from mount_image.fs.iso9660.layout import BootRecord
from mount_image.fs.iso9660.volume import read_volume_set
from mount_image.sectors.blocks import BlockDevice
from support.memory import MemorySource

SECTOR = 2048
ROOT = b.dir_record(40, SECTOR, b"\0", b.DIRECTORY)


def device(descriptors: list[bytes], first: int = 16, extra_sectors: int = 4) -> BlockDevice:
    image = bytes(first * SECTOR) + b"".join(descriptors) + bytes(extra_sectors * SECTOR)
    source = MemorySource(image)
    return BlockDevice(Track(1, 1, TrackKind.DATA, TrackMode.MODE1_2048, 0, len(image) // SECTOR,
                             source, 0, SECTOR))


def pvd(volume_id: str = "PRIMARY", **kw) -> bytes:
    return b.primary_descriptor(ROOT, 100, volume_id=volume_id, **kw)


def svd(escapes: bytes, volume_id: str = "J") -> bytes:
    """A supplementary descriptor with any escape sequences (bytes 88-119, ECMA-119 §8.5.6)."""
    raw = bytearray(b.primary_descriptor(ROOT, 100, volume_id=volume_id, joliet_level=1))
    raw[88:120] = escapes.ljust(32, b"\0")
    return bytes(raw)


def boot_record(system_id: bytes = BootRecord.EL_TORITO_ID, catalog: int = 33) -> bytes:
    body = system_id.ljust(32, b"\0") + bytes(32) + catalog.to_bytes(4, "little")
    return b.volume_descriptor(b.VD_BOOT, body)


def test_primary_and_terminator() -> None:
    vs = read_volume_set(device([pvd(), b.terminator()]))
    assert vs.primary.volume_identifier.rstrip() == b"PRIMARY"
    assert vs.primary_sector == 16
    assert vs.joliet is None and vs.joliet_level == 0 and vs.boot_record is None


@pytest.mark.parametrize(("level", "escape"), [(1, b"%/@"), (2, b"%/C"), (3, b"%/E")])
def test_joliet_escape_detection(level: int, escape: bytes) -> None:
    vs = read_volume_set(device([pvd(), svd(escape), b.terminator()]))
    assert vs.joliet is not None and vs.joliet_level == level


@pytest.mark.parametrize(
    "escapes",
    [b"", b"%/F", b"%/", b"%/@%/C", b"%/@ x", b"\x1b%/@", b"%@/"],
    ids=["none", "unknown-level", "truncated", "two-sequences", "trailing-garbage",
         "leading-escape", "wrong-order"],
)
def test_supplementary_descriptor_that_is_not_joliet(escapes: bytes) -> None:
    vs = read_volume_set(device([pvd(), svd(escapes), b.terminator()]))
    assert vs.joliet is None and vs.joliet_level == 0


def test_joliet_escape_padded_with_spaces() -> None:
    vs = read_volume_set(device([pvd(), svd(b"%/E".ljust(32, b" ")), b.terminator()]))
    assert vs.joliet_level == 3


def test_first_joliet_descriptor_wins() -> None:
    vs = read_volume_set(device([pvd(), svd(b"%/F"), svd(b"%/C", "FIRST"), svd(b"%/E", "SECOND"),
                                 b.terminator()]))
    assert vs.joliet_level == 2
    assert vs.joliet.volume_identifier.decode("utf-16-be").rstrip() == "FIRST"


def test_first_primary_wins() -> None:
    vs = read_volume_set(device([pvd("ONE"), pvd("TWO"), b.terminator()]))
    assert vs.primary.volume_identifier.rstrip() == b"ONE" and vs.primary_sector == 16


def test_primary_after_other_descriptors() -> None:
    vs = read_volume_set(device([boot_record(), svd(b"%/@"), pvd(), b.terminator()]))
    assert vs.primary_sector == 18
    assert vs.boot_record is not None and vs.boot_record.boot_catalog_pointer == 33
    assert vs.joliet_level == 1


def test_boot_record_of_another_boot_system_is_ignored() -> None:
    vs = read_volume_set(device([pvd(), boot_record(b"SOMETHING ELSE"), b.terminator()]))
    assert vs.boot_record is None


def test_descriptors_after_the_terminator_are_not_read() -> None:
    vs = read_volume_set(device([pvd(), b.terminator(), svd(b"%/@"), boot_record()]))
    assert vs.joliet is None and vs.boot_record is None


@pytest.mark.parametrize(
    "after",
    [[], [bytes(SECTOR)], [b"\x01CD002\x01".ljust(SECTOR, b"\0")]],
    ids=["image-ends", "zero-sector", "other-identifier"],
)
def test_missing_terminator_uses_what_was_found(after: list[bytes]) -> None:
    dev = device([pvd(), svd(b"%/@")] + after, extra_sectors=0)
    vs = read_volume_set(dev)
    assert vs.primary_sector == 16 and vs.joliet_level == 1


def test_last_descriptor_sector_cut_short() -> None:
    # The image ends 100 bytes into the terminator's sector: the descriptors before it count.
    image = bytes(16 * SECTOR) + pvd("CUT") + svd(b"%/C") + b.terminator()[:100]
    source = MemorySource(image)
    dev = BlockDevice(Track(1, 1, TrackKind.DATA, TrackMode.MODE1_2048, 0, 19, source, 0, SECTOR))
    assert dev.block_count == 19
    vs = read_volume_set(dev)
    assert vs.primary.volume_identifier.rstrip() == b"CUT" and vs.joliet_level == 2


def test_only_descriptor_sector_cut_short() -> None:
    image = bytes(16 * SECTOR) + pvd()[:1000]
    source = MemorySource(image)
    dev = BlockDevice(Track(1, 1, TrackKind.DATA, TrackMode.MODE1_2048, 0, 17, source, 0, SECTOR))
    with pytest.raises(CorruptDataError, match="sector 16"):
        read_volume_set(dev)


def test_set_longer_than_one_read_is_read_on() -> None:
    # The primary, 20 non-Joliet supplementary descriptors, then Joliet: past DESCRIPTOR_READ.
    assert volume.DESCRIPTOR_READ < 22
    dev = device([pvd()] + [svd(b"%/F")] * 20 + [svd(b"%/C"), b.terminator()])
    vs = read_volume_set(dev)
    assert vs.joliet_level == 2


def test_set_without_terminator_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(volume, "MAX_DESCRIPTORS", 8)
    dev = device([pvd()] + [svd(b"%/F")] * 10 + [svd(b"%/@"), b.terminator()])
    assert read_volume_set(dev).joliet is None


def test_set_at_another_session_start() -> None:
    dev = device([pvd("LATER"), b.terminator()], first=16 + 300)
    vs = read_volume_set(dev, 16 + 300)
    assert vs.primary.volume_identifier.rstrip() == b"LATER" and vs.primary_sector == 316


@pytest.mark.parametrize(
    ("descriptors", "first", "fragment"),
    [
        ([], 16, "no ISO 9660 volume descriptor at sector 16"),
        ([bytes(SECTOR), pvd()], 16, "no ISO 9660 volume descriptor at sector 16"),
        ([b"\x00BEA01\x01".ljust(SECTOR, b"\0")], 16,
         "no ISO 9660 volume descriptor at sector 16"),
        ([b.terminator()], 16, "no ISO 9660 primary volume descriptor from sector 16"),
        ([svd(b"%/@"), b.terminator()], 16, "no ISO 9660 primary volume descriptor"),
        ([pvd(block_size=512), b.terminator()], 16, "logical block size 512, expected 2048"),
    ],
    ids=["image-too-small", "zero-sector-16", "udf-descriptor", "only-terminator",
         "only-supplementary", "block-size-512"],
)
def test_unusable_descriptor_set(descriptors: list[bytes], first: int, fragment: str) -> None:
    dev = device(descriptors, extra_sectors=0 if not descriptors else 1)
    with pytest.raises(CorruptDataError) as exc:
        read_volume_set(dev, first)
    assert fragment in str(exc.value)


def test_image_too_small_says_how_small() -> None:
    dev = device([], extra_sectors=0)
    with pytest.raises(CorruptDataError, match="the image has only 16 sectors"):
        read_volume_set(dev)


def test_built_image() -> None:
    iso = b.IsoBuilder(rock_ridge=True, joliet=True, volume_id="BUILT")
    iso.add_file(iso.root, "A.TXT;1", b"hello")
    image = iso.build()
    source = MemorySource(image)
    dev = BlockDevice(Track(1, 1, TrackKind.DATA, TrackMode.MODE1_2048, 0, len(image) // SECTOR,
                            source, 0, SECTOR))
    vs = read_volume_set(dev)
    assert vs.primary.volume_identifier.rstrip() == b"BUILT"
    assert vs.joliet_level == 3
    assert vs.primary.volume_space_size == len(image) // SECTOR
