"""Alcohol 120% images: parse_mds(path) builds a Disc from an .mds descriptor and its .mdf.

The MDS format has no published specification. The layouts below are reverse-engineered; the
source is libmirage's image-mds parser (CDEmu, ``libmirage/images/image-mds/image-mds.h`` and
``parser.c``, after Henrik Stokseth's 2005 notes), whose field names they keep. What it says:

- Header (88 bytes at 0): "MEDIA DESCRIPTOR", version 1.x, medium type (0-2 CD, 0x10-0x12 DVD),
  session count and the offset of the session blocks.
- Session block (24 bytes each): start/end sector, number, count of all track blocks and of the
  non-track ones (the A0/A1/A2 lead-in entries), first/last track, offset of its track blocks.
- Track block (80 bytes each): mode (low 3 bits: 1 audio, 2 Mode 1, 0/3/7 Mode 2, 4 Mode 2
  Form 1, 5 Mode 2 Form 2), subchannel (0 none, 8 interleaved P-W, then sector_size includes its
  96 bytes), ADR/Control, TNO, Point (1-99 a track), the MSF fields, the offset of an extra block,
  the stored sector size (2048, 2336, 2352, 2448), start sector (PLBA of INDEX 01), start offset in
  the .mdf, number of files and the offset of the footer blocks.
- Extra block (8 bytes, CD only): pregap and length in sectors. The pregap is not stored in the
  .mdf; the track's ``length`` sectors are, from ``start_offset``.
- Footer (16 bytes): offset of the file name (NUL-terminated, UTF-16LE when the widechar flag is
  set); ``*.mdf`` means ``<mds stem>.mdf``.

Multi-session: one session block per session, each with its own track blocks. start_sector is
the disc LBA (the lead-out, lead-in and pregap between sessions already counted: 11400 sectors
after session 1) and start_offset the byte in the .mdf, which holds the tracks' own sectors back
to back with no gap; both are used as they are. Alcohol keeps no CD-TEXT in a version 1 .mds
that libmirage knows of, so there is none to read here.

Refused with "not supported": MDS version 2 and MDX (encrypted or compressed descriptors used by
DAEMON Tools), tracks split over several .mdf files. A file name is looked up in the .mds's
folder only (its base name; as written, else ignoring case).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..binary import FixedStructure, make_struct
from ..errors import ImageFormatError
from ..io.source import FileSource
from .descriptor import find_in_folder, read_descriptor
from .model import Disc, Index, Session, Track, TrackKind, TrackMode

# ---- on-disk layouts (reverse-engineered; libmirage image-mds.h) ------------------------------

_HEADER = make_struct("<16s2BHH4xH8xI24xI12xII", 88, "MDS header")
_SESSION = make_struct("<iiHBBHH4xI", 24, "MDS session block")
_TRACK = make_struct("<12BIH18xIQII24x", 80, "MDS track block")
_EXTRA = make_struct("<II", 8, "MDS track extra block")
_FOOTER = make_struct("<II8x", 16, "MDS footer")


@dataclass(frozen=True, slots=True)
class MdsHeader(FixedStructure):
    """MDS header (reverse-engineered, libmirage image-mds.h MDS_Header), 88 bytes at offset 0."""

    _S = _HEADER
    SIZE = 88
    signature: bytes
    version_major: int
    version_minor: int
    medium_type: int
    num_sessions: int
    bca_len: int
    bca_data_offset: int
    disc_structures_offset: int
    sessions_blocks_offset: int
    dpm_blocks_offset: int


@dataclass(frozen=True, slots=True)
class MdsSessionBlock(FixedStructure):
    """MDS session block (reverse-engineered, libmirage image-mds.h MDS_SessionBlock), 24 bytes."""

    _S = _SESSION
    SIZE = 24
    session_start: int
    session_end: int
    session_number: int
    num_all_blocks: int
    num_nontrack_blocks: int
    first_track: int
    last_track: int
    tracks_blocks_offset: int


@dataclass(frozen=True, slots=True)
class MdsTrackBlock(FixedStructure):
    """MDS track block (reverse-engineered, libmirage image-mds.h MDS_TrackBlock), 80 bytes."""

    _S = _TRACK
    SIZE = 80
    mode: int
    subchannel: int
    adr_ctl: int
    tno: int
    point: int
    min: int
    sec: int
    frame: int
    zero: int
    pmin: int
    psec: int
    pframe: int
    extra_offset: int
    sector_size: int
    start_sector: int
    start_offset: int
    number_of_files: int
    footer_offset: int


@dataclass(frozen=True, slots=True)
class MdsExtraBlock(FixedStructure):
    """MDS track extra block (reverse-engineered, libmirage MDS_TrackExtraBlock), 8 bytes."""

    _S = _EXTRA
    SIZE = 8
    pregap: int
    length: int


@dataclass(frozen=True, slots=True)
class MdsFooter(FixedStructure):
    """MDS footer (reverse-engineered, libmirage image-mds.h MDS_Footer), 16 bytes."""

    _S = _FOOTER
    SIZE = 16
    filename_offset: int
    widechar_filename: int


# ---- parsing -----------------------------------------------------------------------------------

SIGNATURE = b"MEDIA DESCRIPTOR"
MAX_MDS_BYTES = 64 << 20         # descriptors are KiB; DPM data of protected discs a few MiB
MAX_SESSIONS = 99
MAX_BLOCKS = 255                  # num_all_blocks is one byte
MAX_NAME = 1024                   # bytes of a footer file name
MEDIUM_CD = (0x00, 0x01, 0x02)
MEDIUM_DVD = (0x10, 0x11, 0x12)
SUBCHANNEL_PW_INTERLEAVED = 0x08
SUBCHANNEL = 96
_DATA_MODES_2352 = {2: TrackMode.MODE1_2352, 0: TrackMode.MODE2_2352, 3: TrackMode.MODE2_2352,
                    4: TrackMode.MODE2_2352, 5: TrackMode.MODE2_2352, 7: TrackMode.MODE2_2352}


def parse_mds(path: str) -> Disc:
    """Read the .mds at ``path`` and the size of its .mdf; ImageFormatError with the hex offset."""
    data = _read(path)
    parser = _Parser(path, data)
    try:
        sessions = parser.parse()
    except BaseException:
        parser.close()
        raise
    return Disc(path=path, container="mds", sessions=sessions, sources=tuple(parser.sources.values()))


def _read(path: str) -> bytes:
    return read_descriptor(path, MAX_MDS_BYTES, ".mds")


class _Parser:
    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.data = data
        self.sources: dict[str, FileSource] = {}

    def close(self) -> None:
        for source in self.sources.values():
            source.close()

    def fail(self, offset: int, msg: str) -> ImageFormatError:
        return ImageFormatError(self.path, f"{offset:#x}", msg)

    def read(self, cls, offset: int, what: str, at: int):
        """``cls`` at ``offset``, after checking it lies inside the .mds (``at`` names the pointer)."""
        if offset < 0 or offset + cls.SIZE > len(self.data):
            raise self.fail(at, f"{what} at {offset:#x} lies past the end of the .mds ({len(self.data):#x} bytes)")
        return cls.parse(self.data, offset)

    def parse(self) -> tuple[Session, ...]:
        if len(self.data) < MdsHeader.SIZE or not self.data.startswith(SIGNATURE):
            raise self.fail(0, 'not an Alcohol 120% descriptor (no "MEDIA DESCRIPTOR" signature)')
        header: MdsHeader = MdsHeader.parse(self.data, 0)
        if header.version_major != 1:
            raise self.fail(0x10, f"MDS version {header.version_major}.{header.version_minor} (encrypted or "
                                  "MDX-style descriptor) is not supported")
        if header.medium_type not in MEDIUM_CD + MEDIUM_DVD:
            raise self.fail(0x12, f"medium type {header.medium_type:#x} is not a CD or DVD")
        if not 1 <= header.num_sessions <= MAX_SESSIONS:
            raise self.fail(0x14, f"{header.num_sessions} sessions: expected 1-{MAX_SESSIONS}")
        sessions = []
        last_end = None
        for i in range(header.num_sessions):
            at = header.sessions_blocks_offset + i * MdsSessionBlock.SIZE
            block = self.read(MdsSessionBlock, at, f"session block {i + 1}", 0x50 if i == 0 else at)
            tracks = self.session(header, block, at)
            if last_end is not None and tracks and tracks[0].start < last_end:
                raise self.fail(at, f"session {block.session_number} starts at sector {tracks[0].start}, "
                                    f"inside the session before it (ends at {last_end})")
            if tracks:
                last_end = tracks[-1].start + tracks[-1].sectors
                sessions.append(Session(block.session_number, tuple(tracks)))
        if not sessions:
            raise self.fail(header.sessions_blocks_offset, "no track in any session")
        return tuple(sessions)

    def session(self, header: MdsHeader, block: MdsSessionBlock, at: int) -> list[Track]:
        if block.num_nontrack_blocks > block.num_all_blocks:
            raise self.fail(at, f"session {block.session_number}: {block.num_nontrack_blocks} non-track blocks "
                                f"of {block.num_all_blocks} in all")
        tracks: list[Track] = []
        for j in range(min(block.num_all_blocks, MAX_BLOCKS)):
            offset = block.tracks_blocks_offset + j * MdsTrackBlock.SIZE
            entry = self.read(MdsTrackBlock, offset, f"track block {j}", at + 20 if j == 0 else offset)
            if not 1 <= entry.point <= 99:
                continue  # A0/A1/A2 lead-in entries
            track = self.track(header, block, entry, offset)
            last = tracks[-1] if tracks else None
            if last and (track.number != last.number + 1 or track.start < last.start + last.sectors):
                raise self.fail(offset, f"track {track.number:02d} at sector {track.start} does not follow track "
                                        f"{tracks[-1].number:02d} (sectors {tracks[-1].start}-"
                                        f"{tracks[-1].start + tracks[-1].sectors - 1})")
            tracks.append(track)
        return tracks

    def track(self, header: MdsHeader, session: MdsSessionBlock, entry: MdsTrackBlock, at: int) -> Track:
        number = entry.point
        kind, mode, size, subchannel = self.mode(entry, number, at)
        if entry.number_of_files == 0:
            raise self.fail(at + 48, f"track {number:02d}: no data file")
        if entry.number_of_files > 1:
            raise self.fail(at + 48, f"track {number:02d} split over {entry.number_of_files} .mdf files "
                                     "is not supported")
        source, name = self.file(entry, number, at)
        if entry.start_offset > source.size:
            raise self.fail(at + 40, f"track {number:02d} starts at byte {entry.start_offset:#x} of {name}, "
                                     f"past its end ({source.size:#x} bytes)")
        pregap = 0
        if header.medium_type in MEDIUM_CD:
            if entry.extra_offset == 0:
                raise self.fail(at + 12, f"track {number:02d}: no extra block (pregap and length)")
            extra = self.read(MdsExtraBlock, entry.extra_offset, f"track {number:02d} extra block", at + 12)
            pregap, length = extra.pregap, extra.length
            end = entry.start_offset + length * size
            if end > source.size:
                raise self.fail(at + 40, f"track {number:02d} ends at byte {end:#x} of {name}, past its end "
                                         f"({source.size:#x} bytes)")
        else:  # DVD: extra_offset holds the track length; the file's size is the truth
            length = (source.size - entry.start_offset) // size
        if not 0 <= entry.start_sector < 1 << 31 or pregap > entry.start_sector + 150:
            raise self.fail(at + 36, f"track {number:02d} start sector {entry.start_sector} with pregap {pregap}")
        indexes = ((Index(0, entry.start_sector - pregap),) if pregap else ()) + (Index(1, entry.start_sector),)
        return Track(
            number=number, session=session.session_number, kind=kind, mode=mode, start=entry.start_sector,
            sectors=length, source=source, offset=entry.start_offset, sector_size=size, pregap=pregap,
            subchannel=subchannel, indexes=indexes, file_name=os.path.basename(source.name), file_type="BINARY",
        )

    def mode(self, entry: MdsTrackBlock, number: int, at: int) -> tuple[TrackKind, TrackMode, int, int]:
        """Kind, stored mode, stored sector size and subchannel bytes of a track block."""
        code, size = entry.mode & 0x07, entry.sector_size
        subchannel = SUBCHANNEL if entry.subchannel == SUBCHANNEL_PW_INTERLEAVED or size == 2448 else 0
        if code == 6:
            raise self.fail(at, f"track {number:02d}: unknown track mode {entry.mode:#04x}")
        main = size - subchannel
        if code == 1:
            if main != 2352:
                raise self.fail(at + 16, f"audio track {number:02d} stored as {size}-byte sectors")
            return TrackKind.AUDIO, TrackMode.AUDIO, size, subchannel
        if main == 2352:
            return TrackKind.DATA, _DATA_MODES_2352[code], size, subchannel
        if main == 2048 and not subchannel:
            return TrackKind.DATA, TrackMode.MODE1_2048, size, 0
        if main == 2336 and not subchannel:
            return TrackKind.DATA, TrackMode.MODE2_2336, size, 0
        raise self.fail(at + 16, f"track {number:02d}: sector size {size} (expected 2048, 2336, 2352 or 2448)")

    def file(self, entry: MdsTrackBlock, number: int, at: int) -> tuple[FileSource, str]:
        footer = self.read(MdsFooter, entry.footer_offset, f"track {number:02d} footer", at + 52)
        name = self.name(footer, entry.footer_offset)
        if name.lower().startswith("*."):
            name = os.path.splitext(os.path.basename(self.path))[0] + name[1:]
        base = os.path.basename(name.replace("\\", "/"))
        if base.lower().endswith(".mdx"):
            raise self.fail(footer.filename_offset, f'"{base}": MDX (compressed) images are not supported')
        found = find_in_folder(os.path.dirname(self.path), base)
        if found is None:
            raise self.fail(footer.filename_offset, f'data file "{base}" not found next to the .mds')
        if found not in self.sources:
            self.sources[found] = FileSource(found)
        return self.sources[found], base

    def name(self, footer: MdsFooter, at: int) -> str:
        start = footer.filename_offset
        if not 0 < start < len(self.data):
            raise self.fail(at, f"file name at {start:#x} lies past the end of the .mds ({len(self.data):#x} bytes)")
        chunk = self.data[start:start + MAX_NAME]
        if footer.widechar_filename:
            end = next((i for i in range(0, len(chunk) - 1, 2) if chunk[i:i + 2] == b"\0\0"), None)
            raw, encoding = (chunk[:end] if end is not None else None), "utf-16-le"
        else:
            end = chunk.find(b"\0")
            raw, encoding = (chunk[:end] if end >= 0 else None), "latin-1"
        if not raw:
            raise self.fail(start, "file name is empty or not terminated")
        return raw.decode(encoding, errors="replace")
