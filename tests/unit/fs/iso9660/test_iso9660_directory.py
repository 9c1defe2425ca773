"""fs/iso9660/directory.py: records of a directory extent (ECMA-119 §6.8.1.1, §9.1) and the
names ISO 9660 gives them (§7.5.1, the kernel's map= option)."""

from __future__ import annotations

import pytest

from builders import iso9660 as b
from mount_image.disc.model import Track, TrackKind, TrackMode
from mount_image.errors import CorruptDataError
from mount_image.fs.iso9660 import directory
from mount_image.fs.iso9660.directory import map_iso_name, read_directory, strip_version
from mount_image.sectors.blocks import BlockDevice
from support.memory import MemorySource

SECTOR = 2048
DIR_LBA = 20


def device_with(sectors: list[bytes], lba: int = DIR_LBA) -> BlockDevice:
    image = bytearray(lba * SECTOR)
    for s in sectors:
        assert len(s) <= SECTOR
        image += s.ljust(SECTOR, b"\0")
    source = MemorySource(bytes(image))
    return BlockDevice(Track(1, 1, TrackKind.DATA, TrackMode.MODE1_2048, 0, len(image) // SECTOR,
                             source, 0, SECTOR))


def dots() -> bytes:
    return (b.dir_record(DIR_LBA, 2 * SECTOR, b"\0", b.DIRECTORY)
            + b.dir_record(DIR_LBA, SECTOR, b"\1", b.DIRECTORY))


def read(sectors: list[bytes], length: int | None = None):
    logs: list[str] = []
    dev = device_with(sectors)
    placed = read_directory(dev, DIR_LBA, len(sectors) * SECTOR if length is None else length,
                            logs.append)
    return placed, logs


def names(placed) -> list[bytes]:
    return [p.record.file_identifier for p in placed]


def test_records_and_their_positions() -> None:
    a = b.dir_record(30, 5, b"A.TXT;1")
    sector = dots() + a + b.dir_record(31, 6, b"B.TXT;1")
    placed, logs = read([sector])
    assert names(placed) == [b"\0", b"\1", b"A.TXT;1", b"B.TXT;1"]
    base = DIR_LBA * SECTOR
    assert [p.position for p in placed] == [base, base + 34, base + 68, base + 68 + len(a)]
    assert placed[2].record.location_of_extent == 30 and placed[3].record.data_length == 6
    assert logs == []


def test_records_never_cross_sectors_zero_padding_ends_a_sector() -> None:
    filler = [b.dir_record(40 + i, 1, f"F{i:02}.TXT;1".encode()) for i in range(20)]
    first = dots() + b"".join(filler)
    assert len(first) < SECTOR
    second = b.dir_record(99, 1, b"NEXT.TXT;1") + b.dir_record(100, 1, b"LAST.TXT;1")
    placed, logs = read([first, second])
    assert names(placed)[-2:] == [b"NEXT.TXT;1", b"LAST.TXT;1"]
    assert len(placed) == 2 + 20 + 2
    assert placed[-2].position == (DIR_LBA + 1) * SECTOR
    assert logs == []


def test_zero_byte_in_the_middle_of_a_sector_ends_that_sector() -> None:
    sector = dots() + b"\0" * 10 + b.dir_record(50, 1, b"HIDDEN.TXT;1")
    placed, logs = read([sector])
    assert names(placed) == [b"\0", b"\1"]
    assert logs == []


def test_record_past_its_sector_is_logged_and_skipped() -> None:
    filler = [b.dir_record(100 + i, 1, f"F{i:02}.T;1".encode()) for i in range(49)]
    assert {len(r) for r in filler} == {40}
    first = dots() + b"".join(filler)                          # 2028 bytes
    edge = b.dir_record(70, 1, b"EDGE.T;1"[:7])                # 40 bytes from 2028: 20 too many
    first += edge[:SECTOR - len(first)]
    assert len(first) == SECTOR
    second = b.dir_record(71, 1, b"NEXT.TXT;1")
    placed, logs = read([first, second])
    assert len(placed) == 2 + 49 + 1
    assert names(placed)[-1] == b"NEXT.TXT;1"
    assert placed[-1].position == (DIR_LBA + 1) * SECTOR
    assert len(logs) == 1
    assert f"directory at sector {DIR_LBA}: record at 2028 runs past its sector" in logs[0]


def test_malformed_record_is_logged_and_ends_its_sector() -> None:
    bad = b.dir_record(50, 1, b"LONGNAME.TXT;1", length=40)      # length below its identifier
    first = dots() + bad + b.dir_record(51, 1, b"AFTER.TXT;1")
    second = b.dir_record(52, 1, b"NEXT.TXT;1")
    placed, logs = read([first, second])
    assert names(placed) == [b"\0", b"\1", b"NEXT.TXT;1"]
    assert len(logs) == 1 and "cannot hold a 14-byte identifier" in logs[0]


def test_record_shorter_than_the_fixed_part_is_logged() -> None:
    first = dots() + bytes([20]) + b"\x01" * 19
    placed, logs = read([first])
    assert names(placed) == [b"\0", b"\1"]
    assert "needs 33 bytes" in logs[0]


def test_length_not_a_multiple_of_the_sector() -> None:
    sector = dots() + b.dir_record(30, 5, b"A.TXT;1") + b.dir_record(31, 5, b"B.TXT;1")
    placed, logs = read([sector], length=68 + 20)
    assert names(placed) == [b"\0", b"\1"]
    assert "runs past its sector" in logs[0]


def test_empty_extent() -> None:
    assert read([dots()], length=0)[0] == []


@pytest.mark.parametrize(
    ("lba", "length", "fragment"),
    [
        (DIR_LBA, directory.MAX_DIRECTORY_BYTES + 1, "claims"),
        (DIR_LBA, 2 * SECTOR, "goes past the end of the image"),
        (5000, SECTOR, "goes past the end of the image"),
    ],
    ids=["too-large", "runs-past-image", "outside-image"],
)
def test_extent_outside_the_image_is_corrupt(lba: int, length: int, fragment: str) -> None:
    dev = device_with([dots()])
    with pytest.raises(CorruptDataError) as exc:
        read_directory(dev, lba, length, lambda line: None)
    assert fragment in str(exc.value)


def test_entry_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(directory, "MAX_DIRECTORY_ENTRIES", 5)
    sector = dots() + b"".join(b.dir_record(40 + i, 1, f"F{i}.TXT;1".encode()) for i in range(10))
    placed, logs = read([sector])
    assert len(placed) == 5
    assert "more than 5 records" in logs[0]


# ---- names ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "is_dir", "normal", "off"),
    [
        (b"README.TXT;1", False, "readme.txt", "README.TXT;1"),
        (b"NOEXT.;1", False, "noext", "NOEXT.;1"),
        (b"NOVER", False, "nover", "NOVER"),
        (b"ARCHIVE.TAR.GZ;1", False, "archive.tar.gz", "ARCHIVE.TAR.GZ;1"),
        (b"DOCS", True, "docs", "DOCS"),
        (b"MixedCase.Txt;1", False, "mixedcase.txt", "MixedCase.Txt;1"),
        (b"A_B-C.D;1", False, "a_b-c.d", "A_B-C.D;1"),
    ],
)
def test_map_iso_name(raw: bytes, is_dir: bool, normal: str, off: str) -> None:
    assert map_iso_name(raw, "normal", is_dir) == normal
    assert map_iso_name(raw, "off", is_dir) == off


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"FILE.TXT;1", "file.txt"),
        (b"FILE.;1", "file"),
        (b"FILE;1", "file"),
        (b"FILE.TXT;2", "file.txt.2"),
        (b"FILE;2", "file.2"),
    ],
    ids=["version-1", "dot-version-1", "no-extension", "version-2", "no-extension-version-2"],
)
def test_map_normal_drops_only_version_1_as_the_kernel_does(raw: bytes, shown: str) -> None:
    # Linux fs/isofs/dir.c isofs_name_translate() and docs/cli.md: map=normal drops ";1" (and
    # ".;1"); any other ';' becomes '.', so FILE.TXT;1 and FILE.TXT;2 stay two distinct names.
    assert map_iso_name(raw, "normal", False) == shown


def test_map_normal_keeps_a_directory_name_with_a_semicolon() -> None:
    assert map_iso_name(b"DIR;1", "normal", True) == "dir;1"


def test_map_decodes_latin1() -> None:
    assert map_iso_name(b"CAF\xc9.TXT;1", "off", False) == "CAF\u00c9.TXT;1"


@pytest.mark.parametrize(
    ("name", "stripped"),
    [("README.TXT;1", "README.TXT"), ("FILE;12", "FILE"), ("FILE;", "FILE"), ("NOEXT.;1", "NOEXT"),
     ("NOEXT.", "NOEXT"), ("PLAIN", "PLAIN"), (".", "."), ("A.B", "A.B"), ("A;B", "A;B")],
)
def test_strip_version(name: str, stripped: str) -> None:
    assert strip_version(name) == stripped
