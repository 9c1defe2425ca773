"""binary.py: struct size checks, checked slicing, both-endian and BCD helpers."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import pytest

from mount_image.binary import (FixedStructure, bcd, both_endian_mismatch, check_length,
                                make_struct, parse_with, strip_text, u16le, u32be, u32le)
from mount_image.errors import CorruptDataError


def test_make_struct_returns_struct_of_the_stated_size() -> None:
    s = make_struct("<HI", 6, "thing")
    assert s.size == 6
    assert s.unpack(b"\x01\x00\x02\x00\x00\x00") == (1, 2)


def test_make_struct_knows_the_structure_name() -> None:
    assert make_struct("<B", 1, "Flag byte").what == "Flag byte"


@dataclass(frozen=True, slots=True)
class _Pair(FixedStructure):
    """A test structure: two little-endian 16-bit numbers."""

    first: int
    second: int

    _S = make_struct("<HH", 4, "Test Pair")


def test_fixed_structure_parse() -> None:
    assert _Pair.parse(b"\x01\x00\x02\x00") == _Pair(1, 2)
    assert _Pair.parse(b"\xff\x03\x00\x04\x00", 1) == _Pair(3, 4)


@pytest.mark.parametrize(
    ("buf", "offset", "fragment"),
    [(b"\x01\x00\x02", 0, "Test Pair at offset 0x0: needs 4 bytes, only 3 there"),
     (b"\x00" * 8, 6, "Test Pair at offset 0x6: needs 4 bytes, only 2 there"),
     (b"\x00" * 8, -1, "Test Pair at offset -0x1")],
    ids=["short", "offset-near-end", "negative-offset"],
)
def test_fixed_structure_too_short(buf: bytes, offset: int, fragment: str) -> None:
    with pytest.raises(CorruptDataError) as exc:
        _Pair.parse(buf, offset)
    assert fragment in str(exc.value)


def test_make_struct_refuses_a_size_that_differs_from_the_spec() -> None:
    with pytest.raises(AssertionError, match=r"Widget: struct size 4 != spec size 8"):
        make_struct("<I", 8, "Widget")


def test_check_length_accepts_a_slice_that_ends_at_the_end() -> None:
    assert check_length(b"abcd", 1, 3, "x") is None
    assert check_length(b"abcd", 4, 0, "x") is None


@pytest.mark.parametrize(
    ("buf", "offset", "size", "fragment"),
    [
        (b"abcd", 2, 3, "Gizmo at offset 0x2: needs 3 bytes, only 2 there"),
        (b"abcd", 0x10, 1, "Gizmo at offset 0x10: needs 1 bytes, only 0 there"),
        (b"", 0, 1, "Gizmo at offset 0x0: needs 1 bytes, only 0 there"),
        (b"abcd", -1, 1, "Gizmo at offset -0x1"),
        (b"abcd", 0, -1, "Gizmo at offset 0x0: needs -1 bytes"),
    ],
    ids=["runs-past-end", "starts-past-end", "empty-buffer", "negative-offset", "negative-size"],
)
def test_check_length_errors(buf: bytes, offset: int, size: int, fragment: str) -> None:
    with pytest.raises(CorruptDataError) as exc:
        check_length(buf, offset, size, "Gizmo")
    assert fragment in str(exc.value)


def test_check_length_works_on_memoryview() -> None:
    view = memoryview(b"\0" * 8)
    assert check_length(view, 4, 4, "x") is None
    with pytest.raises(CorruptDataError, match="x at offset 0x5"):
        check_length(view, 5, 4, "x")


def test_parse_with_unpacks_at_offset_and_checks_length() -> None:
    s = struct.Struct("<HH")
    assert parse_with(s, b"\xff\x01\x00\x02\x00", 1, "pair") == (1, 2)
    with pytest.raises(CorruptDataError, match="pair at offset 0x2: needs 4 bytes, only 3 there"):
        parse_with(s, b"\xff\x01\x00\x02\x00", 2, "pair")


def test_integer_helpers() -> None:
    buf = bytes.fromhex("ff 34 12 78 56 34 12")
    assert u16le(buf, 1) == 0x1234
    assert u32le(buf, 3) == 0x12345678
    assert u32be(buf, 3) == 0x78563412
    assert u16le(b"\x01\x02") == 0x0201


@pytest.mark.parametrize(
    ("raw", "width", "mismatch"),
    [
        (struct.pack("<I", 1234) + struct.pack(">I", 1234), 4, False),
        (struct.pack("<I", 1234) + struct.pack(">I", 1235), 4, True),
        (struct.pack("<H", 7) + struct.pack(">H", 7), 2, False),
        (struct.pack("<H", 7) + struct.pack("<H", 7), 2, True),
    ],
)
def test_both_endian_mismatch(raw: bytes, width: int, mismatch: bool) -> None:
    assert both_endian_mismatch(b"\xaa" + raw, 1, width) is mismatch


@pytest.mark.parametrize(("value", "decoded"), [(0x00, 0), (0x09, 9), (0x10, 10), (0x59, 59), (0x99, 99)])
def test_bcd(value: int, decoded: int) -> None:
    assert bcd(value) == decoded


def test_strip_text_strips_spaces_and_nuls_only_at_the_end() -> None:
    assert strip_text(b"  CDROM  \x00\x00") == "  CDROM"
    assert strip_text(b"\xe9t\xe9   ") == "\xe9t\xe9"
    assert strip_text(b"\x00A\x00B\x00 ", lambda b: b.decode("utf-16-be")) == "AB"
