"""CD-TEXT packs from every container that stores them, seen through a real mount: cue
CDTEXTFILE (libcdio's cdtext.cdt from the corpus), CloneCD [CDText] (our pack writer,
tests/support/cdtextpacks.py, 16 bytes an entry as CloneCD keeps them) and the NRG CDTX chunk of
p1.nrg (its decoding checked against cd-info in tests/unit/disc/test_nrg.py). The titles become
``user.cdtext.*`` xattrs in the tracks view and ``cdtext`` in ``info --json``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from conftest import corpus_file, require_tool, run_cli
from support import multisession
from support.cdtextpacks import encode
from support.rawcd import AudioTrack, tone, write_multi_track


def info_json(image: Path) -> dict:
    proc = run_cli("info", "--json", image)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def xattr(path: Path, name: str) -> str:
    return os.getxattr(path, f"user.cdtext.{name}").decode()


def test_cue_cdtextfile(tmp_path: Path, mount) -> None:
    layout = write_multi_track([AudioTrack(tone(20, seed=s)) for s in (1, 2, 3)], tmp_path / "cats.bin")
    shutil.copy(corpus_file("libcdio/cdtext.cdt"), tmp_path / "CATS.CDT")   # found ignoring case
    cue = layout.cue_path
    cue.write_text('CDTEXTFILE "cats.cdt"\nTITLE "Given in the sheet"\n' + cue.read_text())
    info = info_json(cue)
    assert info["cdtext"]["title"] == "Given in the sheet"             # the sheet's own line wins
    assert info["cdtext"]["performer"] == "United Cat Orchestra"       # the rest from the packs
    assert [t["cdtext"]["title"] for t in info["tracks"]] == ["Song of Joy", "Humpty Dumpty", "Mee Owwww"]
    with mount(cue, "--view", "tracks") as mnt:
        assert xattr(mnt / "track01.wav", "title") == "Song of Joy"
        assert xattr(mnt / "track03.wav", "performer") == "Mia Kitten"
        assert xattr(mnt, "title") == "Given in the sheet"


def test_cue_cdtextfile_missing_still_mounts(tmp_path: Path) -> None:
    layout = write_multi_track([AudioTrack(tone(20))], tmp_path / "a.bin")
    layout.cue_path.write_text('CDTEXTFILE "gone.cdt"\n' + layout.cue_path.read_text())
    info = info_json(layout.cue_path)
    assert info["tracks"][0]["cdtext"] == {}


def test_clonecd_cdtext_section(tmp_path: Path, mount) -> None:
    fields = {0: {"TITLE": "Clone Album", "PERFORMER": "The Clones"},
              1: {"TITLE": "One", "PERFORMER": "The Clones"}, 2: {"TITLE": "Two", "PERFORMER": "Guest"}}
    planned = multisession.plan([[AudioTrack(tone(20, seed=1)), AudioTrack(tone(20, seed=2))]])
    ccd = multisession.write_ccd(planned, tmp_path / "clone.img", cdtext=encode(fields))
    assert "[CDText]" in ccd.read_text()
    info = info_json(ccd)
    assert info["cdtext"] == {"title": "Clone Album", "performer": "The Clones"}
    assert [t["cdtext"] for t in info["tracks"]] == [{"title": "One", "performer": "The Clones"},
                                                     {"title": "Two", "performer": "Guest"}]
    with mount(ccd, "--view", "tracks") as mnt:
        assert xattr(mnt / "track02.wav", "title") == "Two"


def test_nrg_cdtx(mount) -> None:
    nrg = corpus_file("libcdio/p1.nrg")
    assert info_json(nrg)["cdtext"] == {"title": "Join us now we have the software", "performer": "Richard Stallman"}
    with mount(nrg, "--view", "tracks") as mnt:
        assert xattr(mnt, "performer") == "Richard Stallman"


def _cd_info_cdtext(cue: Path) -> dict[str, dict[int, dict[str, str]]]:
    """cd-info's CD-TEXT of a cue sheet: {language name: {track (0 the disc): {KEY: value}}}."""
    proc = subprocess.run([require_tool("cd-info"), "--no-device-info", "--cue-file", str(cue)],
                          capture_output=True, text=True, timeout=60)
    out: dict[str, dict[int, dict[str, str]]] = {}
    language = track = None
    for line in proc.stdout.splitlines():
        if m := re.match(r"Language \d+ '(.*)':", line):
            language = m.group(1)
        elif m := re.match(r"CD-TEXT for (Disc|Track +(\d+)):", line):
            track = int(m.group(2) or 0)
        elif language and track is not None and (m := re.match(r"\t(\w+): (.*)", line)):
            out.setdefault(language, {}).setdefault(track, {})[m.group(1)] = m.group(2)
    return out


def test_every_language_block_matches_cd_info(tmp_path: Path, mount) -> None:
    """libcdio's cdtext.cdt holds English and German blocks. The first is `cdtext` as it is,
    the second comes as "de.title" etc.; every field of both equals what cd-info reads from the
    same CDTEXTFILE (GENRE_CODE aside: we show the genre's text). disc.cue carries the first
    language only (a cue sheet has no room for more)."""
    layout = write_multi_track([AudioTrack(tone(20, seed=s)) for s in (1, 2, 3)], tmp_path / "cats.bin")
    shutil.copy(corpus_file("libcdio/cdtext.cdt"), tmp_path / "cats.cdt")
    cue = layout.cue_path
    cue.write_text('CDTEXTFILE "cats.cdt"\n' + cue.read_text())
    reference = _cd_info_cdtext(cue)
    assert set(reference) == {"English", "German"}
    info = info_json(cue)
    ours = {0: info["cdtext"], **{t["number"]: t["cdtext"] for t in info["tracks"]}}
    for language, prefix in (("English", ""), ("German", "de.")):
        for track, fields in reference[language].items():
            want = {prefix + key.lower(): value for key, value in fields.items() if key != "GENRE_CODE"}
            got = {key: value for key, value in ours[track].items()
                   if key.startswith(prefix) and (prefix or "." not in key)}
            assert got == want, (language, track)
    with mount(cue, "--view", "tracks") as mnt:
        assert xattr(mnt / "track01.wav", "title") == "Song of Joy"
        assert xattr(mnt / "track01.wav", "de.title") == "Lied der Freude"
        assert xattr(mnt, "de.title") == "Freudvolle Nächte"
        sheet = (mnt / "disc.cue").read_text()
        assert 'TITLE "Joyful Nights"' in sheet and "Freudvolle" not in sheet
