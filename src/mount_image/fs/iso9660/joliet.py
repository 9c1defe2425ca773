"""Joliet names: UCS-2 big-endian identifiers of the supplementary tree (Joliet 1995, §3)."""

from __future__ import annotations


def decode_joliet_name(raw: bytes) -> str:
    """UCS-2BE to str. An odd trailing byte is dropped; unpaired surrogates become U+FFFD so the
    name stays valid UTF-8 on the way out."""
    if len(raw) % 2:
        raw = raw[:-1]
    return raw.decode("utf-16-be", errors="replace")


def decode_joliet_label(raw: bytes) -> str:
    return decode_joliet_name(raw).rstrip(" \x00")
