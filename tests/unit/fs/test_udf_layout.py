"""UDF layout and string pieces against the specs: the descriptor CRC, tag checks, CS0
strings and dstrings, timestamps, and too-short buffers naming their structure."""

from __future__ import annotations

import struct

import pytest

from builders.udf import cs0, dstring, tag, timestamp
from mount_image.errors import CorruptDataError
from mount_image.fs.udf import layout as L
from mount_image.fs.udf import layout_files as LF
from mount_image.fs.udf.directory import symlink_target
from mount_image.fs.udf.dstring import decode_cs0, decode_dstring


def test_crc_is_crc_itu_t() -> None:
    # ECMA-167 1/7.2.6 gives the CRC of bytes 70 6A 77 as 3299 (hex).
    assert L.crc_itu(bytes([0x70, 0x6A, 0x77])) == 0x3299
    assert L.crc_itu(b"123456789") == 0x31C3      # the CRC-16/XMODEM check value


def test_tag_checks() -> None:
    raw = tag(L.TAG_FSD, bytes(496), 7)
    assert L.parse_tag(raw, 0, L.TAG_FSD, 7, "fsd").tag_identifier == L.TAG_FSD
    with pytest.raises(CorruptDataError, match="tag says block 7, found at block 8"):
        L.parse_tag(raw, 0, L.TAG_FSD, 8, "fsd")
    with pytest.raises(CorruptDataError, match="tag identifier 256, expected 261 or 266"):
        L.parse_tag(raw, 0, (L.TAG_FE, L.TAG_EFE), None, "fe")
    bad = bytearray(raw)
    bad[100] ^= 1
    with pytest.raises(CorruptDataError, match="descriptor CRC mismatch"):
        L.parse_tag(bytes(bad), 0, L.TAG_FSD, 7, "fsd")
    bad = bytearray(raw)
    bad[6] ^= 1                     # the serial number: only the checksum covers it
    with pytest.raises(CorruptDataError, match="tag checksum mismatch"):
        L.parse_tag(bytes(bad), 0, L.TAG_FSD, 7, "fsd")
    with pytest.raises(CorruptDataError, match="CRC length 496 runs past"):
        L.parse_tag(raw[:200], 0, L.TAG_FSD, 7, "fsd")


@pytest.mark.parametrize("text", ["plain", "Ünïcödé", "ж файл", "日本語", ""])
def test_cs0_round_trip(text: str) -> None:
    assert decode_cs0(cs0(text) if text else b"") == text
    assert decode_dstring(dstring(text, 32)) == text


def test_cs0_edge_cases() -> None:
    assert decode_cs0(b"\x10\x00A\x00") == "A"                 # odd trailing byte dropped
    assert decode_cs0(b"\x10\xd8\x00\x00A") == "\ufffdA"        # lone surrogate
    assert decode_cs0(b"\x07abc") == ""                         # unknown compression ID
    assert decode_cs0(b"\xfeabc") == "abc" and decode_cs0(b"\xff\x00a") == "a"
    # A dstring whose length byte runs past the field is cut to the field.
    assert decode_dstring(b"\x08abc" + bytes(3) + b"\xff") == "abc"


def test_timestamp_time_zone() -> None:
    ts = L.Timestamp.parse(timestamp(2017, 3, 4, 5, 6, 7, tz_minutes=-300))
    assert ts.tz_minutes == -300
    assert L.timestamp_ns(timestamp(2017, 3, 4, 5, 6, 7, tz_minutes=-300), 0) == (1488600367 + 6 * 3600) * 10**9
    unspecified = struct.pack("<HhBBBBBBBB", (1 << 12) | (-2047 & 0xFFF), 2017, 3, 4, 5, 6, 7, 0, 0, 0)
    assert L.timestamp_ns(unspecified, 0) == (1488600367 + 3600) * 10**9   # read as UTC
    assert L.timestamp_ns(bytes(12), 0) == 0                                # unset


@pytest.mark.parametrize("cls,size", [(L.ExtentAd, 8), (LF.LongAd, 16), (LF.ShortAd, 8), (LF.ExtAd, 20),
                                      (LF.IcbTag, 20), (L.Tag, 16), (LF.PathComponent, 4)])
def test_too_short_names_the_structure(cls, size: int) -> None:
    with pytest.raises(CorruptDataError, match=cls._S.what):
        cls.parse(bytes(size - 1))


def test_symlink_components() -> None:
    comps = struct.pack("<BBH", 2, 0, 0) + struct.pack("<BBH", 5, 4, 0) + b"\x08etc" + \
        struct.pack("<BBH", 3, 0, 0) + struct.pack("<BBH", 4, 0, 0)
    assert symlink_target(comps, "l") == "/etc/../."
    with pytest.raises(CorruptDataError, match="runs past"):
        symlink_target(struct.pack("<BBH", 5, 40, 0) + b"\x08ab", "l")
    with pytest.raises(CorruptDataError, match="path component type 9"):
        symlink_target(struct.pack("<BBH", 9, 0, 0), "l")
