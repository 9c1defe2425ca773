"""fs/iso9660/amiga.py: Rock Ridge Amiga Specific "AS" entries as xattrs."""

from __future__ import annotations

import pytest

from builders.iso9660 import SECTOR, IsoBuilder, amiga_as, ce, rr
from mount_image.disc.model import Track, TrackKind, TrackMode
from mount_image.errors import CorruptDataError
from mount_image.fs.iso9660.amiga import AmigaAttributes, parse_amiga, protection_text
from mount_image.fs.iso9660.filesystem import Iso9660FileSystem
from mount_image.sectors.blocks import BlockDevice
from support.memory import MemorySource


def data(entry: bytes) -> bytes:
    return entry[4:]       # what the SUSP walk hands on: the entry after its 4-byte header


@pytest.mark.parametrize(("value", "text"), [
    (0x00, "----rwed"), (0x0F, "--------"), (0x05, "----r-e-"), (0x40, "-s--rwed"),
    (0xF0, "hsparwed"), (0xFF, "hspa----"), (0x0000F00F, "-------- 0x0000f00f"), (0x01000000, "----rwed 0x01000000")])
def test_protection_text(value: int, text: str) -> None:
    assert protection_text(value) == text


def test_protection_and_comment() -> None:
    got = parse_amiga([data(amiga_as(0x00000005, b"Made with AmiCDROM"))])
    assert got == AmigaAttributes(5, b"Made with AmiCDROM")
    assert got.xattrs() == {"user.amiga.protection": b"----r-e-", "user.amiga.comment": b"Made with AmiCDROM"}


def test_comment_continued_over_entries_and_protection_only_from_the_first() -> None:
    entries = [data(amiga_as(0x10, b"first half, ", continues=True)),
               data(amiga_as(0x0F, b"second half")), data(amiga_as(comment=b"not part of it"))]
    assert parse_amiga(entries) == AmigaAttributes(0x10, b"first half, second half")


def test_latin1_comment_is_utf8_in_the_xattr() -> None:
    got = parse_amiga([data(amiga_as(comment="Grüße".encode("latin-1")))])
    assert got is not None and got.xattrs() == {"user.amiga.comment": "Grüße".encode()}


def test_an_as_entry_with_nothing_says_nothing() -> None:
    assert parse_amiga([b"\x00"]) is None


@pytest.mark.parametrize("entry", [b"", b"\x01\x00\x00", b"\x02\x09abc", b"\x02\x00"],
                         ids=["no-flags", "protection-cut", "comment-past-end", "comment-length-0"])
def test_malformed(entry: bytes) -> None:
    with pytest.raises(CorruptDataError):
        parse_amiga([entry])


def filesystem(image: bytes) -> Iso9660FileSystem:
    source = MemorySource(image)
    return Iso9660FileSystem(BlockDevice(Track(1, 1, TrackKind.DATA, TrackMode.MODE1_2048, 0,
                                                 len(image) // SECTOR, source, 0, SECTOR)))


def test_xattrs_of_a_rock_ridge_image_with_as_entries() -> None:
    iso = IsoBuilder(rock_ridge=True)
    iso.add_file(iso.root, "TOOL.;1", b"\x00\x00\x03\xf3", su=rr("Tool") + amiga_as(0x02, b"an executable"))
    # An AS entry in a continuation area (SUSP 1.12 §5.1), as long comments need.
    area = amiga_as(comment=b"from the CE area")
    ce_lba = iso.put(iso.alloc(SECTOR), area)
    iso.add_file(iso.root, "DOC.TXT;1", b"text\n", su=rr("Doc.txt") + ce(ce_lba, 0, len(area)))
    iso.add_file(iso.root, "BAD.TXT;1", b"bad\n", su=rr("bad.txt") + amiga_as(comment=b"x")[:-1] + b"\x00")
    iso.add_file(iso.root, "PLAIN.TXT;1", b"plain\n", su=rr("plain.txt"))
    fs = filesystem(iso.build())
    entries = {e.name: e for e in fs.listdir(fs.root())}
    assert fs.xattrs(entries["Tool"]) == {"user.amiga.protection": b"----rw-d",
                                          "user.amiga.comment": b"an executable"}
    assert fs.xattrs(entries["Doc.txt"]) == {"user.amiga.comment": b"from the CE area"}
    assert fs.xattrs(entries["plain.txt"]) == {}
    assert fs.read(entries["bad.txt"], 0, 10) == b"bad\n"   # a broken AS costs only its xattrs
