"""Minute/second/frame addresses (ECMA-130 §14.2): 75 frames a second, 60 seconds a minute.

On the disc, MSF 00:02:00 is LBA 0 (the 150-sector lead-in pregap is not counted); inside a cue
sheet an MSF is a plain count of sectors from the start of its FILE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FRAMES_PER_SECOND = 75
SECONDS_PER_MINUTE = 60
FRAMES_PER_MINUTE = FRAMES_PER_SECOND * SECONDS_PER_MINUTE
LEAD_IN = 150                  # frames before LBA 0: MSF 00:02:00 is LBA 0

# Between two sessions of a multi-session disc lie a lead-out, the next session's lead-in and its
# first track's pregap, none of them stored in an image (Orange Book / Blue Book lengths, as
# libmirage and DiscImageCreator use them): 6750 + 4500 + 150 = 11400 sectors after session 1,
# 2250 + 4500 + 150 = 6900 after later ones.
LEAD_OUT_FIRST = 6750          # lead-out after session 1: 90 s
LEAD_OUT_LATER = 2250          # lead-out after later sessions: 30 s
SESSION_LEAD_IN = 4500         # lead-in of a session after the first: 60 s
SESSION_PREGAP = 150           # pregap of a session's first track: 2 s


def lead_out_after(session: int) -> int:
    """Sectors of lead-out after session ``session`` (1-based)."""
    return LEAD_OUT_FIRST if session == 1 else LEAD_OUT_LATER
_TEXT = re.compile(r"(\d{1,3}):(\d{1,3}):(\d{1,3})")


@dataclass(frozen=True, slots=True)
class Msf:
    """Minute/second/frame address: 75 frames a second; LBA = frames - 150 (ECMA-130 §14.2)."""

    minute: int
    second: int
    frame: int

    def __post_init__(self) -> None:
        if not 0 <= self.frame < FRAMES_PER_SECOND:
            raise ValueError(f"frame {self.frame} must be below {FRAMES_PER_SECOND}")
        if not 0 <= self.second < SECONDS_PER_MINUTE:
            raise ValueError(f"second {self.second} must be below {SECONDS_PER_MINUTE}")
        if self.minute < 0:
            raise ValueError(f"minute {self.minute} must not be negative")

    @classmethod
    def parse(cls, text: str) -> "Msf":
        """``"mm:ss:ff"``; ValueError saying what is wrong (not digits, frame >= 75, second >= 60)."""
        match = _TEXT.fullmatch(text)
        if match is None:
            raise ValueError(f'"{text}" is not mm:ss:ff')
        minute, second, frame = (int(g) for g in match.groups())
        return cls(minute, second, frame)

    @classmethod
    def from_frames(cls, frames: int) -> "Msf":
        if frames < 0:
            raise ValueError(f"negative frame count {frames}")
        minute, rest = divmod(frames, FRAMES_PER_MINUTE)
        second, frame = divmod(rest, FRAMES_PER_SECOND)
        return cls(minute, second, frame)

    @classmethod
    def from_lba(cls, lba: int) -> "Msf":
        return cls.from_frames(lba + LEAD_IN)

    @property
    def frames(self) -> int:
        return self.minute * FRAMES_PER_MINUTE + self.second * FRAMES_PER_SECOND + self.frame

    @property
    def lba(self) -> int:
        return self.frames - LEAD_IN

    def __str__(self) -> str:
        return f"{self.minute:02d}:{self.second:02d}:{self.frame:02d}"


def to_bcd(value: int) -> int:
    """One byte of binary-coded decimal (59 -> 0x59), as sector headers store MSF."""
    if not 0 <= value <= 99:
        raise ValueError(f"{value} does not fit one BCD byte")
    return (value // 10) << 4 | value % 10


def header_msf(lba: int) -> bytes:
    """The three BCD bytes of a raw sector header for ``lba`` (ECMA-130 §14.2)."""
    msf = Msf.from_lba(lba)
    return bytes((to_bcd(msf.minute), to_bcd(msf.second), to_bcd(msf.frame)))
