"""view/tracks.py: track files, their boundaries (INDEX 00 gaps), sessions, inodes, xattrs."""

from __future__ import annotations

import io
import random
import stat as st
import wave
from pathlib import Path

import pytest

from mount_image.disc.cue import parse_cue
from mount_image.disc.model import Disc, Index, Session, Track, TrackKind, TrackMode
from mount_image.view.node import OwnerPolicy
from mount_image.view.tracks import TracksView
from support.memory import MemorySource as BytesSource

S = 2352


def sectors(count: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(count * S)


def wav_pcm(view: TracksView, path: str) -> bytes:
    node = view.resolve(path)
    blob = view.read(node, 0, node.stat.size)
    assert len(blob) == node.stat.size
    with wave.open(io.BytesIO(blob)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, 44100)
        return w.readframes(w.getnframes())


def cue_disc(tmp_path: Path, text: str, files: dict[str, bytes]) -> Disc:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    cue = tmp_path / "disc.cue"
    cue.write_text(text)
    return parse_cue(str(cue))


def test_index00_gap_plays_at_the_end_of_the_previous_track(tmp_path: Path) -> None:
    # track 1: INDEX 00 at 0, 01 at 10; track 2: INDEX 00 at 30, 01 at 35; file of 50 sectors
    data = sectors(50, 1)
    disc = cue_disc(tmp_path, 'FILE "a.bin" BINARY\n TRACK 01 AUDIO\n  INDEX 00 00:00:00\n  INDEX 01 00:00:10\n'
                    ' TRACK 02 AUDIO\n  INDEX 00 00:00:30\n  INDEX 01 00:00:35\n', {"a.bin": data})
    view = TracksView(disc, OwnerPolicy(), 0)
    try:
        assert sorted(c.name for c in view.listdir(view.root)) == ["disc.bin", "disc.cue", "track01.wav",
                                                                   "track02.wav"]
        assert wav_pcm(view, "/track01.wav") == data[10 * S:35 * S]   # its own sectors, then the gap
        assert wav_pcm(view, "/track02.wav") == data[35 * S:]          # the last runs to the end
    finally:
        disc.close()


def test_gap_stored_in_the_next_file_is_appended(tmp_path: Path) -> None:
    # one FILE per track (redump): track 2's INDEX 00 gap is the start of b.bin
    a, b = sectors(20, 2), sectors(30, 3)
    disc = cue_disc(tmp_path, 'FILE "a.bin" BINARY\n TRACK 01 AUDIO\n  INDEX 01 00:00:00\n'
                    'FILE "b.bin" BINARY\n TRACK 02 AUDIO\n  INDEX 00 00:00:00\n  INDEX 01 00:00:04\n',
                    {"a.bin": a, "b.bin": b})
    view = TracksView(disc, OwnerPolicy(), 0)
    try:
        assert wav_pcm(view, "/track01.wav") == a + b[:4 * S]
        assert wav_pcm(view, "/track02.wav") == b[4 * S:]
    finally:
        disc.close()


def test_pregap_silence_not_in_the_file_is_not_invented(tmp_path: Path) -> None:
    data = sectors(40, 4)
    disc = cue_disc(tmp_path, 'FILE "a.bin" BINARY\n TRACK 01 AUDIO\n  INDEX 01 00:00:00\n'
                    ' TRACK 02 AUDIO\n  PREGAP 00:02:00\n  INDEX 01 00:00:25\n', {"a.bin": data})
    view = TracksView(disc, OwnerPolicy(), 0)
    try:
        assert wav_pcm(view, "/track01.wav") == data[:25 * S]
        assert wav_pcm(view, "/track02.wav") == data[25 * S:]
    finally:
        disc.close()


def test_motorola_file_is_swapped(tmp_path: Path) -> None:
    little = sectors(3, 5)
    big = bytes(b for i in range(0, len(little), 2) for b in (little[i + 1], little[i]))
    disc = cue_disc(tmp_path, 'FILE "a.bin" MOTOROLA\n TRACK 01 AUDIO\n  INDEX 01 00:00:00\n', {"a.bin": big})
    view = TracksView(disc, OwnerPolicy(), 0)
    try:
        assert wav_pcm(view, "/track01.wav") == little
    finally:
        disc.close()


def test_data_track_stops_at_the_next_tracks_index00(tmp_path: Path) -> None:
    iso = random.Random(6).randbytes(12 * 2048)
    audio = sectors(8, 7)
    # MODE1/2048 data track of 12 sectors, then audio INDEX 00 at 12 (2 sectors), INDEX 01 at 14.
    # The gap sectors are stored at the audio track's size (cue.py's placement).
    disc = cue_disc(tmp_path, 'FILE "a.bin" BINARY\n TRACK 01 MODE1/2048\n  INDEX 01 00:00:00\n'
                    ' TRACK 02 AUDIO\n  INDEX 00 00:00:12\n  INDEX 01 00:00:14\n', {"a.bin": iso + audio})
    view = TracksView(disc, OwnerPolicy(), 0)
    try:
        node = view.resolve("/track01.iso")
        assert node.stat.size == len(iso)
        assert view.read(node, 0, 1 << 20) == iso
        assert view.read(node, 2047, 3) == iso[2047:2050]
        assert wav_pcm(view, "/track02.wav") == audio[2 * S:]
    finally:
        disc.close()


def make_track(number: int, session: int, kind: TrackKind, source, offset: int, count: int, start: int,
               **kw) -> Track:
    mode = TrackMode.AUDIO if kind is TrackKind.AUDIO else TrackMode.MODE1_2048
    size = S if kind is TrackKind.AUDIO else 2048
    return Track(number=number, session=session, kind=kind, mode=mode, start=start, sectors=count,
                 source=source, offset=offset, sector_size=size, indexes=(Index(1, start),), **kw)


def two_session_disc() -> Disc:
    audio = BytesSource(sectors(6, 8), "audio.bin")
    data = BytesSource(random.Random(9).randbytes(4 * 2048), "data.iso")
    s1 = Session(1, (make_track(1, 1, TrackKind.AUDIO, audio, 0, 3, 0, cdtext=(("TITLE", "Dé"), ("PERFORMER", "P"))),
                     make_track(2, 1, TrackKind.AUDIO, audio, 3 * S, 3, 3)))
    s2 = Session(2, (make_track(3, 2, TrackKind.DATA, data, 0, 4, 11400),))
    return Disc(path="x.cue", container="cue", sessions=(s1, s2), sources=(audio, data),
                cdtext=(("TITLE", "Album"),))


def test_several_sessions_get_folders_with_disc_track_numbers() -> None:
    view = TracksView(two_session_disc(), OwnerPolicy(uid=5, gid=6), 1234)
    assert sorted(c.name for c in view.listdir(view.root)) == ["disc.bin", "disc.cue", "session1", "session2"]
    assert sorted(c.name for c in view.listdir(view.resolve("/session1"))) == ["track01.wav", "track02.wav"]
    assert [c.name for c in view.listdir(view.resolve("/session2"))] == ["track03.iso"]
    assert view.names == {1: "session1/track01.wav", 2: "session1/track02.wav", 3: "session2/track03.iso"}
    with pytest.raises(FileNotFoundError):
        view.resolve("/track01.wav")
    with pytest.raises(NotADirectoryError):
        view.resolve("/session2/track03.iso/x")


def test_one_session_is_flat() -> None:
    disc = two_session_disc()
    disc.sessions = disc.sessions[:1]
    view = TracksView(disc, OwnerPolicy(), 0)
    assert sorted(c.name for c in view.listdir(view.root)) == ["disc.bin", "disc.cue", "track01.wav", "track02.wav"]


def test_attributes_inodes_and_xattrs() -> None:
    view = TracksView(two_session_disc(), OwnerPolicy(uid=5, gid=6), 1234)
    again = TracksView(two_session_disc(), OwnerPolicy(uid=5, gid=6), 1234)
    paths = ["/", "/session1", "/session2", "/session1/track01.wav", "/session1/track02.wav",
             "/session2/track03.iso"]
    inos = [view.attributes(view.resolve(p)).ino for p in paths]
    assert len(set(inos)) == len(inos)
    assert inos == [again.attributes(again.resolve(p)).ino for p in paths]   # stable
    wav = view.attributes(view.resolve("/session1/track01.wav"))
    assert st.S_ISREG(wav.mode) and st.S_IMODE(wav.mode) == 0o444
    assert (wav.uid, wav.gid, wav.mtime_ns, wav.size) == (5, 6, 1234, 44 + 3 * S)
    folder = view.attributes(view.resolve("/session1"))
    assert st.S_ISDIR(folder.mode) and st.S_IMODE(folder.mode) == 0o555
    assert view.xattrs(view.resolve("/session1/track01.wav")) == {
        "user.cdtext.title": "Dé".encode(), "user.cdtext.performer": b"P"}
    assert view.xattrs(view.resolve("/session1/track02.wav")) == {}
    assert view.xattrs(view.root) == {"user.cdtext.title": b"Album"}
    assert view.is_dir(view.root) and not view.is_dir(view.resolve("/session2/track03.iso"))
    assert view.statfs()["f_blocks"] > 0
    with pytest.raises(IsADirectoryError):
        view.read(view.root, 0, 10)
    with pytest.raises(OSError):
        view.readlink(view.resolve("/session2/track03.iso"))


def test_data_track_without_a_block_layout_is_left_out() -> None:
    # Mode 1 has no 2336-byte stored form (only Mode 2 drops sync and header), so no layout.
    source = BytesSource(bytes(10 * S))
    track = Track(number=1, session=1, kind=TrackKind.DATA, mode=TrackMode.MODE1_2352, start=0, sectors=10,
                  source=source, offset=0, sector_size=2336)
    audio = make_track(2, 1, TrackKind.AUDIO, source, 0, 10, 10)
    view = TracksView(Disc("x", "cue", (Session(1, (track, audio)),)), OwnerPolicy(), 0)
    # disc.bin needs every track's sectors, so it is left out too.
    assert [c.name for c in view.listdir(view.root)] == ["track02.wav"]
    assert view.skipped and view.skipped[0][0] is track
