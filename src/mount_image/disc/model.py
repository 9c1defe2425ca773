"""The disc model every container parser builds: Disc -> Session -> Track.

Parsers read descriptors only, never track data; the sectors layer turns a Track into blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

from ..io.source import ByteSource


class TrackKind(Enum):
    DATA = "data"
    AUDIO = "audio"


class TrackMode(Enum):
    """How a track's sectors are stored, in cue-sheet spelling."""

    MODE1_2048 = "MODE1/2048"
    MODE1_2352 = "MODE1/2352"
    MODE2_2336 = "MODE2/2336"
    MODE2_2352 = "MODE2/2352"
    AUDIO = "AUDIO"
    CDG = "CDG"                 # audio with 96 bytes of subchannel (karaoke), 2448-byte sectors
    CDI_2336 = "CDI/2336"       # CD-i Mode 2, stored without sync and header
    CDI_2352 = "CDI/2352"       # CD-i Mode 2, raw


@dataclass(frozen=True, slots=True)
class Index:
    """An index point of a track: ``number`` 0-99 at disc ``lba`` (INDEX 00 starts the pregap)."""

    number: int
    lba: int


@dataclass(frozen=True, slots=True)
class Track:
    """One track: where its sectors are stored and how.

    ``start`` is the LBA of INDEX 01 (LBA 0 is the first sector of the program area); ``offset``
    is the byte offset of the track's first stored sector in ``source``.
    """

    number: int
    session: int
    kind: TrackKind
    mode: TrackMode
    start: int
    sectors: int
    source: ByteSource
    offset: int
    sector_size: int
    pregap: int = 0
    subchannel: int = 0
    # Descriptor details, all optional. ``indexes`` lists every INDEX in disc LBAs (the stored
    # bytes of index i are at ``offset + (i.lba - start) * sector_size`` of ``source``, so a stored
    # INDEX 00 pregap lies just before ``offset``); ``pregap_stored`` counts the pregap sectors
    # that are in the file (INDEX 00 to 01), ``pregap`` all of them (plus cue PREGAP silence).
    indexes: tuple[Index, ...] = ()
    pregap_stored: int = 0
    postgap: int = 0
    file_name: str = ""               # the file as the descriptor names it
    file_type: str = ""               # cue FILE type: BINARY, MOTOROLA (big-endian audio), WAVE
    isrc: str | None = None
    flags: tuple[str, ...] = ()       # DCP, 4CH, PRE, SCMS
    cdtext: tuple[tuple[str, str], ...] = ()   # (("TITLE", "Soft"), ("PERFORMER", "x"), ...)
    remarks: tuple[str, ...] = ()     # REM lines, without "REM "


def with_cdtext(track: Track, fields: tuple[tuple[str, str], ...]) -> Track:
    """``track`` with CD-TEXT ``fields`` (decoded from packs after the track was built)."""
    return track if fields == track.cdtext or not fields else replace(track, cdtext=fields)


@dataclass(frozen=True, slots=True)
class Session:
    number: int
    tracks: tuple[Track, ...]

    def first_data_track(self) -> Track | None:
        return next((t for t in self.tracks if t.kind is TrackKind.DATA), None)


@dataclass(slots=True)
class Disc:
    """An opened image: its sessions, the path it came from, and the sources to close."""

    path: str
    container: str
    sessions: tuple[Session, ...]
    sources: tuple[ByteSource, ...] = field(default_factory=tuple)
    catalog: str | None = None        # media catalog number (13 digits)
    cdtext: tuple[tuple[str, str], ...] = ()
    remarks: tuple[str, ...] = ()

    @property
    def tracks(self) -> tuple[Track, ...]:
        return tuple(t for s in self.sessions for t in s.tracks)

    def close(self) -> None:
        for source in self.sources:
            source.close()
