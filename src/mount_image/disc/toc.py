"""cdrdao TOC files: parse_toc(path) builds a Disc from the text and the sizes of its files.

The grammar is cdrdao's (README of cdrdao 1.2, "TOC file format"): an optional CATALOG and disc
type (CD_DA, CD_ROM, CD_ROM_XA, CD_I), an optional disc CD_TEXT block, then TRACK entries::

    TRACK <mode> [RW | RW_RAW]
    [NO] COPY | [NO] PRE_EMPHASIS | TWO_CHANNEL_AUDIO | FOUR_CHANNEL_AUDIO | ISRC "..." | CD_TEXT {..}
    [PREGAP msf]
    { FILE|AUDIOFILE "name" [#offset] start [length] | DATAFILE "name" [#offset] [length]
      | SILENCE length | ZERO [mode] [RW|RW_RAW] length | START [msf] | INDEX msf }

Unlike a cue sheet, positions are cdrdao's: each track's data is the concatenation of its items
(file ranges and SILENCE/ZERO sectors that are in no file), tracks follow each other on the disc
(track 1 at LBA 0), ``START`` marks INDEX 01 inside the track (what comes before is the pregap),
``PREGAP x`` is ``ZERO x`` + ``START``, and ``INDEX`` positions count from INDEX 01. A time is
``mm:ss:ff`` (sectors of the track's stored size) or a plain number: samples (4 bytes) for audio
FILE items, bytes otherwise. A length of 0 or no length means "to the end of the file".

A TOC file describes one session: cdrdao has no session statement (it writes a later session
from a toc file of its own, ``cdrdao write --multi``), so every track here is in session 1 from
LBA 0, and a ``SESSION`` statement is refused as such rather than as an unknown word.

Files are looked up as cue.py does: in the toc's folder, as written then ignoring case; a name
that is absolute or leaves the folder is looked up by its base name there, else refused. No
track data is read; every range is checked against its file's size.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field

from ..errors import ImageFormatError
from ..io.source import ByteSource, FileSource
from .cdtext import LANGUAGES
from .descriptor import find_in_folder, read_descriptor_text
from .model import Disc, Index, Session, Track, TrackKind, TrackMode
from .msf import Msf

MAX_TOC_BYTES = 1 << 20
MAX_ITEMS = 10_000               # FILE/ZERO/INDEX items over the whole file
MAX_CDTEXT_DEPTH = 8

# cdrdao mode -> (TrackMode, kind, stored sector size). The model has no member for Mode 2 Form 1
# stored as 2048 bytes (MODE1_2048 holds the same user data at 0), Form 2 stored as 2324 bytes
# (no block layout: mounting it is refused as unsupported) or Form-mix (MODE2_2336 layout:
# subheader, then user data at 8); the cdrdao spelling is kept in the track's remarks.
TOC_MODES: dict[str, tuple[TrackMode, TrackKind, int]] = {
    "AUDIO": (TrackMode.AUDIO, TrackKind.AUDIO, 2352),
    "MODE1": (TrackMode.MODE1_2048, TrackKind.DATA, 2048),
    "MODE1_RAW": (TrackMode.MODE1_2352, TrackKind.DATA, 2352),
    "MODE2": (TrackMode.MODE2_2336, TrackKind.DATA, 2336),
    "MODE2_FORM1": (TrackMode.MODE1_2048, TrackKind.DATA, 2048),
    "MODE2_FORM2": (TrackMode.MODE2_2336, TrackKind.DATA, 2324),
    "MODE2_FORM_MIX": (TrackMode.MODE2_2336, TrackKind.DATA, 2336),
    "MODE2_RAW": (TrackMode.MODE2_2352, TrackKind.DATA, 2352),
}
SUBCHANNEL_MODES = {"RW": 96, "RW_RAW": 96}
DISC_TYPES = {"CD_DA", "CD_ROM", "CD_ROM_XA", "CD_I"}
SAMPLE_BYTES = 4                 # one 16-bit stereo sample
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|([{}])|([^\s{}"]+)|(")')
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class _Tok:
    text: str
    line: int
    quoted: bool = False


@dataclass(slots=True)
class _Piece:
    """``sectors`` sectors of a track: from ``path`` at byte ``offset``, or zeros (path None)."""

    sectors: int
    path: str | None = None
    offset: int = 0


@dataclass(slots=True)
class _Track:
    number: int
    mode: str
    line: int
    subchannel: int = 0
    pieces: list[_Piece] = field(default_factory=list)
    start: int | None = None          # sectors from the track start to INDEX 01
    indexes: list[int] = field(default_factory=list)   # sectors after INDEX 01
    isrc: str | None = None
    flags: set[str] = field(default_factory=set)
    cdtext: list[tuple[str, str]] = field(default_factory=list)

    @property
    def sector_size(self) -> int:
        return TOC_MODES[self.mode][2] + self.subchannel

    @property
    def length(self) -> int:
        return sum(p.sectors for p in self.pieces)


class _ZeroSource:
    """A ByteSource of ``size`` zero bytes: SILENCE/ZERO sectors, which no file holds."""

    def __init__(self, name: str, size: int) -> None:
        self.name, self.size = name, size

    def pread(self, offset: int, size: int) -> bytes:
        if offset < 0 or size < 0:
            raise ValueError(f"bad read at {offset} of {size} bytes")
        return bytes(max(0, min(size, self.size - offset)))

    def close(self) -> None:
        pass


class _PieceSource:
    """A track's pieces (file ranges and zeros) seen as one ByteSource; one pread per piece."""

    def __init__(self, name: str, parts: list[tuple[int, ByteSource | None, int]]) -> None:
        self.name = name
        self._parts = parts                     # (length in bytes, source or None, offset)
        self.size = sum(p[0] for p in parts)

    def pread(self, offset: int, size: int) -> bytes:
        if offset < 0 or size < 0:
            raise ValueError(f"bad read at {offset} of {size} bytes")
        out, base, end = [], 0, min(self.size, offset + size)
        for length, source, start in self._parts:
            lo, hi = max(offset, base), min(end, base + length)
            if lo < hi:
                if source is None:
                    out.append(bytes(hi - lo))
                else:
                    out.append(source.pread(start + lo - base, hi - lo))
            base += length
        return b"".join(out)

    def close(self) -> None:
        pass  # the file sources are closed by the Disc


def parse_toc(path: str) -> Disc:
    """Read the TOC at ``path`` and the sizes of its files; ImageFormatError with the line."""
    parser = _Parser(path, _read_text(path))
    tracks = parser.parse()
    try:
        built = _build(path, parser, tracks)
    except BaseException:
        for source in parser.sources.values():
            source.close()
        raise
    return Disc(path=path, container="toc", sessions=(Session(1, tuple(built)),),
                sources=tuple(parser.sources.values()), catalog=parser.catalog,
                cdtext=tuple(parser.cdtext),
                remarks=(f"disc type {parser.disc_type}",) if parser.disc_type else ())


def _read_text(path: str) -> str:
    return read_descriptor_text(path, MAX_TOC_BYTES, "cdrdao TOC file", "latin-1")


def _tokens(path: str, text: str) -> list[_Tok]:
    out: list[_Tok] = []
    for number, raw in enumerate(text.splitlines(), 1):
        for m in _TOKEN.finditer(raw):
            if m.group(4) is not None:
                raise ImageFormatError(path, number, "unclosed quote")
            if m.group(3) is not None and m.group(3).startswith("//"):
                break                            # a comment runs to the end of the line
            if m.group(3) is not None and "//" in m.group(3):
                word = m.group(3).split("//", 1)[0]
                if word:
                    out.append(_Tok(word, number))
                break
            if m.group(1) is not None:
                out.append(_Tok(m.group(1).replace('\\"', '"'), number, True))
            else:
                out.append(_Tok(m.group(2) or m.group(3), number))
    return out


class _Parser:
    """Tokens to tracks: every statement checked, every error naming its line."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.folder = os.path.dirname(path)
        self.toks = _tokens(path, text)
        self.pos = 0
        self.catalog: str | None = None
        self.disc_type: str | None = None
        self.cdtext: list[tuple[str, str]] = []
        self.languages: dict[int, str] = {}    # LANGUAGE_MAP: block number -> language name
        self.sources: dict[str, FileSource] = {}
        self.items = 0

    # ---- token helpers -----------------------------------------------------------------------

    def fail(self, msg: str, line: int | None = None) -> ImageFormatError:
        if line is None:
            line = self.toks[min(self.pos, len(self.toks) - 1)].line if self.toks else None
        return ImageFormatError(self.path, line, msg)

    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def next(self, what: str) -> _Tok:
        tok = self.peek()
        if tok is None:
            last = self.toks[-1].line if self.toks else None
            raise self.fail(f"end of file where {what} was expected", last)
        self.pos += 1
        return tok

    def word(self, *choices: str) -> bool:
        tok = self.peek()
        if tok is not None and not tok.quoted and tok.text.upper() in choices:
            self.pos += 1
            return True
        return False

    def string(self, command: str) -> str:
        tok = self.next(f'{command} "..."')
        if not tok.quoted:
            raise self.fail(f'{command} needs a quoted string, got {tok.text}', tok.line)
        return tok.text

    def msf(self, command: str) -> Msf:
        tok = self.next(f"{command} time")
        try:
            return Msf.parse(tok.text)
        except ValueError as exc:
            raise self.fail(f"{command}: bad time {tok.text}: {exc}", tok.line) from None

    def is_time(self) -> bool:
        tok = self.peek()
        return tok is not None and not tok.quoted and (":" in tok.text or tok.text.isdigit())

    def count_item(self) -> None:
        self.items += 1
        if self.items > MAX_ITEMS:
            raise self.fail(f"more than {MAX_ITEMS} items")

    # ---- grammar -----------------------------------------------------------------------------

    def unknown(self, tok: _Tok) -> ImageFormatError:
        if not tok.quoted and tok.text.upper() == "SESSION":
            return self.fail("SESSION: a cdrdao TOC file describes one session (a multi-session disc "
                             "has one TOC file per session)", tok.line)
        return self.fail(f'unknown statement "{tok.text}"', tok.line)

    def parse(self) -> list[_Track]:
        tracks: list[_Track] = []
        while (tok := self.peek()) is not None:
            if self.word("TRACK"):
                tracks.append(self.track(len(tracks) + 1, tok.line))
            elif tracks:
                raise self.unknown(tok)
            elif self.word("CATALOG"):
                self.do_catalog(tok.line)
            elif self.word(*DISC_TYPES):
                if self.disc_type is not None:
                    raise self.fail("second disc type", tok.line)
                self.disc_type = tok.text.upper()
            elif self.word("CD_TEXT"):
                self.cdtext_block(self.cdtext)
            else:
                raise self.unknown(tok)
        if not tracks:
            raise ImageFormatError(self.path, None, "no TRACK in the TOC file")
        return tracks

    def do_catalog(self, line: int) -> None:
        tok = self.peek()
        if tok is None or tok.line != line or (not tok.quoted and tok.text.upper() in
                                               {"TRACK", "CD_DA", "CD_ROM", "CD_ROM_XA", "CD_TEXT"}):
            raise self.fail("CATALOG needs a 13-digit media catalog number", line)
        self.pos += 1
        value = tok.text
        if len(value) != 13 or not value.isascii() or not value.isdigit():
            raise self.fail(f'CATALOG "{value}" is not 13 digits', line)
        if self.catalog is not None:
            raise self.fail("second CATALOG", line)
        self.catalog = value

    def track(self, number: int, line: int) -> _Track:
        if number > 99:
            raise self.fail("more than 99 tracks", line)
        mode_tok = self.next("a track mode")
        mode = mode_tok.text.upper()
        if mode_tok.quoted or mode not in TOC_MODES:
            raise self.fail(f'unknown track mode "{mode_tok.text}"', mode_tok.line)
        track = _Track(number, mode, line)
        tok = self.peek()
        if tok is not None and tok.line == mode_tok.line and self.word(*SUBCHANNEL_MODES):
            track.subchannel = SUBCHANNEL_MODES[tok.text.upper()]
        while (tok := self.peek()) is not None and not (not tok.quoted and tok.text.upper() == "TRACK"):
            self.pos += 1
            keyword = tok.text.upper() if not tok.quoted else ""
            handler = getattr(self, "do_" + keyword.lower(), None) if keyword.replace("_", "").isalpha() else None
            if keyword == "NO":
                what = self.next("COPY or PRE_EMPHASIS")
                if what.text.upper() not in ("COPY", "PRE_EMPHASIS"):
                    raise self.fail(f'NO {what.text}: expected NO COPY or NO PRE_EMPHASIS', what.line)
                track.flags.discard({"COPY": "DCP", "PRE_EMPHASIS": "PRE"}[what.text.upper()])
            elif keyword in ("COPY", "PRE_EMPHASIS", "FOUR_CHANNEL_AUDIO"):
                track.flags.add({"COPY": "DCP", "PRE_EMPHASIS": "PRE", "FOUR_CHANNEL_AUDIO": "4CH"}[keyword])
            elif keyword == "TWO_CHANNEL_AUDIO":
                track.flags.discard("4CH")
            elif keyword == "CD_TEXT":
                self.cdtext_block(track.cdtext)
            elif handler is not None and keyword not in ("CATALOG",):
                handler(track, tok.line)
            else:
                raise self.unknown(tok)
        if not track.pieces:
            raise self.fail(f"TRACK {number:02d} has no data (FILE, DATAFILE, SILENCE or ZERO)", line)
        if track.start is not None and track.start >= track.length:
            raise self.fail(f"TRACK {number:02d}: START at sector {track.start} is not inside the "
                            f"track's {track.length} sectors", line)
        after = track.length - (track.start or 0)
        for position in track.indexes:
            if position >= after:
                raise self.fail(f"TRACK {number:02d}: INDEX at sector {position} is past the track's end", line)
        return track

    def do_isrc(self, track: _Track, line: int) -> None:
        value = self.string("ISRC")
        if not re.fullmatch(r"[A-Za-z0-9]{5}\d{7}", value):
            raise self.fail(f'ISRC "{value}" is not 5 letters or digits and 7 digits', line)
        track.isrc = value.upper()

    def do_pregap(self, track: _Track, line: int) -> None:
        if track.pieces or track.start is not None:
            raise self.fail("PREGAP must come before the track's data and START", line)
        length = self.msf("PREGAP").frames
        self.count_item()
        track.pieces.append(_Piece(length))
        track.start = length

    def do_start(self, track: _Track, line: int) -> None:
        if track.start is not None:
            raise self.fail("second START or PREGAP in one track", line)
        tok = self.peek()
        if tok is not None and tok.line == line and ":" in tok.text and not tok.quoted:
            position = self.msf("START").frames
            if position > track.length:
                raise self.fail(f"START {Msf.from_frames(position)} is after the data so far "
                                f"({track.length} sectors)", line)
            track.start = position
        else:
            track.start = track.length

    def do_index(self, track: _Track, line: int) -> None:
        position = self.msf("INDEX").frames
        if position == 0 or (track.indexes and position <= track.indexes[-1]):
            raise self.fail(f"INDEX {Msf.from_frames(position)} is not after the previous index", line)
        if len(track.indexes) >= 98:
            raise self.fail("more than 99 indexes", line)
        self.count_item()
        track.indexes.append(position)

    def do_silence(self, track: _Track, line: int) -> None:
        self.zero_length(track, "SILENCE", line)

    def do_zero(self, track: _Track, line: int) -> None:
        tok = self.peek()
        if tok is not None and not tok.quoted and tok.text.upper() in TOC_MODES:
            self.pos += 1
        if self.word(*SUBCHANNEL_MODES):
            pass
        self.zero_length(track, "ZERO", line)

    def zero_length(self, track: _Track, command: str, line: int) -> None:
        length = self.length(track, command, audio_samples=track.mode == "AUDIO")
        if length == 0:
            raise self.fail(f"{command} of length 0", line)
        self.count_item()
        track.pieces.append(_Piece(length))

    def do_file(self, track: _Track, line: int) -> None:
        self.file_item(track, "FILE", line, needs_start=True)

    def do_audiofile(self, track: _Track, line: int) -> None:
        self.file_item(track, "AUDIOFILE", line, needs_start=True)

    def do_datafile(self, track: _Track, line: int) -> None:
        self.file_item(track, "DATAFILE", line, needs_start=False)

    def file_item(self, track: _Track, command: str, line: int, needs_start: bool) -> None:
        name = self.string(command)
        found = self.resolve(name, line, command)
        source = self.sources.get(found)
        if source is None:
            source = self.sources[found] = FileSource(found)
        size = track.sector_size
        samples = track.mode == "AUDIO" and command != "DATAFILE"
        offset = 0
        tok = self.peek()
        if tok is not None and not tok.quoted and tok.text.startswith("#"):
            self.pos += 1
            if not _NUMBER.fullmatch(tok.text[1:]):
                raise self.fail(f'{command}: bad byte offset "{tok.text}"', tok.line)
            offset = int(tok.text[1:])
        if needs_start:
            if not self.is_time():
                raise self.fail(f'{command} "{name}" needs a start time', line)
            offset += self.length(track, command, samples, sectors=False)
        length = self.length(track, command, samples) if self.is_time() and self.peek().line == line else 0
        if offset > source.size:
            raise self.fail(f'{command} "{name}": start at byte {offset} is past the end of the file '
                            f"({source.size} bytes)", line)
        if length == 0:
            length = (source.size - offset) // size
            if length == 0:
                raise self.fail(f'{command} "{name}": no whole {size}-byte sector after byte {offset}', line)
        elif offset + length * size > source.size:
            raise self.fail(f'{command} "{name}": {length} sectors of {size} bytes from byte {offset} '
                            f"run past the end of the file ({source.size} bytes)", line)
        self.count_item()
        track.pieces.append(_Piece(length, found, offset))

    def length(self, track: _Track, command: str, audio_samples: bool, sectors: bool = True) -> int:
        """A time as sectors (or, with ``sectors=False``, bytes): MSF, or a plain number of
        samples (audio FILE) or bytes."""
        tok = self.next(f"{command} time")
        size = track.sector_size
        if ":" in tok.text:
            frames = self.msf_from(tok, command).frames
            return frames if sectors else frames * size
        if not _NUMBER.fullmatch(tok.text):
            raise self.fail(f"{command}: bad time {tok.text} (mm:ss:ff or a number)", tok.line)
        count = int(tok.text) * (SAMPLE_BYTES if audio_samples else 1)
        if not sectors:
            return count
        if count % size and not audio_samples:
            raise self.fail(f"{command}: length of {count} bytes is not a whole number of "
                            f"{size}-byte sectors", tok.line)
        return count // size

    def msf_from(self, tok: _Tok, command: str) -> Msf:
        try:
            return Msf.parse(tok.text)
        except ValueError as exc:
            raise self.fail(f"{command}: bad time {tok.text}: {exc}", tok.line) from None

    def cdtext_block(self, out: list[tuple[str, str]], depth: int = 0, prefix: str = "") -> None:
        """``{ LANGUAGE n { KEY "value" ... } ... }``: string items kept, binary items skipped.

        LANGUAGE 0's items are kept as they are; a further language's get its name before the
        key (``de.TITLE``), as disc/cdtext.py names CD-TEXT blocks, from the LANGUAGE_MAP."""
        if depth > MAX_CDTEXT_DEPTH:
            raise self.fail("CD_TEXT blocks nested too deep")
        opening = self.next("{")
        if opening.text != "{" or opening.quoted:
            raise self.fail(f'CD_TEXT: expected "{{", got {opening.text}', opening.line)
        while True:
            tok = self.next('"}" closing CD_TEXT')
            if tok.text == "}" and not tok.quoted:
                return
            if tok.text == "{" and not tok.quoted:
                self.pos -= 1
                self.cdtext_block([], depth + 1)   # binary data or LANGUAGE_MAP contents
                continue
            following = self.peek()
            word = tok.text.upper()
            if not tok.quoted and following is not None and following.quoted:
                self.pos += 1
                out.append((prefix + word, following.text))
            elif word == "LANGUAGE_MAP" and following is not None and following.text == "{":
                self.language_map(depth + 1)
            elif (word == "LANGUAGE" and not tok.quoted and following is not None
                  and _NUMBER.fullmatch(following.text)):
                self.pos += 1
                block = int(following.text)
                name = self.languages.get(block, f"block{block}")
                self.cdtext_block(out, depth + 1, "" if block == 0 else f"{name}.")
            elif not tok.quoted and following is not None and following.text == "{" and not following.quoted:
                self.cdtext_block(out, depth + 1, prefix)

    def language_map(self, depth: int) -> None:
        """``LANGUAGE_MAP { 0 : EN 1 : 8 }``: each block's language, a code (EBU, as in the
        packs' size information) or cdrdao's EN."""
        items: list[str] = []
        self.cdtext_words(items, depth)
        for block, value in re.findall(r"(\d+)\s*:\s*(\w+)", " ".join(items)):
            code = int(value, 0) if value[0].isdigit() else None
            name = LANGUAGES.get(code) if code is not None else value.lower()
            self.languages[int(block)] = name or f"block{block}"

    def cdtext_words(self, out: list[str], depth: int) -> None:
        """The unquoted words of a ``{ ... }`` block, nested blocks included."""
        if depth > MAX_CDTEXT_DEPTH:
            raise self.fail("CD_TEXT blocks nested too deep")
        self.next("{")
        while True:
            tok = self.next('"}" closing LANGUAGE_MAP')
            if tok.text == "}" and not tok.quoted:
                return
            if tok.text == "{" and not tok.quoted:
                self.pos -= 1
                self.cdtext_words(out, depth + 1)
            else:
                out.append(tok.text)

    def resolve(self, name: str, line: int, command: str) -> str:
        """The named file in the toc's folder only (the rule of cue.py's FILE)."""
        cleaned = name.replace("\\", "/")
        absolute = cleaned.startswith("/") or re.match(r"[A-Za-z]:", cleaned) is not None
        relative = posixpath.normpath(cleaned) if cleaned else ""
        inside = bool(relative) and not absolute and relative != ".." and not relative.startswith("../")
        base = posixpath.basename(cleaned)
        candidates = [relative] if inside else ([base] if base else [])
        for candidate in candidates:
            found = find_in_folder(self.folder, candidate)
            if found is not None:
                return found
        if not inside:
            raise self.fail(f'{command} "{name}" not found (a name outside the TOC\'s folder is '
                            f'looked up as "{base}" next to the TOC)', line)
        raise self.fail(f'{command} "{name}" not found', line)


def _build(path: str, parser: _Parser, tracks: list[_Track]) -> list[Track]:
    """Disc LBAs and byte sources: track 1 at LBA 0, each next track right after."""
    out: list[Track] = []
    base = 0
    for t in tracks:
        mode, kind, _ = TOC_MODES[t.mode]
        size = t.sector_size
        pregap = t.start or 0
        start = base + pregap
        source, offset, pregap_stored = _track_source(path, parser, t, pregap)
        flags = tuple(f for f in ("DCP", "4CH", "PRE") if f in t.flags)
        out.append(Track(
            number=t.number, session=1, kind=kind, mode=mode, start=start,
            sectors=t.length - pregap, source=source, offset=offset, sector_size=size,
            pregap=pregap, subchannel=t.subchannel,
            indexes=((Index(0, base),) if pregap else ()) + (Index(1, start),)
            + tuple(Index(i + 2, start + p) for i, p in enumerate(t.indexes)),
            pregap_stored=pregap_stored,
            file_name=next((p.path for p in t.pieces if p.path), "") or "",
            isrc=t.isrc, flags=flags, cdtext=tuple(t.cdtext),
            remarks=(f"cdrdao mode {t.mode}",),
        ))
        base += t.length
    return out


def _track_source(path: str, parser: _Parser, t: _Track, pregap: int) -> tuple[ByteSource, int, int]:
    """(source, byte offset of INDEX 01, stored pregap sectors) for one track.

    A track whose sectors from INDEX 01 on are one range of one file reads that file directly;
    any other mix of files and zeros is read through a _PieceSource of the whole track.
    """
    size = t.sector_size
    # Split the pieces at INDEX 01.
    before: list[_Piece] = []
    after: list[_Piece] = []
    position = 0
    for p in t.pieces:
        if position + p.sectors <= pregap:
            before.append(p)
        elif position >= pregap:
            after.append(p)
        else:
            cut = pregap - position
            before.append(_Piece(cut, p.path, p.offset))
            after.append(_Piece(p.sectors - cut, p.path, p.offset + cut * size if p.path else 0))
        position += p.sectors
    if len(after) == 1 and after[0].path is not None:
        first = after[0]
        stored = 0
        for p in reversed(before):   # file sectors right before INDEX 01, contiguous with it
            if p.path != first.path or p.offset + p.sectors * size != first.offset - stored * size:
                break
            stored += p.sectors
        return parser.sources[first.path], first.offset, stored
    parts = [(p.sectors * size, parser.sources[p.path] if p.path else None, p.offset) for p in t.pieces]
    if all(p[1] is None for p in parts):
        return _ZeroSource(f"{path} track {t.number:02d} (silence)", sum(p[0] for p in parts)), \
            pregap * size, pregap
    return _PieceSource(f"{path} track {t.number:02d}", parts), pregap * size, pregap
