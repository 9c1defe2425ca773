"""CUE sheets (CDRWIN): parse_cue(path) builds a Disc from the sheet and the sizes of its files.

The grammar is CDRWIN's (FILE, TRACK, INDEX, PREGAP, POSTGAP, CATALOG, ISRC, FLAGS, CD-TEXT
fields, REM, CDTEXTFILE) with the extensions real sheets use: ``REM SESSION nn`` for
multi-session discs (redump, ImgBurn) and one FILE per track. INDEX times count sectors from the
start of their FILE; disc LBAs put the first FILE at LBA 0 and each further FILE right after the
previous one, plus PREGAP/POSTGAP silence, which is not stored.

Sessions: on a multi-session disc each session after the first begins after the previous one's
lead-out, its own lead-in and the 150-sector pregap of its first track, none of which an image
stores (Orange Book / ECMA-130 §20-22 lead-in and lead-out areas; MMC "first track of a session
starts 2 s after the lead-in"): 6750 + 4500 + 150 = 11400 sectors after session 1, 2250 + 4500
+ 150 = 6900 after later ones. DiscImageCreator (and redump, whose sheets come from it) writes
the lengths in a sheet of one FILE per track: ``REM LEAD-OUT mm:ss:ff`` (the previous session's
lead-out, before ``REM SESSION nn``), ``REM LEAD-IN`` and ``REM PREGAP`` after it; they replace
the defaults. In a sheet of one FILE for the whole disc it writes ``REM LEAD-OUT`` as the
position where session 1 ends instead, so there (the session starts inside the FILE of the one
before) the line is not a length and the defaults hold. The part of the pregap the sheet places
itself (a stored INDEX 00, a PREGAP command) is not added twice. The lines stay in the remarks.

A FILE name is looked up in the cue's folder only: as written, then ignoring case; a name that
is absolute or leaves the folder is looked up by its base name; a single-FILE sheet whose file is
missing falls back to ``<cue stem>.bin`` as libcdio does. Only WAVE headers are read, never
track data.

``CDTEXTFILE "x.cdt"`` names raw CD-TEXT packs (cdtext.py decodes them), found by the same rule
as FILE; its fields fill in what the sheet's own TITLE/PERFORMER/... lines do not give. A
missing or damaged .cdt is logged and ignored: it is metadata, the disc mounts without it.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
from dataclasses import dataclass, field

from ..binary import u16le, u32le
from ..errors import ImageFormatError
from ..io.source import ByteSource, FileSource
from . import cdtext as cdtext_packs
from .descriptor import find_in_folder, read_descriptor_text
from .model import Disc, Index, Session, Track, TrackKind, TrackMode, with_cdtext
from .msf import SESSION_LEAD_IN, SESSION_PREGAP, Msf, lead_out_after

log = logging.getLogger(__name__)

MAX_CUE_BYTES = 1 << 20          # a cue sheet of 99 tracks is a few KiB
MAX_CDT_BYTES = 8 * 256 * 18 + 4  # 8 blocks of 256 packs, plus a READ TOC header
MAX_WAVE_CHUNKS = 64             # RIFF chunks walked before the 'data' chunk
CD_AUDIO_FORMAT = (2, 44100, 16)  # channels, sample rate, bits per sample

# mode -> (TrackMode, kind, stored sector size, subchannel bytes)
_MODES: dict[str, tuple[TrackMode, TrackKind, int, int]] = {
    "AUDIO": (TrackMode.AUDIO, TrackKind.AUDIO, 2352, 0),
    "CDG": (TrackMode.CDG, TrackKind.AUDIO, 2448, 96),
    "MODE1/2048": (TrackMode.MODE1_2048, TrackKind.DATA, 2048, 0),
    "MODE1/2352": (TrackMode.MODE1_2352, TrackKind.DATA, 2352, 0),
    "MODE2/2336": (TrackMode.MODE2_2336, TrackKind.DATA, 2336, 0),
    "MODE2/2352": (TrackMode.MODE2_2352, TrackKind.DATA, 2352, 0),
    "CDI/2336": (TrackMode.CDI_2336, TrackKind.DATA, 2336, 0),
    "CDI/2352": (TrackMode.CDI_2352, TrackKind.DATA, 2352, 0),
}
_FILE_TYPES = {"BINARY", "MOTOROLA", "WAVE"}
_UNSUPPORTED_FILE_TYPES = {"AIFF", "MP3", "FLAC", "OGG", "APE", "WV"}
_FLAGS = {"DCP", "4CH", "PRE", "SCMS"}
_CDTEXT = {"TITLE", "PERFORMER", "SONGWRITER", "COMPOSER", "ARRANGER", "MESSAGE", "GENRE",
           "DISC_ID", "UPC_EAN"}
_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_NUMBER = re.compile(r"\d{1,2}")
_ISRC = re.compile(r"[A-Za-z0-9]{5}\d{7}")


@dataclass(slots=True)
class _Index:
    number: int
    frames: int          # sectors from the start of the FILE
    line: int


@dataclass(slots=True)
class _Track:
    number: int
    mode: str
    session: int
    line: int
    indexes: list[_Index] = field(default_factory=list)
    pregap: int = 0
    postgap: int = 0
    isrc: str | None = None
    flags: tuple[str, ...] = ()
    cdtext: list[tuple[str, str]] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)

    def frames_of(self, number: int) -> int:
        return next(i.frames for i in self.indexes if i.number == number)


@dataclass(slots=True)
class _File:
    name: str
    kind: str
    line: int
    tracks: list[_Track] = field(default_factory=list)


@dataclass(slots=True)
class _Gap:
    """What a sheet says of the unstored area before a session (None: not given, use defaults)."""

    lead_out: int | None = None     # of the session before
    lead_in: int | None = None
    pregap: int | None = None


@dataclass(slots=True)
class _Sheet:
    files: list[_File] = field(default_factory=list)
    catalog: str | None = None
    cdtext: list[tuple[str, str]] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    cdtextfile: _File | None = None
    gaps: dict[int, _Gap] = field(default_factory=dict)   # session number -> its REM lines


def parse_cue(path: str) -> Disc:
    """Read the cue sheet at ``path`` and the sizes of its files; ImageFormatError with the line."""
    sheet = _Parser(path).parse(_read_text(path))
    sources: dict[str, FileSource] = {}
    try:
        tracks = _place(path, sheet, sources)
    except BaseException:
        for source in sources.values():
            source.close()
        raise
    disc_text = tuple(sheet.cdtext)
    if sheet.cdtextfile is not None:
        packs = _cdtext_file(path, sheet.cdtextfile)
        disc_text = _merge(disc_text, packs.disc)
        tracks = [with_cdtext(t, _merge(t.cdtext, packs.track(t.number))) for t in tracks]
    sessions = []
    for track in tracks:
        if sessions and sessions[-1][0] == track.session:
            sessions[-1][1].append(track)
        else:
            sessions.append((track.session, [track]))
    return Disc(
        path=path,
        container="cue",
        sessions=tuple(Session(number, tuple(ts)) for number, ts in sessions),
        sources=tuple(sources.values()),
        catalog=sheet.catalog,
        cdtext=disc_text,
        remarks=tuple(sheet.remarks),
    )


def _read_text(path: str) -> str:
    return read_descriptor_text(path, MAX_CUE_BYTES, "cue sheet", "cp1252")


class _Parser:
    """Text to _Sheet: every command checked, every error naming its line."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.sheet = _Sheet()
        self.track: _Track | None = None
        self.session = 1
        self.session_seen = False
        self.pending_lead_out: int | None = None
        self.line = 0

    def fail(self, msg: str, line: int | None = None) -> ImageFormatError:
        return ImageFormatError(self.path, self.line if line is None else line, msg)

    def parse(self, text: str) -> _Sheet:
        for self.line, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line:
                continue
            parts = line.split(None, 1)
            command, rest = parts[0], (parts[1] if len(parts) > 1 else "")
            handler = getattr(self, "do_" + command.lower(), None) if command.isalpha() else None
            if handler is None:
                if command.upper() in _CDTEXT:
                    self.cdtext(command.upper(), rest)
                    continue
                raise self.fail(f'unknown command "{command}"')
            handler(rest)
        self.end_track()
        if not any(f.tracks for f in self.sheet.files):
            raise ImageFormatError(self.path, None, "no TRACK in the cue sheet")
        last = self.sheet.files[-1]
        if not last.tracks:
            raise self.fail(f'FILE "{last.name}" has no TRACK', last.line)
        return self.sheet

    def tokens(self, rest: str, count: int, command: str) -> list[str]:
        if rest.count('"') % 2:
            raise self.fail(f"{command}: unclosed quote")
        found = [m.group(1) if m.group(1) is not None else m.group(2) for m in _TOKEN.finditer(rest)]
        if len(found) != count:
            raise self.fail(f"{command} takes {count} argument{'s' if count != 1 else ''}, got {len(found)}")
        return found

    def need_track(self, command: str) -> _Track:
        if self.track is None:
            raise self.fail(f"{command} before any TRACK")
        return self.track

    # ---- commands ------------------------------------------------------------------------------

    def do_rem(self, rest: str) -> None:
        words = rest.split()
        if words and words[0].upper() == "SESSION":
            if len(words) != 2 or not _NUMBER.fullmatch(words[1]) or int(words[1]) == 0:
                raise self.fail(f'REM SESSION needs a session number 1-99, got "{rest[7:].strip()}"')
            number = int(words[1])
            if number < self.session or (number == self.session and self.session_seen):
                raise self.fail(f"REM SESSION {number} after session {self.session}: sessions out of order")
            self.session, self.session_seen = number, True
            if self.pending_lead_out is not None:
                self.sheet.gaps.setdefault(number, _Gap()).lead_out = self.pending_lead_out
                self.pending_lead_out = None
            return
        if words and words[0].upper() in ("LEAD-OUT", "LEAD-IN", "PREGAP") and len(words) == 2:
            length = self.msf(words[1], f"REM {words[0].upper()}").frames
            kind = words[0].upper()
            if kind == "LEAD-OUT":    # written before the REM SESSION of the next session
                self.pending_lead_out = length
            elif kind == "LEAD-IN":
                self.sheet.gaps.setdefault(self.session, _Gap()).lead_in = length
            else:
                self.sheet.gaps.setdefault(self.session, _Gap()).pregap = length
        (self.track.remarks if self.track else self.sheet.remarks).append(rest)

    def do_file(self, rest: str) -> None:
        if rest.startswith('"'):
            end = rest.find('"', 1)
            if end < 0:
                raise self.fail("FILE: unclosed quote")
            name, kind = rest[1:end], rest[end + 1:].strip()
        else:  # unquoted, possibly with spaces: the type is the last word
            name, _, kind = rest.rpartition(" ")
            name = name.strip()
        if not name or not kind or " " in kind:
            raise self.fail('FILE needs a name and a type: FILE "name.bin" BINARY')
        kind = kind.upper()
        if kind in _UNSUPPORTED_FILE_TYPES:
            raise self.fail(f"FILE type {kind} is not supported")
        if kind not in _FILE_TYPES:
            raise self.fail(f'unknown FILE type "{kind}" (BINARY, MOTOROLA or WAVE)')
        if self.sheet.files and not self.sheet.files[-1].tracks:
            previous = self.sheet.files[-1]
            raise self.fail(f'FILE "{previous.name}" has no TRACK', previous.line)
        self.end_track()
        self.track = None
        self.sheet.files.append(_File(name, kind, self.line))

    def do_track(self, rest: str) -> None:
        number_text, mode = self.tokens(rest, 2, "TRACK")
        if not self.sheet.files:
            raise self.fail("TRACK before any FILE")
        if not _NUMBER.fullmatch(number_text) or not 1 <= int(number_text) <= 99:
            raise self.fail(f'bad track number "{number_text}" (1-99)')
        number = int(number_text)
        mode = mode.upper()
        if mode not in _MODES:
            raise self.fail(f'unknown track mode "{mode}"')
        file = self.sheet.files[-1]
        if file.kind != "BINARY" and _MODES[mode][1] is not TrackKind.AUDIO:
            raise self.fail(f"TRACK {number:02d} {mode} in a {file.kind} file: only audio tracks can be")
        previous = self.end_track()
        if previous is not None and number != previous.number + 1:
            raise self.fail(f"TRACK {number:02d} after TRACK {previous.number:02d}: track numbers out of order")
        self.track = _Track(number, mode, self.session, self.line)
        file.tracks.append(self.track)

    def end_track(self) -> _Track | None:
        """Check the track being closed; return the last track of the sheet so far."""
        track = self.track
        if track is not None and not any(i.number == 1 for i in track.indexes):
            raise self.fail(f"TRACK {track.number:02d} has no INDEX 01", track.line)
        tracks = [t for f in self.sheet.files for t in f.tracks]
        return tracks[-1] if tracks else None

    def do_index(self, rest: str) -> None:
        number_text, time = self.tokens(rest, 2, "INDEX")
        track = self.need_track("INDEX")
        if not _NUMBER.fullmatch(number_text):
            raise self.fail(f'bad index number "{number_text}" (0-99)')
        number = int(number_text)
        frames = self.msf(time, "INDEX").frames
        if track.indexes:
            last = track.indexes[-1]
            if number != last.number + 1:
                raise self.fail(f"INDEX {number:02d} after INDEX {last.number:02d}: index numbers out of order")
            if frames <= last.frames:
                raise self.fail(f"INDEX {number:02d} at {time} is not after INDEX {last.number:02d} "
                                f"at {Msf.from_frames(last.frames)}")
        else:
            if number > 1:
                raise self.fail(f"INDEX {number:02d} before INDEX 01")
            file = self.sheet.files[-1]
            if len(file.tracks) > 1:
                before = file.tracks[-2].indexes[-1]
                if frames <= before.frames:
                    raise self.fail(f"INDEX {number:02d} at {time} overlaps TRACK {file.tracks[-2].number:02d} "
                                    f"(its INDEX {before.number:02d} is at {Msf.from_frames(before.frames)})")
        track.indexes.append(_Index(number, frames, self.line))

    def do_pregap(self, rest: str) -> None:
        (time,) = self.tokens(rest, 1, "PREGAP")
        track = self.need_track("PREGAP")
        if track.indexes:
            raise self.fail("PREGAP after INDEX: it must come before the track's first INDEX")
        if track.pregap:
            raise self.fail("second PREGAP in one track")
        track.pregap = self.msf(time, "PREGAP").frames

    def do_postgap(self, rest: str) -> None:
        (time,) = self.tokens(rest, 1, "POSTGAP")
        track = self.need_track("POSTGAP")
        if not track.indexes:
            raise self.fail("POSTGAP before INDEX: it must come after the track's INDEX lines")
        if track.postgap:
            raise self.fail("second POSTGAP in one track")
        track.postgap = self.msf(time, "POSTGAP").frames

    def do_catalog(self, rest: str) -> None:
        if not rest:
            raise self.fail("CATALOG needs a 13-digit media catalog number")
        (value,) = self.tokens(rest, 1, "CATALOG")
        if len(value) != 13 or not value.isascii() or not value.isdigit():
            raise self.fail(f'CATALOG "{value}" is not 13 digits')
        if self.sheet.catalog is not None:
            raise self.fail("second CATALOG")
        self.sheet.catalog = value

    def do_isrc(self, rest: str) -> None:
        (value,) = self.tokens(rest, 1, "ISRC")
        track = self.need_track("ISRC")
        if not _ISRC.fullmatch(value) or not value.isascii():
            raise self.fail(f'ISRC "{value}" is not 5 letters or digits and 7 digits')
        track.isrc = value.upper()

    def do_flags(self, rest: str) -> None:
        track = self.need_track("FLAGS")
        flags = tuple(f.upper() for f in rest.split())
        bad = [f for f in flags if f not in _FLAGS]
        if bad:
            raise self.fail(f'unknown flag "{bad[0]}" (DCP, 4CH, PRE, SCMS)')
        track.flags = flags

    def do_cdtextfile(self, rest: str) -> None:
        (name,) = self.tokens(rest, 1, "CDTEXTFILE")
        if self.sheet.cdtextfile is not None:
            raise self.fail("second CDTEXTFILE")
        self.sheet.cdtextfile = _File(name, "CDTEXT", self.line)
        self.sheet.remarks.append(f'CDTEXTFILE "{name}"')

    def cdtext(self, key: str, rest: str) -> None:
        value = rest[1:-1] if len(rest) >= 2 and rest[0] == rest[-1] == '"' else rest
        (self.track.cdtext if self.track else self.sheet.cdtext).append((key, value))

    def msf(self, text: str, command: str) -> Msf:
        try:
            return Msf.parse(text)
        except ValueError as exc:
            raise self.fail(f"{command}: bad MSF {text}: {exc}") from None


# ---- files and disc addresses ----------------------------------------------------------------

def _place(path: str, sheet: _Sheet, sources: dict[str, FileSource]) -> list[Track]:
    """Tracks with disc LBAs, byte offsets and lengths, from the sheet and its files' sizes."""
    folder = os.path.dirname(path)
    single = len(sheet.files) == 1
    file_base = 0      # disc LBA of frame 0 of the current FILE, gaps not counted
    shift = 0          # PREGAP/POSTGAP and session gap sectors so far (not stored)
    out: list[Track] = []
    session = None
    for file in sheet.files:
        found = _resolve(path, folder, file, single)
        source = sources.get(found)
        if source is None:
            source = sources[found] = FileSource(found)
        data_offset, data_size = (_wave_data(path, file, source) if file.kind == "WAVE"
                                  else (0, source.size))
        data_end = data_offset + data_size
        # Byte offset of each track's first INDEX: sectors before it have the previous track's size.
        starts: list[int] = []
        for i, t in enumerate(file.tracks):
            size = _MODES[t.mode][2]
            if i == 0:
                starts.append(data_offset + t.indexes[0].frames * size)
            else:
                prev = file.tracks[i - 1]
                starts.append(starts[-1] + (t.indexes[0].frames - prev.indexes[0].frames) * _MODES[prev.mode][2])
        last, last_start = file.tracks[-1], starts[-1]
        last_size = _MODES[last.mode][2]
        holds = max(0, last.indexes[0].frames + (data_end - last_start) // last_size)
        expected = last.indexes[-1].frames + 1
        if holds < expected:
            raise ImageFormatError(found, None, f"{expected} sectors expected, file holds {holds}")
        for i, t in enumerate(file.tracks):
            mode, kind, size, subchannel = _MODES[t.mode]
            first = t.indexes[0].frames
            i01 = t.frames_of(1)
            unstored = 0       # the unstored pregap of a session's first track
            if session is not None and t.session != session:
                lead_out, lead_in, unstored = _session_gap(sheet.gaps.get(t.session), session,
                                                           t.pregap + i01 - first, whole=i > 0)
                shift += lead_out + lead_in + unstored
            session = t.session
            shift += t.pregap
            end = holds
            if i + 1 < len(file.tracks):
                after = file.tracks[i + 1]
                # a stored pregap is the end of the track before, except across sessions, where
                # the lead-out and lead-in lie between them
                end = after.frames_of(1) if after.session == t.session else after.indexes[0].frames
            out.append(Track(
                number=t.number,
                session=t.session,
                kind=kind,
                mode=mode,
                start=file_base + shift + i01,
                sectors=end - i01,
                source=source,
                offset=starts[i] + (i01 - first) * size,
                sector_size=size,
                pregap=unstored + t.pregap + i01 - first,
                subchannel=subchannel,
                indexes=tuple(Index(x.number, file_base + shift + x.frames) for x in t.indexes),
                pregap_stored=i01 - first,
                postgap=t.postgap,
                file_name=file.name,
                file_type=file.kind,
                isrc=t.isrc,
                flags=t.flags,
                cdtext=tuple(t.cdtext),
                remarks=tuple(t.remarks),
            ))
            shift += t.postgap
        file_base += holds
    return out


def _session_gap(gap: _Gap | None, previous: int, placed: int, whole: bool) -> tuple[int, int, int]:
    """(lead-out, lead-in, unstored pregap) before a session, from the sheet's REM lines or the
    Orange Book lengths; ``placed`` pregap sectors the sheet gives itself (INDEX 00, PREGAP);
    ``whole``: the session starts inside the FILE of the one before (REM LEAD-OUT is a position)."""
    gap = gap or _Gap()
    lead_out = lead_out_after(previous)
    if gap.lead_out is not None and not whole:
        lead_out = gap.lead_out
    lead_in = gap.lead_in if gap.lead_in is not None else SESSION_LEAD_IN
    pregap = gap.pregap if gap.pregap is not None else SESSION_PREGAP
    return lead_out, lead_in, max(0, pregap - placed)


def _cdtext_file(path: str, file: _File) -> cdtext_packs.CdText:
    """The CD-TEXT of a CDTEXTFILE, or nothing (with a log line) when it is missing or bad."""
    try:
        found = _resolve(path, os.path.dirname(path), file, single=False)
        source = FileSource(found)
    except ImageFormatError as exc:
        log.warning("%s:%d: CDTEXTFILE ignored: %s", path, file.line, exc)
        return cdtext_packs.CdText()
    try:
        if source.size > MAX_CDT_BYTES:
            log.warning("%s:%d: CDTEXTFILE \"%s\" of %d bytes is larger than any CD-TEXT (%d); ignored",
                        path, file.line, file.name, source.size, MAX_CDT_BYTES)
            return cdtext_packs.CdText()
        return cdtext_packs.decode(source.pread(0, source.size), found)
    finally:
        source.close()


def _merge(given: tuple[tuple[str, str], ...], packs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The sheet's own fields, then those of the packs whose keys the sheet does not give."""
    keys = {key for key, _ in given}
    return given + tuple((key, value) for key, value in packs if key not in keys)


def _resolve(path: str, folder: str, file: _File, single: bool) -> str:
    """The file a FILE line names, found in the cue's folder only (see the module docstring)."""
    name = file.name.replace("\\", "/")
    absolute = name.startswith("/") or re.match(r"[A-Za-z]:", name) is not None
    relative = posixpath.normpath(name) if name else ""
    inside = bool(relative) and not absolute and relative != ".." and not relative.startswith("../")
    candidates = [relative] if inside else []
    base = posixpath.basename(name)
    if not inside and base:
        candidates.append(base)
    if single:
        candidates.append(os.path.splitext(os.path.basename(path))[0] + ".bin")
    for candidate in candidates:
        found = find_in_folder(folder, candidate)
        if found is not None:
            return found
    if not inside:
        raise ImageFormatError(path, file.line, f'FILE "{file.name}" not found (a name outside the '
                               f'cue\'s folder is looked up as "{base}" next to the cue)')
    raise ImageFormatError(path, file.line, f'FILE "{file.name}" not found')


def _wave_data(path: str, file: _File, source: ByteSource) -> tuple[int, int]:
    """Offset and size of the PCM in a RIFF WAVE file (16-bit stereo 44.1 kHz only)."""
    def bad(msg: str) -> ImageFormatError:
        return ImageFormatError(path, file.line, f'FILE "{file.name}": {msg}')

    head = source.pread(0, 12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise bad("not a RIFF WAVE file")
    position, fmt = 12, None
    for _ in range(MAX_WAVE_CHUNKS):
        chunk = source.pread(position, 8)
        if len(chunk) < 8:
            break
        kind, size = chunk[:4], u32le(chunk, 4)
        if kind == b"fmt ":
            body = source.pread(position + 8, 16)
            if len(body) < 16:
                raise bad("fmt chunk cut short")
            fmt = (u16le(body, 0), u16le(body, 2), u32le(body, 4), u16le(body, 14))
        elif kind == b"data":
            if fmt is None:
                raise bad("data chunk before the fmt chunk")
            if fmt[0] not in (1, 0xFFFE) or fmt[1:] != CD_AUDIO_FORMAT:
                raise bad(f"not 16-bit stereo 44.1 kHz PCM (format {fmt[0]}, {fmt[1]} channels, "
                          f"{fmt[2]} Hz, {fmt[3]} bits)")
            start = position + 8
            return start, max(0, min(size, source.size - start))
        position += 8 + size + (size & 1)
    raise bad("no data chunk")
