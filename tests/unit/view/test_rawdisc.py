"""view/rawdisc.py: disc.bin's byte mapping over small synthetic discs, and disc.cue."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mount_image.disc.cue import parse_cue
from mount_image.disc.model import Disc, Index, Session, Track, TrackKind, TrackMode
from mount_image.disc.msf import header_msf
from mount_image.errors import UnsupportedError
from mount_image.sectors.edc import SYNC, check_sectors, encode_mode1
from mount_image.view.node import OwnerPolicy
from mount_image.view.rawdisc import cue_sheet, plan, raw_disc
from mount_image.view.tracks import TracksView
from support.memory import MemorySource as BytesSource

S = 2352


def blob(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def track(number: int, mode: TrackMode, start: int, sectors: int, source, offset: int, size: int,
          session: int = 1, **kw) -> Track:
    kind = TrackKind.AUDIO if mode in (TrackMode.AUDIO, TrackMode.CDG) else TrackKind.DATA
    return Track(number, session, kind, mode, start, sectors, source, offset, size, **kw)


def disc_of(*sessions: tuple[Track, ...], **kw) -> Disc:
    return Disc("mem", "test", tuple(Session(i + 1, t) for i, t in enumerate(sessions)), **kw)


def whole(image) -> bytes:
    data = image.read(0, image.size + 100)
    assert len(data) == image.size
    return data


def assert_reads_match(image, data: bytes, seed: int = 0) -> None:
    """Reads at any offset and size are slices of the whole image (across track boundaries)."""
    rnd = random.Random(seed)
    for _ in range(300):
        offset = rnd.randrange(0, len(data) + 10)
        size = rnd.choice([1, 2, 3, 2351, 2352, 2353, 4096, 131072, rnd.randrange(1, 3 * S)])
        assert image.read(offset, size) == data[offset:offset + size], (offset, size)
    for piece in image.pieces:          # every boundary, from either side
        for at in (piece.start - 1, piece.start, piece.start + 1):
            if at >= 0:
                assert image.read(at, 5000) == data[at:at + 5000]


def test_raw_tracks_with_stored_gap_are_the_file() -> None:
    # data MODE1/2352 (10 sectors), audio with a 3-sector INDEX 00 gap, audio: all in one file
    data = blob(30 * S, 1)
    src = BytesSource(data)
    t1 = track(1, TrackMode.MODE1_2352, 0, 13, src, 0, S)
    t2 = track(2, TrackMode.AUDIO, 13, 7, src, 13 * S, S, pregap=3, pregap_stored=3,
               indexes=(Index(0, 10), Index(1, 13)))
    t3 = track(3, TrackMode.AUDIO, 20, 10, src, 20 * S, S)
    disc = disc_of((t1, t2, t3))
    image, cue = raw_disc(disc)
    assert [(p.start // S, p.sectors, p.first_lba) for p in image.pieces] == [
        (0, 10, 0), (10, 10, 10), (20, 10, 20)]
    assert whole(image) == data
    assert_reads_match(image, data)
    text = cue.read(0, cue.size).decode()
    assert text.splitlines() == [
        'FILE "disc.bin" BINARY', "  TRACK 01 MODE1/2352", "    INDEX 01 00:00:00",
        "  TRACK 02 AUDIO", "    INDEX 00 00:00:10", "    INDEX 01 00:00:13",
        "  TRACK 03 AUDIO", "    INDEX 01 00:00:20"]


def test_cooked_2048_is_reencoded_as_mode1() -> None:
    iso = blob(20 * 2048 + 100, 2)          # a trailing partial block is padded with zeros
    src = BytesSource(iso, "plain.iso")
    disc = disc_of((track(1, TrackMode.MODE1_2048, 0, 21, src, 0, 2048),))
    image, cue = raw_disc(disc)
    assert image.size == 21 * S
    data = whole(image)
    padded = iso + bytes(21 * 2048 - len(iso))
    assert data == b"".join(encode_mode1(padded[i * 2048:(i + 1) * 2048], i) for i in range(21))
    assert check_sectors(data, first_lba=0) == []
    assert_reads_match(image, data, 1)
    assert "TRACK 01 MODE1/2352" in cue.read(0, 1000).decode()


def test_reencoded_chunks_and_cache_across_a_track_boundary(monkeypatch) -> None:
    from mount_image.view import rawdisc
    monkeypatch.setattr(rawdisc, "ENCODE_CHUNK", 3)
    monkeypatch.setattr(rawdisc, "CACHED_CHUNKS", 2)
    iso = blob(11 * 2048, 9)
    audio = blob(4 * S, 10)
    disc = disc_of((track(1, TrackMode.MODE1_2048, 0, 11, BytesSource(iso), 0, 2048),
                    track(2, TrackMode.AUDIO, 11, 4, BytesSource(audio), 0, S)))
    image, _ = raw_disc(disc)
    data = whole(image)
    cooked = b"".join(encode_mode1(iso[i * 2048:(i + 1) * 2048], i) for i in range(11))
    assert data == cooked + audio
    assert_reads_match(image, data, 5)
    assert len(image._cache) <= 2


def test_2448_subchannel_is_stripped() -> None:
    raw = [blob(S, 10 + i) for i in range(8)]
    stored = b"".join(r + b"\xAA" * 96 for r in raw)
    src = BytesSource(stored)
    disc = disc_of((track(1, TrackMode.MODE1_2352, 0, 4, src, 0, 2448, subchannel=96),
                    track(2, TrackMode.AUDIO, 4, 4, src, 4 * 2448, 2448, subchannel=96)))
    image, _ = raw_disc(disc)
    data = whole(image)
    assert data == b"".join(raw)
    assert_reads_match(image, data, 2)


def test_mode2_2336_gets_sync_and_header_at_its_lba() -> None:
    stored = blob(6 * 2336, 3)
    src = BytesSource(stored, "x.nrg")
    # track 2 has a 150-sector PREGAP that is not stored: its sectors carry their real addresses
    disc = disc_of((track(1, TrackMode.MODE2_2336, 0, 4, src, 0, 2336),
                    track(2, TrackMode.MODE2_2336, 154, 2, src, 4 * 2336, 2336, pregap=150)))
    image, cue = raw_disc(disc)
    data = whole(image)
    lbas = [0, 1, 2, 3, 154, 155]
    assert data == b"".join(SYNC + header_msf(lba) + b"\x02" + stored[i * 2336:(i + 1) * 2336]
                            for i, lba in enumerate(lbas))
    assert_reads_match(image, data, 3)
    lines = cue.read(0, 1000).decode().splitlines()
    assert lines[-3:] == ["  TRACK 02 MODE2/2352", "    PREGAP 00:02:00", "    INDEX 01 00:00:04"]


def test_motorola_audio_is_swapped() -> None:
    pcm = blob(3 * S, 4)
    swapped = bytes(b for i in range(0, len(pcm), 2) for b in (pcm[i + 1], pcm[i]))
    src = BytesSource(swapped)
    disc = disc_of((track(1, TrackMode.AUDIO, 0, 3, src, 0, S, file_type="MOTOROLA"),))
    image, _ = raw_disc(disc)
    assert whole(image) == pcm
    assert_reads_match(image, pcm, 4)


def test_cue_sheet_metadata_sessions_and_round_trip(tmp_path: Path) -> None:
    a = blob(10 * S, 5)
    b = blob(5 * 2048, 6)
    sa, sb = BytesSource(a, "a.bin"), BytesSource(b, "b.iso")
    t1 = track(1, TrackMode.AUDIO, 0, 6, sa, 0, S, isrc="USABC1234567", flags=("DCP",),
               cdtext=(("TITLE", 'Say "hi"'), ("PERFORMER", "Me")))
    t2 = track(2, TrackMode.AUDIO, 8, 2, sa, 8 * S, S, pregap=2, pregap_stored=2,
               indexes=(Index(0, 6), Index(1, 8)))
    t3 = track(3, TrackMode.MODE1_2048, 11400 + 10, 5, sb, 0, 2048, session=2)
    disc = disc_of((t1, t2), (t3,), catalog="0000010271955", cdtext=(("TITLE", "Disc"),))
    pieces = plan(disc)
    text = cue_sheet(disc, pieces)
    assert text.startswith('CATALOG 0000010271955\nTITLE "Disc"\nFILE "disc.bin" BINARY\n'
                           '  REM SESSION 01\n')
    assert "    ISRC USABC1234567\n    FLAGS DCP\n" in text and "TITLE \"Say 'hi'\"" in text
    assert "  REM SESSION 02\n  TRACK 03 MODE1/2352\n    INDEX 01 00:00:10\n" in text
    image, cue = raw_disc(disc)
    (tmp_path / "disc.bin").write_bytes(whole(image))
    (tmp_path / "disc.cue").write_bytes(cue.read(0, cue.size))
    back = parse_cue(str(tmp_path / "disc.cue"))
    try:
        assert [(t.number, t.session, t.mode, t.pregap_stored, t.isrc) for t in back.tracks] == [
            (1, 1, TrackMode.AUDIO, 0, "USABC1234567"), (2, 1, TrackMode.AUDIO, 2, None),
            (3, 2, TrackMode.MODE1_2352, 0, None)]
        assert back.catalog == "0000010271955"
    finally:
        back.close()
    data = whole(image)
    assert data[:10 * S] == a
    assert check_sectors(data[10 * S:], first_lba=11410) == []


def test_view_shows_disc_bin_and_cue_in_the_root() -> None:
    src = BytesSource(blob(4 * S, 7))
    t1 = track(1, TrackMode.AUDIO, 0, 2, src, 0, S)
    t2 = track(2, TrackMode.MODE1_2352, 11402, 2, src, 2 * S, S, session=2)
    view = TracksView(disc_of((t1,), (t2,)), OwnerPolicy(), 0)
    names = sorted(c.name for c in view.listdir(view.root))
    assert names == ["disc.bin", "disc.cue", "session1", "session2"]
    node = view.resolve("/disc.bin")
    assert node.stat.size == 4 * S and node.stat.ino == 2 and view.attributes(node)
    assert view.read(node, 0, node.stat.size) == src.data
    assert view.resolve("/disc.cue").stat.ino == 3


def test_unconvertible_track_leaves_no_disc_bin() -> None:
    src = BytesSource(blob(4 * 2336, 8))
    disc = disc_of((track(1, TrackMode.MODE1_2352, 0, 4, src, 0, 2336),))
    with pytest.raises(UnsupportedError):
        raw_disc(disc)
    view = TracksView(disc, OwnerPolicy(), 0)
    assert "disc.bin" not in view.root.children and "disc.cue" not in view.root.children
