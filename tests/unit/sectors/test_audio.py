"""sectors/audio.py: the 44-byte RIFF/WAVE header, PCM reads over stored sectors, MOTOROLA swap.

The expected header is written out byte by byte from the RIFF WAVE form (Microsoft/IBM,
"Multimedia Programming Interface and Data Specifications 1.0", 1991: 'RIFF' size 'WAVE',
'fmt ' chunk of 16 bytes for WAVE_FORMAT_PCM, 'data' chunk) and read back with Python's wave.
"""

from __future__ import annotations

import io
import random
import wave

import pytest

from mount_image.errors import CorruptDataError
from mount_image.sectors.audio import (AUDIO_SECTOR, WAV_HEADER_SIZE, PcmStream, Segment,
                                       WaveFile, swap_samples, wav_header)
from support.memory import MemorySource as BytesSource


def pcm(sectors: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(sectors * AUDIO_SECTOR)


def test_header_bytes_follow_the_riff_spec() -> None:
    size = 3 * AUDIO_SECTOR
    expected = (b"RIFF" + (36 + size).to_bytes(4, "little") + b"WAVE"
                + b"fmt " + bytes([16, 0, 0, 0])
                + bytes([1, 0])                      # PCM
                + bytes([2, 0])                      # stereo
                + bytes([0x44, 0xAC, 0, 0])          # 44100
                + bytes([0x10, 0xB1, 0x02, 0])       # 176400 bytes a second
                + bytes([4, 0])                      # block align
                + bytes([16, 0])                     # bits per sample
                + b"data" + size.to_bytes(4, "little"))
    assert len(expected) == WAV_HEADER_SIZE == 44
    assert wav_header(size) == expected


def test_wave_module_reads_our_file_back() -> None:
    data = pcm(5)
    wav = WaveFile(PcmStream([Segment(BytesSource(data), 0, 5, AUDIO_SECTOR)]))
    assert wav.size == 44 + len(data)
    blob = wav.read(0, wav.size + 100)
    with wave.open(io.BytesIO(blob)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, 44100)
        assert w.getnframes() == len(data) // 4
        assert w.readframes(w.getnframes()) == data


def test_header_refuses_what_riff_cannot_hold() -> None:
    with pytest.raises(ValueError):
        wav_header(1 << 32)


@pytest.mark.parametrize("offset, size", [(0, 10), (40, 10), (44, 2352), (43, 5000), (100, 1),
                                          (44 + 3 * 2352 - 3, 100), (10**9, 10)])
def test_reads_at_any_offset_are_slices_of_header_plus_pcm(offset: int, size: int) -> None:
    data = pcm(3)
    whole = wav_header(len(data)) + data
    wav = WaveFile(PcmStream([Segment(BytesSource(data), 0, 3, AUDIO_SECTOR)]))
    assert wav.read(offset, size) == whole[offset:offset + size]


def test_motorola_samples_are_swapped_to_little_endian() -> None:
    little = pcm(2, seed=7)
    big = b"".join(little[i + 1:i + 2] + little[i:i + 1] for i in range(0, len(little), 2))
    assert swap_samples(big) == little
    stream = PcmStream([Segment(BytesSource(big), 0, 2, AUDIO_SECTOR)], big_endian=True)
    assert stream.read(0, stream.size) == little
    for offset, size in [(1, 4), (3, 1), (2351, 3), (4703, 10), (0, 1)]:  # odd bounds too
        assert stream.read(offset, size) == little[offset:offset + size]


def test_subchannel_bytes_after_each_sector_are_dropped_in_one_pread() -> None:
    frames = [pcm(1, seed=n) for n in range(4)]
    stored = b"".join(f + bytes([0xEE]) * 96 for f in frames)
    source = BytesSource(stored)
    stream = PcmStream([Segment(source, 0, 4, 2448)])
    assert stream.size == 4 * AUDIO_SECTOR
    assert stream.read(0, stream.size) == b"".join(frames)
    assert source.reads == 1
    joined = b"".join(frames)
    assert stream.read(2000, 3000) == joined[2000:5000]


def test_segments_of_two_files_read_as_one_stream() -> None:
    a, b = pcm(2, seed=1), pcm(3, seed=2)
    sa, sb = BytesSource(b"x" * 100 + a), BytesSource(b + b"tail")
    stream = PcmStream([Segment(sa, 100, 2, AUDIO_SECTOR), Segment(sb, 0, 1, AUDIO_SECTOR)])
    assert stream.size == 3 * AUDIO_SECTOR
    assert stream.read(0, stream.size) == a + b[:AUDIO_SECTOR]
    assert stream.read(2 * AUDIO_SECTOR - 5, 10) == (a + b)[2 * AUDIO_SECTOR - 5:2 * AUDIO_SECTOR + 5]


def test_adjacent_segments_of_one_file_are_one_pread() -> None:
    data = pcm(4)
    source = BytesSource(data)
    stream = PcmStream([Segment(source, 0, 3, AUDIO_SECTOR), Segment(source, 3 * AUDIO_SECTOR, 1, AUDIO_SECTOR)])
    assert len(stream.segments) == 1
    assert stream.read(0, stream.size) == data
    assert source.reads == 1


def test_segments_are_cut_to_what_the_file_holds() -> None:
    data = pcm(2) + b"\1" * 100          # two whole sectors and a partial one
    stream = PcmStream([Segment(BytesSource(data), 0, 10, AUDIO_SECTOR)])
    assert stream.size == 2 * AUDIO_SECTOR


def test_a_file_that_shrank_is_damage() -> None:
    source = BytesSource(pcm(2))
    stream = PcmStream([Segment(source, 0, 2, AUDIO_SECTOR)])
    source.data = source.data[:1000]
    with pytest.raises(CorruptDataError, match="truncated"):
        stream.read(0, stream.size)
