"""Byte-order helpers and checked slicing; no format knowledge lives here.

``struct.Struct`` is created only here and in layout modules (see DESIGN.md).
"""

from __future__ import annotations

import functools
import struct
from typing import Any, Callable, ClassVar

from .errors import CorruptDataError


@functools.cache
def optional_numpy() -> Any:
    """numpy, imported on first use (the CLI must start fast, and not every image needs it), or
    None where it is not installed: its callers then take a slower pure-Python path."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


class NamedStruct(struct.Struct):
    """A ``struct.Struct`` that knows the spec's name of its structure, for error messages."""

    def __init__(self, fmt: str, what: str) -> None:
        super().__init__(fmt)
        self.what = what


def make_struct(fmt: str, size: int, what: str) -> NamedStruct:
    """A struct whose size is checked against the size the spec states."""
    s = NamedStruct(fmt, what)
    if s.size != size:  # a layout typo must fail at import, not on a customer's disc
        raise AssertionError(f"{what}: struct size {s.size} != spec size {size}")
    return s


def check_length(buf: bytes | memoryview, offset: int, size: int, what: str) -> None:
    """Raise CorruptDataError unless ``buf[offset:offset + size]`` lies wholly inside ``buf``."""
    if offset < 0 or size < 0 or offset + size > len(buf):
        raise CorruptDataError(
            f"{what} at offset {offset:#x}: needs {size} bytes, only {max(0, len(buf) - offset)} there"
        )


def parse_with(s: struct.Struct, buf: bytes | memoryview, offset: int, what: str) -> tuple:
    """Unpack ``s`` at ``offset`` after checking the length."""
    if offset < 0 or offset + s.size > len(buf):  # check_length inlined: runs per SUSP entry
        check_length(buf, offset, s.size, what)
    return s.unpack_from(buf, offset)


class FixedStructure:
    """Base of a layout dataclass whose fields are its struct's fields, in order.

    ``parse`` checks the length first and names the structure in the CorruptDataError.
    """

    __slots__ = ()
    _S: ClassVar[NamedStruct]

    @classmethod
    def parse(cls, buf: bytes | memoryview, offset: int = 0) -> Any:
        return cls(*parse_with(cls._S, buf, offset, cls._S.what))


U16_LE = struct.Struct("<H")
U32_LE = struct.Struct("<I")
U32_BE = struct.Struct(">I")


def u16le(buf: bytes | memoryview, offset: int = 0) -> int:
    return U16_LE.unpack_from(buf, offset)[0]


def u32le(buf: bytes | memoryview, offset: int = 0) -> int:
    return U32_LE.unpack_from(buf, offset)[0]


def u32be(buf: bytes | memoryview, offset: int = 0) -> int:
    return U32_BE.unpack_from(buf, offset)[0]


def both_endian_mismatch(buf: bytes | memoryview, offset: int, width: int) -> bool:
    """True when the little- and big-endian halves of a both-endian field disagree.

    Mounting reads the little-endian half (mastering tools get the other one wrong, and the
    kernel does the same); only ``verify`` reports a mismatch.
    """
    half = bytes(buf[offset:offset + width])
    other = bytes(buf[offset + width:offset + 2 * width])
    return half != other[::-1]


def bcd(value: int) -> int:
    """Decode one binary-coded-decimal byte (0x59 -> 59)."""
    return (value >> 4) * 10 + (value & 0x0F)


def strip_text(raw: bytes, decode: Callable[[bytes], str] = lambda b: b.decode("latin-1")) -> str:
    """Decode a space- or NUL-padded text field and strip the padding."""
    return decode(raw).rstrip(" \x00")
