"""CloneCD images with DataTracksScrambled=1 (data sectors stored as on the disc, ECMA-130
Annex B) mounted for real: the files view shows the tree, ``verify`` finds every sector good
(so the descrambled sectors are exactly the ones our EDC/ECC writer made), and the .img really
is scrambled (the test writer's own LFSR, tests/support/multisession.py)."""

from __future__ import annotations


import pytest

from conftest import listing, require_tool, run_cli
from fixtures import trees
from support import multisession
from support.rawcd import AudioTrack, DataTrack, tone

RAW = 2352


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    require_tool("genisoimage")
    base = tmp_path_factory.mktemp("scrambled")
    tree = base / "tree"
    tree.mkdir()
    (tree / "readme.txt").write_text("stored scrambled\n")
    (tree / "data.bin").write_bytes(bytes(range(256)) * 1500)
    iso = base / "src.iso"
    trees.genisoimage(tree, iso, "-R")
    return base, tree, iso.read_bytes()


@pytest.mark.parametrize("layout", ["data", "audio+data-session2"])
def test_scrambled_ccd_mounts_and_verifies(source, layout: str, mount, tmp_path) -> None:
    base, tree, iso = source
    if layout == "data":
        planned = multisession.plan([[DataTrack(iso)]])
    else:
        start = 30 + 11400
        s2 = tmp_path / "s2.iso"
        trees.genisoimage(tree, s2, "-R", "-C", f"0,{start}")
        iso = s2.read_bytes()
        planned = multisession.plan([[AudioTrack(tone(30))], [DataTrack(s2)]])
    ccd = multisession.write_ccd(planned, tmp_path / "disc.img", scrambled=True)
    assert "DataTracksScrambled=1" in ccd.read_text()
    data = planned.tracks[-1]
    img = (tmp_path / "disc.img").read_bytes()
    at = len(img) - data.sectors * RAW
    assert img[at + 16:at + 16 + 2048] != iso[:2048]          # stored scrambled, not plain
    with mount(ccd) as mnt:
        assert listing(mnt) == listing(tree)
    with mount(ccd, "--view", "tracks") as mnt:
        found = sorted(mnt.rglob("track*.iso"))
        assert len(found) == 1 and found[0].read_bytes() == iso
    proc = run_cli("verify", ccd, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
