"""disc/cue.py: cue sheets to Disc -> Session -> Track, and every malformed sheet refused by line."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from conftest import CORPUS, corpus_file
from mount_image.disc.cue import parse_cue
from mount_image.disc.model import Index, TrackKind, TrackMode
from mount_image.errors import ImageFormatError

RAW = 2352


def write(folder: Path, cue: str, files: dict[str, int | bytes] | None = None, name: str = "game.cue") -> Path:
    """A cue sheet and its files (an int is a size in 2352-byte sectors)."""
    for fname, content in (files if files is not None else {"game.bin": 400}).items():
        path = folder / fname
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0" * (content * RAW) if isinstance(content, int) else content)
    path = folder / name
    path.write_text(cue)
    return path


def parse(folder: Path, cue: str, files=None, name: str = "game.cue"):
    disc = parse_cue(str(write(folder, cue, files, name)))
    disc.close()
    return disc


def wav(pcm_bytes: int, channels: int = 2, rate: int = 44100, bits: int = 16, extra: bytes = b"") -> bytes:
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * bits // 8, channels * bits // 8, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra + b"data" + struct.pack("<I", pcm_bytes)
    return b"RIFF" + struct.pack("<I", len(body) + pcm_bytes - 4) + body + b"\x11" * pcm_bytes


# ---- the public corpus against cd-info ---------------------------------------------------------

def cd_info_tracks(cue: str) -> list[tuple[int, str, int]]:
    """(number, audio|data, LSN) from ``expected/libcdio/<cue>.cd-info.txt``."""
    text = corpus_file(f"expected/libcdio/{cue}.cd-info.txt").read_text()
    return [(int(n), kind, int(lsn)) for n, lsn, kind in
            re.findall(r"^\s*(\d+): \d\d:\d\d:\d\d\s+(\d+) (audio|data)", text, re.M)]


@pytest.mark.parametrize(
    ("cue", "modes", "catalog"),
    [("isofs-m1.cue", ["MODE1/2352"], "0000012101954"), ("cdda.cue", ["AUDIO"], "0000010271955"),
     ("cdda_4_5.cue", ["AUDIO", "AUDIO"], None), ("p1.cue", ["AUDIO", "AUDIO"], "0000010271955")],
)
def test_corpus_cue_matches_cd_info(cue: str, modes: list[str], catalog: str | None) -> None:
    disc = parse_cue(str(corpus_file(f"libcdio/{cue}")))
    try:
        got = [(t.number, t.kind.value, t.start) for t in disc.tracks]
        assert got == cd_info_tracks(cue)
        assert [t.mode.value for t in disc.tracks] == modes
        assert disc.catalog == catalog
        assert disc.container == "cue"
        # every cue here covers the whole 302-sector bin (cd-info's leadout is at LSN 302)
        last = disc.tracks[-1]
        assert last.start + last.sectors == 302
    finally:
        disc.close()


def test_corpus_file_name_fallbacks() -> None:
    # isofs-m1.cue names ISOFS-M1.BIN (case), p1.cue names BOING.BIN (missing: cue stem)
    for cue, bin_name in (("isofs-m1.cue", "isofs-m1.bin"), ("p1.cue", "p1.bin"), ("cdda.cue", "cdda.bin")):
        disc = parse_cue(str(corpus_file(f"libcdio/{cue}")))
        try:
            assert {Path(s.name).name for s in disc.sources} == {bin_name}
        finally:
            disc.close()


def test_corpus_metadata() -> None:
    disc = parse_cue(str(corpus_file("libcdio/p1.cue")))
    disc.close()
    assert ("TITLE", "Join us now we have the software") in disc.cdtext
    assert ("PERFORMER", "Richard Stallman") in disc.cdtext
    t1, t2 = disc.tracks
    assert t1.flags == ("DCP",) and t1.file_name == "BOING.BIN" and t1.file_type == "BINARY"
    assert t1.indexes == (Index(0, 0), Index(1, 75)) and t1.pregap == 75 and t1.pregap_stored == 75
    assert (t1.offset, t1.sectors) == (75 * RAW, 150)
    assert t2.indexes == (Index(0, 150), Index(1, 225)) and (t2.offset, t2.sectors) == (225 * RAW, 77)
    cdda = parse_cue(str(corpus_file("libcdio/cdda.cue")))
    cdda.close()
    assert cdda.tracks[0].cdtext == (("TITLE", "Soft"), ("PERFORMER", "Richard S"))


@pytest.mark.parametrize(
    ("cue", "fragment"),
    [("bad-cat1.cue", "bad-cat1.cue:4: CATALOG needs a 13-digit"),
     ("bad-cat2.cue", 'bad-cat2.cue:4: CATALOG "167890123" is not 13 digits'),
     ("bad-cat3.cue", 'bad-cat3.cue:4: CATALOG "123456789b123" is not 13 digits'),
     ("bad-mode1.cue", 'bad-mode1.cue:6: unknown track mode "MODE3_FORM1"'),
     ("bad-msf-1.cue", "bad-msf-1.cue:7: INDEX: bad MSF 00:00:100: frame 100 must be below 75"),
     ("bad-msf-2.cue", "bad-msf-2.cue:7: INDEX: bad MSF 00:90:00: second 90 must be below 60"),
     ("bad-msf-3.cue", "bad-msf-3.cue:7: INDEX: bad MSF xx:yy:0"),
     ])
def test_corpus_bad_cues_are_refused(cue: str, fragment: str) -> None:
    with pytest.raises(ImageFormatError) as exc:
        parse_cue(str(corpus_file(f"libcdio/{cue}")))
    assert fragment in str(exc.value)
    assert "\n" not in str(exc.value)


def test_every_bad_corpus_cue_is_covered() -> None:
    names = {p.name for p in (CORPUS / "libcdio").glob("bad-*.cue")}
    assert names <= {"bad-cat1.cue", "bad-cat2.cue", "bad-cat3.cue", "bad-mode1.cue",
                     "bad-msf-1.cue", "bad-msf-2.cue", "bad-msf-3.cue"}


# ---- each command ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("mode", "size", "kind", "subchannel"),
    [("AUDIO", 2352, TrackKind.AUDIO, 0), ("CDG", 2448, TrackKind.AUDIO, 96),
     ("MODE1/2048", 2048, TrackKind.DATA, 0), ("MODE1/2352", 2352, TrackKind.DATA, 0),
     ("MODE2/2336", 2336, TrackKind.DATA, 0), ("MODE2/2352", 2352, TrackKind.DATA, 0),
     ("CDI/2336", 2336, TrackKind.DATA, 0), ("CDI/2352", 2352, TrackKind.DATA, 0),
     ("mode1/2352", 2352, TrackKind.DATA, 0)],
)
def test_track_modes(tmp_path: Path, mode: str, size: int, kind: TrackKind, subchannel: int) -> None:
    disc = parse(tmp_path, f'FILE "game.bin" BINARY\n TRACK 01 {mode}\n  INDEX 01 00:00:00\n',
                 {"game.bin": b"\0" * size * 10})
    (t,) = disc.tracks
    assert (t.mode, t.sector_size, t.kind, t.subchannel) == (TrackMode(mode.upper()), size, kind, subchannel)
    assert (t.start, t.sectors, t.offset) == (0, 10, 0)


def test_mixed_mode_disc_with_gaps(tmp_path: Path) -> None:
    cue = """REM GENRE Game
REM COMMENT "ExactAudioCopy"
CATALOG 1234567890123
TITLE "Disc"
FILE "game.bin" BINARY
  TRACK 01 MODE1/2352
    INDEX 01 00:00:00
  TRACK 02 AUDIO
    TITLE "Song"
    PERFORMER "Band"
    SONGWRITER "Writer"
    ISRC USABC1234567
    FLAGS DCP PRE
    REM a remark
    INDEX 00 00:02:00
    INDEX 01 00:04:00
    INDEX 02 00:04:10
  TRACK 03 AUDIO
    PREGAP 00:01:00
    INDEX 01 00:05:00
    POSTGAP 00:00:10
"""
    disc = parse(tmp_path, cue, {"game.bin": 400})
    t1, t2, t3 = disc.tracks
    assert disc.catalog == "1234567890123"
    assert disc.remarks == ("GENRE Game", 'COMMENT "ExactAudioCopy"')
    assert disc.cdtext == (("TITLE", "Disc"),)
    assert (t1.start, t1.sectors, t1.offset, t1.kind) == (0, 300, 0, TrackKind.DATA)
    assert (t2.start, t2.sectors, t2.offset) == (300, 75, 300 * RAW)
    assert t2.indexes == (Index(0, 150), Index(1, 300), Index(2, 310))
    assert (t2.pregap, t2.pregap_stored) == (150, 150)
    assert t2.isrc == "USABC1234567" and t2.flags == ("DCP", "PRE") and t2.remarks == ("a remark",)
    assert t2.cdtext == (("TITLE", "Song"), ("PERFORMER", "Band"), ("SONGWRITER", "Writer"))
    # PREGAP: 75 sectors of silence not in the file push track 3 (and what follows) back
    assert (t3.start, t3.sectors, t3.offset, t3.pregap, t3.pregap_stored, t3.postgap) == (450, 25, 375 * RAW, 75, 0, 10)
    assert [s.number for s in disc.sessions] == [1]


def test_multi_file_cue(tmp_path: Path) -> None:
    cue = """FILE "Game (Track 1).bin" BINARY
  TRACK 01 MODE2/2352
    INDEX 01 00:00:00
FILE "Game (Track 2).bin" BINARY
  TRACK 02 AUDIO
    INDEX 00 00:00:00
    INDEX 01 00:02:00
FILE "Game (Track 3).bin" BINARY
  TRACK 03 AUDIO
    INDEX 01 00:00:00
"""
    disc = parse(tmp_path, cue, {"Game (Track 1).bin": 1000, "Game (Track 2).bin": 500, "Game (Track 3).bin": 200})
    t1, t2, t3 = disc.tracks
    assert len(disc.sources) == 3
    assert [Path(t.source.name).name for t in disc.tracks] == ["Game (Track 1).bin", "Game (Track 2).bin",
                                                             "Game (Track 3).bin"]
    assert (t1.start, t1.sectors, t1.offset) == (0, 1000, 0)
    assert (t2.start, t2.sectors, t2.offset, t2.indexes) == (1150, 350, 150 * RAW, (Index(0, 1000), Index(1, 1150)))
    assert (t3.start, t3.sectors, t3.offset) == (1500, 200, 0)


def test_sessions(tmp_path: Path) -> None:
    cue = """REM SESSION 01
FILE "a.bin" BINARY
  TRACK 01 AUDIO
    INDEX 01 00:00:00
  TRACK 02 AUDIO
    INDEX 01 00:01:00
REM SESSION 02
FILE "b.bin" BINARY
  TRACK 03 MODE2/2352
    INDEX 01 00:00:00
"""
    disc = parse(tmp_path, cue, {"a.bin": 100, "b.bin": 50})
    assert [(s.number, [t.number for t in s.tracks]) for s in disc.sessions] == [(1, [1, 2]), (2, [3])]
    assert disc.sessions[-1].first_data_track().number == 3
    assert [t.session for t in disc.tracks] == [1, 1, 2]


def test_same_file_named_twice_is_opened_once(tmp_path: Path) -> None:
    cue = 'FILE "g.bin" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nFILE "g.bin" BINARY\nTRACK 02 AUDIO\nINDEX 01 00:00:00\n'
    disc = parse(tmp_path, cue, {"g.bin": 10})
    assert len(disc.sources) == 1
    assert [t.start for t in disc.tracks] == [0, 10]


def test_wave_and_motorola_files(tmp_path: Path) -> None:
    cue = """FILE "one.wav" WAVE
  TRACK 01 AUDIO
    INDEX 01 00:00:00
FILE "two.raw" MOTOROLA
  TRACK 02 AUDIO
    INDEX 01 00:00:00
"""
    data = wav(20 * RAW, extra=b"LIST" + struct.pack("<I", 3) + b"abc\0")  # an odd chunk is padded
    disc = parse(tmp_path, cue, {"one.wav": data, "two.raw": 7})
    t1, t2 = disc.tracks
    assert data[t1.offset - 8:t1.offset - 4] == b"data"
    assert (t1.start, t1.sectors, t1.file_type) == (0, 20, "WAVE")
    assert (t2.start, t2.sectors, t2.offset, t2.file_type) == (20, 7, 0, "MOTOROLA")


def test_file_names(tmp_path: Path) -> None:
    sub = tmp_path / "disc"
    sub.mkdir()
    for cue_name, file_line, files, found in [
        ("a.cue", 'FILE "Mixed Case.BIN" BINARY', {"mixed case.bin": 3}, "mixed case.bin"),
        ("b.cue", "FILE spaced name.bin BINARY", {"spaced name.bin": 3}, "spaced name.bin"),
        ("c.cue", 'FILE "C:\\Games\\Win.bin" BINARY', {"win.bin": 3}, "win.bin"),
        ("d.cue", 'FILE "/somewhere/else/abs.bin" BINARY', {"abs.bin": 3}, "abs.bin"),
        ("e.cue", 'FILE "../up.bin" BINARY', {"up.bin": 3}, "up.bin"),
        ("f.cue", 'FILE "SUB\\Inner.bin" BINARY', {"sub/inner.bin": 3}, "sub/inner.bin"),
        ("g.cue", 'FILE "missing.bin" BINARY', {"g.bin": 3}, "g.bin"),                 # cue stem
        ("h.cue", 'FILE "missing.bin" BINARY', {"H.BIN": 3}, "H.BIN"),
    ]:
        disc = parse(sub, f"{file_line}\nTRACK 01 MODE1/2352\nINDEX 01 00:00:00\n", files, cue_name)
        assert Path(disc.sources[0].name) == sub / found, cue_name


def test_crlf_bom_tabs_and_latin1(tmp_path: Path) -> None:
    text = '\ufeffFILE "g.bin" BINARY\r\n\tTRACK 01 AUDIO\r\n\t\tTITLE "Caf\u00e9"\r\n\t\tINDEX 01 00:00:00\r\n'
    disc = parse(tmp_path, text, {"g.bin": 5})
    assert disc.tracks[0].cdtext == (("TITLE", "Caf\u00e9"),)
    (tmp_path / "l.cue").write_bytes(text[1:].encode("latin-1"))
    disc = parse_cue(str(tmp_path / "l.cue"))
    disc.close()
    assert disc.tracks[0].cdtext == (("TITLE", "Caf\u00e9"),)


# ---- malformed sheets --------------------------------------------------------------------------

HEAD = 'FILE "game.bin" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n'
BAD = [
    ("unknown-command", HEAD + "  TRAK 02 AUDIO\n", 'game.cue:4: unknown command "TRAK"'),
    ("file-missing", 'REM x\n\nFILE "a.bin" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n', 'game.cue:3: FILE "a.bin" not found'),
    ("file-outside-missing", 'FILE "../../etc/a.bin" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n',
     'game.cue:1: FILE "../../etc/a.bin" not found (a name outside the cue\'s folder is looked up as "a.bin"'),
    ("bin-too-short", HEAD + "  TRACK 02 AUDIO\n    INDEX 01 00:06:00\n", "game.bin: 451 sectors expected, file holds 400"),
    ("no-tracks", "REM nothing\nCATALOG 1234567890123\n", "game.cue: no TRACK in the cue sheet"),
    ("empty", "", "game.cue: no TRACK"),
    ("file-without-track", HEAD + 'FILE "game.bin" BINARY\n', 'game.cue:4: FILE "game.bin" has no TRACK'),
    ("file-without-track-mid", 'FILE "game.bin" BINARY\n' + HEAD, 'game.cue:1: FILE "game.bin" has no TRACK'),
    ("track-before-file", "TRACK 01 AUDIO\n", "game.cue:1: TRACK before any FILE"),
    ("index-before-track", 'FILE "game.bin" BINARY\nINDEX 01 00:00:00\n', "game.cue:2: INDEX before any TRACK"),
    ("no-index-01", 'FILE "game.bin" BINARY\nTRACK 01 AUDIO\nINDEX 00 00:00:00\nTRACK 02 AUDIO\nINDEX 01 00:01:00\n',
     "game.cue:2: TRACK 01 has no INDEX 01"),
    ("no-index-at-end", HEAD + "TRACK 02 AUDIO\n", "game.cue:4: TRACK 02 has no INDEX 01"),
    ("track-order", HEAD + "TRACK 03 AUDIO\nINDEX 01 00:02:00\n", "game.cue:4: TRACK 03 after TRACK 01: track numbers out of order"),
    ("track-repeat", HEAD + "TRACK 01 AUDIO\nINDEX 01 00:02:00\n", "game.cue:4: TRACK 01 after TRACK 01"),
    ("track-zero", 'FILE "game.bin" BINARY\nTRACK 00 AUDIO\n', 'game.cue:2: bad track number "00"'),
    ("track-100", 'FILE "game.bin" BINARY\nTRACK 100 AUDIO\n', 'game.cue:2: bad track number "100"'),
    ("track-args", 'FILE "game.bin" BINARY\nTRACK 01\n', "game.cue:2: TRACK takes 2 arguments, got 1"),
    ("bad-mode", 'FILE "game.bin" BINARY\nTRACK 01 MODE1/2353\n', 'game.cue:2: unknown track mode "MODE1/2353"'),
    ("overlap", HEAD + "TRACK 02 AUDIO\nINDEX 01 00:00:00\n", "game.cue:5: INDEX 01 at 00:00:00 overlaps TRACK 01"),
    ("overlap-index-00", HEAD.replace("00:00:00", "00:03:00") + "TRACK 02 AUDIO\nINDEX 00 00:01:00\nINDEX 01 00:04:00\n",
     "game.cue:5: INDEX 00 at 00:01:00 overlaps TRACK 01"),
    ("index-backwards", 'FILE "game.bin" BINARY\nTRACK 01 AUDIO\nINDEX 00 00:02:00\nINDEX 01 00:01:00\n',
     "game.cue:4: INDEX 01 at 00:01:00 is not after INDEX 00 at 00:02:00"),
    ("index-same", 'FILE "game.bin" BINARY\nTRACK 01 AUDIO\nINDEX 00 00:01:00\nINDEX 01 00:01:00\n', "game.cue:4: INDEX 01 at 00:01:00 is not after"),
    ("index-skips", HEAD + "INDEX 03 00:01:00\n", "game.cue:4: INDEX 03 after INDEX 01: index numbers out of order"),
    ("index-starts-at-2", 'FILE "game.bin" BINARY\nTRACK 01 AUDIO\nINDEX 02 00:00:00\n', "game.cue:3: INDEX 02 before INDEX 01"),
    ("index-number", 'FILE "game.bin" BINARY\nTRACK 01 AUDIO\nINDEX x 00:00:00\n', 'game.cue:3: bad index number "x"'),
    ("frame-75", 'FILE "game.bin" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:75\n', "game.cue:3: INDEX: bad MSF 00:00:75: frame 75 must be below 75"),
    ("second-60", 'FILE "game.bin" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:60:00\n', "game.cue:3: INDEX: bad MSF 00:60:00: second 60"),
    ("msf-garbage", 'FILE "game.bin" BINARY\nTRACK 01 AUDIO\nINDEX 01 1:2\n', 'game.cue:3: INDEX: bad MSF 1:2: "1:2" is not mm:ss:ff'),
    ("pregap-msf", 'FILE "game.bin" BINARY\nTRACK 01 AUDIO\nPREGAP 00:00:99\n', "game.cue:3: PREGAP: bad MSF 00:00:99"),
    ("pregap-after-index", HEAD + "PREGAP 00:02:00\n", "game.cue:4: PREGAP after INDEX"),
    ("postgap-before-index", 'FILE "game.bin" BINARY\nTRACK 01 AUDIO\nPOSTGAP 00:02:00\n', "game.cue:3: POSTGAP before INDEX"),
    ("catalog-short", "CATALOG 123\n" + HEAD, 'game.cue:1: CATALOG "123" is not 13 digits'),
    ("catalog-twice", "CATALOG 1234567890123\nCATALOG 1234567890123\n" + HEAD, "game.cue:2: second CATALOG"),
    ("isrc", HEAD + "ISRC US-AB\n", 'game.cue:4: ISRC "US-AB" is not'),
    ("isrc-outside", "ISRC USABC1234567\n" + HEAD, "game.cue:1: ISRC before any TRACK"),
    ("flags", HEAD + "FLAGS DCP LOUD\n", 'game.cue:4: unknown flag "LOUD"'),
    ("file-type", 'FILE "game.bin" BINRAY\n', 'game.cue:1: unknown FILE type "BINRAY"'),
    ("file-type-mp3", 'FILE "game.mp3" MP3\n', "game.cue:1: FILE type MP3 is not supported"),
    ("file-no-type", 'FILE "game.bin"\n', "game.cue:1: FILE needs a name and a type"),
    ("file-quote", 'FILE "game.bin BINARY\n', "game.cue:1: FILE: unclosed quote"),
    ("data-in-wave", 'FILE "game.wav" WAVE\nTRACK 01 MODE1/2352\n', "game.cue:2: TRACK 01 MODE1/2352 in a WAVE file"),
    ("session-order", "REM SESSION 02\n" + HEAD + "REM SESSION 01\n", "game.cue:5: REM SESSION 1 after session 2"),
    ("session-bad", "REM SESSION x\n" + HEAD, "game.cue:1: REM SESSION needs a session number"),
    ("binary", "FILE \0\0\0", "game.cue: not a cue sheet (binary data)"),
]


@pytest.mark.parametrize(("cue", "fragment"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_malformed_sheet_is_refused(tmp_path: Path, cue: str, fragment: str) -> None:
    # no game.bin when the sheet names another file: the cue-stem fallback would find it
    path = write(tmp_path, cue, {"game.bin": 400} if "a.bin" not in cue else {})
    with pytest.raises(ImageFormatError) as exc:
        parse_cue(str(path))
    message = str(exc.value)
    assert fragment in message.replace(str(tmp_path) + "/", "")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("data", "fragment"),
    [(b"RIFX" + b"\0" * 40, "not a RIFF WAVE file"),
     (wav(RAW, channels=1), "not 16-bit stereo 44.1 kHz PCM (format 1, 1 channels, 44100 Hz, 16 bits)"),
     (wav(RAW, rate=48000), "not 16-bit stereo 44.1 kHz PCM (format 1, 2 channels, 48000 Hz, 16 bits)"),
     (b"RIFF\0\0\0\0WAVEdata\0\0\0\0", "data chunk before the fmt chunk"),
     (b"RIFF\0\0\0\0WAVE", "no data chunk")],
    ids=["not-riff", "mono", "48k", "no-fmt", "no-data"],
)
def test_bad_wave_is_refused(tmp_path: Path, data: bytes, fragment: str) -> None:
    path = write(tmp_path, 'FILE "a.wav" WAVE\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n', {"a.wav": data})
    with pytest.raises(ImageFormatError, match=re.escape(f'game.cue:1: FILE "a.wav": {fragment}')):
        parse_cue(str(path))


def test_missing_cue(tmp_path: Path) -> None:
    with pytest.raises(ImageFormatError, match="no such file"):
        parse_cue(str(tmp_path / "none.cue"))


def test_failed_parse_closes_opened_files(tmp_path: Path) -> None:
    import os

    before = len(os.listdir("/proc/self/fd"))
    path = write(tmp_path, 'FILE "a.bin" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nFILE "b.bin" BINARY\n'
                 'TRACK 02 AUDIO\nINDEX 01 00:09:00\n', {"a.bin": 5, "b.bin": 5})
    with pytest.raises(ImageFormatError, match="b.bin: 676 sectors expected, file holds 5"):
        parse_cue(str(path))
    assert len(os.listdir("/proc/self/fd")) == before


def test_cue_stem_fallback_only_for_one_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'FILE "a.bin" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n'
                 'FILE "b.bin" BINARY\nTRACK 02 AUDIO\nINDEX 01 00:00:00\n', {"game.bin": 5, "a.bin": 5})
    with pytest.raises(ImageFormatError, match=r'game\.cue:4: FILE "b\.bin" not found$'):
        parse_cue(str(path))
