"""``disc.bin`` + ``disc.cue`` of the tracks view: the whole disc as one raw 2352-byte image.

``disc.bin`` holds, for each track in disc order, its stored pregap (INDEX 00, when the image has
it) and then its own sectors (to the first stored sector of the next track), each as the 2352
bytes a drive reading raw would return:

- raw 2352 tracks (MODE1/2352, MODE2/2352, CDI/2352, AUDIO) are copied as stored; bytes past
  2352 in a longer stored sector (2448 with subchannel, 2368 with Q) are dropped;
- audio stored big-endian (cue FILE ``MOTOROLA``) is swapped to little-endian;
- cooked MODE1/2048 tracks (a plain ISO) are re-encoded to raw Mode 1 with sync, the header of
  the sector's address (MSF of LBA + 150) and EDC/ECC (sectors.edc);
- MODE2/2336 and CDI/2336 tracks (stored without sync and header) get both prepended.

``disc.cue`` describes it: one ``FILE "disc.bin" BINARY``, ``TRACK nn MODE1/2352|MODE2/2352|
AUDIO``, INDEX 00 where the pregap is stored, PREGAP/POSTGAP for silence that is not, ``REM
SESSION`` on multi-session discs, CATALOG, ISRC, FLAGS and CD-TEXT fields.

Nothing is read when the view is built: sizes come from the disc model and the source sizes.
A read maps its byte range to track pieces (binary search), reads each piece's run of stored
sectors with one pread and converts it in bulk.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Sequence

from ..disc.model import Disc, Track, TrackKind, TrackMode
from ..disc.msf import Msf, header_msf
from ..errors import CorruptDataError, UnsupportedError
from ..io.source import ByteSource
from ..sectors.audio import swap_samples
from ..sectors.edc import SYNC, encode_mode1_run

RAW = 2352
ENCODE_CHUNK = 512       # sectors re-encoded together (the encoder's cost is per call, so a
CACHED_CHUNKS = 8        # 128 KiB FUSE read must not pay it alone); recent chunks are kept
BIN_NAME = "disc.bin"
CUE_NAME = "disc.cue"

# How a stored sector becomes 2352 bytes.
COPY = "copy"          # the first 2352 bytes of each stored sector
SWAP = "swap"          # audio stored big-endian: copy, then swap the 16-bit samples
MODE1 = "mode1"        # 2048 cooked -> raw Mode 1 with EDC/ECC
PREFIX2 = "prefix2"    # 2336 -> sync + header (mode 2) + the 2336 bytes

_RAW_MODES = {TrackMode.MODE1_2352, TrackMode.MODE2_2352, TrackMode.CDI_2352, TrackMode.AUDIO,
              TrackMode.CDG}
_FORMLESS_MODES = {TrackMode.MODE2_2336, TrackMode.CDI_2336}


@dataclass(frozen=True, slots=True)
class Piece:
    """``sectors`` stored sectors of one track (its stored pregap, then its own sectors) at byte
    ``offset`` of ``source``, converted by ``how``; the first is at disc address ``first_lba``."""

    track: Track
    source: ByteSource
    offset: int
    sectors: int
    sector_size: int
    how: str
    first_lba: int
    start: int = 0           # byte offset of the piece in disc.bin

    @property
    def size(self) -> int:
        return self.sectors * RAW


def cue_mode(track: Track) -> str:
    """The cue-sheet mode of a track once it is raw 2352."""
    if track.kind is TrackKind.AUDIO or track.mode in (TrackMode.AUDIO, TrackMode.CDG):
        return "AUDIO"
    if track.mode in (TrackMode.MODE1_2048, TrackMode.MODE1_2352):
        return "MODE1/2352"
    return "MODE2/2352"


def conversion(track: Track) -> str:
    """How the track's stored sectors become raw ones; UnsupportedError for other forms."""
    size = track.sector_size
    if track.mode in _RAW_MODES and size >= RAW:
        if track.kind is TrackKind.AUDIO and track.file_type == "MOTOROLA":
            return SWAP
        return COPY
    if track.mode is TrackMode.MODE1_2048 and size == 2048:
        return MODE1
    if track.mode in _FORMLESS_MODES and size >= 2336:
        return PREFIX2
    raise UnsupportedError(f"track {track.number:02d}: {track.mode.value} stored as {size}-byte "
                           "sectors in disc.bin")


def _held(source: ByteSource, offset: int, sector_size: int, partial: bool) -> int:
    """Sectors of ``sector_size`` the source holds from ``offset`` (a trailing part counts when
    ``partial``: a cooked image whose size is not a whole number of blocks)."""
    rest = max(0, source.size - offset)
    return -(-rest // sector_size) if partial else rest // sector_size


def plan(disc: Disc) -> list[Piece]:
    """The pieces of disc.bin in disc order, with their byte starts."""
    # Local import: tracks.py imports this module for the nodes.
    from .tracks import following, gap_offset, own_sectors

    pieces: list[Piece] = []
    position = 0
    for track in disc.tracks:
        how = conversion(track)
        nxt = following(disc, track)
        partial = how == MODE1
        held = _held(track.source, track.offset, track.sector_size, partial)
        own = min(own_sectors(track, nxt), held)
        gap = track.pregap_stored if gap_offset(track) >= 0 else 0
        count = gap + max(0, own)
        if count <= 0:
            continue
        piece = Piece(track, track.source, gap_offset(track) if gap else track.offset, count,
                      track.sector_size, how, track.start - gap, position)
        pieces.append(piece)
        position += piece.size
    return pieces


class RawDiscImage:
    """disc.bin: read any byte range of the synthesized raw image."""

    def __init__(self, pieces: Sequence[Piece]) -> None:
        self.pieces = list(pieces)
        self._starts = [p.start for p in self.pieces]
        self.size = self.pieces[-1].start + self.pieces[-1].size if self.pieces else 0
        self._cache: OrderedDict[tuple[int, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, offset: int, size: int) -> bytes:
        if offset < 0 or size < 0:
            raise ValueError(f"bad read at {offset} of {size} bytes")
        end = min(self.size, offset + size)
        if offset >= end:
            return b""
        parts = []
        i = bisect.bisect_right(self._starts, offset) - 1
        while offset < end:
            piece = self.pieces[i]
            stop = min(end, piece.start + piece.size)
            if piece.how == MODE1:
                parts.append(self._encoded(i, piece, offset - piece.start, stop - piece.start))
            else:
                parts.append(read_piece(piece, offset - piece.start, stop - piece.start))
            offset = stop
            i += 1
        return parts[0] if len(parts) == 1 else b"".join(parts)


    def _encoded(self, index: int, piece: Piece, a: int, b: int) -> bytes:
        """Bytes [a, b) of a re-encoded piece, from whole chunks of ENCODE_CHUNK sectors."""
        span = ENCODE_CHUNK * RAW
        parts = []
        for chunk in range(a // span, (b - 1) // span + 1):
            base = chunk * span
            data = self._chunk(index, piece, chunk)
            parts.append(data[max(a, base) - base:min(b, base + span) - base])
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _chunk(self, index: int, piece: Piece, chunk: int) -> bytes:
        key = (index, chunk)
        with self._lock:
            data = self._cache.get(key)
            if data is not None:
                self._cache.move_to_end(key)
                return data
        span = ENCODE_CHUNK * RAW
        data = read_piece(piece, chunk * span, min(piece.size, (chunk + 1) * span))
        with self._lock:
            self._cache[key] = data
            while len(self._cache) > CACHED_CHUNKS:
                self._cache.popitem(last=False)
        return data


def read_piece(piece: Piece, a: int, b: int) -> bytes:
    """Raw bytes [a, b) of one piece: one pread of the stored sectors, converted in bulk."""
    stride = piece.sector_size
    if piece.how == COPY and stride == RAW:
        data = piece.source.pread(piece.offset + a, b - a)
        if len(data) != b - a:
            raise _short(piece, a)
        return data
    first, last = a // RAW, (b - 1) // RAW
    count = last - first + 1
    raw = piece.source.pread(piece.offset + first * stride, count * stride)
    if piece.how == MODE1:
        held = len(raw)
        if held < count * stride and piece.offset + first * stride + held >= piece.source.size \
                and held > (count - 1) * stride:
            raw += bytes(count * stride - held)   # the last, partial block of a cooked image
        if len(raw) != count * stride:
            raise _short(piece, a)
        out = encode_mode1_run(raw, piece.first_lba + first)
    else:
        if len(raw) != count * stride:
            raise _short(piece, a)
        view = memoryview(raw)
        if piece.how == PREFIX2:
            lba = piece.first_lba + first
            out = b"".join([SYNC + header_msf(lba + k) + b"\x02" + view[at:at + 2336]
                            for k, at in enumerate(range(0, count * stride, stride))])
        elif stride == RAW:
            out = raw
        else:
            out = b"".join([view[k:k + RAW] for k in range(0, len(raw), stride)])
        if piece.how == SWAP:
            out = swap_samples(out)
    skip = a - first * RAW
    return out[skip:skip + b - a]


def _short(piece: Piece, a: int) -> CorruptDataError:
    return CorruptDataError(f"{piece.source.name}: short read of track {piece.track.number:02d} "
                            f"at disc.bin byte {piece.start + a:#x}: image truncated")


# ---- disc.cue ---------------------------------------------------------------------------------

def _quote(value: str) -> str:
    return '"' + value.replace('"', "'").replace("\n", " ") + '"'


def _cdtext_lines(cdtext: Sequence[tuple[str, str]], indent: str) -> list[str]:
    lines = []
    for key, value in cdtext:
        key = key.upper()
        if key in ("TITLE", "PERFORMER", "SONGWRITER"):
            lines.append(f"{indent}{key} {_quote(value)}")
    return lines


def _msf(frames: int) -> str:
    return str(Msf.from_frames(frames))


def cue_sheet(disc: Disc, pieces: Sequence[Piece], bin_name: str = BIN_NAME) -> str:
    """The cue sheet of disc.bin (INDEX times are positions in disc.bin)."""
    lines: list[str] = []
    if disc.catalog:
        lines.append(f"CATALOG {disc.catalog}")
    lines += _cdtext_lines(disc.cdtext, "")
    lines.append(f"FILE {_quote(bin_name)} BINARY")
    several = len(disc.sessions) > 1
    session = None
    for piece in pieces:
        track = piece.track
        if several and track.session != session:
            session = track.session
            lines.append(f"  REM SESSION {session:02d}")
        at = piece.start // RAW                     # disc.bin sector of the first stored sector
        gap = track.start - piece.first_lba         # stored pregap sectors
        lines.append(f"  TRACK {track.number:02d} {cue_mode(track)}")
        lines += _cdtext_lines(track.cdtext, "    ")
        if track.isrc:
            lines.append(f"    ISRC {track.isrc}")
        if track.flags:
            lines.append(f"    FLAGS {' '.join(track.flags)}")
        silence = track.pregap - gap
        if piece is pieces[0]:
            # The disc's first 150 sectors of pregap lie before LBA 0 (CloneCD and MDS count them
            # in track 1's pregap); a cue sheet implies them, so a PREGAP line would move every
            # track 150 sectors later.
            silence -= max(0, track.pregap - track.start)
        if silence > 0:
            lines.append(f"    PREGAP {_msf(silence)}")
        if gap:
            lines.append(f"    INDEX 00 {_msf(at)}")
        lines.append(f"    INDEX 01 {_msf(at + gap)}")
        for index in track.indexes:
            rel = index.lba - track.start
            if index.number > 1 and 0 < rel < piece.sectors - gap:
                lines.append(f"    INDEX {index.number:02d} {_msf(at + gap + rel)}")
        if track.postgap:
            lines.append(f"    POSTGAP {_msf(track.postgap)}")
    return "\n".join(lines) + "\n"


class TextFile:
    """A small generated file held in memory."""

    def __init__(self, text: str) -> None:
        self.data = text.encode("utf-8")
        self.size = len(self.data)

    def read(self, offset: int, size: int) -> bytes:
        if offset < 0 or size < 0:
            raise ValueError(f"bad read at {offset} of {size} bytes")
        return self.data[offset:offset + size]


def raw_disc(disc: Disc) -> tuple[RawDiscImage, TextFile]:
    """(disc.bin, disc.cue) of a disc; UnsupportedError when a track has a form we cannot make
    raw."""
    pieces = plan(disc)
    return RawDiscImage(pieces), TextFile(cue_sheet(disc, pieces))
