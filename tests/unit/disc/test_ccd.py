"""disc/ccd.py: CloneCD .ccd + .img sets to Disc -> Session -> Track, every malformed set refused
with its line (sets written by tests/support/ccdmds.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mount_image.disc.ccd import parse_ccd, subchannel_file
from mount_image.disc.model import Index, TrackKind, TrackMode
from mount_image.errors import ImageFormatError
from support.ccdmds import (AudioTrack, DataTrack, ccd_entries, line_of, render_ccd, track_sections,
                            write_ccd)
from support.rawcd import tone

RAW = 2352
ISO = bytes(range(256)) * 8 * 40          # 40 cooked blocks


def parse(path: Path):
    disc = parse_ccd(str(path))
    disc.close()
    return disc


def test_data_only_mode1(tmp_path: Path) -> None:
    s = write_ccd([DataTrack(ISO)], tmp_path / "game.img")
    disc = parse(s.ccd)
    assert disc.container == "ccd"
    (track,) = disc.tracks
    assert (track.number, track.session, track.kind, track.mode) == (1, 1, TrackKind.DATA, TrackMode.MODE1_2352)
    assert (track.start, track.sectors, track.offset, track.sector_size) == (0, 40, 0, RAW)
    assert track.file_name == "game.img" and track.pregap == 150 and track.pregap_stored == 0
    assert subchannel_file(str(s.ccd)) == str(s.sub)
    assert os.path.getsize(s.sub) == 40 * 96


def test_mode2_from_the_sector_when_no_track_section(tmp_path: Path) -> None:
    s = write_ccd([DataTrack(ISO, "MODE2/2352")], tmp_path / "x.img", sub=False)
    s.ccd.write_text(render_ccd(ccd_entries(s.tracks, s.lead_out)))   # no [TRACK n]: sector mode byte
    (track,) = parse(s.ccd).tracks
    assert track.mode is TrackMode.MODE2_2352
    assert subchannel_file(str(s.ccd)) is None


def test_data_and_audio_with_stored_pregap(tmp_path: Path) -> None:
    s = write_ccd([DataTrack(ISO), AudioTrack(tone(20), pregap=150), AudioTrack(tone(10, 2))],
                  tmp_path / "mixed.img")
    t1, t2, t3 = parse(s.ccd).tracks
    assert (t1.kind, t1.start, t1.sectors) == (TrackKind.DATA, 0, 40 + 150)   # runs to track 2's INDEX 01
    assert (t2.kind, t2.mode, t2.start, t2.sectors) == (TrackKind.AUDIO, TrackMode.AUDIO, 190, 20)
    assert t2.indexes == (Index(0, 40), Index(1, 190)) and t2.pregap_stored == 150 and t2.pregap == 150
    assert (t3.start, t3.sectors, t3.offset) == (210, 10, 210 * RAW)
    assert s.lead_out == 220


def test_img_found_ignoring_case(tmp_path: Path) -> None:
    s = write_ccd([DataTrack(ISO)], tmp_path / "GAME.IMG", ccd_path=tmp_path / "game.ccd")
    disc = parse(s.ccd)
    assert disc.container == "ccd" and disc.tracks[0].source.name == str(tmp_path / "GAME.IMG")


def test_msf_only_entries(tmp_path: Path) -> None:
    """CloneCD 2 wrote no PLBA: the start comes from PMin/PSec/PFrame."""
    s = write_ccd([DataTrack(ISO), AudioTrack(tone(5))], tmp_path / "old.img")
    entries = [{k: v for k, v in e.items() if k != "PLBA"} for e in ccd_entries(s.tracks, s.lead_out)]
    s.ccd.write_text(render_ccd(entries, track_sections(s.tracks)))
    assert [(t.start, t.sectors) for t in parse(s.ccd).tracks] == [(0, 40), (40, 5)]


# ---- malformed sets: (how to break it, message fragment, line of the text to blame) ------------

def _drop_lead_out(s):
    entries = [e for e in ccd_entries(s.tracks, s.lead_out) if e["Point"] != 0xA2]
    return render_ccd(entries, track_sections(s.tracks))


def _backwards(s):
    entries = ccd_entries(s.tracks, s.lead_out)
    entries[4]["PLBA"] = 0                      # track 2 starts where track 1 does
    return render_ccd(entries, track_sections(s.tracks))


def _with(toc_entries=None, disc=None, edit=None):
    def make(s):
        entries = ccd_entries(s.tracks, s.lead_out)
        sections = track_sections(s.tracks)
        if edit:
            edit(entries, sections)
        return render_ccd(entries, sections, toc_entries=toc_entries, disc=disc)
    return make


def _replace(old, new):
    return lambda s: s.text.replace(old, new, 1)


BAD = [
    ("toc-count", _with(toc_entries=6), "TocEntries=6 but the file has 5 [Entry] sections", "TocEntries="),
    ("no-toc-count", _with(disc={"TocEntries": None}), "[Disc] has no TocEntries=", "[Disc]"),
    ("no-lead-out", _drop_lead_out, "no lead-out entry (Point=0xa2)", "TocEntries="),
    ("plba-backwards", _backwards, "track 02 PLBA=0 goes backwards (track 01 starts at 0)", "PLBA=0", 2),
    ("lead-out-before-track", _with(edit=lambda e, s: e[2].update(PLBA=30)),
     "lead-out PLBA=30 is not after track 02 (PLBA=40)", "PLBA=30"),
    ("lead-out-beyond-img", _with(edit=lambda e, s: e[2].update(PLBA=500)),
     "session 1 ends at sector 500 of bad.img, beyond its end (45 sectors)", "PLBA=500"),
    ("not-a-number", _replace("PLBA=40", "PLBA=forty"), 'PLBA="forty" is not a number', "PLBA=forty"),
    ("garbage-line", _replace("Zero=0", "Zero 0"), 'not "key=value" or "[section]": "Zero 0"', "Zero 0"),
    ("bad-point", _with(edit=lambda e, s: e[3].update(Point=0x64)), "Point=0x64 is not a track", "Point=0x64"),
    ("track-gap-in-numbers", _with(edit=lambda e, s: e[4].update(Point=3)),
     "track 03 after track 01: track numbers out of order", "[Entry 4]"),
    ("session-not-on-disc", _with(edit=lambda e, s: e[3].update(Session=2)),
     "[Entry 3] Session=2: the disc has Sessions=1", "[Entry 3]"),
    ("sessions-count", _with(disc={"Sessions": 0}), "Sessions=0: expected 1-99", "Sessions="),
    ("scrambled-value", _with(disc={"DataTracksScrambled": 2}), "DataTracksScrambled=2: expected 0 or 1",
     "DataTracksScrambled="),
    ("no-lead-out-of-session-2", _with(disc={"Sessions": 2}, edit=lambda e, s: e[4].update(Session=2)),
     "no lead-out entry (Point=0xa2) for session 2", "TocEntries="),
    ("bad-mode", _with(edit=lambda e, s: s[1].update(MODE=3)), "[TRACK 1] MODE=3: expected 0, 1 or 2", "MODE=3"),
    ("index1-not-plba", _with(edit=lambda e, s: s[2].update({"INDEX 1": 41})),
     "[TRACK 2] INDEX 1=41 but its TOC entry says PLBA=40", "INDEX 1=41"),
    ("audio-flagged-data", _with(edit=lambda e, s: (e[4].update(Control=4), s.pop(2))),
     "data track 02: sector 40 of bad.img has no sync pattern", "[Entry 4]"),
    ("second-section", lambda s: s.text + "[Disc]\r\nTocEntries=5\r\n", "second [Disc] section", "[Disc]", 2),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_malformed_ccd_is_refused_with_its_line(tmp_path: Path, case) -> None:
    _, make, fragment, needle, *occurrence = case
    s = write_ccd([DataTrack(ISO), AudioTrack(tone(5))], tmp_path / "bad.img", sub=False)
    text = make(s)
    s.ccd.write_text(text)
    with pytest.raises(ImageFormatError) as info:
        parse_ccd(str(s.ccd))
    line = line_of(text, needle, *occurrence)
    assert info.value.where == str(line), str(info.value)
    assert fragment in info.value.msg
    assert str(info.value).startswith(f"{s.ccd}:{line}: ")


@pytest.mark.parametrize(("name", "content", "fragment"), [
    ("missing-img", None, 'image file "bad.img" not found next to the .ccd'),
    ("binary", b"[CloneCD]\0\0", "not a CloneCD descriptor (binary data)"),
    ("not-ini", b"hello\n", 'not "key=value" or "[section]"'),
    ("no-sections", b"[Other]\nA=1\n", "no [CloneCD] or [Disc] section"),
])
def test_unusable_files_are_refused(tmp_path: Path, name: str, content: bytes | None, fragment: str) -> None:
    s = write_ccd([DataTrack(ISO)], tmp_path / "bad.img", sub=False)
    if content is None:
        s.img.unlink()
    else:
        s.ccd.write_bytes(content)
    with pytest.raises(ImageFormatError, match=None) as info:
        parse_ccd(str(s.ccd))
    assert fragment in str(info.value)
    assert str(info.value).startswith(str(s.ccd))


# ---- multi-session, scrambled, CD-TEXT (writers in tests/support/multisession.py) ----------------

def test_two_sessions_give_disc_lbas_and_img_offsets(tmp_path: Path) -> None:
    from support import multisession
    planned = multisession.plan([[AudioTrack(tone(10))], [DataTrack(ISO)]])
    ccd = multisession.write_ccd(planned, tmp_path / "two.img")
    disc = parse_ccd(str(ccd))
    disc.close()
    t1, t2 = disc.tracks
    assert [s.number for s in disc.sessions] == [1, 2]
    assert (t1.start, t1.sectors, t1.offset) == (0, 10, 0)
    # 11400 after session 1 on the disc; in the .img right after session 1 plus the stored pregap
    assert (t2.start, t2.session, t2.offset, t2.pregap_stored) == (10 + 11400, 2, (10 + 150) * 2352, 150)
    assert t2.indexes == (Index(0, 10 + 11250), Index(1, 10 + 11400))


def test_later_session_index_given_as_disc_lba(tmp_path: Path) -> None:
    from support import multisession
    planned = multisession.plan([[AudioTrack(tone(10))], [DataTrack(ISO)]])
    ccd = multisession.write_ccd(planned, tmp_path / "abs.img")
    text = ccd.read_text().replace("INDEX 0=0\n", "").replace("INDEX 1=150\n", f"INDEX 1={10 + 11400}\n")
    ccd.write_text(text)
    (tmp_path / "abs.img").write_bytes((tmp_path / "abs.img").read_bytes()[:10 * 2352]
                                       + (tmp_path / "abs.img").read_bytes()[160 * 2352:])
    disc = parse_ccd(str(ccd))
    disc.close()
    assert (disc.tracks[1].start, disc.tracks[1].offset, disc.tracks[1].pregap_stored) == (11410, 10 * 2352, 0)


def test_cdtext_section_with_a_bad_entry_is_logged(tmp_path: Path, caplog) -> None:
    import logging
    s = write_ccd([AudioTrack(tone(5))], tmp_path / "t.img", sub=False)
    text = s.text + "[CDText]\r\nEntries=2\r\nEntry 0=80 00 00 00 41 6c 62 75 6d 00 00 00 00 00 00 00\r\nEntry 1=zz\r\n"
    s.ccd.write_text(text)
    with caplog.at_level(logging.WARNING):
        disc = parse_ccd(str(s.ccd))
    disc.close()
    assert disc.cdtext == (("TITLE", "Album"),)
    assert "[CDText] entry 1 is not a 16-byte pack in hex" in caplog.text
