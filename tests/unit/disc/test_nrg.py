"""disc/nrg.py: Nero NRG chunk lists to Disc -> Session -> Track; malformed images refused by offset.

The builder below writes NRG chunks from libmirage's and libcdio's descriptions of the format,
independently of nrg.py's layout block; the two libcdio images are the real-world reference,
checked against cd-info's track lists.
"""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import pytest

from conftest import corpus_file, require_tool
from mount_image.disc.model import Index, TrackKind, TrackMode
from mount_image.disc.nrg import MAX_CHUNKS, parse_nrg
from mount_image.errors import ImageFormatError


# ---- builder -----------------------------------------------------------------------------------

def chunk(chunk_id: bytes, body: bytes) -> bytes:
    return chunk_id + struct.pack(">I", len(body)) + body


def bcd(n: int) -> int:
    return (n // 10) << 4 | n % 10


def cuex(points: list[tuple[int, int, int]]) -> bytes:
    """(track, index, lba) points; lead-in and lead-out added as Nero writes them."""
    body = struct.pack(">BBBBi", 0x01, 0, 0, 0, -150)
    for track, index, lba in points:
        body += struct.pack(">BBBBi", 0x41, bcd(track), bcd(index), 0, lba)
    body += struct.pack(">BBBBi", 0x01, 0xAA, 1, 0, points[-1][2] + 1)
    return chunk(b"CUEX", body)


def cues(points: list[tuple[int, int, int]]) -> bytes:
    body = b""
    for track, index, lba in points:
        m, rest = divmod(lba + 150, 75 * 60)
        s, f = divmod(rest, 75)
        body += struct.pack(">8B", 0x41, bcd(track), bcd(index), 0, 0, m, s, f)
    return chunk(b"CUES", body)


def daox(tracks: list[tuple[int, int, int, int, int]], v2: bool = True, mcn: bytes = b"") -> bytes:
    """(sector size, mode, index0, index1, end) per track."""
    entry = ">12sHB3sQQQ" if v2 else ">12sHB3sIII"
    body = b"".join(struct.pack(entry, b"", size, mode, b"\0\0\x01", i0, i1, end)
                    for size, mode, i0, i1, end in tracks)
    head = struct.pack(">I13sBHBB", 22 + len(body), mcn, 0, 1, 1, len(tracks))
    return chunk(b"DAOX" if v2 else b"DAOI", head + body)


def etn(tracks: list[tuple[int, int, int, int]], v2: bool = True) -> bytes:
    """(offset, size, mode, start LBA) per track."""
    if v2:
        return chunk(b"ETN2", b"".join(struct.pack(">QQIIQ", *t, 0) for t in tracks))
    return chunk(b"ETNF", b"".join(struct.pack(">IIIII", *t, 0) for t in tracks))


def nrg(data: bytes, chunks: list[bytes], v2: bool = True, end: bool = True) -> bytes:
    body = b"".join(chunks) + (chunk(b"END!", b"") if end else b"")
    footer = b"NER5" + struct.pack(">Q", len(data)) if v2 else b"NERO" + struct.pack(">I", len(data))
    return data + body + footer


def write(folder: Path, content: bytes, name: str = "disc.nrg") -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def parse(folder: Path, content: bytes):
    disc = parse_nrg(str(write(folder, content)))
    disc.close()
    return disc


def simple(v2: bool = True) -> bytes:
    """One Mode 1 2048 track of 20 sectors, then an audio track of 10, DAO with cue points."""
    data = b"\x01" * (20 * 2048) + b"\x02" * (10 * 2352)
    return nrg(data, [
        cuex([(1, 0, -150), (1, 1, 0), (2, 0, 20), (2, 1, 20)]) if v2
        else cues([(1, 0, -150), (1, 1, 0), (2, 0, 20), (2, 1, 20)]),
        daox([(2048, 0x00, 0, 0, 20 * 2048), (2352, 0x07, 20 * 2048, 20 * 2048, 20 * 2048 + 10 * 2352)], v2),
        chunk(b"SINF", struct.pack(">I", 2)),
        chunk(b"MTYP", struct.pack(">I", 1)),
    ], v2)


# ---- the corpus, against cd-info -----------------------------------------------------------------

_CDINFO = re.compile(r"^\s*(\d+): \d\d:\d\d:\d\d\s+(\d+) (\w+)", re.M)


def cd_info_tracks(name: str) -> list[tuple[int, int, str]]:
    text = corpus_file(f"expected/libcdio/{name}.cd-info.txt").read_text()
    return [(int(n), int(lsn), kind) for n, lsn, kind in _CDINFO.findall(text) if n != "170"]


def kind_of(track) -> str:
    if track.kind is TrackKind.AUDIO:
        return "audio"
    return "XA" if track.mode in (TrackMode.MODE2_2336, TrackMode.MODE2_2352) else "data"


@pytest.mark.parametrize("name", ["p1.nrg", "videocd.nrg"])
def test_corpus_matches_cd_info(name: str) -> None:
    disc = parse_nrg(str(corpus_file(f"libcdio/{name}")))
    disc.close()
    assert [(t.number, t.start, kind_of(t)) for t in disc.tracks] == cd_info_tracks(name)


def test_p1_daox_cuex() -> None:
    disc = parse_nrg(str(corpus_file("libcdio/p1.nrg")))
    disc.close()
    t1, t2 = disc.tracks
    assert (t1.mode, t1.sector_size, t1.sectors, t1.offset) == (TrackMode.AUDIO, 2352, 75, 300 * 2352)
    assert t1.indexes == (Index(0, -150), Index(1, 150)) and t1.pregap_stored == 300
    assert (t2.start, t2.sectors, t2.offset, t2.pregap_stored) == (300, 2, 450 * 2352, 75)
    assert disc.remarks == ("MTYP 0x1",)
    assert t1.flags == t2.flags == ("DCP",)          # control 0x2: cd-info's "Copy? yes"
    # The CDTX packs decoded as cd-info shows them ("CD-TEXT for Disc:" and for each track)
    disc_text, track_text = cd_info_cdtext(corpus_file("libcdio/p1.nrg"))
    assert disc.cdtext == disc_text == (("TITLE", "Join us now we have the software"),
                                        ("PERFORMER", "Richard Stallman"))
    assert [t.cdtext for t in disc.tracks] == [track_text.get(n, ()) for n in (1, 2)] == [(), ()]


def cd_info_cdtext(nrg) -> tuple[tuple[tuple[str, str], ...], dict[int, tuple[tuple[str, str], ...]]]:
    """The CD-TEXT fields libcdio's cd-info prints for an NRG (run here: the corpus's expected
    output was made with --no-analyze, which leaves them out): the disc's and each track's."""
    proc = subprocess.run([require_tool("cd-info"), "--no-header", "--no-device-info", "--no-cddb",
                           "--nrg-file", str(nrg)], capture_output=True, text=True, timeout=30)
    disc: list[tuple[str, str]] = []
    tracks: dict[int, list[tuple[str, str]]] = {}
    current = None
    for line in proc.stdout.splitlines():
        if line.startswith("CD-TEXT for Disc:"):
            current = disc
        elif m := re.match(r"CD-TEXT for Track\s+(\d+):", line):
            current = tracks.setdefault(int(m.group(1)), [])
        elif line.startswith("\t") and current is not None and ": " in line:
            key, value = line.strip().split(": ", 1)
            current.append((key, value))
        else:
            current = None
    return tuple(disc), {n: tuple(v) for n, v in tracks.items() if v}


_LEADOUT = re.compile(r"^\s*170: \d\d:\d\d:\d\d\s+(\d+) leadout", re.M)


def cd_info_lengths(name: str) -> list[int]:
    """Track lengths as cd-info shows them: from each track's LSN to the next one's, the last
    to the lead-out."""
    starts = [lsn for _, lsn, _ in cd_info_tracks(name)]
    (leadout,) = _LEADOUT.findall(corpus_file(f"expected/libcdio/{name}.cd-info.txt").read_text())
    return [b - a for a, b in zip(starts, starts[1:] + [int(leadout)])]


def test_p1_track_lengths_match_cd_info() -> None:
    """Track 2 of p1.nrg really is 2 sectors: DAOX puts its INDEX 01 at byte 450 * 2352 and its
    end at 452 * 2352 (the chunk list starts there), CUEX puts INDEX 01 at LBA 300 and the lead-out
    at 302, and cd-info lists the same. p1.cue (77 sectors) describes p1.bin differently, not the
    same layout: the .nrg holds 150 sectors of silence then p1.bin byte for byte, with INDEX 01 of
    track 1 at LBA 150 (cue: 75) and of track 2 at LBA 300 (cue: 225); both end at LBA 302."""
    assert cd_info_lengths("p1.nrg") == [150, 2]
    disc = parse_nrg(str(corpus_file("libcdio/p1.nrg")))
    disc.close()
    t1, t2 = disc.tracks
    # Track 1's 75 stored sectors run up to track 2's stored INDEX 00 pregap (75 more sectors),
    # which is how cd-info counts it: 150 from INDEX 01 of track 1 to INDEX 01 of track 2.
    assert t1.sectors + t2.pregap_stored == cd_info_lengths("p1.nrg")[0]
    assert t2.sectors == cd_info_lengths("p1.nrg")[1] == 2
    assert t2.start + t2.sectors == 302 and t2.offset + t2.sectors * 2352 == 452 * 2352


def test_p1_nrg_holds_p1_bin_after_150_sectors_of_silence() -> None:
    nrg = corpus_file("libcdio/p1.nrg").read_bytes()
    raw = corpus_file("libcdio/p1.bin").read_bytes()
    assert len(raw) == 302 * 2352
    assert nrg[:150 * 2352] == bytes(150 * 2352) and nrg[150 * 2352:452 * 2352] == raw


def test_videocd_etnf_tracks() -> None:
    disc = parse_nrg(str(corpus_file("libcdio/videocd.nrg")))
    disc.close()
    assert [(t.mode, t.sector_size) for t in disc.tracks] == [(TrackMode.MODE2_2336, 2336)] * 5
    assert [t.sectors for t in disc.tracks] == [676, 75, 75, 75, 225]
    assert [t.offset for t in disc.tracks] == [0, 676 * 2336, 751 * 2336, 826 * 2336, 901 * 2336]
    assert [t.pregap for t in disc.tracks] == [0, 150, 150, 150, 150]
    assert disc.tracks[-1].start + disc.tracks[-1].sectors == 1726   # cd-info's lead-out


# ---- built images ------------------------------------------------------------------------------

@pytest.mark.parametrize("v2", [True, False], ids=["NER5-DAOX-CUEX", "NERO-DAOI-CUES"])
def test_dao_image(tmp_path: Path, v2: bool) -> None:
    disc = parse(tmp_path, simple(v2))
    data, audio = disc.tracks
    assert (data.number, data.kind, data.mode, data.start, data.sectors, data.offset, data.sector_size) == \
        (1, TrackKind.DATA, TrackMode.MODE1_2048, 0, 20, 0, 2048)
    assert (audio.number, audio.kind, audio.start, audio.sectors, audio.offset) == \
        (2, TrackKind.AUDIO, 20, 10, 20 * 2048)
    assert [s.number for s in disc.sessions] == [1]
    assert disc.container == "nrg"


@pytest.mark.parametrize("mode,size,expected", [
    (0x00, 2048, TrackMode.MODE1_2048), (0x02, 2048, TrackMode.MODE1_2048),
    (0x03, 2336, TrackMode.MODE2_2336), (0x05, 2352, TrackMode.MODE1_2352),
    (0x06, 2352, TrackMode.MODE2_2352), (0x07, 2352, TrackMode.AUDIO),
    (0x10, 2448, TrackMode.CDG), (0x11, 2448, TrackMode.MODE2_2352),
])
def test_modes(tmp_path: Path, mode: int, size: int, expected: TrackMode) -> None:
    data = b"\0" * (4 * size)
    disc = parse(tmp_path, nrg(data, [daox([(size, mode, 0, 0, len(data))])]))
    (track,) = disc.tracks
    assert (track.mode, track.sector_size, track.sectors) == (expected, size, 4)
    assert track.subchannel == (96 if size == 2448 else 0)


def test_tao_etn2_with_sessions(tmp_path: Path) -> None:
    data = b"\0" * (30 * 2048 + 5 * 2352)
    disc = parse(tmp_path, nrg(data, [
        etn([(0, 30 * 2048, 0x00, 0)]), chunk(b"SINF", struct.pack(">I", 1)),
        etn([(30 * 2048, 5 * 2352, 0x07, 30)]), chunk(b"SINF", struct.pack(">I", 1)),
    ]))
    assert [(s.number, [t.number for t in s.tracks]) for s in disc.sessions] == [(1, [1]), (2, [2])]
    t1, t2 = disc.tracks
    # session 2 starts after session 1's lead-out (6750), its lead-in (4500) and pregap (150),
    # none of them in the file: the data stays at the byte after session 1's
    assert (t1.start, t1.sectors, t2.start, t2.sectors, t2.offset, t2.session) == \
        (0, 30, 30 + 11400, 5, 30 * 2048, 2)
    assert t2.pregap == 150       # its own pregap; the lead-out and lead-in are not a track's


def test_three_tao_sessions_use_the_shorter_gap_later(tmp_path: Path) -> None:
    data = b"\0" * (3 * 10 * 2048)
    disc = parse(tmp_path, nrg(data, [
        etn([(0, 10 * 2048, 0x00, 0)]), chunk(b"SINF", struct.pack(">I", 1)),
        etn([(10 * 2048, 10 * 2048, 0x00, 10)]), chunk(b"SINF", struct.pack(">I", 1)),
        etn([(20 * 2048, 10 * 2048, 0x00, 20)]), chunk(b"SINF", struct.pack(">I", 1)),
    ]))
    assert [t.start for t in disc.tracks] == [0, 10 + 11400, 10 + 11400 + 10 + 6900]


def test_unknown_chunks_are_skipped(tmp_path: Path) -> None:
    content = simple()
    data_end = 20 * 2048 + 10 * 2352
    body = content[data_end:-12]
    content = content[:data_end] + chunk(b"TOCT", b"\0\0") + chunk(b"RELO", b"\0" * 4) + body + content[-12:]
    assert len(parse(tmp_path, content).tracks) == 2


# ---- malformed images: one case each ----------------------------------------------------------------

def _data_end() -> int:
    return 20 * 2048 + 10 * 2352


def _footer_outside() -> bytes:
    good = simple()
    return good[:-8] + struct.pack(">Q", len(good) + 4096)


def _chunk_past_end() -> bytes:
    good = simple()
    at = _data_end()
    return good[:at + 4] + struct.pack(">I", 1 << 19) + good[at + 8:]


def _too_many_chunks() -> bytes:
    data = b"\0" * 2048
    return nrg(data, [chunk(b"XXXX", b"")] * (MAX_CHUNKS + 5), end=False)


def _no_end() -> bytes:
    return nrg(b"\0" * 2048, [daox([(2048, 0, 0, 0, 2048)])], end=False)


def _truncated_footer() -> bytes:
    return simple()[:-5]


def _truncated_middle() -> bytes:
    good = simple()
    return good[:_data_end() + 20] + good[-12:]   # chunk list cut, footer kept


def _track_past_data() -> bytes:
    data = b"\0" * (4 * 2048)
    return nrg(data, [daox([(2048, 0, 0, 0, 10 * 2048)])])


def _offsets_out_of_order() -> bytes:
    data = b"\0" * (4 * 2048)
    return nrg(data, [daox([(2048, 0, 2048, 0, 4 * 2048)])])


def _partial_sector() -> bytes:
    data = b"\0" * (4 * 2048)
    return nrg(data, [daox([(2048, 0, 0, 0, 4 * 2048 - 100)])])


def _overlapping_tracks() -> bytes:
    data = b"\0" * (8 * 2048)
    return nrg(data, [cuex([(1, 1, 0), (2, 1, 2)]),
                      daox([(2048, 0, 0, 0, 4 * 2048), (2048, 0, 4 * 2048, 4 * 2048, 8 * 2048)])])


def _unknown_mode() -> bytes:
    data = b"\0" * (4 * 2048)
    return nrg(data, [daox([(2048, 0x42, 0, 0, 4 * 2048)])])


def _bad_daox_size() -> bytes:
    data = b"\0" * 2048
    return nrg(data, [chunk(b"DAOX", b"\0" * 30)])


def _bad_cuex_size() -> bytes:
    data = b"\0" * 2048
    return nrg(data, [chunk(b"CUEX", b"\0" * 7), daox([(2048, 0, 0, 0, 2048)])])


def _no_tracks() -> bytes:
    return nrg(b"\0" * 2048, [chunk(b"SINF", struct.pack(">I", 0))])


def _tiny() -> bytes:
    return b"NER"


MALFORMED = {
    "footer offset outside the file": (_footer_outside, r"^0x[0-9a-f]+$", "outside the file"),
    "chunk size past the end": (_chunk_past_end, f"^{_data_end():#x}$", "runs past the end"),
    "too many chunks (loop)": (_too_many_chunks, "^0x800$", f"more than {MAX_CHUNKS} chunks"),
    "no END! chunk": (_no_end, r"^0x[0-9a-f]+$", "without an END! chunk"),
    "truncated: footer cut": (_truncated_footer, r"^0x[0-9a-f]+$", "no NRG footer"),
    "truncated: chunk list cut": (_truncated_middle, r"^0x[0-9a-f]+$", "runs past the end"),
    "track past the data": (_track_past_data, "^0x2000$", "before the chunk list at 0x2000"),
    "offsets out of order": (_offsets_out_of_order, "^0x2000$", "not in order"),
    "partial sector": (_partial_sector, "^0x2000$", "not a whole number of 2048-byte sectors"),
    "overlapping tracks": (_overlapping_tracks, "^0x4028$", "track 2 starts at LBA 2, inside track 1"),
    "unknown mode": (_unknown_mode, "^0x2000$", "unknown NRG track mode 0x42"),
    "DAOX of a bad size": (_bad_daox_size, "^0x800$", "DAOX size 30"),
    "CUEX of a bad size": (_bad_cuex_size, "^0x800$", "not a multiple of 8"),
    "no track chunk": (_no_tracks, "^0x0$", "lists no tracks"),
    "shorter than a footer": (_tiny, "^0x0$", "no NRG footer"),
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_refused(tmp_path: Path, case: str) -> None:
    build, where, fragment = MALFORMED[case]
    path = write(tmp_path, build())
    with pytest.raises(ImageFormatError) as info:
        parse_nrg(str(path))
    assert re.match(where, info.value.where), info.value
    assert fragment in info.value.msg
    assert str(info.value).startswith(f"{path}:0x")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageFormatError, match="no such file"):
        parse_nrg(str(tmp_path / "gone.nrg"))
