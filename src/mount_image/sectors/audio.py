"""Audio tracks as PCM and as WAV files: Red Book 16-bit stereo 44.1 kHz samples.

An audio sector holds 2352 bytes of PCM (588 stereo frames of two 16-bit samples, IEC 60908);
a stored sector may be longer (2448: 96 bytes of subchannel after the PCM). The PCM of a track
is read from one or more ``Segment``s of stored sectors (a track's own sectors, then the next
track's stored INDEX 00 gap, which may live in another file): each read is one pread per segment
touched and slices, never a per-sample loop. Sources stored big-endian (cue FILE ... MOTOROLA)
are swapped to little-endian with ``array.byteswap``.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Sequence

from ..errors import CorruptDataError
from ..io.source import ByteSource

AUDIO_SECTOR = 2352               # PCM bytes in one audio sector
CHANNELS = 2
SAMPLE_RATE = 44100
BITS_PER_SAMPLE = 16
BLOCK_ALIGN = CHANNELS * BITS_PER_SAMPLE // 8          # 4 bytes a stereo frame
BYTE_RATE = SAMPLE_RATE * BLOCK_ALIGN                  # 176400
WAV_HEADER_SIZE = 44
MAX_WAV_DATA = 0xFFFFFFFF - (WAV_HEADER_SIZE - 8)      # the RIFF size field is 32 bits

def wav_header(data_size: int) -> bytes:
    """The canonical 44-byte header of a PCM WAVE file (RIFF 1.0, "WAVE Form", fmt chunk of
    WAVE_FORMAT_PCM): RIFF size, 'WAVE', a 16-byte 'fmt ' chunk, then the 'data' chunk header.
    All fields little-endian."""
    if not 0 <= data_size <= MAX_WAV_DATA:
        raise ValueError(f"WAV data of {data_size} bytes does not fit a RIFF file")

    def le(value: int, width: int) -> bytes:
        return value.to_bytes(width, "little")

    header = b"".join((
        b"RIFF", le(WAV_HEADER_SIZE - 8 + data_size, 4), b"WAVE",
        b"fmt ", le(16, 4),
        le(1, 2),                    # wFormatTag: WAVE_FORMAT_PCM
        le(CHANNELS, 2),             # wChannels
        le(SAMPLE_RATE, 4),          # dwSamplesPerSec
        le(BYTE_RATE, 4),            # dwAvgBytesPerSec
        le(BLOCK_ALIGN, 2),          # wBlockAlign
        le(BITS_PER_SAMPLE, 2),      # wBitsPerSample
        b"data", le(data_size, 4),
    ))
    assert len(header) == WAV_HEADER_SIZE
    return header


def swap_samples(data: bytes) -> bytes:
    """16-bit samples with their two bytes exchanged (big- <-> little-endian); even length."""
    samples = array("H", data)   # 2-byte items on every platform CPython supports
    samples.byteswap()
    return samples.tobytes()


@dataclass(frozen=True, slots=True)
class Segment:
    """``sectors`` stored sectors of ``sector_size`` bytes at byte ``offset`` of ``source``;
    the first 2352 bytes of each are PCM."""

    source: ByteSource
    offset: int
    sectors: int
    sector_size: int

    def stored(self) -> Segment:
        """The same segment cut to the whole sectors the source really holds."""
        held = max(0, self.source.size - self.offset) // self.sector_size if self.sector_size else 0
        return Segment(self.source, self.offset, max(0, min(self.sectors, held)), self.sector_size)


def merge(segments: Sequence[Segment]) -> list[Segment]:
    """Adjacent segments of one source and sector size joined, so a read is a single pread."""
    out: list[Segment] = []
    for seg in segments:
        if seg.sectors <= 0:
            continue
        if out:
            last = out[-1]
            if (last.source is seg.source and last.sector_size == seg.sector_size
                    and last.offset + last.sectors * last.sector_size == seg.offset):
                out[-1] = Segment(last.source, last.offset, last.sectors + seg.sectors, last.sector_size)
                continue
        out.append(seg)
    return out


class PcmStream:
    """Little-endian PCM bytes of a run of segments, read at any offset and size."""

    def __init__(self, segments: Sequence[Segment], big_endian: bool = False, name: str = "") -> None:
        self.segments = merge([s.stored() for s in segments])
        self.big_endian = big_endian
        self.name = name or (segments[0].source.name if segments else "")
        self._starts: list[int] = []
        position = 0
        for seg in self.segments:
            self._starts.append(position)
            position += seg.sectors * AUDIO_SECTOR
        self.size = position

    def read(self, offset: int, size: int) -> bytes:
        """Up to ``size`` PCM bytes at ``offset`` (short only at the end of the stream)."""
        if offset < 0 or size < 0:
            raise ValueError(f"bad read at {offset} of {size} bytes")
        end = min(self.size, offset + size)
        if offset >= end:
            return b""
        if not self.big_endian:
            return self._read_raw(offset, end)
        # Whole samples only: widen to even bounds, swap, cut back.
        first, last = offset & ~1, min(self.size, (end + 1) & ~1)
        return swap_samples(self._read_raw(first, last))[offset - first:end - first]

    def _read_raw(self, offset: int, end: int) -> bytes:
        parts = []
        for seg, base in zip(self.segments, self._starts):
            seg_end = base + seg.sectors * AUDIO_SECTOR
            if seg_end <= offset or base >= end:
                continue
            a, b = max(offset, base) - base, min(end, seg_end) - base
            parts.append(self._read_segment(seg, a, b))
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _read_segment(self, seg: Segment, a: int, b: int) -> bytes:
        """PCM bytes [a, b) of one segment: one pread, then one slice per sector if the stored
        sectors carry more than PCM."""
        stride = seg.sector_size
        if stride == AUDIO_SECTOR:
            data = seg.source.pread(seg.offset + a, b - a)
            expected = b - a
        else:
            first, last = a // AUDIO_SECTOR, (b - 1) // AUDIO_SECTOR
            raw = seg.source.pread(seg.offset + first * stride, (last - first + 1) * stride)
            expected = (last - first + 1) * stride
            if len(raw) == expected:
                view = memoryview(raw)
                pcm = b"".join([view[i:i + AUDIO_SECTOR] for i in range(0, len(raw), stride)])
                skip = a - first * AUDIO_SECTOR
                data, expected = pcm[skip:skip + b - a], b - a
            else:
                data = raw
        if len(data) != expected:
            raise CorruptDataError(f"{seg.source.name}: short read of audio at byte "
                                   f"{seg.offset + a:#x}: image truncated")
        return data


class WaveFile:
    """A WAV file made of the 44-byte header and a PcmStream."""

    def __init__(self, pcm: PcmStream) -> None:
        self.pcm = pcm
        self.header = wav_header(min(pcm.size, MAX_WAV_DATA))
        self.size = WAV_HEADER_SIZE + min(pcm.size, MAX_WAV_DATA)

    def read(self, offset: int, size: int) -> bytes:
        end = min(self.size, offset + size)
        if offset < 0 or size < 0:
            raise ValueError(f"bad read at {offset} of {size} bytes")
        if offset >= end:
            return b""
        if end <= WAV_HEADER_SIZE:
            return self.header[offset:end]
        body = self.pcm.read(max(0, offset - WAV_HEADER_SIZE), end - max(offset, WAV_HEADER_SIZE))
        if offset < WAV_HEADER_SIZE:
            return self.header[offset:] + body
        return body
