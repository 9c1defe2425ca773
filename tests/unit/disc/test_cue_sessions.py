"""disc/cue.py: disc addresses of multi-session sheets (the unstored lead-out, lead-in and pregap
between sessions; DiscImageCreator's REM LEAD-OUT / LEAD-IN / PREGAP lines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mount_image.disc.cue import parse_cue
from mount_image.disc.model import Index

RAW = 2352


def parse(folder: Path, cue: str, files: dict[str, int]):
    for name, sectors in files.items():
        (folder / name).write_bytes(bytes(sectors * RAW))
    path = folder / "disc.cue"
    path.write_text(cue)
    disc = parse_cue(str(path))
    disc.close()
    return disc


TWO_FILES = """REM SESSION 01
FILE "a.bin" BINARY
  TRACK 01 AUDIO
    INDEX 01 00:00:00
{before}REM SESSION 02
{after}FILE "b.bin" BINARY
  TRACK 02 MODE1/2352
{indexes}"""


@pytest.mark.parametrize(("before", "after", "indexes", "start", "pregap", "stored"), [
    # no REM lines: 6750 lead-out + 4500 lead-in + 150 pregap after session 1
    ("", "", "    INDEX 01 00:00:00\n", 300 + 11400, 150, 0),
    # DiscImageCreator's multi-bin lines, the usual values
    ("REM LEAD-OUT 01:30:00\n", "REM LEAD-IN 01:00:00\nREM PREGAP 00:02:00\n",
     "    INDEX 01 00:00:00\n", 300 + 11400, 150, 0),
    # other lengths given: they replace the defaults (60 s lead-out, 30 s lead-in, 3 s pregap)
    ("REM LEAD-OUT 01:00:00\n", "REM LEAD-IN 00:30:00\nREM PREGAP 00:03:00\n",
     "    INDEX 01 00:00:00\n", 300 + 4500 + 2250 + 225, 225, 0),
    # the pregap stored in the file as INDEX 00 is not added again
    ("", "", "    INDEX 00 00:00:00\n    INDEX 01 00:02:00\n", 300 + 11250 + 150, 150, 150),
    ("REM LEAD-OUT 01:30:00\n", "REM LEAD-IN 01:00:00\nREM PREGAP 00:02:00\n",
     "    INDEX 00 00:00:00\n    INDEX 01 00:02:00\n", 300 + 11250 + 150, 150, 150),
    # a PREGAP command is the same unstored pregap
    ("", "", "    PREGAP 00:02:00\n    INDEX 01 00:00:00\n", 300 + 11400, 150, 0),
], ids=["defaults", "dic-lines", "dic-other-lengths", "index00-stored", "dic-index00", "pregap-command"])
def test_second_session_start(tmp_path: Path, before: str, after: str, indexes: str, start: int,
                              pregap: int, stored: int) -> None:
    disc = parse(tmp_path, TWO_FILES.format(before=before, after=after, indexes=indexes),
                 {"a.bin": 300, "b.bin": 200})
    t1, t2 = disc.tracks
    assert (t1.start, t1.sectors, t1.session) == (0, 300, 1)
    assert (t2.start, t2.session, t2.pregap, t2.pregap_stored) == (start, 2, pregap, stored)
    assert t2.offset == stored * RAW and t2.sectors == 200 - stored
    assert t2.indexes[-1] == Index(1, start)
    # the REM lines are kept as remarks too
    assert all(line.strip()[4:] in disc.remarks + t1.remarks for line in (before + after).splitlines())


def test_three_sessions_use_the_shorter_lead_out_after_the_second(tmp_path: Path) -> None:
    cue = """REM SESSION 01
FILE "a.bin" BINARY
  TRACK 01 MODE1/2352
    INDEX 01 00:00:00
REM SESSION 02
FILE "b.bin" BINARY
  TRACK 02 MODE1/2352
    INDEX 01 00:00:00
REM SESSION 03
FILE "c.bin" BINARY
  TRACK 03 MODE1/2352
    INDEX 01 00:00:00
"""
    disc = parse(tmp_path, cue, {"a.bin": 100, "b.bin": 50, "c.bin": 20})
    assert [t.start for t in disc.tracks] == [0, 100 + 11400, 100 + 11400 + 50 + 6900]
    assert [s.number for s in disc.sessions] == [1, 2, 3]


def test_one_file_for_the_whole_disc(tmp_path: Path) -> None:
    """DiscImageCreator's whole-disc sheet: REM LEAD-OUT is where session 1 ends, not a length;
    the file holds session 2's pregap (INDEX 00) and no lead-out or lead-in."""
    cue = """FILE "disc.bin" BINARY
  REM SESSION 01
  TRACK 01 AUDIO
    INDEX 01 00:00:00
  REM LEAD-OUT 00:04:00
  REM SESSION 02
  TRACK 02 MODE1/2352
    INDEX 00 00:04:00
    INDEX 01 00:06:00
"""
    disc = parse(tmp_path, cue, {"disc.bin": 300 + 150 + 100})
    t1, t2 = disc.tracks
    assert (t1.start, t1.sectors) == (0, 300)
    assert (t2.start, t2.offset, t2.sectors, t2.pregap_stored) == (300 + 11250 + 150, 450 * RAW, 100, 150)
    assert t2.indexes == (Index(0, 300 + 11250), Index(1, 300 + 11400))


def test_bad_rem_length_names_the_line(tmp_path: Path) -> None:
    from mount_image.errors import ImageFormatError
    cue = TWO_FILES.format(before="REM LEAD-OUT 01:99:00\n", after="", indexes="    INDEX 01 00:00:00\n")
    with pytest.raises(ImageFormatError) as exc:
        parse(tmp_path, cue, {"a.bin": 10, "b.bin": 10})
    assert "disc.cue:5: REM LEAD-OUT: bad MSF 01:99:00" in str(exc.value)
