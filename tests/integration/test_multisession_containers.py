"""Two-session discs in every container that can hold them (BIN/CUE, CloneCD, Alcohol MDS, Nero
NRG), mounted for real: session 1 an audio track, session 2 an ISO 9660 made by genisoimage with
``-C 0,start`` so its extents are disc addresses. ``info --json`` must give the disc LBAs the
Orange Book layout puts them at (11400 sectors of lead-out, lead-in and pregap after session 1)
and the byte offsets each container stores them at; the files view must find the tree (it
reads the ISO at those disc LBAs) and the tracks view the PCM and the ISO.

libcdio cannot cross-check these: cd-info reads no multi-FILE cue sheet and asserts on an NRG
with a second CUEX chunk (libcdio 2.1.0, image/nrg.c line 241). The independent witness is
genisoimage: its ISO, addressed for the start we compute, must read back through our starts.
"""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest

from conftest import listing, require_tool, run_cli
from fixtures import trees
from support import multisession
from support.rawcd import AudioTrack, DataTrack, tone

RAW = 2352
AUDIO_SECTORS = 40
START2 = AUDIO_SECTORS + 6750 + 4500 + 150      # Orange Book: lead-out + lead-in + pregap


@pytest.fixture(scope="module")
def disc(tmp_path_factory):
    require_tool("genisoimage")
    base = tmp_path_factory.mktemp("multisession")
    tree = base / "tree"
    (tree / "docs").mkdir(parents=True)
    (tree / "docs" / "second.txt").write_text("written in the second session\n")
    (tree / "big.bin").write_bytes(bytes(range(251)) * 2000)
    iso = base / "s2.iso"
    trees.genisoimage(tree, iso, "-R", "-V", "SESSION2", "-C", f"0,{START2}")
    pcm = tone(AUDIO_SECTORS, seed=5)
    planned = multisession.plan([[AudioTrack(pcm)], [DataTrack(iso)]])
    assert [t.start for t in planned.tracks] == [0, START2]
    return base, tree, iso.read_bytes(), pcm, planned


def build(kind: str, base: Path, planned) -> tuple[Path, int]:
    """The image of ``kind`` in a folder of its own, and the byte offset of track 2's INDEX 01."""
    folder = base / kind
    folder.mkdir(exist_ok=True)
    if kind == "cue":
        return multisession.write_cue(planned, folder, "disc"), 0          # its own FILE
    if kind == "ccd":       # the .img: session 1, then session 2's stored 150-sector pregap
        return multisession.write_ccd(planned, folder / "disc.img"), (AUDIO_SECTORS + 150) * RAW
    if kind == "mds":       # the .mdf: the tracks' own sectors only
        mds, offsets = multisession.write_mds(planned, folder / "disc.mdf")
        assert offsets[1] == AUDIO_SECTORS * RAW
        return mds, offsets[1]
    nrg, starts = multisession.write_nrg(planned, folder / "disc.nrg")   # DAO: pregap stored
    assert starts[1] == (AUDIO_SECTORS + 150) * RAW
    return nrg, starts[1]


def info_json(image: Path) -> dict:
    proc = run_cli("info", "--json", image)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def read_wav(path: Path) -> bytes:
    with wave.open(str(path)) as w:
        return w.readframes(w.getnframes())


KINDS = ["cue", "ccd", "mds", "nrg"]


@pytest.mark.parametrize("kind", KINDS)
def test_info_gives_disc_addresses_and_stored_offsets(disc, kind: str) -> None:
    base, _, iso, _, planned = disc
    image, offset2 = build(kind, base, planned)
    info = info_json(image)
    t1, t2 = info["tracks"]
    assert (t1["number"], t1["session"], t1["type"], t1["start"], t1["sectors"]) == (1, 1, "audio", 0, AUDIO_SECTORS)
    assert (t2["number"], t2["session"], t2["type"], t2["start"]) == (2, 2, "data", START2)
    assert t2["sectors"] == len(iso) // 2048
    assert t2["offset"] == offset2 and t1["offset"] == 0
    assert [(s["number"], s["first_track"], s["last_track"]) for s in info["sessions"]] == [(1, 1, 1), (2, 2, 2)]
    # the bytes at that offset are the ISO's first sector, its header addressed START2 (BCD MSF)
    stored = next(p for p in base.joinpath(kind).iterdir()
                  if p.suffix in (".img", ".mdf", ".nrg") or p.name.endswith("(Track 2).bin"))
    with open(stored, "rb") as f:
        f.seek(offset2)
        sector = f.read(RAW)
    frames = START2 + 150
    bcd = lambda v: (v // 10) << 4 | v % 10  # noqa: E731
    assert sector[12:16] == bytes((bcd(frames // 4500), bcd(frames // 75 % 60), bcd(frames % 75), 1))
    assert sector[16:16 + 2048] == iso[:2048]


@pytest.mark.parametrize("kind", KINDS)
def test_second_session_mounts_and_tracks_read(disc, kind: str, mount) -> None:
    base, tree, iso, pcm, planned = disc
    image, _ = build(kind, base, planned)
    with mount(image) as mnt:                      # the last session's data track, at disc LBAs
        assert listing(mnt) == listing(tree)
    with mount(image, "--view", "tracks") as mnt:   # one folder per session on such a disc
        assert (mnt / "session2" / "track02.iso").read_bytes() == iso
        assert read_wav(mnt / "session1" / "track01.wav") == pcm


def test_cue_with_discimagecreator_lines_gives_the_same_starts(disc) -> None:
    """The REM LEAD-OUT / LEAD-IN / PREGAP lines DiscImageCreator writes for the usual lengths."""
    base, _, _, _, planned = disc
    cue, _ = build("cue", base, planned)
    text = cue.read_text().replace("REM SESSION 02\n", "REM LEAD-OUT 01:30:00\nREM SESSION 02\n"
                                   "REM LEAD-IN 01:00:00\nREM PREGAP 00:02:00\n")
    dic = cue.with_name("dic.cue")
    dic.write_text(text)
    assert [t["start"] for t in info_json(dic)["tracks"]] == [0, START2]


@pytest.mark.parametrize("kind", KINDS)
def test_disc_cue_of_the_tracks_view_keeps_every_start(disc, kind: str, mount) -> None:
    """disc.bin + disc.cue, read back by our cue parser, put each track at the LBA the original
    container gives it: no PREGAP for the 150 sectors before LBA 0 that CloneCD and MDS count in
    track 1, and the session gap implied by REM SESSION."""
    from mount_image.disc.cue import parse_cue
    base, _tree, _iso, _pcm, planned = disc
    image, _ = build(kind, base, planned)
    with mount(image, "--view", "tracks") as mnt:
        again = parse_cue(str(mnt / "disc.cue"))
        try:
            assert [(t.number, t.session, t.start) for t in again.tracks] == \
                [(t.number, t.session, t.start) for t in planned.tracks]
        finally:
            again.close()
