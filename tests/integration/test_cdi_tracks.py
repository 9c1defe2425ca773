"""CD-i tracks (cue CDI/2352 and CDI/2336) mounted for real: Mode 2 Form 1 user data at 24 of a
raw sector and at 8 of a 2336-byte one, in the files view when the track holds ISO 9660 and in
the tracks view always. The sectors come from our EDC/ECC writer (checked sector by sector with
edc.check_sectors); neither bchunk nor libcdio reads a CDI/2352 cue line (bchunk copies the
track as "unknown", cd-info refuses the sheet), so there is no independent reader here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import listing, require_tool, run_cli
from fixtures import trees
from mount_image.sectors import edc

RAW = 2352


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> tuple[Path, bytes]:
    require_tool("genisoimage")
    base = tmp_path_factory.mktemp("cdisrc")
    tree = base / "tree"
    (tree / "CDI").mkdir(parents=True)
    (tree / "CDI" / "readme.txt").write_text("a CD-i bridge disc keeps its application here\n")
    (tree / "video.dat").write_bytes(bytes(range(256)) * 300)
    iso = base / "src.iso"
    trees.genisoimage(tree, iso, "-R", "-V", "CDIDISC")
    return tree, iso.read_bytes()


def write_cdi(folder: Path, iso: bytes, stored: int) -> Path:
    raw = edc.encode_mode2_form1_run(iso, 0)
    if stored == 2336:  # CDI/2336 drops the 12-byte sync and the 4-byte header of every sector
        raw = b"".join(raw[i + 16:i + RAW] for i in range(0, len(raw), RAW))
    (folder / "cdi.bin").write_bytes(raw)
    cue = folder / "cdi.cue"
    cue.write_text(f'FILE "cdi.bin" BINARY\n  TRACK 01 CDI/{stored}\n    INDEX 01 00:00:00\n')
    return cue


@pytest.mark.parametrize("stored", [2352, 2336])
def test_cdi_track_with_iso9660_mounts(source, stored: int, mount, tmp_path: Path) -> None:
    tree, iso = source
    cue = write_cdi(tmp_path, iso, stored)
    with mount(cue) as mnt:
        assert listing(mnt) == listing(tree)
    with mount(cue, "--view", "tracks") as mnt:
        assert (mnt / "track01.iso").read_bytes() == iso
        # disc.bin gives the raw sectors back, sync and header rebuilt for the 2336 form
        assert edc.check_sectors((mnt / "disc.bin").read_bytes(), first_lba=0) == []
    proc = run_cli("info", "--json", cue)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    (track,) = info["tracks"]
    assert (track["type"], track["mode"], track["start"], track["sectors"]) == (
        "data", f"CDI/{stored}", 0, len(iso) // 2048)
    assert info["label"] == "CDIDISC"


def test_cdi_filesystem_track_is_readable_in_the_tracks_view(source, mount, tmp_path: Path) -> None:
    """A true CD-i disc: a Green Book disc label ("CD-I " at sector 16) and no ISO 9660 volume.
    The files view cannot show it (we do not read the CD-i filesystem); the tracks view can."""
    _, iso = source
    label = bytearray(2048)
    label[0], label[1:6], label[6] = 1, b"CD-I ", 1
    image = bytearray(iso)
    image[16 * 2048:18 * 2048] = bytes(label) + bytes(2048)
    cue = write_cdi(tmp_path, bytes(image), 2352)
    proc = run_cli(cue, tmp_path / "mnt", "-o", "view=files")
    assert proc.returncode == 2
    assert proc.stderr == ("mount-image: " + str(cue) + ": track 1 holds a CD-i filesystem, which "
                           "mount-image does not read; the tracks view (-o view=tracks) shows the track\n")
    # Without a view asked for, it opens in the tracks view, as an audio CD does.
    with mount(cue) as mnt:
        assert sorted(p.name for p in mnt.iterdir()) == ["disc.bin", "disc.cue", "track01.iso"]
        assert (mnt / "track01.iso").read_bytes() == bytes(image)
    proc = run_cli("info", "--json", cue)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["view"] == "tracks"
    with mount(cue, "--view", "tracks") as mnt:
        assert (mnt / "track01.iso").read_bytes() == bytes(image)
