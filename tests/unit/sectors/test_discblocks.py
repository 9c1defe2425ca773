"""sectors/discblocks.py: every data track at its disc LBA; read_bytes and read_into agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from mount_image.disc.model import Track, TrackKind, TrackMode
from mount_image.errors import CorruptDataError
from mount_image.io.source import FileSource
from mount_image.sectors.discblocks import DiscBlockDevice

from test_blocks import mode1_raw, user_data


@pytest.fixture
def two_tracks(tmp_path: Path):
    """Track 1: LBA 0-3 as MODE1/2352; track 2: LBA 10-13 as MODE1/2048 (a gap between)."""
    (tmp_path / "t1.bin").write_bytes(b"".join(mode1_raw(i) for i in range(4)))
    (tmp_path / "t2.iso").write_bytes(b"".join(user_data(10 + i) for i in range(4)))
    sources = [FileSource(str(tmp_path / "t1.bin")), FileSource(str(tmp_path / "t2.iso"))]
    tracks = [Track(number=1, session=1, kind=TrackKind.DATA, mode=TrackMode.MODE1_2352, start=0,
                    sectors=4, source=sources[0], offset=0, sector_size=2352),
              Track(number=2, session=1, kind=TrackKind.DATA, mode=TrackMode.MODE1_2048, start=10,
                    sectors=4, source=sources[1], offset=0, sector_size=2048)]
    yield DiscBlockDevice(tracks)
    for source in sources:
        source.close()


def test_read_into_matches_read_bytes(two_tracks: DiscBlockDevice) -> None:
    for offset, size in [(0, 4 * 2048), (2048 + 5, 100), (10 * 2048, 4 * 2048), (11 * 2048, 2048)]:
        dest = bytearray(size)
        two_tracks.read_into(offset, memoryview(dest))
        assert bytes(dest) == two_tracks.read_bytes(offset, size)
    assert two_tracks.read_bytes(10 * 2048, 2048) == user_data(10)


def test_read_into_of_a_gap_fails(two_tracks: DiscBlockDevice) -> None:
    with pytest.raises(CorruptDataError, match="no data track"):
        two_tracks.read_into(3 * 2048, memoryview(bytearray(2 * 2048)))


def test_single_track_device_reads_into(two_tracks: DiscBlockDevice, tmp_path: Path) -> None:
    source = FileSource(str(tmp_path / "t1.bin"))
    try:
        track = Track(number=1, session=1, kind=TrackKind.DATA, mode=TrackMode.MODE1_2352, start=0,
                      sectors=4, source=source, offset=0, sector_size=2352)
        device = DiscBlockDevice([track])
        dest = bytearray(3 * 2048)
        device.read_into(2048, memoryview(dest))
        assert bytes(dest) == b"".join(user_data(i) for i in (1, 2, 3))
    finally:
        source.close()
