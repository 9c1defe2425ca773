"""Test-side writer of raw CD images: a cooked ISO (bytes or a path) -> raw 2352-byte sectors with
correct EDC/ECC (through mount_image.sectors.edc), plus CUE sheets, so tests can build BIN/CUE
fixtures. Cross-checked with bchunk (bin -> iso gives back the ISO) in tests/unit/test_support_rawcd.py.

    raw = iso_to_raw(iso, "MODE1/2352")                       # one data track, LBA 0
    write_single_track(iso, tmp / "game.bin", "MODE2/2352")  # game.bin + game.cue
    layout = write_multi_track([DataTrack(iso), AudioTrack(pcm, pregap=150)], tmp / "mixed.bin")

Layout of a multi-track image (one FILE, as CDRWIN writes it): tracks back to back in the order
given, audio PCM padded with silence to whole sectors, an audio track's ``pregap`` sectors of
silence stored in the file before its INDEX 01 and named by an INDEX 00 line. Data sectors carry
the address they have in the file (the file starts at LBA 0, MSF 00:02:00).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from mount_image.sectors import edc

SECTOR = 2352
COOKED = 2048
MODES = ("MODE1/2352", "MODE2/2352", "MODE1/2048")
FRAMES_PER_SECOND = 75


def _load(iso: bytes | os.PathLike | str) -> bytes:
    data = iso if isinstance(iso, (bytes, bytearray)) else Path(iso).read_bytes()
    if len(data) % COOKED:  # a cooked image is whole 2048-byte blocks; pad the last one
        data = bytes(data) + bytes(COOKED - len(data) % COOKED)
    return bytes(data)


def iso_to_raw(iso: bytes | os.PathLike | str, mode: str = "MODE1/2352", first_lba: int = 0,
               subheader: bytes = edc.FORM1_SUBHEADER) -> bytes:
    """The ISO's blocks as raw sectors: MODE1/2352 (data at 16), MODE2/2352 Form 1 (XA subheader,
    data at 24) or MODE1/2048 (unchanged). Headers count from ``first_lba``."""
    data = _load(iso)
    if mode == "MODE1/2352":
        return edc.encode_mode1_run(data, first_lba)
    if mode == "MODE2/2352":
        return edc.encode_mode2_form1_run(data, first_lba, subheader)
    if mode == "MODE1/2048":
        return data
    raise ValueError(f"mode {mode!r} is not one of {MODES}")


def msf(frames: int) -> str:
    """A cue sheet time ``mm:ss:ff`` for a count of sectors from the start of the FILE."""
    minutes, rest = divmod(frames, 60 * FRAMES_PER_SECOND)
    seconds, frame = divmod(rest, FRAMES_PER_SECOND)
    return f"{minutes:02d}:{seconds:02d}:{frame:02d}"


def single_track_cue(bin_name: str, mode: str = "MODE1/2352") -> str:
    return f'FILE "{bin_name}" BINARY\n  TRACK 01 {mode}\n    INDEX 01 00:00:00\n'


def write_single_track(iso: bytes | os.PathLike | str, bin_path: os.PathLike | str,
                       mode: str = "MODE1/2352") -> tuple[Path, Path]:
    """Write ``bin_path`` and a cue next to it (same stem); returns (bin, cue)."""
    bin_path = Path(bin_path)
    bin_path.write_bytes(iso_to_raw(iso, mode))
    cue_path = bin_path.with_suffix(".cue")
    cue_path.write_text(single_track_cue(bin_path.name, mode))
    return bin_path, cue_path


@dataclass(frozen=True)
class DataTrack:
    """A data track from a cooked ISO; ``mode`` "MODE1/2352" or "MODE2/2352" (Form 1)."""

    iso: bytes | os.PathLike | str
    mode: str = "MODE1/2352"


@dataclass(frozen=True)
class AudioTrack:
    """16-bit stereo 44.1 kHz little-endian PCM; ``pregap`` sectors of silence stored before it
    (its INDEX 00)."""

    pcm: bytes
    pregap: int = 0


@dataclass
class TrackPlacement:
    number: int
    mode: str                   # the cue spelling: MODE1/2352, MODE2/2352, AUDIO
    index0: int | None          # file sector of INDEX 00, when there is a stored pregap
    start: int                  # file sector of INDEX 01 (= LBA)
    sectors: int                # sectors from INDEX 01 to the end of the track's own data
    payload: bytes              # the cooked ISO or the PCM as given (before padding)


@dataclass
class Layout:
    bin_path: Path
    cue_path: Path
    tracks: list[TrackPlacement] = field(default_factory=list)

    @property
    def total_sectors(self) -> int:
        last = self.tracks[-1]
        return last.start + last.sectors


def multi_track_cue(bin_name: str, tracks: list[TrackPlacement]) -> str:
    lines = [f'FILE "{bin_name}" BINARY']
    for track in tracks:
        lines.append(f"  TRACK {track.number:02d} {track.mode}")
        if track.index0 is not None:
            lines.append(f"    INDEX 00 {msf(track.index0)}")
        lines.append(f"    INDEX 01 {msf(track.start)}")
    return "\n".join(lines) + "\n"


def write_multi_track(tracks: list[DataTrack | AudioTrack], bin_path: os.PathLike | str,
                      cue_path: os.PathLike | str | None = None) -> Layout:
    """Write all tracks into one BIN and a cue naming it; returns where each track went."""
    bin_path = Path(bin_path)
    cue = Path(cue_path) if cue_path is not None else bin_path.with_suffix(".cue")
    layout = Layout(bin_path, cue)
    position = 0
    with open(bin_path, "wb") as out:
        for number, track in enumerate(tracks, start=1):
            if isinstance(track, DataTrack):
                data = _load(track.iso)
                out.write(iso_to_raw(data, track.mode, first_lba=position))
                placed = TrackPlacement(number, track.mode, None, position, len(data) // COOKED, data)
            elif isinstance(track, AudioTrack):
                index0 = None
                if track.pregap:
                    index0 = position
                    out.write(bytes(track.pregap * SECTOR))
                    position += track.pregap
                pcm = bytes(track.pcm)
                padded = pcm + bytes(-len(pcm) % SECTOR)
                out.write(padded)
                placed = TrackPlacement(number, "AUDIO", index0, position, len(padded) // SECTOR, pcm)
            else:
                raise TypeError(f"not a track: {track!r}")
            layout.tracks.append(placed)
            position = placed.start + placed.sectors
    cue.write_text(multi_track_cue(bin_path.name, layout.tracks))
    return layout


def tone(sectors: int, seed: int = 1) -> bytes:
    """Deterministic PCM that differs in every sample: ``sectors`` x 2352 bytes."""
    size = sectors * SECTOR
    block = bytes((seed * 31 + i * 7 + (i >> 8)) & 0xFF for i in range(SECTOR * 3))
    return (block * (sectors // 3 + 1))[:size]
