"""sectors/blocks.py: a Track seen as cooked 2048-byte blocks.

Raw sectors are built here from ECMA-130: Mode 1 is 12 sync + 4 header + 2048 user data + 4 EDC
+ 8 zero + 276 ECC (§14.3); Mode 2 Form 1 adds an 8-byte subheader before the user data
(CD-ROM XA); a 2336-byte Mode 2 sector is the raw one without sync and header.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mount_image.disc.model import Track, TrackKind, TrackMode
from mount_image.errors import CorruptDataError, UnsupportedError
from mount_image.io.source import FileSource
from mount_image.sectors import blocks
from mount_image.sectors.blocks import BlockDevice

SYNC = b"\x00" + b"\xff" * 10 + b"\x00"


def user_data(lba: int) -> bytes:
    """2048 bytes that differ in every block and at every offset of a block."""
    return bytes((lba * 7 + i * 13) & 0xFF for i in range(2048))


def _bcd(n: int) -> int:
    return (n // 10) << 4 | n % 10


def header(lba: int, mode: int) -> bytes:
    frames = lba + 150
    return bytes([_bcd(frames // 4500), _bcd(frames // 75 % 60), _bcd(frames % 75), mode])


def mode1_raw(lba: int) -> bytes:
    sector = SYNC + header(lba, 1) + user_data(lba) + b"\xe1" * 4 + b"\0" * 8 + b"\xcc" * 276
    assert len(sector) == 2352
    return sector


def mode2_form1_raw(lba: int) -> bytes:
    sub = bytes([0, 0, 0x08, 0]) * 2
    sector = SYNC + header(lba, 2) + sub + user_data(lba) + b"\xe2" * 4 + b"\xcc" * 276
    assert len(sector) == 2352
    return sector


def mode2_2336(lba: int) -> bytes:
    return mode2_form1_raw(lba)[16:]


_OPENED: list[FileSource] = []


@pytest.fixture(autouse=True)
def _close_sources():
    yield
    while _OPENED:
        _OPENED.pop().close()


def make_device(tmp_path: Path, data: bytes, mode: TrackMode, sector_size: int,
                sectors: int | None = None, offset: int = 0) -> BlockDevice:
    path = tmp_path / "track.bin"
    path.write_bytes(data)
    source = FileSource(str(path))
    _OPENED.append(source)
    if sectors is None:
        sectors = -(-(len(data) - offset) // sector_size)
    track = Track(number=1, session=1, kind=TrackKind.DATA, mode=mode, start=0, sectors=sectors,
                  source=source, offset=offset, sector_size=sector_size)
    return BlockDevice(track)


COOKED = b"".join(user_data(i) for i in range(6))


@pytest.fixture
def cooked(tmp_path: Path) -> BlockDevice:
    return make_device(tmp_path, COOKED, TrackMode.MODE1_2048, 2048)


def test_cooked_geometry(cooked: BlockDevice, tmp_path: Path) -> None:
    assert cooked.block_size == 2048
    assert cooked.block_count == 6
    assert cooked.size == 6 * 2048
    assert cooked.name == str(tmp_path / "track.bin")


@pytest.mark.parametrize(
    ("offset", "size"),
    [(0, 2048), (5, 1), (2047, 2), (3000, 5000), (0, 6 * 2048), (6 * 2048 - 1, 1)],
)
def test_cooked_read_bytes_is_exact(cooked: BlockDevice, offset: int, size: int) -> None:
    data = cooked.read_bytes(offset, size)
    assert data == COOKED[offset:offset + size]
    assert len(data) == size


def test_cooked_read_whole_blocks(cooked: BlockDevice) -> None:
    assert cooked.read(2, 3) == COOKED[2 * 2048:5 * 2048]
    assert cooked.read(5, 0) == b""


@pytest.mark.parametrize(
    ("offset", "size", "fragment"),
    [
        (6 * 2048, 1, "at block 6 goes past the end of the image (6 blocks)"),
        (5 * 2048, 2049, "read of 2049 bytes at block 5 goes past the end"),
        (-1, 10, "goes past the end"),
        (100 * 2048, 2048, "at block 100"),
    ],
    ids=["just-past", "straddles-end", "negative", "far-past"],
)
def test_reads_outside_the_track_raise(cooked: BlockDevice, offset: int, size: int,
                                       fragment: str) -> None:
    with pytest.raises(CorruptDataError) as exc:
        cooked.read_bytes(offset, size)
    assert fragment in str(exc.value)
    assert str(exc.value).startswith(cooked.name)


def test_read_of_blocks_past_the_end_raises(cooked: BlockDevice) -> None:
    with pytest.raises(CorruptDataError, match="goes past the end"):
        cooked.read(5, 2)


def test_track_longer_than_the_file_is_cut_to_the_file(tmp_path: Path) -> None:
    dev = make_device(tmp_path, COOKED[:3 * 2048], TrackMode.MODE1_2048, 2048, sectors=10)
    assert dev.block_count == 3
    with pytest.raises(CorruptDataError):
        dev.read(3, 1)


def test_track_shorter_than_the_file_is_bounded_by_the_track(tmp_path: Path) -> None:
    dev = make_device(tmp_path, COOKED, TrackMode.MODE1_2048, 2048, sectors=2)
    assert dev.block_count == 2
    assert dev.read(1, 1) == user_data(1)
    with pytest.raises(CorruptDataError):
        dev.read(2, 1)


def test_trailing_partial_cooked_block_is_readable_up_to_the_end_of_the_file(tmp_path: Path) -> None:
    data = COOKED[:2 * 2048 + 100]
    dev = make_device(tmp_path, data, TrackMode.MODE1_2048, 2048)
    assert dev.block_count == 3
    assert dev.read_bytes(2 * 2048, 100) == data[2 * 2048:]
    with pytest.raises(CorruptDataError, match="image truncated"):
        dev.read(2, 1)                       # the missing bytes are not invented


def test_cooked_track_at_an_offset_in_its_file(tmp_path: Path) -> None:
    dev = make_device(tmp_path, b"\xee" * 300 + COOKED[:4 * 2048], TrackMode.MODE1_2048, 2048,
                      offset=300)
    assert dev.block_count == 4
    assert dev.read(0, 4) == COOKED[:4 * 2048]


@pytest.mark.parametrize(
    ("mode", "size", "build"),
    [
        (TrackMode.MODE1_2352, 2352, mode1_raw),
        (TrackMode.MODE2_2352, 2352, mode2_form1_raw),
        (TrackMode.MODE2_2336, 2336, mode2_2336),
    ],
    ids=["MODE1/2352", "MODE2/2352", "MODE2/2336"],
)
@pytest.mark.parametrize("numpy", [True, False], ids=["numpy", "slices"])
def test_raw_track_yields_the_user_data(tmp_path: Path, mode: TrackMode, size: int, build,
                                        numpy: bool, monkeypatch) -> None:
    if not numpy:  # the gather without numpy joins per-sector slices: the same bytes
        monkeypatch.setattr(blocks, "optional_numpy", lambda: None)
    raw = b"".join(build(i) for i in range(5))
    dev = make_device(tmp_path, raw, mode, size)
    assert dev.block_count == 5 and dev.size == 5 * 2048
    for lba in range(5):
        assert dev.read(lba, 1) == user_data(lba)
    cooked = b"".join(user_data(i) for i in range(5))
    assert dev.read(0, 5) == cooked
    for offset, length in [(16, 16), (2040, 20), (2048 * 1 + 7, 2048 * 3), (5 * 2048 - 3, 3)]:
        assert dev.read_bytes(offset, length) == cooked[offset:offset + length]
    with pytest.raises(CorruptDataError, match="past the end"):
        dev.read(4, 2)


def test_mode1_raw_user_data_sits_at_offset_16(tmp_path: Path) -> None:
    sector = SYNC + header(0, 1) + b"U" * 2048 + b"E" * 4 + b"\0" * 8 + b"C" * 276
    dev = make_device(tmp_path, sector * 2, TrackMode.MODE1_2352, 2352)
    assert dev.read(0, 2) == b"U" * 4096


def test_raw_track_at_an_offset_with_a_partial_last_sector(tmp_path: Path) -> None:
    raw = b"\x11" * 2352 + b"".join(mode1_raw(i) for i in range(3)) + mode1_raw(3)[:1000]
    dev = make_device(tmp_path, raw, TrackMode.MODE1_2352, 2352, sectors=4, offset=2352)
    assert dev.block_count == 3                # the cut sector is not a block
    assert dev.read(0, 3) == b"".join(user_data(i) for i in range(3))
    with pytest.raises(CorruptDataError):
        dev.read(3, 1)


def test_unsupported_sector_form_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedError, match="MODE1/2352 track stored as 2048-byte sectors"):
        make_device(tmp_path, COOKED, TrackMode.MODE1_2352, 2048)


class _PlainSource:
    """A ByteSource with pread only (as the descrambler and cdrdao's pieces are)."""

    def __init__(self, data: bytes) -> None:
        self.name, self.size, self._data = "plain", len(data), data

    def pread(self, offset: int, size: int) -> bytes:
        return self._data[offset:offset + size]

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("mode", "size", "build"),
    [
        (TrackMode.MODE1_2048, 2048, user_data),
        (TrackMode.MODE1_2352, 2352, mode1_raw),
        (TrackMode.MODE2_2352, 2352, mode2_form1_raw),
        (TrackMode.MODE2_2336, 2336, mode2_2336),
    ],
    ids=["MODE1/2048", "MODE1/2352", "MODE2/2352", "MODE2/2336"],
)
@pytest.mark.parametrize("numpy", [True, False], ids=["numpy", "slices"])
def test_read_into_fills_what_read_bytes_returns(tmp_path: Path, mode: TrackMode, size: int, build,
                                                 numpy: bool, monkeypatch) -> None:
    """read_into (the daemon's path: straight into libfuse's buffer) writes exactly the bytes
    read_bytes returns, for whole blocks, a partial last block and an unaligned start."""
    if not numpy:
        monkeypatch.setattr(blocks, "optional_numpy", lambda: None)
    dev = make_device(tmp_path, b"".join(build(i) for i in range(6)), mode, size)
    cooked = b"".join(user_data(i) for i in range(6))
    for offset, length in [(0, 6 * 2048), (2048, 4096), (4096, 2048 + 100), (16, 16), (2040, 20),
                           (5 * 2048 - 3, 3)]:
        dest = bytearray(b"\xAA" * (length + 8))
        dev.read_into(offset, memoryview(dest)[:length])
        assert bytes(dest[:length]) == cooked[offset:offset + length] == dev.read_bytes(offset, length)
        assert dest[length:] == b"\xAA" * 8      # nothing written past dest
    with pytest.raises(CorruptDataError, match="past the end"):
        dev.read_into(5 * 2048, memoryview(bytearray(4096)))


def test_read_into_from_a_source_without_pread_into(tmp_path: Path) -> None:
    raw = b"".join(mode1_raw(i) for i in range(3))
    track = Track(number=1, session=1, kind=TrackKind.DATA, mode=TrackMode.MODE1_2352, start=0,
                  sectors=3, source=_PlainSource(raw), offset=0, sector_size=2352)
    dest = bytearray(3 * 2048)
    BlockDevice(track).read_into(0, memoryview(dest))
    assert bytes(dest) == b"".join(user_data(i) for i in range(3))
    cooked = Track(number=1, session=1, kind=TrackKind.DATA, mode=TrackMode.MODE1_2048, start=0,
                   sectors=3, source=_PlainSource(COOKED[:3 * 2048]), offset=0, sector_size=2048)
    BlockDevice(cooked).read_into(2048, memoryview(dest)[:4096])
    assert bytes(dest[:4096]) == COOKED[2048:3 * 2048]


def test_read_into_of_a_file_that_shrank_fails(tmp_path: Path) -> None:
    """The image got shorter after it was opened: EIO-class errors, not stale bytes in dest."""
    dev = make_device(tmp_path, b"".join(mode1_raw(i) for i in range(4)), TrackMode.MODE1_2352, 2352)
    os.truncate(tmp_path / "track.bin", 2 * 2352)
    with pytest.raises((CorruptDataError, OSError)):
        dev.read_into(0, memoryview(bytearray(4 * 2048)))
    cooked = make_device(tmp_path, COOKED, TrackMode.MODE1_2048, 2048)
    os.truncate(tmp_path / "track.bin", 2048)
    with pytest.raises(OSError, match="stale"):
        cooked.read_into(0, memoryview(bytearray(4 * 2048)))
