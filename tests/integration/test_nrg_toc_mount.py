"""Nero NRG and cdrdao TOC images mounted for real through the CLI; bad ones refused with exit 2."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from conftest import corpus_file, is_mounted, listing, one_line_error, run_cli

TIMEOUT = 30


def tsv(name: str) -> list[list[str]]:
    return [line.split("\t") for line in corpus_file(f"expected/libcdio/{name}").read_text().splitlines()]


def refused(image: Path, tmp_path: Path) -> str:
    mnt = tmp_path / "mnt"
    mnt.mkdir(exist_ok=True)
    proc = run_cli(image, mnt, timeout=TIMEOUT)
    assert proc.returncode == 2, proc.stderr
    assert not is_mounted(mnt)
    return one_line_error(proc)


# ---- NRG -----------------------------------------------------------------------------------------

def test_videocd_nrg_files_view(mount) -> None:
    """Track 1 of the VCD (XA Mode 2 stored as 2336-byte sectors) holds the ISO 9660 tree."""
    expected = tsv("videocd.nrg.tsv")
    with mount(corpus_file("libcdio/videocd.nrg")) as mnt:
        # map=normal (the default) shows ISO 9660 names lower-cased, as Linux's isofs does.
        dirs = sorted(os.path.relpath(os.path.join(d, n), mnt) for d, ns, _ in os.walk(mnt) for n in ns)
        assert dirs == sorted(path.lower() for path, kind, *_ in expected if kind == "d")
        files = sorted(os.path.relpath(os.path.join(d, n), mnt) for d, _, ns in os.walk(mnt) for n in ns)
        assert files == sorted(path.lower() for path, kind, *_ in expected if kind == "f")
        form1 = [(path, int(size)) for path, kind, size, note in expected if kind == "f" and "form2" not in note]
        assert form1, "the listing has Form 1 files"
        for path, size in form1:
            assert len((mnt / path.lower()).read_bytes()) == size, path
        assert (mnt / "svcd" / "info.svd").read_bytes()[:8] == b"SUPERVCD"


def test_p1_nrg_info_lists_tracks_as_cd_info() -> None:
    proc = run_cli("info", "--json", corpus_file("libcdio/p1.nrg"), timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    tracks = json.loads(proc.stdout)["tracks"]
    assert [(t["number"], t["type"], t["mode"], t["start"], t["sectors"]) for t in tracks] == \
        [(1, "audio", "AUDIO", 150, 75), (2, "audio", "AUDIO", 300, 2)]


def _bad_footer(good: bytes) -> bytes:
    return good[:-8] + struct.pack(">Q", len(good) * 2)


def _bad_chunk_size(good: bytes) -> bytes:
    at = struct.unpack(">Q", good[-8:])[0]
    return good[:at + 4] + struct.pack(">I", 0x7FFFFFF0) + good[at + 8:]


def _truncated(good: bytes) -> bytes:
    return good[:-3]


@pytest.mark.parametrize("damage,fragment", [
    (_bad_footer, "outside the file"), (_bad_chunk_size, "runs past the end"), (_truncated, "no NRG footer"),
], ids=["footer offset outside", "chunk size past the end", "truncated"])
def test_bad_nrg_refused(tmp_path: Path, damage, fragment: str) -> None:
    image = tmp_path / "bad.nrg"
    image.write_bytes(damage(corpus_file("libcdio/p1.nrg").read_bytes()))
    message = refused(image, tmp_path)
    assert message.startswith(f"{image}:0x")
    assert fragment in message


# ---- TOC -----------------------------------------------------------------------------------------

def test_isofs_m1_toc_same_tree_as_the_cue(mount) -> None:
    expected = sorted(corpus_file("expected/libcdio/isofs-m1.bin.tsv").read_text().splitlines())
    with mount(corpus_file("libcdio/isofs-m1.toc")) as mnt:
        assert listing(mnt) == expected


def test_toc_with_data_track_after_pregap_mounts(tmp_path: Path, mount) -> None:
    """A copy of isofs-m1.bin behind a TOC naming it in another case, with a byte offset."""
    folder = tmp_path / "img"
    folder.mkdir()
    shutil.copy(corpus_file("libcdio/isofs-m1.bin"), folder / "Disc.BIN")
    toc = folder / "disc.toc"
    toc.write_text('CD_ROM\n// one raw Mode 1 track\nTRACK MODE1_RAW\nDATAFILE "disc.bin" #0\n')
    expected = sorted(corpus_file("expected/libcdio/isofs-m1.bin.tsv").read_text().splitlines())
    with mount(toc) as mnt:
        assert listing(mnt) == expected


@pytest.mark.parametrize("name,where", [
    ("bad-msf-1.toc", "6"), ("bad-cat2.toc", "4"), ("bad-mode1.toc", "4"), ("vcd_demo.toc", "5"),
    ("t2.toc", "5"),
])
def test_bad_toc_refused(tmp_path: Path, name: str, where: str) -> None:
    image = corpus_file(f"libcdio/{name}")
    assert refused(image, tmp_path).startswith(f"{image}:{where}: ")


def test_toc_escaping_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.bin").write_bytes(b"\0" * 2352 * 20)
    (tmp_path / "in").mkdir()
    toc = tmp_path / "in" / "x.toc"
    toc.write_text('TRACK MODE1_RAW\nFILE "../secret.bin" 0\n')
    assert 'FILE "../secret.bin" not found' in refused(toc, tmp_path)
