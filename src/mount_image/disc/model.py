"""The disc model every container parser builds: Disc -> Session -> Track.

Parsers read descriptors only, never track data; the sectors layer turns a Track into blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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

    @property
    def tracks(self) -> tuple[Track, ...]:
        return tuple(t for s in self.sessions for t in s.tracks)

    def close(self) -> None:
        for source in self.sources:
            source.close()
