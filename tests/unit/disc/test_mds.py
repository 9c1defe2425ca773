"""disc/mds.py: Alcohol 120% .mds + .mdf sets to Disc -> Session -> Track, the layouts' sizes,
and every malformed set refused with its hex offset (sets written by tests/support/ccdmds.py)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from mount_image.disc import mds as m
from mount_image.disc.model import Index, TrackKind, TrackMode
from mount_image.errors import ImageFormatError
from mount_image.sectors.blocks import BlockDevice
from support.ccdmds import AudioTrack, DataTrack, write_mds
from support.rawcd import tone

RAW = 2352
ISO = bytes(range(256)) * 8 * 40          # 40 cooked blocks


def parse(path: Path):
    disc = m.parse_mds(str(path))
    disc.close()
    return disc


@pytest.mark.parametrize(("cls", "size"), [(m.MdsHeader, 88), (m.MdsSessionBlock, 24), (m.MdsTrackBlock, 80),
                                           (m.MdsExtraBlock, 8), (m.MdsFooter, 16)])
def test_layout_sizes(cls, size: int) -> None:
    assert cls.SIZE == size == cls._S.size
    assert cls.__doc__.startswith("MDS ") and "reverse-engineered" in cls.__doc__


def test_written_structures_read_back(tmp_path: Path) -> None:
    s = write_mds([DataTrack(ISO)], tmp_path / "game.mdf")
    header = m.MdsHeader.parse(s.data)
    assert (header.signature, header.version_major, header.num_sessions, header.sessions_blocks_offset) == \
        (b"MEDIA DESCRIPTOR", 1, 1, 0x58)
    session = m.MdsSessionBlock.parse(s.data, s.session_block)
    assert (session.num_all_blocks, session.num_nontrack_blocks, session.first_track,
            session.last_track) == (4, 3, 1, 1)
    block = m.MdsTrackBlock.parse(s.data, s.track_blocks[3])
    assert (block.point, block.mode & 7, block.adr_ctl, block.sector_size,
            block.number_of_files) == (1, 2, 0x14, RAW, 1)
    assert m.MdsExtraBlock.parse(s.data, block.extra_offset) == m.MdsExtraBlock(150, 40)


def test_data_only_mode1(tmp_path: Path) -> None:
    s = write_mds([DataTrack(ISO)], tmp_path / "game.mdf")
    disc = parse(s.mds)
    assert disc.container == "mds"
    (track,) = disc.tracks
    assert (track.number, track.session, track.kind, track.mode) == (1, 1, TrackKind.DATA, TrackMode.MODE1_2352)
    assert (track.start, track.sectors, track.offset, track.sector_size, track.subchannel) == (0, 40, 0, RAW, 0)
    assert track.pregap == 150 and track.indexes == (Index(0, -150), Index(1, 0)) and track.file_name == "game.mdf"


@pytest.mark.parametrize(("mode", "expected", "size"), [("MODE2/2352", TrackMode.MODE2_2352, RAW),
                                                        ("MODE1/2048", TrackMode.MODE1_2048, 2048)])
def test_other_data_modes(tmp_path: Path, mode: str, expected: TrackMode, size: int) -> None:
    s = write_mds([DataTrack(ISO)], tmp_path / "game.mdf", data_mode=mode)
    (track,) = parse(s.mds).tracks
    assert (track.mode, track.sector_size, track.sectors) == (expected, size, 40)


def test_data_and_audio_pregap_not_stored(tmp_path: Path) -> None:
    s = write_mds([DataTrack(ISO), AudioTrack(tone(20), pregap=150), AudioTrack(tone(10, 2))], tmp_path / "mix.mdf")
    t1, t2, t3 = parse(s.mds).tracks
    assert (t1.start, t1.sectors, t1.offset) == (0, 40, 0)
    assert (t2.kind, t2.mode, t2.start, t2.sectors, t2.offset) == (TrackKind.AUDIO, TrackMode.AUDIO, 190, 20, 40 * RAW)
    assert t2.pregap == 150 and t2.pregap_stored == 0 and t2.indexes == (Index(0, 40), Index(1, 190))
    assert (t3.start, t3.offset, t3.pregap) == (210, 60 * RAW, 0)


def test_2448_sectors_are_described_and_cooked_by_the_block_layer(tmp_path: Path) -> None:
    s = write_mds([DataTrack(ISO)], tmp_path / "sub.mdf", subchannel=True)
    disc = m.parse_mds(str(s.mds))
    try:
        (track,) = disc.tracks
        assert (track.mode, track.sector_size, track.subchannel) == (TrackMode.MODE1_2352, 2448, 96)
        device = BlockDevice(track)
        assert device.block_count == 40 and device.read(0, 40) == ISO
    finally:
        disc.close()


@pytest.mark.parametrize(("filename", "widechar", "on_disk"), [
    ("*.mdf", False, "game.mdf"), ("Game.MDF", False, "game.mdf"), ("game.mdf", True, "game.mdf"),
    ("C:\\Images\\game.mdf", False, "game.mdf"), ("../elsewhere/game.mdf", False, "game.mdf"),
])
def test_file_names(tmp_path: Path, filename: str, widechar: bool, on_disk: str) -> None:
    s = write_mds([DataTrack(ISO)], tmp_path / on_disk, filename=filename, widechar=widechar)
    disc = parse(s.mds)
    assert disc.container == "mds" and disc.tracks[0].source.name == str(tmp_path / on_disk)


# ---- malformed sets: (how to break it, message fragment, offset to blame) ------------------------

def _put(where, fmt, value):
    """Overwrite a field: ``where(s)`` gives the offset in the .mds."""
    def make(s):
        data = bytearray(s.data)
        struct.pack_into(fmt, data, where(s), value)
        return bytes(data), where(s)
    return make


def _truncate(size, blame):
    return lambda s: (s.data[:size], blame)


def _track(i, field_offset):
    return lambda s: s.track_blocks[3 + i] + field_offset


def _mdf(action):
    def make(s):
        action(s)
        return s.data, None
    return make


BAD = [
    ("signature", _put(lambda s: 0, "<16s", b"MEDIA DESCRIPTIO"), "no \"MEDIA DESCRIPTOR\" signature", 0),
    ("short-header", _truncate(40, 0), "no \"MEDIA DESCRIPTOR\" signature", 0),
    ("version-2", _put(lambda s: 0x10, "<B", 2), "MDS version 2.3 (encrypted or MDX-style descriptor) is not supported",
     0x10),
    ("medium", _put(lambda s: 0x12, "<H", 0x77), "medium type 0x77 is not a CD or DVD", 0x12),
    ("no-sessions", _put(lambda s: 0x14, "<H", 0), "0 sessions", 0x14),
    ("session-offset", _put(lambda s: 0x50, "<I", 0x10000), "session block 1 at 0x10000 lies past the end", 0x50),
    ("track-blocks-offset", _put(lambda s: s.session_block + 20, "<I", 0xFFFFFF),
     "track block 0 at 0xffffff lies past the end", None),
    ("cut-in-track-blocks", _truncate(0x58 + 24 + 80 * 3 + 10, None), "track block 3 at", None),
    ("nontrack-count", _put(lambda s: s.session_block + 11, "<B", 9), 
     "session 1: 9 non-track blocks of 5 in all", None),
    ("extra-offset", _put(_track(0, 12), "<I", 0x9999), "track 01 extra block at 0x9999 lies past the end", None),
    ("footer-offset", _put(_track(0, 52), "<I", 0x8888), "track 01 footer at 0x8888 lies past the end", None),
    ("filename-offset", _put(lambda s: s.footer, "<I", 0x7777), "file name at 0x7777 lies past the end", None),
    ("start-past-mdf", _put(_track(1, 40), "<Q", 0x1000000),
     "track 02 starts at byte 0x1000000 of bad.mdf, past its end",
     None),
    ("length-past-mdf", _put(lambda s: s.extra_blocks[1] + 4, "<I", 1000), "track 02 ends at byte", None),
    ("two-files", _put(_track(0, 48), "<I", 2), "track 01 split over 2 .mdf files is not supported", None),
    ("no-file", _put(_track(0, 48), "<I", 0), "track 01: no data file", None),
    ("sector-size", _put(_track(0, 16), "<H", 1234), "track 01: sector size 1234", None),
    ("audio-2048", _put(_track(1, 16), "<H", 2048), "audio track 02 stored as 2048-byte sectors", None),
    ("mode-6", _put(_track(0, 0), "<B", 0xAE), "unknown track mode 0xae", None),
    ("track-overlap", _put(_track(1, 36), "<I", 10), "track 02 at sector 10 does not follow track 01", None),
    ("mdx-name", _put(lambda s: s.filename, "<6s", b"*.mdx\0"), "MDX (compressed) images are not supported", None),
    ("mdf-missing", _mdf(lambda s: s.mdf.unlink()), 'data file "bad.mdf" not found next to the .mds', None),
]


def _expected_offset(s, name: str) -> int:
    """Where each damage is blamed, by the structure that holds the bad pointer or value."""
    t1, t2 = s.track_blocks[3], s.track_blocks[4]
    return {"track-blocks-offset": s.session_block + 20, "cut-in-track-blocks": s.track_blocks[3],
            "nontrack-count": s.session_block, "extra-offset": t1 + 12, "footer-offset": t1 + 52,
            "filename-offset": s.footer, "start-past-mdf": t2 + 40, "length-past-mdf": t2 + 40,
            "two-files": t1 + 48, "no-file": t1 + 48, "sector-size": t1 + 16, "audio-2048": t2 + 16,
            "mode-6": t1, "track-overlap": t2, "mdx-name": s.filename, "mdf-missing": s.filename}[name]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_malformed_mds_is_refused_with_its_offset(tmp_path: Path, case) -> None:
    name, make, fragment, offset = case
    s = write_mds([DataTrack(ISO), AudioTrack(tone(5))], tmp_path / "bad.mdf")
    data, _ = make(s)
    s.mds.write_bytes(data)
    with pytest.raises(ImageFormatError) as info:
        m.parse_mds(str(s.mds))
    where = offset if offset is not None else _expected_offset(s, name)
    assert info.value.where == f"{where:#x}", str(info.value)
    assert fragment in info.value.msg
    assert str(info.value).startswith(f"{s.mds}:{where:#x}: ")


def test_dvd_track_length_comes_from_the_mdf(tmp_path: Path) -> None:
    """For DVD media libmirage ignores extra blocks: the track runs to the end of the .mdf."""
    s = write_mds([DataTrack(ISO)], tmp_path / "dvd.mdf", data_mode="MODE1/2048")
    data = bytearray(s.data)
    struct.pack_into("<H", data, 0x12, 0x10)              # medium type: DVD-ROM
    struct.pack_into("<I", data, s.track_blocks[3] + 12, 0)  # no extra block
    s.mds.write_bytes(bytes(data))
    (track,) = parse(s.mds).tracks
    assert (track.mode, track.sector_size, track.sectors, track.pregap) == (TrackMode.MODE1_2048, 2048, 40, 0)
