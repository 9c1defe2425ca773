"""Nero NRG images: parse_nrg(path) builds a Disc from the chunk list behind the track data.

The format is undocumented; the layouts below are reverse-engineered and follow libmirage's
image-nrg parser (CDEmu) and libcdio's lib/driver/image/nrg.c/nrg.h. An NRG file is the track
data followed by a list of chunks (4-byte id, 4-byte big-endian size, body) and a footer naming
where that list starts: ``NER5`` + 8-byte offset in the last 12 bytes (version 2) or ``NERO`` +
4-byte offset in the last 8 (version 1). All integers are big-endian.

Chunks used: CUEX/CUES (index points), DAOX/DAOI (disc-at-once: per-track sector size, mode and
byte offsets), ETN2/ETNF (track-at-once: per-track offset, size, mode, start), SINF (tracks per
session), MTYP (media type), CDTX (CD-TEXT packs, decoded by cdtext.py into the disc's and
tracks' fields), END! (end of the list). The walk is
capped (MAX_CHUNKS) and every offset and size is checked against the file before use. Only the
chunk list is read, never track data.

Multi-session images hold one CUEX/CUES + DAOX/DAOI (or ETN2/ETNF) group and one SINF per
session (libmirage reads them session by session). CUEX addresses are disc LBAs and DAOX offsets
point into the file, where the sessions' stored sectors follow each other with no gap, so both
are taken as they are. A later session's first track that has no CUEX address (TAO images) is
placed after the unstored lead-out, lead-in and pregap: 11400 sectors after session 1, 6900 after
later ones, as libmirage lays out such sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..binary import bcd, make_struct
from ..errors import ImageFormatError
from ..io.source import ByteSource, FileSource
from . import cdtext as cdtext_packs
from .model import Disc, Index, Session, Track, TrackKind, TrackMode, with_cdtext
from .msf import SESSION_LEAD_IN, SESSION_PREGAP, lead_out_after

# ---- layouts (reverse-engineered: libmirage image-nrg, libcdio image/nrg.h) ------------------

FOOTER_V2 = make_struct(">4sQ", 12, "NRG v2 footer")
"""NRG v2 footer: "NER5" + 64-bit offset of the first chunk (libmirage image-nrg, libcdio nrg.c)."""

FOOTER_V1 = make_struct(">4sI", 8, "NRG v1 footer")
"""NRG v1 footer: "NERO" + 32-bit offset of the first chunk (libmirage image-nrg, libcdio nrg.c)."""

CHUNK_HEADER = make_struct(">4sI", 8, "NRG chunk header")
"""Chunk header: 4-byte id + 32-bit body size (libmirage image-nrg, libcdio nrg.h _chunk_t)."""

CUE_POINT = make_struct(">BBBBi", 8, "NRG CUEX entry")
"""CUEX entry: adr/ctrl, track (BCD, 0xAA lead-out), index (BCD), zero, signed LBA
(libmirage image-nrg NRG_CUE_Block; libcdio nrg.h _cuex_array_t)."""

CUE_POINT_MSF = make_struct(">BBBBBBBB", 8, "NRG CUES entry")
"""CUES entry (v1): adr/ctrl, track (BCD), index (BCD), zero, zero, minute, second, frame
(binary MSF including the 150-frame lead-in; libmirage image-nrg, libcdio nrg.c)."""

DAO_HEADER = make_struct(">I13sBHBB", 22, "NRG DAOX/DAOI header")
"""DAOX/DAOI header: chunk size again, MCN (13 chars), zero, TOC type, first track, last track
(libmirage image-nrg NRG_DAO_Header; libcdio nrg.h _dao_common_t)."""

DAOX_TRACK = make_struct(">12sHB3sQQQ", 42, "NRG DAOX track")
"""DAOX track: ISRC, sector size, mode, 3 unknown, 64-bit offsets of index 0, index 1 and end
(libmirage image-nrg NRG_DAO_Track; libcdio nrg.h _daox_array_t)."""

DAOI_TRACK = make_struct(">12sHB3sIII", 30, "NRG DAOI track")
"""DAOI track: as DAOX with 32-bit offsets (libmirage image-nrg; libcdio nrg.h _daoi_array_t)."""

ETN2_TRACK = make_struct(">QQIIQ", 32, "NRG ETN2 track")
"""ETN2 track (TAO, v2): 64-bit offset and size, mode, start LBA, unknown (libmirage image-nrg;
libcdio nrg.h _etn2_array_t)."""

ETNF_TRACK = make_struct(">IIIII", 20, "NRG ETNF track")
"""ETNF track (TAO, v1): 32-bit offset and size, mode, start LBA, unknown (libmirage image-nrg;
libcdio nrg.h _etnf_array_t)."""

SINF_BODY = make_struct(">I", 4, "NRG SINF")
"""SINF: number of tracks in this session (libmirage image-nrg; libcdio nrg.c)."""

# ---- constants ---------------------------------------------------------------------------------

MAX_CHUNKS = 1024          # a 99-track, 99-session image has a few hundred chunks at most
MAX_CHUNK_SIZE = 1 << 20   # DAOX of 99 tracks is ~4 KiB; CD-TEXT at most a few KiB
TAO_PREGAP = 150           # each TAO track after the first has an unstored 2-second pregap
LEAD_OUT = 0xAA

# NRG mode byte -> (TrackMode, kind, stored sector size, subchannel bytes) per libmirage.
# 0x02 (Mode 2 Form 1 stored as 2048 bytes) maps to MODE1_2048: the same 2048 bytes of user data
# at 0; the model would need a MODE2_FORM1_2048 member to name it properly.
NRG_MODES: dict[int, tuple[TrackMode, TrackKind, int, int]] = {
    0x00: (TrackMode.MODE1_2048, TrackKind.DATA, 2048, 0),
    0x02: (TrackMode.MODE1_2048, TrackKind.DATA, 2048, 0),
    0x03: (TrackMode.MODE2_2336, TrackKind.DATA, 2336, 0),
    0x05: (TrackMode.MODE1_2352, TrackKind.DATA, 2352, 0),
    0x06: (TrackMode.MODE2_2352, TrackKind.DATA, 2352, 0),
    0x07: (TrackMode.AUDIO, TrackKind.AUDIO, 2352, 0),
    0x0F: (TrackMode.MODE1_2352, TrackKind.DATA, 2448, 96),
    0x10: (TrackMode.CDG, TrackKind.AUDIO, 2448, 96),
    0x11: (TrackMode.MODE2_2352, TrackKind.DATA, 2448, 96),
}


@dataclass(slots=True)
class _Stored:
    """One track as a DAO or TAO chunk describes it, before disc LBAs are known."""

    where: int                 # chunk offset, for messages
    mode: int
    sector_size: int
    index0: int                # byte offsets in the .nrg
    index1: int
    end: int
    tao_start: int | None = None
    isrc: str | None = None


@dataclass(slots=True)
class _Chunks:
    version: int
    data_end: int              # the chunk list starts here: track data must end before it
    cue: dict[int, dict[int, int]] = field(default_factory=dict)   # track -> index -> LBA
    cue_ctrl: dict[int, int] = field(default_factory=dict)
    tracks: list[_Stored] = field(default_factory=list)
    dao_first: list[int] = field(default_factory=list)             # first track of each DAO chunk
    sessions: list[int] = field(default_factory=list)              # tracks per session (SINF)
    catalog: str | None = None
    media_type: int | None = None
    cdtext: bytes = b""


def parse_nrg(path: str) -> Disc:
    """Read the chunk list of the NRG at ``path``; ImageFormatError with the hex offset."""
    source = FileSource(path)
    try:
        chunks = _read_chunks(path, source)
        tracks = _place(path, source, chunks)
    except BaseException:
        source.close()
        raise
    sessions: list[Session] = []
    counts = chunks.sessions or [len(tracks)]
    if sum(counts) != len(tracks):  # SINF disagrees with the track list: one session
        counts = [len(tracks)]
    first = 0
    for number, count in enumerate(counts, 1):
        group = tuple(_with_session(t, number) for t in tracks[first:first + count])
        first += count
        if group:
            sessions.append(Session(number, group))
    remarks = () if chunks.media_type is None else (f"MTYP {chunks.media_type:#x}",)
    text = cdtext_packs.decode(chunks.cdtext, f"{path}: CDTX") if chunks.cdtext else cdtext_packs.CdText()
    if text.tracks:
        sessions = [Session(s.number, tuple(with_cdtext(t, text.track(t.number)) for t in s.tracks))
                    for s in sessions]
    return Disc(path=path, container="nrg", sessions=tuple(sessions), sources=(source,),
                catalog=chunks.catalog, cdtext=text.disc, remarks=remarks)


def _with_session(track: Track, session: int) -> Track:
    if track.session == session:
        return track
    fields = {name: getattr(track, name) for name in Track.__slots__}
    fields["session"] = session
    return Track(**fields)


def _fail(path: str, offset: int, msg: str) -> ImageFormatError:
    return ImageFormatError(path, f"{offset:#x}", msg)


def _footer(path: str, source: ByteSource) -> tuple[int, int, int]:
    """(version, first chunk offset, where the footer starts)."""
    size = source.size
    if size >= FOOTER_V2.size:
        magic, offset = FOOTER_V2.unpack(source.pread(size - FOOTER_V2.size, FOOTER_V2.size))
        if magic == b"NER5":
            return 2, offset, size - FOOTER_V2.size
    if size >= FOOTER_V1.size:
        magic, offset = FOOTER_V1.unpack(source.pread(size - FOOTER_V1.size, FOOTER_V1.size))
        if magic == b"NERO":
            return 1, offset, size - FOOTER_V1.size
    raise _fail(path, max(0, size - FOOTER_V2.size),
                'no NRG footer ("NER5" or "NERO" in the last 12 or 8 bytes): not an NRG, or truncated')


def _read_chunks(path: str, source: ByteSource) -> _Chunks:
    version, offset, footer = _footer(path, source)
    if offset >= footer:
        raise _fail(path, footer, f"footer points at chunk list offset {offset:#x}, outside the "
                                  f"file's {footer:#x} bytes before the footer")
    # One read of the whole list: it lies between ``offset`` and the footer.
    if footer - offset > MAX_CHUNKS * (CHUNK_HEADER.size + MAX_CHUNK_SIZE):
        raise _fail(path, offset, f"chunk list of {footer - offset} bytes is implausibly large")
    data = source.pread(offset, footer - offset)
    chunks = _Chunks(version, offset)
    position = 0
    for _ in range(MAX_CHUNKS):
        at = offset + position
        if position + CHUNK_HEADER.size > len(data):
            raise _fail(path, at, "chunk list ends without an END! chunk (truncated?)")
        chunk_id, size = CHUNK_HEADER.unpack_from(data, position)
        body_start = position + CHUNK_HEADER.size
        if size > MAX_CHUNK_SIZE or body_start + size > len(data):
            raise _fail(path, at, f"chunk {chunk_id!r} of {size} bytes runs past the end of the "
                                  f"chunk list at {offset + len(data):#x}")
        body = data[body_start:body_start + size]
        if chunk_id == b"END!":
            return chunks
        _chunk(path, at, chunk_id, body, chunks)
        position = body_start + size
    raise _fail(path, offset, f"more than {MAX_CHUNKS} chunks without an END! chunk")


def _chunk(path: str, at: int, chunk_id: bytes, body: bytes, chunks: _Chunks) -> None:
    if chunk_id in (b"CUEX", b"CUES"):
        if len(body) % CUE_POINT.size:
            raise _fail(path, at, f"{chunk_id.decode()} size {len(body)} is not a multiple of 8")
        for i in range(0, len(body), CUE_POINT.size):
            if chunk_id == b"CUEX":
                ctrl, track, index, _, lba = CUE_POINT.unpack_from(body, i)
            else:
                ctrl, track, index, _, _, m, s, f = CUE_POINT_MSF.unpack_from(body, i)
                lba = (m * 60 + s) * 75 + f - 150
            if track in (0, LEAD_OUT):
                continue
            number = bcd(track)
            chunks.cue.setdefault(number, {})[bcd(index)] = lba
            chunks.cue_ctrl[number] = ctrl
    elif chunk_id in (b"DAOX", b"DAOI"):
        entry = DAOX_TRACK if chunk_id == b"DAOX" else DAOI_TRACK
        if len(body) < DAO_HEADER.size or (len(body) - DAO_HEADER.size) % entry.size:
            raise _fail(path, at, f"{chunk_id.decode()} size {len(body)} is not {DAO_HEADER.size} "
                                  f"+ n * {entry.size}")
        _, mcn, _, _, first, _ = DAO_HEADER.unpack_from(body, 0)
        text = mcn.rstrip(b"\0 ").decode("latin-1")
        if text and chunks.catalog is None:
            chunks.catalog = text
        chunks.dao_first.append(first)
        for i in range(DAO_HEADER.size, len(body), entry.size):
            isrc, sector_size, mode, _, index0, index1, end = entry.unpack_from(body, i)
            chunks.tracks.append(_Stored(at, mode, sector_size, index0, index1, end,
                                         isrc=isrc.rstrip(b"\0 ").decode("latin-1") or None))
    elif chunk_id in (b"ETN2", b"ETNF"):
        entry = ETN2_TRACK if chunk_id == b"ETN2" else ETNF_TRACK
        if len(body) % entry.size:
            raise _fail(path, at, f"{chunk_id.decode()} size {len(body)} is not a multiple of {entry.size}")
        for i in range(0, len(body), entry.size):
            offset, size, mode, start, _ = entry.unpack_from(body, i)
            if mode not in NRG_MODES:
                raise _fail(path, at + 8 + i, f"unknown NRG track mode {mode:#x}")
            sector_size = NRG_MODES[mode][2]
            chunks.tracks.append(_Stored(at, mode, sector_size, offset, offset, offset + size,
                                         tao_start=start))
    elif chunk_id == b"SINF":
        if len(body) != SINF_BODY.size:
            raise _fail(path, at, f"SINF size {len(body)}, expected {SINF_BODY.size}")
        chunks.sessions.append(SINF_BODY.unpack(body)[0])
    elif chunk_id == b"MTYP":
        if len(body) == 4:
            chunks.media_type = SINF_BODY.unpack(body)[0]
    elif chunk_id == b"CDTX":
        chunks.cdtext += body
    # Other chunks (TINF, RELO, TOCT, DINF, ...) carry nothing a mount needs: skipped.


def _place(path: str, source: ByteSource, chunks: _Chunks) -> list[Track]:
    """Tracks with disc LBAs; every byte range checked against the data before the chunk list."""
    if not chunks.tracks:
        raise _fail(path, 0, "no DAOX/DAOI/ETN2/ETNF chunk: the image lists no tracks")
    if len(chunks.tracks) > 99:
        raise _fail(path, chunks.tracks[99].where, f"{len(chunks.tracks)} tracks (at most 99)")
    first_number = chunks.dao_first[0] if chunks.dao_first and chunks.dao_first[0] else 1
    out: list[Track] = []
    previous_end_lba = 0
    limit = chunks.data_end
    for i, stored in enumerate(chunks.tracks):
        number = first_number + i
        if stored.mode not in NRG_MODES:
            raise _fail(path, stored.where, f"track {number}: unknown NRG track mode {stored.mode:#x}")
        mode, kind, size, subchannel = NRG_MODES[stored.mode]
        if stored.sector_size != size:
            if stored.mode in (0x00, 0x02) or stored.sector_size not in (2048, 2336, 2352, 2448):
                raise _fail(path, stored.where, f"track {number}: sector size {stored.sector_size} "
                                                f"does not fit mode {stored.mode:#x}")
            size = stored.sector_size
            subchannel = 96 if size == 2448 else 0
        if not stored.index0 <= stored.index1 <= stored.end or stored.end > limit:
            raise _fail(path, stored.where, f"track {number}: offsets {stored.index0:#x}/"
                                            f"{stored.index1:#x}/{stored.end:#x} are not in order "
                                            f"before the chunk list at {limit:#x}")
        if (stored.end - stored.index1) % size or (stored.index1 - stored.index0) % size:
            raise _fail(path, stored.where, f"track {number}: data of {stored.end - stored.index1} "
                                            f"bytes is not a whole number of {size}-byte sectors")
        sectors = (stored.end - stored.index1) // size
        stored_pregap = (stored.index1 - stored.index0) // size
        points = chunks.cue.get(number, {})
        if 1 in points:
            start = points[1]
        elif stored.tao_start is not None:
            start = stored.tao_start + TAO_PREGAP * i
        elif i == 0:
            start = stored_pregap - 150
        else:
            start = previous_end_lba + stored_pregap
        session = _session_of(i, chunks.sessions, len(chunks.tracks))
        between = 0            # lead-out and lead-in before this track (a session's first)
        if session > 1 and session != _session_of(i - 1, chunks.sessions, len(chunks.tracks)):
            between = lead_out_after(session - 1) + SESSION_LEAD_IN
            if 1 not in points:
                # no CUEX address: after the lead-out, lead-in and pregap that no image stores
                # (as libmirage lays out TAO sessions)
                gap = between + max(SESSION_PREGAP, stored_pregap)
                start = max(start, previous_end_lba + gap)
        if i and start < previous_end_lba:
            raise _fail(path, stored.where, f"track {number} starts at LBA {start}, inside track "
                                            f"{number - 1} (which ends at LBA {previous_end_lba})")
        pregap = stored_pregap
        if stored.tao_start is not None and i > 0:
            pregap = start - previous_end_lba - between  # unstored TAO gap
        indexes = tuple(Index(n, lba) for n, lba in sorted(points.items())) or (
            (Index(0, start - stored_pregap),) if stored_pregap else ()) + (Index(1, start),)
        out.append(Track(
            number=number, session=1, kind=kind, mode=mode, start=start, sectors=sectors,
            source=source, offset=stored.index1, sector_size=size, pregap=max(0, pregap),
            subchannel=subchannel, indexes=indexes, pregap_stored=stored_pregap,
            file_name=path, isrc=stored.isrc, flags=_flags(chunks.cue_ctrl.get(number, 0) >> 4),
        ))
        previous_end_lba = start + sectors
    return out


def _session_of(index: int, counts: list[int], total: int) -> int:
    """The 1-based session of the ``index``-th track from the SINF counts (one session when the
    counts do not add up to the tracks)."""
    if sum(counts) != total:
        return 1
    for number, end in enumerate(_running(counts), 1):
        if index < end:
            return number
    return len(counts)


def _running(counts: list[int]) -> list[int]:
    out, total = [], 0
    for count in counts:
        total += count
        out.append(total)
    return out


def _flags(control: int) -> tuple[str, ...]:
    """Cue-sheet FLAGS from a Q-channel control nibble (ECMA-130 §22.3.2.2): DCP, 4CH, PRE."""
    names = ["DCP"] if control & 0x2 else []
    if not control & 0x4:            # audio: four channels, pre-emphasis
        names += ["4CH"] if control & 0x8 else []
        names += ["PRE"] if control & 0x1 else []
    return tuple(names)
