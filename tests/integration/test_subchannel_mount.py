"""Data tracks stored with subchannel (2448-byte sectors: 2352 + 96 bytes of P-W, ECMA-130 §22)
mounted for real with the CLI and compared with the source tree.

The ISO is made by genisoimage and turned into raw sectors by tests/support/rawcd.py (EDC/ECC
included); 96 bytes of subchannel are appended to each sector here. The descriptor is an Alcohol
.mds (tests/support/ccdmds.py), the one container our writers have that says "2448": a cue sheet
cannot (CDG is audio), and a CloneCD set keeps its subchannel apart in the .sub. The same sectors
with the subchannel cut off, as a MODE1/2352 .bin + cue, must give the same tree, and bchunk must
read that .bin back into the source ISO (an independent check of the raw sectors we stripped).
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from conftest import listing, require_tool
from fixtures import trees
from support.ccdmds import AudioTrack, DataTrack, write_mds
from support.rawcd import iso_to_raw, single_track_cue, tone

TIMEOUT = 60
RAW = 2352
WITH_SUB = 2448


def make_tree(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "readme.txt").write_bytes(b"sectors with subchannel\n")
    (root / "dir").mkdir()
    (root / "dir" / "nested").mkdir()
    (root / "dir" / "nested" / "text.txt").write_bytes(b"line of text\n" * 700)
    (root / "dir" / "noise.bin").write_bytes(random.Random(11).randbytes(410_000))
    (root / "empty.dat").write_bytes(b"")
    return root


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> tuple[Path, bytes]:
    require_tool("genisoimage")
    base = tmp_path_factory.mktemp("subchannel")
    tree = make_tree(base / "tree")
    iso = base / "source.iso"
    trees.genisoimage(tree, iso, "-R", "-J")
    return tree, iso.read_bytes()


def p_channel(lba: int) -> bytes:
    """96 subchannel bytes: P set (bit 7) in every byte, as in a pregap/pause; Q-W zero."""
    return b"\x80" * 96 if lba % 2 else b"\x00" * 95 + b"\x80"


def with_subchannel(raw: bytes) -> bytes:
    assert len(raw) % RAW == 0
    return b"".join(raw[i:i + RAW] + p_channel(i // RAW) for i in range(0, len(raw), RAW))


def strip_subchannel(data: bytes) -> bytes:
    assert len(data) % WITH_SUB == 0
    return b"".join(data[i:i + RAW] for i in range(0, len(data), WITH_SUB))


def test_mds_mode1_2448_from_an_iso_mounts(source, mount, tmp_path: Path) -> None:
    tree, iso = source
    # The .mds from the writer; the .mdf rewritten here: rawcd's sectors + our own 96 bytes each.
    s = write_mds([DataTrack(iso)], tmp_path / "disc.mdf", subchannel=True)
    mdf = with_subchannel(iso_to_raw(iso, "MODE1/2352"))
    assert len(mdf) == s.mdf.stat().st_size == len(iso) // 2048 * WITH_SUB
    s.mdf.write_bytes(mdf)
    with mount(s.mds) as mnt:
        assert listing(mnt) == listing(tree)
    with mount(s.mds, "--view", "tracks") as mnt:
        assert (mnt / "track01.iso").read_bytes() == iso

    # The same sectors without the subchannel, as BIN/CUE: the same tree; bchunk agrees.
    (tmp_path / "plain.bin").write_bytes(strip_subchannel(mdf))
    (tmp_path / "plain.cue").write_text(single_track_cue("plain.bin", "MODE1/2352"))
    with mount(tmp_path / "plain.cue") as mnt:
        assert listing(mnt) == listing(tree)
    require_tool("bchunk")
    proc = subprocess.run(["bchunk", "plain.bin", "plain.cue", "check"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "check01.iso").read_bytes() == iso


@pytest.mark.parametrize("mode", ["MODE1/2352", "MODE2/2352"])
def test_mds_2448_with_q_subchannel_and_audio_mounts(source, mode: str, mount, tmp_path: Path) -> None:
    """The writer's own subchannel (Q with positions and CRC) after every sector, data + audio."""
    tree, iso = source
    pcm = tone(30)
    s = write_mds([DataTrack(iso, mode), AudioTrack(pcm)], tmp_path / "mixed.mdf", subchannel=True)
    n = len(iso) // 2048
    assert s.mdf.stat().st_size == (n + 30) * WITH_SUB
    with mount(s.mds) as mnt:
        assert listing(mnt) == listing(tree)
    with mount(s.mds, "--view", "tracks") as mnt:
        assert (mnt / "track01.iso").read_bytes() == iso
        wav = (mnt / "track02.wav").read_bytes()
        assert wav[:4] == b"RIFF" and wav[44:] == pcm
