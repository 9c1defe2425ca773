"""disc.bin + disc.cue of the tracks view through the real CLI and FUSE: the whole disc as one raw
2352-byte image, checked with bchunk, our EDC/ECC checker and the images it was made from."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import corpus_file, require_tool, run_cli
from fixtures import trees
from mount_image.disc.cue import parse_cue
from mount_image.disc.msf import header_msf
from mount_image.sectors.edc import SYNC, check_sectors
from support.rawcd import AudioTrack, DataTrack, tone, write_multi_track

S = 2352


def make_iso(base: Path, label: str, files: dict[str, bytes]) -> Path:
    require_tool("genisoimage")
    tree = base / f"tree-{label}"
    tree.mkdir()
    for name, data in files.items():
        (tree / name).write_bytes(data)
    iso = base / f"{label}.iso"
    trees.genisoimage(tree, iso, "-R", "-V", label)
    return iso


def info_tracks(image: Path) -> list[dict]:
    proc = run_cli("info", "--json", image)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["tracks"]


def test_plain_iso_as_mode1_raw(tmp_path: Path, mount) -> None:
    iso = make_iso(tmp_path, "PLAIN", {"a.txt": b"hello raw\n", "big.bin": bytes(range(256)) * 900})
    source = iso.read_bytes()
    with mount(iso, "--view", "tracks") as mnt:
        raw = (mnt / "disc.bin").read_bytes()
        cue = (mnt / "disc.cue").read_text()
        assert (mnt / "disc.bin").stat().st_size == len(source) // 2048 * S
        assert cue == 'FILE "disc.bin" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n'
        assert check_sectors(raw, first_lba=0) == []
        assert b"".join(raw[i + 16:i + 16 + 2048] for i in range(0, len(raw), S)) == source
        bchunk = require_tool("bchunk")
        out = tmp_path / "out"
        proc = subprocess.run([bchunk, str(mnt / "disc.bin"), str(mnt / "disc.cue"), str(out)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "out01.iso").read_bytes() == source


def test_data_and_audio_bin_cue_round_trip(tmp_path: Path, mount) -> None:
    iso = make_iso(tmp_path, "MIXED", {"hello.txt": b"hello, mixed mode\n"})
    layout = write_multi_track([DataTrack(iso), AudioTrack(tone(40, seed=3), pregap=150),
                                AudioTrack(tone(20, seed=4))], tmp_path / "mixed.bin")
    original = parse_cue(str(layout.cue_path))
    try:
        expected = [(t.number, t.mode, t.start, t.pregap_stored) for t in original.tracks]
    finally:
        original.close()
    with mount(layout.cue_path, "--view", "tracks") as mnt:
        assert (mnt / "disc.bin").read_bytes() == layout.bin_path.read_bytes()
        again = parse_cue(str(mnt / "disc.cue"))
        try:
            assert [(t.number, t.mode, t.start, t.pregap_stored) for t in again.tracks] == expected
        finally:
            again.close()


def test_videocd_nrg_xa_sectors(mount) -> None:
    nrg = corpus_file("libcdio/videocd.nrg")
    stored = nrg.read_bytes()
    tracks = info_tracks(nrg)
    assert {t["sector_size"] for t in tracks} == {2336}
    with mount(nrg, "--view", "tracks") as mnt:
        raw = (mnt / "disc.bin").read_bytes()
        cue = parse_cue(str(mnt / "disc.cue"))
        try:
            assert [t.number for t in cue.tracks] == [t["number"] for t in tracks]
            assert {t.mode.value for t in cue.tracks} == {"MODE2/2352"}
        finally:
            cue.close()
    position = 0
    for t in tracks:
        count = t["sectors"]
        chunk = raw[position * S:(position + count) * S]
        assert len(chunk) == count * S, t["number"]
        assert check_sectors(chunk, first_lba=t["start"]) == []        # sync, header, EDC/ECC
        for i in (0, 1, count // 2, count - 1):
            sector = chunk[i * S:(i + 1) * S]
            assert sector[:16] == SYNC + header_msf(t["start"] + i) + b"\x02"
            assert sector[16:] == stored[t["offset"] + i * 2336:t["offset"] + (i + 1) * 2336]
        user = b"".join(chunk[i + 16:i + S] for i in range(0, len(chunk), S))
        assert user == stored[t["offset"]:t["offset"] + count * 2336]
        position += count
    assert position * S == len(raw)


def test_corpus_audio_disc_bin_is_the_bin(mount) -> None:
    cue = corpus_file("libcdio/p1.cue")
    with mount(cue, "--view", "tracks") as mnt:
        assert (mnt / "disc.bin").read_bytes() == corpus_file("libcdio/p1.bin").read_bytes()
        back = parse_cue(str(mnt / "disc.cue"))
        original = parse_cue(str(cue))
        try:
            def key(disc):  # noqa: ANN001, ANN202
                return [(t.number, t.mode, t.start, t.pregap_stored, t.flags) for t in disc.tracks]
            assert key(back) == key(original)
            assert back.catalog == original.catalog and back.cdtext == original.cdtext
        finally:
            back.close()
            original.close()


@pytest.mark.parametrize("chunk", [4096, 131072, 1 << 20])
def test_reads_at_odd_offsets_through_fuse(tmp_path: Path, mount, chunk: int) -> None:
    iso = make_iso(tmp_path, "ODD", {"x.bin": bytes(range(251)) * 3000})
    with mount(iso, "--view", "tracks") as mnt:
        whole = (mnt / "disc.bin").read_bytes()
        parts = []
        with open(mnt / "disc.bin", "rb", buffering=0) as f:
            f.seek(7)
            while block := f.read(chunk):
                parts.append(block)
        assert b"".join(parts) == whole[7:]
