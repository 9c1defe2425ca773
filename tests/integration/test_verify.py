"""``mount-image verify``: sync, header address, mode, EDC and ECC of every raw data sector, through
the CLI; bad sectors are named with what is wrong and the files they belong to."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import corpus_file, require_tool, run_cli
from fixtures import trees
from support.ccdmds import AudioTrack, DataTrack, write_mds
from support.rawcd import iso_to_raw, single_track_cue, tone

SECTOR = 2352


@pytest.fixture(scope="module")
def iso(tmp_path_factory) -> bytes:
    """A genisoimage ISO with one big file whose sectors we can damage."""
    require_tool("genisoimage")
    base = tmp_path_factory.mktemp("verifysrc")
    tree = base / "tree"
    (tree / "dir").mkdir(parents=True)
    (tree / "hello.txt").write_bytes(b"hello, verify\n")
    (tree / "dir" / "big.bin").write_bytes(random.Random(5).randbytes(300_000))
    out = base / "src.iso"
    trees.genisoimage(tree, out, "-R")
    return out.read_bytes()


def write_image(folder: Path, iso: bytes, mode: str = "MODE1/2352") -> Path:
    (folder / "disc.bin").write_bytes(iso_to_raw(iso, mode))
    cue = folder / "disc.cue"
    cue.write_text(single_track_cue("disc.bin", mode))
    return cue


def verify(image: Path, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    proc = run_cli("verify", image, "--json", *extra)
    assert proc.returncode in (0, 1), proc.stderr
    return proc, json.loads(proc.stdout)


def bad_by_lba(report: dict) -> dict[int, dict]:
    return {b["lba"]: b for t in report["tracks"] for b in t["bad"]}


def damage(path: Path, offset: int, xor: int = 0x5A) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)[0]
        f.seek(offset)
        f.write(bytes((byte ^ xor,)))


def locate(iso: bytes, name: bytes) -> tuple[int, int]:
    """(first sector, size) of the file whose ISO 9660 identifier starts with ``name`` (a plain
    scan of the directory records, independent of src/)."""
    at = iso.find(name + b";1")
    assert at > 0, name
    record = at - 33  # the identifier follows the 33-byte fixed part of the directory record
    assert iso[record + 32] == len(name) + 2
    return int.from_bytes(iso[record + 2:record + 6], "little"), int.from_bytes(iso[record + 10:record + 14], "little")


@pytest.mark.parametrize("mode", ["MODE1/2352", "MODE2/2352"], ids=["MODE1", "MODE2-form1"])
def test_good_image_exits_0(iso, tmp_path: Path, mode: str) -> None:
    cue = write_image(tmp_path, iso, mode)
    proc = run_cli("verify", cue)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all sectors good" in proc.stdout
    proc, report = verify(cue)
    assert proc.returncode == 0
    assert report["bad_sectors"] == 0 and report["files_affected"] == []
    [track] = report["tracks"]
    assert track["number"] == 1 and track["checked"] == track["sectors"] == len(iso) // 2048
    assert track["bad"] == []


def test_corpus_isofs_m1_is_good() -> None:
    cue = corpus_file("libcdio/isofs-m1.cue")
    proc, report = verify(cue)
    assert proc.returncode == 0, proc.stdout
    assert report["tracks"][0]["checked"] == 302


def test_plain_iso_has_nothing_to_verify(iso, tmp_path: Path) -> None:
    image = tmp_path / "plain.iso"
    image.write_bytes(iso)
    proc = run_cli("verify", image)
    assert proc.returncode == 0, proc.stderr
    assert "nothing to verify" in proc.stdout
    proc, report = verify(image)
    assert proc.returncode == 0 and report["nothing_to_verify"] is True


# (what to damage: byte offset in the sector, the kind that must be reported, kinds that must not).
# Mode 1's EDC covers bytes 0..2063 (sync and header too), its ECC bytes 12..2075.
DAMAGE = {
    "user-data": (16 + 100, "edc", {"sync", "header"}),
    "edc": (2064 + 1, "edc", {"sync", "header"}),
    "ecc": (2076 + 30, "ecc", {"edc", "sync", "header"}),
    "sync": (5, "sync", {"ecc", "header"}),
    "header": (14, "header", {"sync"}),
}


def test_damaged_sectors_are_reported(iso, tmp_path: Path) -> None:
    cue = write_image(tmp_path, iso)
    bin_path = tmp_path / "disc.bin"
    sectors = len(iso) // 2048
    chosen = dict(zip(DAMAGE, [3, 10, 11, 12, sectors - 1]))
    for name, lba in chosen.items():
        damage(bin_path, lba * SECTOR + DAMAGE[name][0])
    before = bin_path.stat()
    text = run_cli("verify", cue)
    assert text.returncode == 1, text.stdout + text.stderr
    proc, report = verify(cue)
    assert proc.returncode == 1
    bad = bad_by_lba(report)
    assert sorted(bad) == sorted(chosen.values()), report
    assert report["bad_sectors"] == len(chosen)
    for name, lba in chosen.items():
        _, must, must_not = DAMAGE[name]
        assert must in bad[lba]["kinds"], (name, bad[lba])
        assert not must_not & set(bad[lba]["kinds"]), (name, bad[lba])
        assert f"LBA {lba}: " in text.stdout
    assert "ecc" in bad[chosen["user-data"]]["kinds"]  # ECC covers the user data too
    after = bin_path.stat()
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)


def test_bad_sector_names_its_file(iso, tmp_path: Path) -> None:
    cue = write_image(tmp_path, iso)
    bin_path = tmp_path / "disc.bin"
    first, size = locate(iso, b"BIG.BIN")
    lba = first + size // 2048 // 2
    damage(bin_path, lba * SECTOR + 16 + 7)
    proc, report = verify(cue)
    assert proc.returncode == 1
    assert bad_by_lba(report)[lba]["files"] == ["/dir/big.bin"]
    assert report["files_affected"] == ["/dir/big.bin"]
    text = run_cli("verify", cue)
    assert "/dir/big.bin" in text.stdout and text.returncode == 1


def test_mode2_damage_is_reported(iso, tmp_path: Path) -> None:
    cue = write_image(tmp_path, iso, "MODE2/2352")
    damage(tmp_path / "disc.bin", 20 * SECTOR + 24 + 1)
    proc, report = verify(cue)
    assert proc.returncode == 1
    assert set(bad_by_lba(report)) == {20}
    assert {"edc", "ecc"} <= set(bad_by_lba(report)[20]["kinds"])


def test_wrong_mode_byte(iso, tmp_path: Path) -> None:
    cue = write_image(tmp_path, iso)
    with open(tmp_path / "disc.bin", "r+b") as f:
        f.seek(7 * SECTOR + 15)
        f.write(b"\x02")
    proc, report = verify(cue)
    assert proc.returncode == 1
    assert "mode" in bad_by_lba(report)[7]["kinds"]


def test_image_is_never_written(tmp_path: Path) -> None:
    src = corpus_file("libcdio/isofs-m1.cue")
    for name in ("isofs-m1.cue", "isofs-m1.bin"):
        shutil.copy(src.parent / name, tmp_path / name)
    cue_text = (tmp_path / "isofs-m1.cue").read_text()
    (tmp_path / "isofs-m1.cue").write_text(cue_text.replace("ISOFS-M1.BIN", "isofs-m1.bin"))
    bin_path = tmp_path / "isofs-m1.bin"
    damage(bin_path, 40 * SECTOR + 100)
    data, stat = bin_path.read_bytes(), bin_path.stat()
    os.chmod(bin_path, 0o444)
    proc, report = verify(tmp_path / "isofs-m1.cue")
    assert proc.returncode == 1 and set(bad_by_lba(report)) == {40}
    assert bin_path.read_bytes() == data
    assert bin_path.stat().st_mtime_ns == stat.st_mtime_ns


def test_refused_image_exits_2(tmp_path: Path) -> None:
    cue = tmp_path / "bad.cue"
    cue.write_text('FILE "missing.bin" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n')
    proc = run_cli("verify", cue)
    assert proc.returncode == 2
    assert proc.stderr.startswith("mount-image: ") and proc.stdout == ""


def test_2448_sectors_with_subchannel(iso, tmp_path: Path) -> None:
    """An Alcohol .mds/.mdf with 2352 + 96 bytes of subchannel per sector: the 2352-byte part is
    checked, the subchannel is not; the audio track is not a data track and is left alone."""
    s = write_mds([DataTrack(iso), AudioTrack(tone(30))], tmp_path / "sub.mdf", subchannel=True)
    proc, report = verify(s.mds)
    assert proc.returncode == 0, proc.stdout
    [track] = report["tracks"]
    assert track["checked"] == len(iso) // 2048
    damage(s.mdf, 9 * 2448 + 2352 + 5)   # subchannel byte: not ours to judge
    assert verify(s.mds)[0].returncode == 0
    damage(s.mdf, 9 * 2448 + 600)         # user data of LBA 9
    proc, report = verify(s.mds)
    assert proc.returncode == 1 and set(bad_by_lba(report)) == {9}


def test_listing_is_capped(tmp_path: Path) -> None:
    """1200 bad sectors: 1000 listed, the rest counted; no filesystem on it is no obstacle."""
    raw = bytearray(iso_to_raw(bytes(1200 * 2048)))
    raw[3::SECTOR] = b"\x00" * 1200      # a sync byte of every sector
    (tmp_path / "disc.bin").write_bytes(raw)
    cue = tmp_path / "disc.cue"
    cue.write_text(single_track_cue("disc.bin"))
    proc, report = verify(cue)
    assert proc.returncode == 1
    assert report["bad_sectors"] == 1200 and report["bad_not_listed"] == 200
    assert len(bad_by_lba(report)) == 1000
    assert all(b["kinds"][0] == "sync" for t in report["tracks"] for b in t["bad"])
    text = run_cli("verify", cue)
    assert text.returncode == 1 and "... and 200 more bad sectors" in text.stdout


def test_bad_sector_names_its_file_on_a_udf_disc(tmp_path: Path) -> None:
    """On a UDF bridge disc the files view is UDF: a bad sector is named by the UDF path (the
    file's bytes are found in the image by content, independent of src/)."""
    import io

    import pycdlib
    data = random.Random(9).randbytes(200_000)
    writer = pycdlib.PyCdlib()
    writer.new(udf="2.60", interchange_level=3)
    writer.add_fp(io.BytesIO(data), len(data), "/BIG.BIN;1", udf_path="/Big Data.bin")
    out = io.BytesIO()
    writer.write_fp(out)
    writer.close()
    image = out.getvalue()
    cue = write_image(tmp_path, image)
    first = image.find(data[:2048]) // 2048
    assert first > 0 and image[first * 2048:first * 2048 + len(data)] == data
    lba = first + 40
    damage(tmp_path / "disc.bin", lba * SECTOR + 16 + 100)
    proc, report = verify(cue)
    assert proc.returncode == 1
    assert bad_by_lba(report)[lba]["files"] == ["/Big Data.bin"]
    assert report["files_affected"] == ["/Big Data.bin"]


def test_worker_processes_report_what_one_process_does(tmp_path: Path) -> None:
    """-j 3 splits the track into runs checked by forked workers: the same bad sectors, kinds
    and counts as -j 1, in order, with damage on both sides of a run boundary (4096 sectors)."""
    from mount_image.cli.verify import RUN_SECTORS
    count = 2 * RUN_SECTORS + 300
    raw = bytearray(iso_to_raw(random.Random(9).randbytes(count * 2048)))
    damaged = [5, RUN_SECTORS - 1, RUN_SECTORS, 2 * RUN_SECTORS + 17]
    for lba in damaged:
        raw[lba * SECTOR + 700] ^= 0xFF                    # user data: EDC and ECC
    raw[(RUN_SECTORS + 3) * SECTOR + 13] ^= 0x01           # a header byte
    (tmp_path / "disc.bin").write_bytes(raw)
    cue = tmp_path / "disc.cue"
    cue.write_text(single_track_cue("disc.bin"))
    one, report_one = verify(cue, "-j", "1")
    three, report_three = verify(cue, "-j", "3")
    assert one.returncode == three.returncode == 1
    assert report_one == report_three
    bad = bad_by_lba(report_three)
    assert sorted(bad) == sorted(damaged + [RUN_SECTORS + 3])
    assert bad[RUN_SECTORS]["kinds"] == ["edc", "ecc"]
    assert bad[RUN_SECTORS + 3]["kinds"][0] == "header"
    assert report_three["tracks"][0]["checked"] == count


def test_jobs_must_be_a_positive_number(tmp_path: Path) -> None:
    proc = run_cli("verify", tmp_path / "x.cue", "-j", "0")
    assert proc.returncode == 2 and "positive whole number" in proc.stderr
