"""Apple's ISO 9660 extensions: Finder type, creator and flags of a file, and its resource fork.

Apple's System Use entries sit at the start of a directory record's System Use field, before any
Rock Ridge entries (genisoimage -apple writes them so, after the CD-ROM XA entry with -XA):
"AA" (length, id 2 = HFS: type, creator, Finder flags) and the older "BA" (no length byte; ids
2-6). The resource fork is an associated file (ECMA-119 §9.1.6 bit 2) with the same identifier,
recorded just before the data file. A mount shows them the way macOS and Netatalk keep them:
``user.com.apple.FinderInfo`` (the 32-byte FinderInfo) and ``user.com.apple.ResourceFork``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ...errors import CorruptDataError
from .layout import APPLE_FINDER_FLAGS, FINDER_INFO, AppleHfsSystemUse, AppleOldSystemUse

FINDER_INFO_XATTR = "user.com.apple.FinderInfo"
RESOURCE_FORK_XATTR = "user.com.apple.ResourceFork"
MAX_XATTR_BYTES = 65536           # Linux XATTR_SIZE_MAX: a larger fork cannot be an xattr
XA_SIZE, XA_SIGNATURE_AT = 14, 6  # a CD-ROM XA entry may come first (xa.py)
MAX_ENTRIES = 64                  # System Use entries looked at in one record


@dataclass(frozen=True, slots=True)
class FinderInfo:
    """What Apple's entry says of a file."""

    file_type: bytes
    creator: bytes
    flags: int

    def xattr(self) -> bytes:
        """The 32-byte com.apple.FinderInfo: FInfo (type, creator, flags, location, folder)
        then FXInfo, zero where the disc says nothing."""
        return FINDER_INFO.pack(self.file_type, self.creator, self.flags, 0, 0, 0)


def find_finder_info(system_use: bytes) -> FinderInfo | None:
    """The Finder info of Apple's entry in ``system_use``, None when there is none.

    The walk steps over a leading XA entry and SUSP-shaped entries by their length and stops
    at the first thing it does not understand (bounded by the field's length).
    """
    if b"AA" not in system_use and b"BA" not in system_use:
        return None  # the common case, decided at C speed: listings call this for every file
    pos = 0
    end = len(system_use)
    for _ in range(MAX_ENTRIES):
        if pos + 4 > end:
            return None
        sig = system_use[pos:pos + 2]
        if sig == AppleHfsSystemUse.SIGNATURE:
            length, ident = system_use[pos + 2], system_use[pos + 3]
            if ident == AppleHfsSystemUse.ID_HFS and length >= AppleHfsSystemUse.SIZE \
                    and pos + AppleHfsSystemUse.SIZE <= end:
                aa = AppleHfsSystemUse.parse(system_use, pos)
                return FinderInfo(aa.file_type, aa.creator, aa.finder_flags)
            if length < 4:
                return None
            pos += length
        elif sig == AppleOldSystemUse.SIGNATURE:
            ident = system_use[pos + 2]
            size = AppleOldSystemUse.SIZES.get(ident)
            if size is None or pos + size > end:
                return None
            ba = AppleOldSystemUse.parse(system_use, pos)
            flags = 0
            if ident == AppleOldSystemUse.ID_HFS:
                flags = APPLE_FINDER_FLAGS.unpack_from(system_use, pos + AppleOldSystemUse.SIZE)[0]
            return FinderInfo(ba.file_type, ba.creator, flags)
        elif pos + XA_SIZE <= end and system_use[pos + XA_SIGNATURE_AT:pos + XA_SIGNATURE_AT + 2] == b"XA":
            pos += XA_SIZE
        elif sig == b"ST":
            return None
        else:
            length = system_use[pos + 2]
            if length < 4:
                return None
            pos += length
    return None


def resource_fork_xattr(size: int, read: Callable[[int, int], bytes]) -> bytes | None:
    """The fork's bytes, or None when it is too large to be an xattr (the associated file
    still shows it with ``unhide``)."""
    if size > MAX_XATTR_BYTES:
        return None
    data = read(0, size)
    if len(data) != size:
        raise CorruptDataError(f"resource fork of {size} bytes: read {len(data)}")
    return data
