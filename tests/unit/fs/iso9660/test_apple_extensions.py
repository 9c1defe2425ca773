"""fs/iso9660/apple.py: Apple's System Use entries; resource forks from associated files."""

from __future__ import annotations

import pytest

from builders.iso9660 import (ASSOCIATED, SECTOR, IsoBuilder, apple_aa, apple_ba, rr, susp_entry)
from mount_image.disc.model import Track, TrackKind, TrackMode
from mount_image.fs.iso9660.apple import FinderInfo, find_finder_info
from mount_image.fs.iso9660.filesystem import Iso9660FileSystem, IsoOptions
from mount_image.sectors.blocks import BlockDevice
from support.memory import MemorySource

XA = b"\x00\x00\x00\x00\x09\x11XA\x01\x00\x00\x00\x00\x00"     # a CD-ROM XA entry (14 bytes)


@pytest.mark.parametrize(("system_use", "expected"), [
    (apple_aa(b"TEXT", b"ttxt", 0x2402), FinderInfo(b"TEXT", b"ttxt", 0x2402)),
    (apple_aa(b"APPL", b"dude") + rr("x"), FinderInfo(b"APPL", b"dude", 0)),
    (XA + apple_aa(b"PICT", b"8BIM", 0x0400), FinderInfo(b"PICT", b"8BIM", 0x0400)),
    (rr("x") + apple_aa(b"TEXT", b"R*ch"), FinderInfo(b"TEXT", b"R*ch", 0)),   # after SUSP entries
    (apple_ba(2, b"TEXT", b"ttxt"), FinderInfo(b"TEXT", b"ttxt", 0)),
    (apple_ba(3, b"APPL", b"abcd"), FinderInfo(b"APPL", b"abcd", 0)),
    (apple_ba(5, b"APPL", b"icon", icon=b"\xff" * 128), FinderInfo(b"APPL", b"icon", 0)),
    (apple_ba(6, b"TEXT", b"MSWD", 0x0100), FinderInfo(b"TEXT", b"MSWD", 0x0100)),
    (b"AA\x07\x01\x04\x00\x20" + apple_aa(b"TEXT", b"pdos"), FinderInfo(b"TEXT", b"pdos", 0)),  # ProDOS first
], ids=["aa", "aa-then-rr", "xa-first", "rr-first", "ba-2", "ba-3", "ba-icon", "ba-6", "prodos-first"])
def test_finder_info_forms(system_use: bytes, expected: FinderInfo) -> None:
    assert find_finder_info(system_use) == expected


@pytest.mark.parametrize("system_use", [
    b"", rr("x"), apple_aa(b"TEXT", b"ttxt")[:10], b"AA\x02\x02" + b"TEXTttxt\0\0",
    b"BA\x09TEXTttxt", b"BA\x04TEXTttxt", b"ST\x04\x01" + apple_aa(b"TEXT", b"ttxt"),
    b"AA\x0e\x01" + b"\0" * 10, susp_entry("XX", b"\0" * 250, length=0) + apple_aa(b"A", b"B"),
], ids=["empty", "rr-only", "aa-cut", "aa-short-length", "ba-unknown-id", "ba-icon-cut", "st-before",
        "aa-prodos-only", "zero-length-entry"])
def test_no_finder_info(system_use: bytes) -> None:
    assert find_finder_info(system_use) is None


def test_finder_info_xattr_layout() -> None:
    blob = FinderInfo(b"TEXT", b"ttxt", 0x4000).xattr()
    assert len(blob) == 32
    assert blob[:10] == b"TEXTttxt\x40\x00" and blob[10:] == bytes(22)


def mount_fs(image: bytes, **options) -> Iso9660FileSystem:
    source = MemorySource(image)
    track = Track(1, 1, TrackKind.DATA, TrackMode.MODE1_2048, 0, len(image) // SECTOR, source, 0, SECTOR)
    return Iso9660FileSystem(BlockDevice(track), IsoOptions(**options))


def apple_image(fork: bytes, rock: bool = True) -> bytes:
    """A resource fork as an associated file just before its data file, both with an AA entry."""
    iso = IsoBuilder(rock_ridge=rock)
    su = apple_aa(b"TEXT", b"ttxt", 0x0400)
    iso.add_file(iso.root, "README.TXT;1", fork, su=su + (rr("readme.txt") if rock else b""),
                 flags=ASSOCIATED)
    iso.add_file(iso.root, "README.TXT;1", b"data fork\n", su=su + (rr("readme.txt") if rock else b""))
    iso.add_file(iso.root, "OTHER.TXT;1", b"other\n", su=rr("other.txt") if rock else b"")
    return iso.build()


@pytest.mark.parametrize("rock", [True, False])
def test_resource_fork_and_finder_info_as_xattrs(rock: bool) -> None:
    fork = bytes(range(256)) * 20
    fs = mount_fs(apple_image(fork, rock))
    entries = {e.name: e for e in fs.listdir(fs.root())}
    assert sorted(entries) == ["other.txt", "readme.txt"]
    readme = entries["readme.txt"]
    assert fs.read(readme, 0, 100) == b"data fork\n"
    xattrs = fs.xattrs(readme)
    assert xattrs["user.com.apple.ResourceFork"] == fork
    assert xattrs["user.com.apple.FinderInfo"][:10] == b"TEXTttxt\x04\x00"
    assert fs.xattrs(entries["other.txt"]) == {}
    assert fs.xattrs(fs.root()) == {}


def test_unhide_shows_the_associated_file_beside_its_data_file() -> None:
    fork = b"\xab" * 3000
    fs = mount_fs(apple_image(fork), unhide=True)
    entries = {e.name: e for e in fs.listdir(fs.root())}
    assert sorted(entries) == ["other.txt", "readme.txt", "readme.txt.rsrc"]
    assert fs.read(entries["readme.txt.rsrc"], 0, 10_000) == fork
    assert fs.read(entries["readme.txt"], 0, 100) == b"data fork\n"
    assert fs.xattrs(entries["readme.txt.rsrc"]) == {}


def test_a_fork_too_large_for_an_xattr_is_left_to_unhide() -> None:
    fork = b"\x01" * 70_000
    fs = mount_fs(apple_image(fork))
    readme = fs.lookup(fs.root(), "readme.txt")
    assert set(fs.xattrs(readme)) == {"user.com.apple.FinderInfo"}
