"""CloneCD (.ccd/.img/.sub) and Alcohol 120% (.mds/.mdf) sets mounted for real with the CLI and
compared with the source tree; bad sets refused with one line, exit 2, nothing mounted.

There are no real CCD or MDS images in the corpus (MANIFEST "Gaps"); the sets come from
tests/support/ccdmds.py, which writes them from the format descriptions, over an ISO made by
genisoimage and turned raw by tests/support/rawcd.py. No installed tool reads a .ccd or an .mds
(iso-info/cd-info, bchunk and 7z do not), so the cross-checks are of the data files: bchunk reads
the .img/.mdf back into the source ISO through a cue written from the descriptor's TOC, and
ccd2iso (which reads a CloneCD .img) gives the source ISO back too.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from conftest import is_mounted, listing, require_tool, run_cli, unmount
from fixtures import trees
from support.ccdmds import AudioTrack, DataTrack, line_of, write_ccd, write_mds
from support.rawcd import tone

TIMEOUT = 60


def make_tree(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "readme.txt").write_bytes(b"CloneCD and Alcohol\n")
    (root / "sub").mkdir()
    (root / "sub" / "deep").mkdir()
    (root / "sub" / "deep" / "lines.txt").write_bytes(b"a line\n" * 500)
    (root / "sub" / "random.bin").write_bytes(random.Random(7).randbytes(300_000))
    return root


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> tuple[Path, bytes]:
    require_tool("genisoimage")
    base = tmp_path_factory.mktemp("ccdmds")
    tree = make_tree(base / "tree")
    iso = base / "source.iso"
    trees.genisoimage(tree, iso, "-R", "-J")
    return tree, iso.read_bytes()


def info_tracks(image: Path) -> list[tuple]:
    proc = run_cli("info", "--json", image, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    facts = json.loads(proc.stdout)
    return [facts["container"]] + [(t["number"], t["type"], t["mode"], t["start"], t["sectors"])
                                   for t in facts["tracks"]]


def bchunk_iso(folder: Path, data_file: Path, mode: str) -> bytes:
    """bchunk's reading of track 1 of ``data_file`` through a one-track cue."""
    require_tool("bchunk")
    cue = folder / "check.cue"
    cue.write_text(f'FILE "{data_file.name}" BINARY\n  TRACK 01 {mode}\n    INDEX 01 00:00:00\n')
    proc = subprocess.run(["bchunk", data_file.name, cue.name, "check"], cwd=folder, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return (folder / "check01.iso").read_bytes()


def refused(image: Path, tmp_path: Path) -> str:
    mnt = tmp_path / "mnt-refused"
    mnt.mkdir(exist_ok=True)
    try:
        proc = run_cli(image, mnt, timeout=TIMEOUT)
        assert proc.returncode == 2, proc.stderr
        assert not is_mounted(mnt)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("mount-image: "), proc.stderr
        return lines[0].removeprefix("mount-image: ")
    finally:
        unmount(mnt)


# ---- CloneCD ------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["MODE1/2352", "MODE2/2352"])
def test_ccd_data_only_mounts(source, mode: str, mount, tmp_path: Path) -> None:
    tree, iso = source
    s = write_ccd([DataTrack(iso, mode)], tmp_path / "Game.img")
    with mount(s.ccd) as mnt:
        assert listing(mnt) == listing(tree)
    sectors = len(iso) // 2048
    assert info_tracks(s.ccd) == ["ccd", (1, "data", mode, 0, sectors)]
    assert bchunk_iso(tmp_path, s.img, mode) == iso


def test_ccd2iso_reads_our_img(source, tmp_path: Path) -> None:
    tree, iso = source
    s = write_ccd([DataTrack(iso)], tmp_path / "game.img")
    subprocess.run([require_tool("ccd2iso"), str(s.img), str(tmp_path / "back.iso")], check=True,
                   capture_output=True, timeout=TIMEOUT)
    assert (tmp_path / "back.iso").read_bytes() == iso


def test_ccd_data_and_audio_mounts(source, mount, tmp_path: Path) -> None:
    tree, iso = source
    s = write_ccd([DataTrack(iso), AudioTrack(tone(100), pregap=150), AudioTrack(tone(40, 2))],
                  tmp_path / "mixed.img", ccd_path=tmp_path / "MIXED.CCD")
    (tmp_path / "mixed.img").rename(tmp_path / "Mixed.IMG")      # found ignoring case
    with mount(s.ccd) as mnt:
        assert listing(mnt) == listing(tree)
    n = len(iso) // 2048
    assert info_tracks(s.ccd) == ["ccd", (1, "data", "MODE1/2352", 0, n + 150), (2, "audio", "AUDIO", n + 150, 100),
                                  (3, "audio", "AUDIO", n + 250, 40)]


# ---- Alcohol 120% -------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["MODE1/2352", "MODE2/2352", "MODE1/2048"])
def test_mds_data_only_mounts(source, mode: str, mount, tmp_path: Path) -> None:
    tree, iso = source
    s = write_mds([DataTrack(iso)], tmp_path / "game.mdf", data_mode=mode)
    with mount(s.mds) as mnt:
        assert listing(mnt) == listing(tree)
    assert info_tracks(s.mds) == ["mds", (1, "data", mode, 0, len(iso) // 2048)]
    if mode != "MODE1/2048":
        assert bchunk_iso(tmp_path, s.mdf, mode) == iso
    else:
        assert s.mdf.read_bytes() == iso


def test_mds_data_and_audio_mounts(source, mount, tmp_path: Path) -> None:
    tree, iso = source
    s = write_mds([DataTrack(iso), AudioTrack(tone(100), pregap=150), AudioTrack(tone(40, 2))], tmp_path / "mix.mdf",
                  filename="Mix.MDF", widechar=True)
    with mount(s.mds) as mnt:
        assert listing(mnt) == listing(tree)
    n = len(iso) // 2048
    assert info_tracks(s.mds) == ["mds", (1, "data", "MODE1/2352", 0, n), (2, "audio", "AUDIO", n + 150, 100),
                                  (3, "audio", "AUDIO", n + 250, 40)]


def test_mds_with_subchannel_mounts(source, mount, tmp_path: Path) -> None:
    tree, iso = source
    s = write_mds([DataTrack(iso)], tmp_path / "sub.mdf", subchannel=True)
    with mount(s.mds) as mnt:
        assert listing(mnt) == listing(tree)
    assert info_tracks(s.mds) == ["mds", (1, "data", "MODE1/2352", 0, len(iso) // 2048)]


# ---- bad sets through the CLI -------------------------------------------------------------------

def test_ccd_with_inconsistent_toc_is_refused(source, tmp_path: Path) -> None:
    _, iso = source
    s = write_ccd([DataTrack(iso), AudioTrack(tone(10))], tmp_path / "bad.img", sub=False)
    text = s.text.replace("TocEntries=5", "TocEntries=4")
    s.ccd.write_text(text)
    assert refused(s.ccd, tmp_path) == (f"{s.ccd}:{line_of(text, 'TocEntries=')}: TocEntries=4 but the file has "
                                        "5 [Entry] sections numbered 0, 1, 2, 3, 4")


def test_ccd_without_img_is_refused(source, tmp_path: Path) -> None:
    _, iso = source
    s = write_ccd([DataTrack(iso)], tmp_path / "gone.img", sub=False)
    s.img.unlink()
    assert refused(s.ccd, tmp_path) == f'{s.ccd}: image file "gone.img" not found next to the .ccd'


def test_mds_track_past_the_mdf_is_refused(source, tmp_path: Path) -> None:
    _, iso = source
    s = write_mds([DataTrack(iso)], tmp_path / "short.mdf")
    with open(s.mdf, "r+b") as f:
        f.truncate(s.mdf.stat().st_size // 2)
    size = s.mdf.stat().st_size
    end = len(iso) // 2048 * 2352
    assert refused(s.mds, tmp_path) == (f"{s.mds}:{s.track_blocks[3] + 40:#x}: track 01 ends at byte {end:#x} of "
                                        f"short.mdf, past its end ({size:#x} bytes)")


def test_mds_without_mdf_is_refused(source, tmp_path: Path) -> None:
    _, iso = source
    s = write_mds([DataTrack(iso)], tmp_path / "lost.mdf")
    s.mdf.unlink()
    assert refused(s.mds, tmp_path) == f'{s.mds}:{s.filename:#x}: data file "lost.mdf" not found next to the .mds'
