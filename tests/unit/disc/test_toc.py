"""disc/toc.py: cdrdao TOC files to Disc -> Session -> Track, and every malformed file refused by line.

Positions follow cdrdao's README (tracks follow each other from LBA 0; a FILE start is a position
in the file). libcdio's cd-info reads a FILE start as the disc address instead and never looks
at the file, so its listings agree with ours only where both readings coincide; the libcdio
test TOCs whose FILE starts lie beyond the 302 sectors of cdda.bin are refused here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import corpus_file
from mount_image.disc.model import Index, TrackKind, TrackMode
from mount_image.disc.toc import parse_toc
from mount_image.errors import ImageFormatError

RAW = 2352
_CDINFO = re.compile(r"^\s*(\d+): \d\d:\d\d:\d\d\s+(\d+) (\w+)", re.M)


def write(folder: Path, toc: str, files: dict[str, int | bytes] | None = None, name: str = "disc.toc") -> Path:
    """A TOC and its files (an int is a size in bytes of zeros)."""
    for fname, content in (files if files is not None else {"disc.bin": 400 * RAW}).items():
        path = folder / fname
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0" * content if isinstance(content, int) else content)
    path = folder / name
    path.write_text(toc)
    return path


def parse(folder: Path, toc: str, files=None, name: str = "disc.toc"):
    disc = parse_toc(str(write(folder, toc, files, name)))
    disc.close()
    return disc


def cd_info(name: str) -> list[tuple[int, int, str]]:
    text = corpus_file(f"expected/libcdio/{name}.cd-info.txt").read_text()
    return [(int(n), int(lsn), kind) for n, lsn, kind in _CDINFO.findall(text) if n != "170"]


def kind_of(track) -> str:
    if track.kind is TrackKind.AUDIO:
        return "audio"
    return "XA" if any(r.startswith("cdrdao mode MODE2") for r in track.remarks) else "data"


# ---- the libcdio corpus ------------------------------------------------------------------------

# TOCs cd-info accepts and whose data lies inside their files: track numbers and types match
# cd-info; the start LSN too where cd-info's reading (FILE start = disc address) agrees.
GOOD = {
    "isofs-m1.toc": True, "data6.toc": True, "cdda.toc": False, "cdtext.toc": False,
    "data1.toc": False, "data2.toc": False, "t1.toc": False,
}


@pytest.mark.parametrize("name", list(GOOD))
def test_corpus_good(name: str) -> None:
    disc = parse_toc(str(corpus_file(f"libcdio/{name}")))
    disc.close()
    expected = cd_info(name)
    assert [(t.number, kind_of(t)) for t in disc.tracks] == [(n, k) for n, _, k in expected]
    if GOOD[name]:
        assert [t.start for t in disc.tracks] == [lsn for _, lsn, _ in expected]


def test_corpus_isofs_m1() -> None:
    disc = parse_toc(str(corpus_file("libcdio/isofs-m1.toc")))
    disc.close()
    (track,) = disc.tracks
    assert (track.mode, track.sector_size, track.start, track.sectors, track.offset) == \
        (TrackMode.MODE1_2352, RAW, 0, 302, 0)       # cd-info: lead-out at LSN 302


def test_corpus_cdtext_and_silence() -> None:
    disc = parse_toc(str(corpus_file("libcdio/cdtext.toc")))
    (track,) = disc.tracks
    assert ("TITLE", "CD Title") in disc.cdtext and ("TITLE", "Track Title") in track.cdtext
    assert track.sectors == 4500 and track.source.pread(0, 16) == bytes(16)
    disc.close()


def test_corpus_cdda_datafile_offset() -> None:
    disc = parse_toc(str(corpus_file("libcdio/cdda.toc")))
    disc.close()
    (track,) = disc.tracks
    assert (track.offset, track.sectors, track.flags) == (200, 25, ("DCP",))


def test_corpus_data2_zero_after_file() -> None:
    disc = parse_toc(str(corpus_file("libcdio/data2.toc")))
    data, audio = disc.tracks
    assert data.sectors == 710304 // 2048 + 4500
    assert data.source.pread((data.sectors - 1) * 2048, 2048) == bytes(2048)
    assert (audio.start, audio.pregap, audio.pregap_stored, audio.sectors) == (data.sectors + 150, 150, 0, 302)
    disc.close()


@pytest.mark.parametrize("name,line,fragment", [
    ("bad-cat1.toc", 4, "CATALOG needs a 13-digit"),
    ("bad-cat2.toc", 4, 'CATALOG "167890123" is not 13 digits'),
    ("bad-cat3.toc", 4, 'CATALOG "123456789A123" is not 13 digits'),
    ("bad-file.toc", 8, 'FILE "foo.bin" not found'),
    ("bad-mode1.toc", 4, 'unknown track mode "MODE1_FORM45"'),
    ("bad-msf-1.toc", 6, "bad time 0:0:75"),
    ("bad-msf-2.toc", 6, "bad time 0:60:0"),
    ("bad-msf-3.toc", 6, "bad time xx:yy:zz"),
    ("vcd_demo.toc", 5, 'FILE "vcd_demo.bin" not found'),
    # cd-info lists these, reading each FILE start as a disc address; here it is a position in
    # cdda.bin / isofs-m1.bin (302 sectors), past the end of the file.
    ("t2.toc", 5, "past the end of the file"), ("t3.toc", 5, "past the end of the file"),
    ("t4.toc", 7, "past the end of the file"), ("t5.toc", 7, "past the end of the file"),
    ("t6.toc", 7, "past the end of the file"), ("t7.toc", 6, "past the end of the file"),
    ("t8.toc", 6, "past the end of the file"), ("t9.toc", 8, "past the end of the file"),
    ("t10.toc", 7, "past the end of the file"), ("data5.toc", 12, "past the end of the file"),
    ("data7.toc", 12, "past the end of the file"),
])
def test_corpus_refused(name: str, line: int, fragment: str) -> None:
    path = corpus_file(f"libcdio/{name}")
    with pytest.raises(ImageFormatError) as info:
        parse_toc(str(path))
    assert info.value.where == str(line)
    assert fragment in info.value.msg
    assert "\n" not in str(info.value)


def test_corpus_vcd2_falls_back_to_base_name() -> None:
    # "../data/cdda.bin" leaves the folder: looked up as cdda.bin next to the TOC (the cue rule).
    disc = parse_toc(str(corpus_file("libcdio/vcd2.toc")))
    disc.close()
    assert [(t.start, t.sectors, t.offset) for t in disc.tracks] == [(0, 304, 0), (304, 3, 100), (307, 25, 200)]
    assert all(t.file_name.endswith("cdda.bin") for t in disc.tracks)


# ---- semantics ---------------------------------------------------------------------------------

def test_one_bin_three_tracks_with_start(tmp_path: Path) -> None:
    toc = """CD_ROM_XA
CATALOG "0724385356926"
TRACK MODE2_RAW
COPY
FILE "disc.bin" 00:00:00 00:01:00
TRACK AUDIO
ISRC "USEM39600078"
PRE_EMPHASIS
FOUR_CHANNEL_AUDIO
FILE "disc.bin" 00:01:00 00:02:00
START 00:00:10
INDEX 00:00:20
TRACK MODE1_RAW
FILE "disc.bin" 00:03:00
"""
    disc = parse(tmp_path, toc)
    t1, t2, t3 = disc.tracks
    assert disc.catalog == "0724385356926" and disc.remarks == ("disc type CD_ROM_XA",)
    assert (t1.mode, t1.start, t1.sectors, t1.offset, t1.flags) == (TrackMode.MODE2_2352, 0, 75, 0, ("DCP",))
    assert (t2.start, t2.sectors, t2.offset, t2.pregap, t2.pregap_stored) == (85, 140, 85 * RAW, 10, 10)
    assert t2.indexes == (Index(0, 75), Index(1, 85), Index(2, 105))
    assert (t2.isrc, t2.flags) == ("USEM39600078", ("4CH", "PRE"))
    assert (t3.start, t3.sectors, t3.offset) == (225, 400 - 225, 225 * RAW)


def test_pregap_is_not_stored(tmp_path: Path) -> None:
    disc = parse(tmp_path, 'TRACK MODE1\nFILE "a.iso" 0\nTRACK AUDIO\nPREGAP 0:2:0\nFILE "b.bin" 0\n',
                 {"a.iso": 100 * 2048, "b.bin": 10 * RAW})
    data, audio = disc.tracks
    assert (data.mode, data.sectors, data.sector_size) == (TrackMode.MODE1_2048, 100, 2048)
    assert (audio.start, audio.pregap, audio.pregap_stored, audio.offset, audio.sectors) == (250, 150, 0, 0, 10)


def test_datafile_byte_offset_and_byte_length(tmp_path: Path) -> None:
    disc = parse(tmp_path, 'TRACK MODE1\nDATAFILE "disc.iso" #4096 20480\n', {"disc.iso": 100 * 2048})
    (track,) = disc.tracks
    assert (track.offset, track.sectors) == (4096, 10)


def test_audio_plain_numbers_are_samples(tmp_path: Path) -> None:
    # 588 samples of 4 bytes make one 2352-byte sector.
    disc = parse(tmp_path, 'TRACK AUDIO\nAUDIOFILE "disc.bin" 588 5880\n')
    (track,) = disc.tracks
    assert (track.offset, track.sectors) == (RAW, 10)


def test_subchannel_mode_and_cd_text(tmp_path: Path) -> None:
    toc = """CD_DA
CD_TEXT { LANGUAGE_MAP { 0 : EN } LANGUAGE 0 { TITLE "Album" SIZE_INFO { 1, 2, 3 } } }
TRACK AUDIO RW_RAW
CD_TEXT { LANGUAGE 0 { TITLE "Song \\"one\\"" } }
FILE "disc.bin" 0
"""
    disc = parse(tmp_path, toc, {"disc.bin": 10 * 2448})
    (track,) = disc.tracks
    assert disc.cdtext == (("TITLE", "Album"),)
    assert track.cdtext == (("TITLE", 'Song "one"'),)
    assert (track.sector_size, track.subchannel, track.sectors) == (2448, 96, 10)


def test_cd_text_in_two_languages(tmp_path: Path) -> None:
    """LANGUAGE 1 (German in the map: code 8) gives "de."-keys, as a second pack block would;
    a language the map does not name gives "blockN."; language 0 stays as it is."""
    toc = """CD_DA
CD_TEXT { LANGUAGE_MAP { 0 : EN 1:8 } LANGUAGE 0 { TITLE "Album" } LANGUAGE 1 { TITLE "Platte" } }
TRACK AUDIO
CD_TEXT { LANGUAGE 0 { TITLE "Song" PERFORMER "Band" } LANGUAGE 1 { TITLE "Lied" }
          LANGUAGE 2 { TITLE "Chanson" } }
FILE "disc.bin" 0
"""
    disc = parse(tmp_path, toc, {"disc.bin": 10 * RAW})
    (track,) = disc.tracks
    assert disc.cdtext == (("TITLE", "Album"), ("de.TITLE", "Platte"))
    assert track.cdtext == (("TITLE", "Song"), ("PERFORMER", "Band"), ("de.TITLE", "Lied"),
                            ("block2.TITLE", "Chanson"))


def test_mixed_file_and_zero_reads_through(tmp_path: Path) -> None:
    disc = parse_toc(str(write(tmp_path, 'TRACK MODE1\nZERO 0:0:2\nFILE "a.iso" 0\nZERO MODE1 0:0:3\n'
                                         'START 0:0:1\n', {"a.iso": b"\x07" * (4 * 2048)})))
    (track,) = disc.tracks
    assert (track.start, track.sectors, track.pregap) == (1, 8, 1)
    got = track.source.pread(track.offset, 8 * 2048)
    assert got == bytes(2048) + b"\x07" * (4 * 2048) + bytes(3 * 2048)
    disc.close()


@pytest.mark.parametrize("written", ["DISC.BIN", "sub/../disc.bin", "/elsewhere/disc.bin", "..\\up\\disc.bin",
                                     "C:\\Games\\disc.bin"])
def test_file_names_stay_in_the_folder(tmp_path: Path, written: str) -> None:
    disc = parse(tmp_path, f'TRACK MODE1_RAW\nFILE "{written}" 0\n')
    assert disc.tracks[0].file_name == str(tmp_path / "disc.bin")


def test_name_outside_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.bin").write_bytes(b"\0" * RAW)        # next to the folder, not in it
    (tmp_path / "in").mkdir()
    with pytest.raises(ImageFormatError, match=r'FILE "\.\./x\.bin" not found \(a name outside'):
        parse(tmp_path / "in", 'TRACK MODE1_RAW\nFILE "../x.bin" 0\n', {})


# ---- malformed TOCs: one case each --------------------------------------------------------------

MALFORMED = [
    ("unknown statement", 'TRACK MODE1\nFILE "disc.bin" 0\nTRAK AUDIO\n', 3, 'unknown statement "TRAK"'),
    ("unknown header", 'CD_RUM\nTRACK MODE1\nFILE "disc.bin" 0\n', 1, 'unknown statement "CD_RUM"'),
    ("session", 'TRACK AUDIO\nFILE "disc.bin" 0\nSESSION 2\nTRACK MODE1\nFILE "disc.bin" 0\n', 3,
     "SESSION: a cdrdao TOC file describes one session"),
    ("unclosed quote", 'TRACK MODE1\nFILE "disc.bin 0\n', 2, "unclosed quote"),
    ("no track", "CD_DA\n// nothing\n", "", "no TRACK"),
    ("track without data", "TRACK AUDIO\nCOPY\nTRACK AUDIO\nSILENCE 0:1:0\n", 1, "TRACK 01 has no data"),
    ("bad mode", "TRACK MODE3\nSILENCE 0:1:0\n", 1, 'unknown track mode "MODE3"'),
    ("second catalog", 'CATALOG "1234567890123"\nCATALOG "1234567890123"\nTRACK AUDIO\nSILENCE 1\n', 2,
     "second CATALOG"),
    ("bad ISRC", 'TRACK AUDIO\nISRC "XX"\nSILENCE 0:1:0\n', 2, 'ISRC "XX"'),
    ("NO what", "TRACK AUDIO\nNO STEREO\nSILENCE 0:1:0\n", 2, "NO STEREO"),
    ("START past the data", 'TRACK MODE1_RAW\nFILE "disc.bin" 0 0:0:10\nSTART 0:1:0\n', 3, "is after the data"),
    ("START at the end", 'TRACK MODE1_RAW\nFILE "disc.bin" 0 0:0:10\nSTART\n', 1, "START at sector 10"),
    ("second START", 'TRACK MODE1_RAW\nFILE "disc.bin" 0\nSTART 0:0:1\nSTART 0:0:2\n', 4, "second START"),
    ("PREGAP after data", 'TRACK MODE1_RAW\nFILE "disc.bin" 0\nPREGAP 0:2:0\n', 3, "PREGAP must come before"),
    ("INDEX not increasing", 'TRACK MODE1_RAW\nFILE "disc.bin" 0\nINDEX 0:0:5\nINDEX 0:0:5\n', 4,
     "is not after the previous index"),
    ("INDEX past the end", 'TRACK MODE1_RAW\nFILE "disc.bin" 0 0:0:10\nINDEX 0:1:0\n', 1, "INDEX at sector 75"),
    ("file too short", 'TRACK MODE1_RAW\nFILE "disc.bin" 0 10:0:0\n', 2, "run past the end of the file"),
    ("start past the file", 'TRACK MODE1_RAW\nFILE "disc.bin" 10:0:0\n', 2, "past the end of the file"),
    ("byte length not whole sectors", 'TRACK MODE1\nDATAFILE "disc.bin" 1000\n', 2,
     "not a whole number of 2048-byte sectors"),
    ("bad byte offset", 'TRACK MODE1\nDATAFILE "disc.bin" #x12\n', 2, 'bad byte offset "#x12"'),
    ("FILE without start", 'TRACK AUDIO\nFILE "disc.bin"\n', 2, "needs a start time"),
    ("unquoted file name", "TRACK AUDIO\nFILE disc.bin 0\n", 2, "needs a quoted string"),
    ("missing file", 'TRACK AUDIO\nFILE "gone.bin" 0\n', 2, 'FILE "gone.bin" not found'),
    ("zero-length silence", "TRACK AUDIO\nSILENCE 0\n", 2, "SILENCE of length 0"),
    ("bad time", "TRACK AUDIO\nSILENCE 1:2\n", 2, "bad time 1:2"),
    ("unterminated CD_TEXT", 'CD_TEXT {\nLANGUAGE 0 {\nTITLE "x"\n', 3, "end of file"),
    ("CD_TEXT without brace", 'CD_TEXT LANGUAGE\nTRACK AUDIO\nSILENCE 1\n', 1, 'expected "{"'),
    ("no whole sector", 'TRACK MODE1\nDATAFILE "tiny.bin"\n', 2, "no whole 2048-byte sector"),
]


@pytest.mark.parametrize("toc,line,fragment", [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_refused(tmp_path: Path, toc: str, line: int | str, fragment: str) -> None:
    path = write(tmp_path, toc, {"disc.bin": 100 * RAW, "tiny.bin": 100})
    with pytest.raises(ImageFormatError) as info:
        parse_toc(str(path))
    assert info.value.where == str(line)
    assert fragment in info.value.msg


def test_not_text(tmp_path: Path) -> None:
    path = tmp_path / "x.toc"
    path.write_bytes(b"TRACK\0AUDIO")
    with pytest.raises(ImageFormatError, match="binary data"):
        parse_toc(str(path))
