"""OSTA Compressed Unicode (CS0) strings: d-characters and dstrings (UDF 2.60 §2.1.1, §2.1.3)."""

from __future__ import annotations

# Compression IDs (UDF 2.60 §2.1.1): 8 and 16 bits a character; 254 and 255 are the same
# widths for UDF 2.50+ names that were deleted (FIDs only), decoded the same way here.
_EIGHT = (8, 254)
_SIXTEEN = (16, 255)


def decode_cs0(raw: bytes) -> str:
    """A CS0 d-character string: a compression ID byte, then Latin-1 bytes or UTF-16BE units.

    An unknown compression ID or an empty string gives "" (the caller decides what that
    means); an odd trailing byte of a 16-bit string is dropped, as the kernel does.
    """
    if not raw:
        return ""
    comp = raw[0]
    body = raw[1:]
    if comp in _EIGHT:
        return body.decode("latin-1")
    if comp in _SIXTEEN:
        # A lone surrogate cannot become a file name: U+FFFD stands in for it.
        return body[:len(body) & ~1].decode("utf-16-be", "replace")
    return ""


def decode_dstring(field: bytes) -> str:
    """A dstring field (ECMA-167 1/7.2.12): CS0 characters, the last byte the used length.

    A length past the field (damage) is cut to the field; padding NULs are dropped.
    """
    if not field:
        return ""
    used = field[-1]
    if used == 0:
        return ""
    used = min(used, len(field) - 1)
    return decode_cs0(field[:used]).rstrip("\x00")
