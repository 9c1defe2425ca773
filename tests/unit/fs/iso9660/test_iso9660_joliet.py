"""fs/iso9660/joliet.py: UCS-2 big-endian names and labels (Joliet 1995, §3)."""

from __future__ import annotations

import pytest

from mount_image.fs.iso9660.joliet import decode_joliet_label, decode_joliet_name


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("readme.txt;1".encode("utf-16-be"), "readme.txt;1"),
        ("Caf\u00e9 \u65e5\u672c".encode("utf-16-be"), "Caf\u00e9 \u65e5\u672c"),
        ("ab".encode("utf-16-be") + b"\x00", "ab"),                  # odd trailing byte dropped
        (b"\xd8\x00\x00a", "\ufffda"),                               # unpaired surrogate
        (b"", ""),
    ],
    ids=["ascii", "non-ascii", "odd-length", "lone-surrogate", "empty"],
)
def test_decode_joliet_name(raw: bytes, name: str) -> None:
    decoded = decode_joliet_name(raw)
    assert decoded == name
    decoded.encode("utf-8")                                           # always valid on the way out


def test_decode_joliet_label_strips_padding() -> None:
    assert decode_joliet_label("MY DISC".encode("utf-16-be") + b"\x00 " * 4 + b"\x00\x00") == "MY DISC"
