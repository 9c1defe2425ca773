"""Rock Ridge: POSIX attributes, names, symlinks, devices, times, relocation and zisofs (RRIP 1.12).

Turns the SUSP entries of one directory record into a RockRidge value. Malformed entries are
ignored one by one (with a log line): a bad TF must not hide a good NM.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Iterable

from ...errors import CorruptDataError
from .layout import (LOCATION, NM_CURRENT, NM_PARENT, SL_COMPONENT, SL_CONTINUE,
                     SL_CURRENT, SL_PARENT, SL_ROOT, TF_ACCESS, TF_ATTRIBUTES, TF_BACKUP,
                     TF_CREATION, TF_EFFECTIVE, TF_EXPIRATION, TF_LONG_FORM, TF_MODIFY,
                     DeviceNumber, PosixAttributes, ZisofsEntry, dec_datetime, dir_datetime,
                     parse_dec_datetime, parse_dir_datetime)

MAX_NAME_BYTES = 1024       # NM continued over several entries; longer names are cut here
MAX_LINK_BYTES = 4096       # SL target (PATH_MAX)


@dataclass(slots=True)
class RockRidge:
    """What the Rock Ridge entries of one directory record say; None where nothing was said."""

    mode: int | None = None
    nlink: int | None = None
    uid: int | None = None
    gid: int | None = None
    serial: int | None = None
    rdev: int | None = None
    name: str | None = None
    symlink: str | None = None
    mtime_ns: int | None = None
    atime_ns: int | None = None
    ctime_ns: int | None = None
    child_link: int | None = None        # CL: this placeholder stands for a relocated directory
    parent_link: int | None = None       # PL: the real parent of a relocated directory
    relocated: bool = False              # RE: this is the relocated directory itself (hide it)
    zisofs: ZisofsEntry | None = None
    amiga: list[bytes] | None = None     # data of the Amiga AS entries, for amiga.py


def decode_name(raw: bytes) -> str:
    """Rock Ridge names are bytes in the author's charset: UTF-8 when valid, else Latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_rock_ridge(entries: Iterable[tuple[bytes, int, bytes]],
                     log: Callable[[str], None] | None = None) -> RockRidge | None:
    """Fold the SUSP entries of one record into a RockRidge; None if none is Rock Ridge."""
    rr = RockRidge()
    seen = False
    name = bytearray()
    link = bytearray()
    link_need_sep = False
    amiga: list[bytes] | None = None
    for sig, _version, data in entries:
        try:
            if sig == b"PX":
                px = PosixAttributes.parse(data)
                rr.mode, rr.nlink, rr.uid, rr.gid = px.file_mode & 0o177777, px.links, px.user_id, px.group_id
                rr.serial = px.serial_number
            elif sig == b"NM":
                if not data:
                    raise CorruptDataError("RRIP NM entry without flags")
                if not data[0] & (NM_CURRENT | NM_PARENT) and len(name) < MAX_NAME_BYTES:
                    name += data[1:]
            elif sig == b"SL":
                if not data:
                    raise CorruptDataError("RRIP SL entry without flags")
                link_need_sep = _append_symlink(link, data[1:], link_need_sep)
            elif sig == b"TF":
                _parse_times(rr, data)
            elif sig == b"PN":
                pn = DeviceNumber.parse(data)
                high, low = pn.dev_t_high, pn.dev_t_low
                # An old 16-bit dev_t stored whole in the low word (the kernel reads it so).
                rr.rdev = os.makedev(low >> 8, low & 0xFF) if high == 0 and low & ~0xFF else os.makedev(high, low)
            elif sig == b"CL":
                rr.child_link = _location(data, "CL")
            elif sig == b"PL":
                rr.parent_link = _location(data, "PL")
            elif sig == b"RE":
                rr.relocated = True
            elif sig == b"ZF":
                rr.zisofs = ZisofsEntry.parse(data)
            elif sig == b"AS":
                # Rock Ridge Amiga Specific: kept raw for amiga.py; not Rock Ridge by itself.
                amiga = [*(amiga or ()), data]
                continue
            else:
                continue
            seen = True
        except CorruptDataError as exc:
            if log:
                log(f"ignoring malformed Rock Ridge {sig.decode('latin-1')} entry: {exc}")
    if not seen:
        return None
    if amiga:
        rr.amiga = amiga
    if name:
        rr.name = decode_name(bytes(name[:MAX_NAME_BYTES]))
    if link or (rr.mode is not None and rr.mode & 0o170000 == 0o120000):
        rr.symlink = decode_name(bytes(link[:MAX_LINK_BYTES]))
    return rr


def _location(data: bytes, what: str) -> int:
    if len(data) < LOCATION.size:
        raise CorruptDataError(f"RRIP {what} entry of {len(data)} bytes")
    return LOCATION.unpack_from(data, 0)[0]


def _append_symlink(out: bytearray, components: bytes, need_sep: bool) -> bool:
    """Append SL components (RRIP 1.12 §4.1.3.1) to ``out``; return whether the next one needs '/'.

    A component flagged CONTINUE goes on in the next component, possibly in the next SL entry.
    """
    pos = 0
    while pos + SL_COMPONENT.size <= len(components):
        flags, length = SL_COMPONENT.unpack_from(components, pos)
        content = components[pos + 2:pos + 2 + length]
        if len(content) != length:
            raise CorruptDataError(f"SL component of {length} bytes runs past its entry")
        pos += 2 + length
        if len(out) > MAX_LINK_BYTES:
            continue
        if flags & SL_ROOT:
            # As the kernel and libarchive read it: a root component after others adds its own
            # '/' after the separator, so "a//b" round-trips.
            out += b"//" if need_sep else b"/"
            need_sep = False
            continue
        text = b"." if flags & SL_CURRENT else b".." if flags & SL_PARENT else content
        if need_sep:
            out += b"/"
        out += text
        need_sep = not flags & SL_CONTINUE
    return need_sep


_TF_ORDER = (TF_CREATION, TF_MODIFY, TF_ACCESS, TF_ATTRIBUTES, TF_BACKUP, TF_EXPIRATION, TF_EFFECTIVE)


def _parse_times(rr: RockRidge, data: bytes) -> None:
    """TF entry (RRIP 1.12 §4.1.6): the timestamps its flags announce, short or long form."""
    if not data:
        raise CorruptDataError("RRIP TF entry without flags")
    flags = data[0]
    size = 17 if flags & TF_LONG_FORM else 7
    parse = parse_dec_datetime if flags & TF_LONG_FORM else parse_dir_datetime
    pos = 1
    if flags & ~TF_LONG_FORM & 0x7F and len(data) >= 1 + size * bin(flags & 0x7F).count("1"):
        # The common case, checked once: every announced timestamp is there.
        decode = dec_datetime if flags & TF_LONG_FORM else dir_datetime
        for bit in _TF_ORDER:
            if flags & bit:
                if bit == TF_MODIFY:
                    rr.mtime_ns = decode(data[pos:pos + size])
                elif bit == TF_ACCESS:
                    rr.atime_ns = decode(data[pos:pos + size])
                elif bit == TF_ATTRIBUTES:
                    rr.ctime_ns = decode(data[pos:pos + size])
                pos += size
        return
    for bit in _TF_ORDER:
        if not flags & bit:
            continue
        if pos + size > len(data):
            raise CorruptDataError(f"TF entry of {len(data)} bytes too short for its flags {flags:#x}")
        ns = parse(data, pos)
        pos += size
        if bit == TF_MODIFY:
            rr.mtime_ns = ns
        elif bit == TF_ACCESS:
            rr.atime_ns = ns
        elif bit == TF_ATTRIBUTES:
            rr.ctime_ns = ns
