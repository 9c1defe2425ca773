"""BIN/CUE and raw .bin images mounted for real with the CLI, compared with the source tree.

The raw sectors come from tests/support_raw.py (written from ECMA-130, independent of src/);
bchunk cross-checks that the .bin/.cue pair we write is what other tools read.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from conftest import corpus_file, is_mounted, listing, one_line_error, require_tool, run_cli, unmount
from fixtures import trees
from support_raw import RAW, audio, iso_to_raw

TIMEOUT = 30


def make_tree(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "hello.txt").write_bytes(b"hello, cue\n")
    (root / "dir").mkdir()
    (root / "dir" / "nested.txt").write_bytes(b"nested\n" * 100)
    (root / "dir" / "data.bin").write_bytes(random.Random(3).randbytes(200_000))
    return root


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> tuple[Path, bytes]:
    """A small tree and its genisoimage ISO (Rock Ridge)."""
    require_tool("genisoimage")
    base = tmp_path_factory.mktemp("cuesrc")
    tree = make_tree(base / "tree")
    iso = base / "source.iso"
    trees.genisoimage(tree, iso, "-R")
    return tree, iso.read_bytes()


def write_cue(folder: Path, name: str, text: str, files: dict[str, bytes]) -> Path:
    for fname, data in files.items():
        (folder / fname).write_bytes(data)
    cue = folder / name
    cue.write_text(text)
    return cue


@pytest.mark.parametrize("mode", [1, 2], ids=["MODE1", "MODE2-form1"])
def test_cue_mounts_and_bchunk_agrees(source, mode: int, mount, tmp_path: Path) -> None:
    tree, iso = source
    raw = iso_to_raw(iso, mode)
    cue = write_cue(tmp_path, "game.cue",
                    f'FILE "game.bin" BINARY\n  TRACK 01 MODE{mode}/2352\n    INDEX 01 00:00:00\n',
                    {"game.bin": raw})
    with mount(cue) as mnt:
        assert listing(mnt) == listing(tree)
    # bchunk reads our .bin/.cue back into the source ISO
    require_tool("bchunk")
    proc = subprocess.run(["bchunk", "game.bin", "game.cue", "out"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "out01.iso").read_bytes() == iso
    info = run_cli("info", "--json", cue)
    assert info.returncode == 0, info.stderr
    facts = json.loads(info.stdout)
    assert facts["container"] == "cue"
    assert facts["image"] == str(cue)


def test_raw_bin_without_cue_mounts(source, mount, tmp_path: Path) -> None:
    tree, iso = source
    image = tmp_path / "lonely.img"
    image.write_bytes(iso_to_raw(iso, 1))
    with mount(image) as mnt:
        assert listing(mnt) == listing(tree)
    info = run_cli("info", "--json", image)
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["container"] == "raw"


def test_multi_file_cue_with_audio(source, mount, tmp_path: Path) -> None:
    tree, iso = source
    cue = write_cue(tmp_path, "Multi Disc.cue", """REM SESSION 01
FILE "Multi Disc (Track 1).bin" BINARY
  TRACK 01 MODE1/2352
    INDEX 01 00:00:00
FILE "Multi Disc (Track 2).bin" BINARY
  TRACK 02 AUDIO
    INDEX 00 00:00:00
    INDEX 01 00:02:00
""", {"Multi Disc (Track 1).bin": iso_to_raw(iso, 1), "Multi Disc (Track 2).bin": audio(300)})
    with mount(cue) as mnt:
        assert listing(mnt) == listing(tree)


def test_corpus_isofs_m1_cue(mount) -> None:
    cue = corpus_file("libcdio/isofs-m1.cue")        # names ISOFS-M1.BIN; the file is isofs-m1.bin
    expected = sorted(corpus_file("expected/libcdio/isofs-m1.bin.tsv").read_text().splitlines())
    with mount(cue) as mnt:
        assert listing(mnt) == expected


def refused(image: Path, tmp_path: Path) -> str:
    mnt = tmp_path / "mnt"
    mnt.mkdir(exist_ok=True)
    try:
        proc = run_cli(image, mnt, timeout=TIMEOUT)
        assert proc.returncode == 2, proc.stderr
        assert not is_mounted(mnt)
        return one_line_error(proc)
    finally:
        unmount(mnt)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    cue = write_cue(tmp_path, "name.cue", 'REM a\nREM b\nFILE "x.bin" BINARY\nTRACK 01 MODE1/2352\nINDEX 01 00:00:00\n', {})
    assert refused(cue, tmp_path) == f'{cue}:3: FILE "x.bin" not found'


def test_short_bin_is_refused(source, tmp_path: Path) -> None:
    _, iso = source
    raw = iso_to_raw(iso, 1)
    sectors = len(raw) // RAW
    cue = write_cue(tmp_path, "short.cue", f'FILE "short.bin" BINARY\nTRACK 01 MODE1/2352\nINDEX 01 00:00:00\n'
                    f'TRACK 02 AUDIO\nINDEX 01 {sectors // 75 // 60:02d}:{sectors // 75 % 60:02d}:{sectors % 75:02d}\n',
                    {"short.bin": raw})
    assert refused(cue, tmp_path) == f"{tmp_path / 'short.bin'}: {sectors + 1} sectors expected, file holds {sectors}"


def test_audio_cue_has_no_files_view(tmp_path: Path) -> None:
    # Without a view choice an audio CD falls back to the tracks view (tests/integration/
    # test_tracks_view.py); asking for the files view explicitly is refused.
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    proc = run_cli(corpus_file("libcdio/cdda.cue"), mnt, "-o", "view=files", timeout=TIMEOUT)
    assert proc.returncode == 2, proc.stderr
    assert not is_mounted(mnt)
    message = one_line_error(proc)
    assert "cdda.cue" in message and "no data track" in message
