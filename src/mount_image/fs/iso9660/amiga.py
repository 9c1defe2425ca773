"""Amiga "AS" System Use entries: AmigaDOS protection bits and file comments (Rock Ridge Amiga
Specific, makecd 2.4, 1996), shown as ``user.amiga.protection`` and ``user.amiga.comment``.

``user.amiga.protection`` reads as AmigaDOS ``List`` prints the owner's flags, "hsparwed":
h, s, p, a shown when set, r, w, e, d shown when allowed (AmigaDOS stores those four as "denied"
bits), a dash otherwise; "----rwed" is a plain readable file. When the other three bytes (user
flags, group and other bits) are not zero, the whole 32-bit value follows in hex:
"----rwed 0x0000f00f". ``user.amiga.comment`` is the comment (Latin-1 on the disc) in UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ...errors import CorruptDataError
from .layout import AS_COMMENT, AS_COMMENT_CONTINUE, AS_PROTECTION, AmigaProtection

PROTECTION_XATTR = "user.amiga.protection"
COMMENT_XATTR = "user.amiga.comment"
MAX_COMMENT_BYTES = 1024          # AmigaDOS allows 79; continued comments stop here
_LETTERS = "hsparwed"             # bit 7 .. bit 0 of the low byte


@dataclass(frozen=True, slots=True)
class AmigaAttributes:
    protection: int | None        # the AmigaDOS 32-bit protection value
    comment: bytes | None

    def xattrs(self) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        if self.protection is not None:
            out[PROTECTION_XATTR] = protection_text(self.protection).encode()
        if self.comment is not None:
            out[COMMENT_XATTR] = self.comment.decode("latin-1").encode("utf-8")
        return out


def protection_text(value: int) -> str:
    low = value & 0xFF
    letters = "".join(
        letter if (bool(low & (1 << (7 - i))) != (i >= 4)) else "-"
        for i, letter in enumerate(_LETTERS))
    return letters if not value >> 8 else f"{letters} 0x{value:08x}"


def parse_amiga(entries: Sequence[bytes]) -> AmigaAttributes | None:
    """Fold the data of a record's AS entries (after the 4-byte SUSP header) into one value.

    Only the first entry may carry protection bits (the spec says so); a comment flagged
    "continues" goes on in the next AS entry. A malformed entry ends the fold (CorruptDataError
    for the first one, so the caller can log it).
    """
    protection: int | None = None
    comment: bytearray | None = None
    for n, data in enumerate(entries):
        if not data:
            raise CorruptDataError("Amiga AS entry without flags")
        flags, pos = data[0], 1
        if flags & AS_PROTECTION:
            p = AmigaProtection.parse(data, pos)
            pos += AmigaProtection.SIZE
            if n == 0:
                protection = p.user << 24 | p.reserved << 16 | p.multiuser << 8 | p.protection
        if flags & AS_COMMENT:
            if pos >= len(data) or data[pos] < 1 or pos + data[pos] > len(data):
                raise CorruptDataError(f"Amiga AS comment runs past its {len(data) + 4}-byte entry")
            text = data[pos + 1:pos + data[pos]]
            if comment is None:
                comment = bytearray()
            if len(comment) < MAX_COMMENT_BYTES:
                comment += text[:MAX_COMMENT_BYTES - len(comment)]
            if not flags & AS_COMMENT_CONTINUE:
                break
    if protection is None and comment is None:
        return None
    return AmigaAttributes(protection, None if comment is None else bytes(comment))
