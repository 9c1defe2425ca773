"""tests/support/rawcd.py, the raw BIN/CUE writer for fixtures, checked against a real image and
against bchunk (an independent reader: bin + cue -> iso must give back the source ISO)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import corpus_file, require_tool
from mount_image.sectors import edc
from support.rawcd import (AudioTrack, DataTrack, iso_to_raw, msf, single_track_cue, tone,
                           write_multi_track, write_single_track)

SECTOR = 2352


@pytest.fixture(scope="module")
def iso() -> bytes:
    return corpus_file("libcdio/copying.iso").read_bytes()


def bchunk(tmp: Path, bin_path: Path, cue_path: Path, *options: str) -> Path:
    tool = require_tool("bchunk")
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    proc = subprocess.run([tool, *options, str(bin_path), str(cue_path), str(out / "t")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_writer_reproduces_a_real_raw_image() -> None:
    real = corpus_file("libcdio/isofs-m1.bin").read_bytes()
    cooked = b"".join(real[i + 16:i + 2064] for i in range(0, len(real), SECTOR))
    assert iso_to_raw(cooked, "MODE1/2352") == real


@pytest.mark.parametrize("mode", ["MODE1/2352", "MODE2/2352"])
def test_single_track_round_trip_through_bchunk(tmp_path: Path, iso: bytes, mode: str) -> None:
    bin_path, cue_path = write_single_track(iso, tmp_path / "disc.bin", mode)
    raw = bin_path.read_bytes()
    assert len(raw) == len(iso) // 2048 * SECTOR
    assert edc.check_sectors(raw, first_lba=0) == []
    assert cue_path.read_text() == single_track_cue("disc.bin", mode)
    assert 'FILE "disc.bin" BINARY' in cue_path.read_text() and f"TRACK 01 {mode}" in cue_path.read_text()
    out = bchunk(tmp_path, bin_path, cue_path)
    assert (out / "t01.iso").read_bytes() == iso


def test_path_input_and_partial_last_block(tmp_path: Path, iso: bytes) -> None:
    path = tmp_path / "short.iso"
    path.write_bytes(iso[:-100])
    raw = iso_to_raw(path, "MODE1/2352")
    assert len(raw) == len(iso) // 2048 * SECTOR
    last = raw[-SECTOR:]
    assert last[16:2064] == iso[-2048:-100] + bytes(100)
    assert iso_to_raw(path, "MODE1/2048") == iso[:-100] + bytes(100)
    with pytest.raises(ValueError, match="MODE3"):
        iso_to_raw(iso, "MODE3/2352")


def test_mode2_sectors_are_form1_with_xa_subheader(iso: bytes) -> None:
    raw = iso_to_raw(iso, "MODE2/2352", first_lba=10)
    sector = raw[16 * SECTOR:17 * SECTOR]
    assert sector[15] == 2 and sector[16:20] == sector[20:24] == edc.FORM1_SUBHEADER
    assert sector[24:2072] == iso[16 * 2048:17 * 2048]
    result = edc.check_sector(sector)
    assert result.ok and result.form == 1 and result.lba == 26


def test_msf_text() -> None:
    assert msf(0) == "00:00:00"
    assert msf(75) == "00:01:00"
    assert msf(4500 + 75 * 2 + 3) == "01:02:03"


def test_multi_track_layout_with_audio_and_pregaps(tmp_path: Path, iso: bytes) -> None:
    pcm2, pcm3 = tone(100, seed=1), tone(50, seed=2)[:-1000]   # the second ends mid-sector
    layout = write_multi_track(
        [DataTrack(iso), AudioTrack(pcm2, pregap=75), AudioTrack(pcm3), DataTrack(iso, "MODE2/2352")],
        tmp_path / "mixed.bin")
    data_sectors = len(iso) // 2048
    starts = [t.start for t in layout.tracks]
    assert starts == [0, data_sectors + 75, data_sectors + 175, data_sectors + 225]
    assert [t.index0 for t in layout.tracks] == [None, data_sectors, None, None]
    assert [t.mode for t in layout.tracks] == ["MODE1/2352", "AUDIO", "AUDIO", "MODE2/2352"]
    raw = layout.bin_path.read_bytes()
    assert len(raw) == layout.total_sectors * SECTOR
    # The pregap is stored silence; the audio is the PCM, the last one padded with silence.
    assert raw[data_sectors * SECTOR:starts[1] * SECTOR] == bytes(75 * SECTOR)
    assert raw[starts[1] * SECTOR:starts[2] * SECTOR] == pcm2
    assert raw[starts[2] * SECTOR:starts[3] * SECTOR] == pcm3 + bytes(1000)
    # Data sectors carry their address in the file (MSF = LBA + 150).
    assert edc.check_sectors(raw[:data_sectors * SECTOR], first_lba=0) == []
    assert edc.check_sectors(raw[starts[3] * SECTOR:], first_lba=starts[3]) == []
    cue = layout.cue_path.read_text()
    assert cue == (
        'FILE "mixed.bin" BINARY\n'
        "  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n"
        f"  TRACK 02 AUDIO\n    INDEX 00 {msf(data_sectors)}\n    INDEX 01 {msf(starts[1])}\n"
        f"  TRACK 03 AUDIO\n    INDEX 01 {msf(starts[2])}\n"
        f"  TRACK 04 MODE2/2352\n    INDEX 01 {msf(starts[3])}\n")
    out = bchunk(tmp_path, layout.bin_path, layout.cue_path, "-w")
    assert (out / "t01.iso").read_bytes() == iso
    assert (out / "t04.iso").read_bytes() == iso
    wav2 = (out / "t02.wav").read_bytes()
    assert wav2[:4] == b"RIFF" and wav2[8:12] == b"WAVE" and wav2[44:] == pcm2
    assert (out / "t03.wav").read_bytes()[44:] == pcm3 + bytes(1000)
