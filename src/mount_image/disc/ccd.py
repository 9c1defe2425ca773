"""CloneCD images: parse_ccd(path) builds a Disc from a .ccd descriptor and the size of its .img.

The .ccd is an INI file (CloneCD's own format, documented by example only; the layout used here
is the one CloneCD 3-5 writes and libmirage's image-ccd parser reads)::

    [CloneCD]   Version=3
    [Disc]      TocEntries=N  Sessions=1  DataTracksScrambled=0  CDTextLength=0
    [Session 1] PreGapMode=1  PreGapSubC=0
    [Entry i]   Session Point ADR Control TrackNo AMin ASec AFrame ALBA Zero PMin PSec PFrame PLBA
                (one per raw Q-subchannel TOC entry, i = 0 .. TocEntries-1; Point 0xA0 first track,
                0xA1 last track, 0xA2 lead-out start, 1-99 a track starting at PLBA)
    [TRACK n]   MODE=0|1|2  INDEX 0=lba  INDEX 1=lba    (optional)

``<stem>.img`` holds every sector CloneCD read, as raw 2352 bytes: session 1 from LBA 0 to its
lead-out, then each later session from the first stored sector of its first track to its
lead-out. The lead-out, lead-in and pregap between sessions are not in the file, so a file
position is the count of the stored sectors before it, while PLBA is the disc address (libmirage
image-ccd reads it the same way). [TRACK n] INDEX values count from the start of their session
(equal to the disc LBA in session 1): a later session's first track with INDEX 1=150 stores the
150-sector pregap before its PLBA. ``<stem>.sub`` (96 bytes of P-W subchannel a sector) is
optional and not needed to read the data. Both are looked up in the .ccd's folder only, as
written and then ignoring case. A data track (Control bit 2) is Mode 1 or Mode 2 from its
[TRACK n] MODE, else from the mode byte of its first sector (the only track data read here); a
track runs to the next track's PLBA, the last one of a session to the session's lead-out (A2).

``DataTracksScrambled=1``: the data tracks' sectors are stored as they are on the disc, scrambled
(ECMA-130 Annex B); scrambled.py undoes it for every reader above. [CDText] ``Entries=n`` and
``Entry i=hex bytes`` hold the CD-TEXT packs (16 bytes each, CRC dropped), decoded by cdtext.py.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field

from ..errors import ImageFormatError
from ..io.source import ByteSource, FileSource
from . import cdtext as cdtext_packs
from .descriptor import find_in_folder, read_descriptor_text
from .model import Disc, Index, Session, Track, TrackKind, TrackMode, with_cdtext
from .msf import LEAD_IN, SESSION_PREGAP
from .raw import MODE_BYTE, RAW_SECTOR, SYNC
from .scrambled import DescrambledSource

log = logging.getLogger(__name__)

MAX_CCD_BYTES = 1 << 20          # 99 tracks of entries are ~30 KiB
MAX_ENTRIES = 512                # TOC entries (99 tracks + A0/A1/A2 per session, with room)
MAX_SESSIONS = 99
MAX_CDTEXT_ENTRIES = 8 * 256     # packs: 8 blocks of at most 256
SUBCHANNEL = 96
CONTROL_DATA = 0x04
POINT_FIRST, POINT_LAST, POINT_LEAD_OUT = 0xA0, 0xA1, 0xA2
_SECTION = re.compile(r"\[\s*([^\]]+?)\s*\]")
_ENTRY = re.compile(r"entry\s+(\d{1,4})", re.I)
_TRACK = re.compile(r"track\s+(\d{1,2})", re.I)
_INDEX = re.compile(r"index\s+(\d{1,2})", re.I)
_MODES = {1: TrackMode.MODE1_2352, 2: TrackMode.MODE2_2352}


@dataclass(slots=True)
class _Section:
    """An INI section: its values by lower-case key, each with the line it came from."""

    name: str
    line: int
    values: dict[str, tuple[str, int]] = field(default_factory=dict)


@dataclass(slots=True)
class _Entry:
    index: int
    line: int
    session: int
    point: int
    control: int
    plba: int
    plba_line: int


def parse_ccd(path: str) -> Disc:
    """Read the .ccd at ``path`` and the size of its .img; ImageFormatError with the line."""
    sections = _Ini(path).parse(_read_text(path))
    entries, toc_line, scrambled = _entries(path, sections)
    img_name = os.path.splitext(os.path.basename(path))[0] + ".img"
    img_path = find_in_folder(os.path.dirname(path), img_name)
    if img_path is None:
        raise ImageFormatError(path, None, f'image file "{img_name}" not found next to the .ccd')
    source: ByteSource = FileSource(img_path)
    try:
        tracks, source = _tracks(path, sections, entries, toc_line, source, img_name, scrambled)
    except BaseException:
        source.close()
        raise
    text = _cdtext(path, sections)
    sessions: list[Session] = []
    for track in tracks:
        track = with_cdtext(track, text.track(track.number))
        if sessions and sessions[-1].number == track.session:
            sessions[-1] = Session(track.session, sessions[-1].tracks + (track,))
        else:
            sessions.append(Session(track.session, (track,)))
    return Disc(path=path, container="ccd", sessions=tuple(sessions), sources=(source,), cdtext=text.disc)


def subchannel_file(path: str) -> str | None:
    """The ``<stem>.sub`` next to the .ccd at ``path``, if there is one (96 bytes a sector)."""
    return find_in_folder(os.path.dirname(path), os.path.splitext(os.path.basename(path))[0] + ".sub")


def _read_text(path: str) -> str:
    return read_descriptor_text(path, MAX_CCD_BYTES, "CloneCD descriptor", "cp1252")


class _Ini:
    """Text to sections; every line is a section header, key=value, a comment or blank."""

    def __init__(self, path: str) -> None:
        self.path = path

    def parse(self, text: str) -> dict[str, _Section]:
        sections: dict[str, _Section] = {}
        current: _Section | None = None
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line[0] in ";#":
                continue
            header = _SECTION.fullmatch(line)
            if header:
                name = " ".join(header.group(1).lower().split())
                if name in sections:
                    raise ImageFormatError(self.path, number, f"second [{header.group(1)}] section")
                current = sections[name] = _Section(header.group(1), number)
                continue
            key, eq, value = line.partition("=")
            if not eq or not key.strip():
                raise ImageFormatError(self.path, number, f'not "key=value" or "[section]": "{line[:40]}"')
            if current is None:
                raise ImageFormatError(self.path, number, f'"{key.strip()}" before any [section]')
            current.values[" ".join(key.lower().split())] = (value.strip(), number)
        if "clonecd" not in sections and "disc" not in sections:
            raise ImageFormatError(self.path, None, "not a CloneCD descriptor (no [CloneCD] or [Disc] section)")
        return sections


def _number(path: str, section: _Section, key: str, default: int | None = None) -> tuple[int, int]:
    """An integer value (decimal, or hex with 0x) and its line; a missing key without default fails."""
    found = section.values.get(key)
    if found is None:
        if default is not None:
            return default, section.line
        raise ImageFormatError(path, section.line, f"[{section.name}] has no {_spell(key)}=")
    text, line = found
    try:
        value = int(text[2:], 16) if text.lower().startswith("0x") else int(text, 10)
    except ValueError:
        raise ImageFormatError(path, line, f'{_spell(key)}="{text}" is not a number') from None
    return value, line


def _spell(key: str) -> str:
    return {"tocentries": "TocEntries", "plba": "PLBA", "point": "Point", "control": "Control",
            "session": "Session", "sessions": "Sessions", "mode": "MODE",
            "datatracksscrambled": "DataTracksScrambled"}.get(key, key)


def _entries(path: str, sections: dict[str, _Section]) -> tuple[list[_Entry], int, bool]:
    disc = sections.get("disc")
    if disc is None:
        raise ImageFormatError(path, None, "no [Disc] section")
    count, toc_line = _number(path, disc, "tocentries")
    sessions, sessions_line = _number(path, disc, "sessions", 1)
    if not 1 <= sessions <= MAX_SESSIONS:
        raise ImageFormatError(path, sessions_line, f"Sessions={sessions}: expected 1-{MAX_SESSIONS}")
    scrambled, scrambled_line = _number(path, disc, "datatracksscrambled", 0)
    if scrambled not in (0, 1):
        raise ImageFormatError(path, scrambled_line, f"DataTracksScrambled={scrambled}: expected 0 or 1")
    numbered = sorted((int(m.group(1)), s) for name, s in sections.items() if (m := _ENTRY.fullmatch(name)))
    if not 0 < count <= MAX_ENTRIES:
        raise ImageFormatError(path, toc_line, f"TocEntries={count}: expected 1-{MAX_ENTRIES}")
    if [i for i, _ in numbered] != list(range(count)):
        raise ImageFormatError(path, toc_line, f"TocEntries={count} but the file has {len(numbered)} "
                                               f"[Entry] sections numbered {_ranges([i for i, _ in numbered])}")
    entries = []
    for index, section in numbered:
        session, _ = _number(path, section, "session", 1)
        point, point_line = _number(path, section, "point")
        control, _ = _number(path, section, "control", 0)
        if "plba" in section.values:
            plba, plba_line = _number(path, section, "plba")
        else:  # CloneCD 2 writes MSF only
            minute, plba_line = _number(path, section, "pmin")
            second, _ = _number(path, section, "psec")
            frame, _ = _number(path, section, "pframe")
            plba = (minute * 60 + second) * 75 + frame - LEAD_IN
        if not 1 <= session <= sessions:
            raise ImageFormatError(path, section.line, f"[{section.name}] Session={session}: the disc has "
                                                       f"Sessions={sessions}")
        if not (1 <= point <= 99 or point in (POINT_FIRST, POINT_LAST, POINT_LEAD_OUT) or point >= 0xB0):
            raise ImageFormatError(path, point_line, f"Point={point:#04x} is not a track (1-99) or A0/A1/A2")
        entries.append(_Entry(index, section.line, session, point, control, plba, plba_line))
    return entries, toc_line, bool(scrambled)


def _ranges(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:8])) + (", ..." if len(numbers) > 8 else "") if numbers else "none"


def _tracks(path: str, sections: dict[str, _Section], entries: list[_Entry], toc_line: int,
            source: ByteSource, img_name: str, scrambled: bool) -> tuple[list[Track], ByteSource]:
    """The tracks with disc LBAs and file offsets (see the module docstring), and the source to
    read them from (descrambling when the data tracks are stored scrambled)."""
    points = [e for e in entries if 1 <= e.point <= 99]
    if not points:
        raise ImageFormatError(path, toc_line, "no track entry (Point=1-99) in the TOC")
    previous: _Entry | None = None
    for entry in points:
        if previous is not None and entry.point != previous.point + 1:
            raise ImageFormatError(path, entry.line, f"track {entry.point:02d} after track {previous.point:02d}: "
                                                     "track numbers out of order")
        if entry.plba < 0 or (previous is not None and entry.plba <= previous.plba):
            after = f" (track {previous.point:02d} starts at {previous.plba})" if previous else ""
            raise ImageFormatError(path, entry.plba_line, f"track {entry.point:02d} PLBA={entry.plba} "
                                                          f"goes backwards{after}")
        if previous is not None and entry.session < previous.session:
            raise ImageFormatError(path, entry.line, f"track {entry.point:02d} in session {entry.session} after "
                                                     f"track {previous.point:02d} in session {previous.session}")
        previous = entry
    holds = source.size // RAW_SECTOR
    plans: list[tuple[_Entry, int, tuple[Index, ...], int, int]] = []   # entry, end, indexes, offset, pregap
    stored = 0                       # sectors of the .img used by the sessions before
    last_lead_out = None
    for session in sorted({e.session for e in points}):
        mine = [e for e in points if e.session == session]
        lead_out = next((e for e in entries if e.point == POINT_LEAD_OUT and e.session == session), None)
        if lead_out is None:
            raise ImageFormatError(path, toc_line, f"no lead-out entry (Point=0xa2) for session {session} in the TOC")
        if lead_out.plba <= mine[-1].plba:
            raise ImageFormatError(path, lead_out.plba_line, f"lead-out PLBA={lead_out.plba} is not after track "
                                                             f"{mine[-1].point:02d} (PLBA={mine[-1].plba})")
        indexes = [_indexes(path, sections.get(f"track {e.point}"), e, session, i == 0) for i, e in enumerate(mine)]
        first = indexes[0][0].lba            # the session's first stored sector (its INDEX 0 or 1)
        if last_lead_out is not None and first < last_lead_out:
            raise ImageFormatError(path, mine[0].line, f"session {session} starts at sector {first}, inside the "
                                                       f"session before it (its lead-out is at {last_lead_out})")
        if stored + lead_out.plba - first > holds:
            raise ImageFormatError(path, lead_out.plba_line, f"session {session} ends at sector "
                                   f"{stored + lead_out.plba - first} of {img_name}, beyond its end ({holds} sectors)")
        for i, entry in enumerate(mine):
            end = mine[i + 1].plba if i + 1 < len(mine) else lead_out.plba
            pregap = entry.plba - indexes[i][0].lba
            if i == 0:
                pregap = pregap + SESSION_PREGAP if session == 1 else max(pregap, SESSION_PREGAP)
            plans.append((entry, end, indexes[i], (stored + entry.plba - first) * RAW_SECTOR, pregap))
        stored += lead_out.plba - first
        last_lead_out = lead_out.plba
    if scrambled:
        # every data track's stored sectors, its stored pregap included (ECMA-130 Annex B)
        source = DescrambledSource(source, [(offset - (e.plba - ix[0].lba) * RAW_SECTOR,
                                             offset + (end - e.plba) * RAW_SECTOR)
                                            for e, end, ix, offset, _ in plans if e.control & CONTROL_DATA])
    tracks = []
    for entry, end, indexes, offset, pregap in plans:
        info = sections.get(f"track {entry.point}")
        if entry.control & CONTROL_DATA:
            kind, mode = TrackKind.DATA, _data_mode(path, info, entry, source, img_name, offset)
        else:
            kind, mode = TrackKind.AUDIO, TrackMode.AUDIO
        tracks.append(Track(
            number=entry.point, session=entry.session, kind=kind, mode=mode, start=entry.plba,
            sectors=end - entry.plba, source=source, offset=offset, sector_size=RAW_SECTOR,
            pregap=pregap, indexes=indexes, pregap_stored=entry.plba - indexes[0].lba,
            file_name=img_name, file_type="BINARY",
            flags=(("DCP",) if entry.control & 0x02 else ()) + (("4CH",) if entry.control & 0x08 else ())
            + (("PRE",) if entry.control & 0x01 and kind is TrackKind.AUDIO else ()),
        ))
    return tracks, source


def _indexes(path: str, info: _Section | None, entry: _Entry, session: int, first: bool) -> tuple[Index, ...]:
    """INDEX n=lba of [TRACK n] as disc LBAs, checked to rise. In session 1 they are disc LBAs and
    INDEX 1 must be the entry's PLBA; in later sessions they count from the session's start, so
    they are moved to put INDEX 1 at PLBA, and the session's first track stores its pregap from
    the session's start (an INDEX 0 at 0 unless one is given)."""
    if info is None:
        return (Index(1, entry.plba),)
    found = []
    for key, (text, line) in info.values.items():
        m = _INDEX.fullmatch(key)
        if m:
            value, _ = _number(path, info, key)
            found.append((int(m.group(1)), value, line))
    found.sort()
    if not found:
        return (Index(1, entry.plba),)
    one = next((lba for n, lba, _ in found if n == 1), None)
    if one is None:
        shift = 0 if session == 1 else None
    else:
        shift = entry.plba - one
        if session == 1 and shift:
            line = next(ln for n, _, ln in found if n == 1)
            raise ImageFormatError(path, line, f"[{info.name}] INDEX 1={one} but its TOC entry says PLBA={entry.plba}")
    for (_, a, _), (n, b, line) in zip(found, found[1:]):
        if b <= a:
            raise ImageFormatError(path, line, f"[{info.name}] INDEX {n}={b} is not after the index before it ({a})")
    if shift is None:                      # a later session without INDEX 1: nothing to place the rest by
        return (Index(1, entry.plba),)
    if session > 1 and first and found[0][0] == 1 and one > 0 and shift:
        # INDEX 1 counted from the session's start: the sectors before it are the stored pregap
        # (an INDEX 1 equal to PLBA is a disc LBA, as some writers give it: nothing stored before)
        found.insert(0, (0, 0, info.line))
    if one is None:
        found.append((1, entry.plba, info.line))
        found.sort()
    out = tuple(Index(n, lba + shift) for n, lba, _ in found)
    if out[0].lba < 0:
        raise ImageFormatError(path, found[0][2], f"[{info.name}] INDEX {found[0][0]}={found[0][1]} puts the track "
                                                  f"before the start of the disc")
    return out


def _data_mode(path: str, info: _Section | None, entry: _Entry, source: ByteSource, img_name: str,
               offset: int) -> TrackMode:
    if info is not None and "mode" in info.values:
        value, line = _number(path, info, "mode")
        if value in _MODES:
            return _MODES[value]
        if value != 0:
            raise ImageFormatError(path, line, f"[{info.name}] MODE={value}: expected 0, 1 or 2")
    head = source.pread(offset, MODE_BYTE + 1)
    if len(head) == MODE_BYTE + 1 and head[:len(SYNC)] == SYNC and head[MODE_BYTE] in _MODES:
        return _MODES[head[MODE_BYTE]]
    raise ImageFormatError(path, entry.line, f"data track {entry.point:02d}: sector {offset // RAW_SECTOR} of "
                                             f"{img_name} has no sync pattern and mode byte 1 or 2")


def _cdtext(path: str, sections: dict[str, _Section]) -> cdtext_packs.CdText:
    """[CDText] Entries=n, Entry i=hex bytes: the packs, decoded; damage is logged, not fatal."""
    section = sections.get("cdtext")
    if section is None:
        return cdtext_packs.CdText()
    where = f"{path}:{section.line}"
    packs = []
    for key, (text, line) in section.values.items():
        m = _ENTRY.fullmatch(key)
        if not m:
            continue
        try:
            data = bytes(int(byte, 16) for byte in text.split())
        except ValueError:
            data = b""
        if len(data) not in (16, 18) or int(m.group(1)) >= MAX_CDTEXT_ENTRIES:
            log.warning("%s:%d: [CDText] %s is not a 16-byte pack in hex; ignored", path, line, key)
            continue
        packs.append((int(m.group(1)), data))
    packs.sort()
    with_crc = bool(packs) and all(len(d) == 18 for _, d in packs)
    return cdtext_packs.decode(b"".join(d[:18 if with_crc else 16] for _, d in packs), where, crc=with_crc)
