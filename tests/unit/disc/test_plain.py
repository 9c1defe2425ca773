"""disc/plain.py: a file of cooked 2048-byte sectors becomes one MODE1/2048 data track."""

from __future__ import annotations

from pathlib import Path

import pytest

from mount_image.disc.model import TrackKind, TrackMode
from mount_image.disc.plain import SECTOR_SIZE, open_plain
from mount_image.errors import ImageFormatError
from mount_image.io.source import FileSource


def _open(tmp_path: Path, size: int):
    path = tmp_path / "disc.iso"
    path.write_bytes(b"\x5a" * size)
    return open_plain(str(path), FileSource(str(path))), str(path)


@pytest.mark.parametrize(
    ("size", "sectors"),
    [(2048, 1), (2048 * 20, 20), (2048 * 2 + 100, 3), (1, 1), (2047, 1), (2049, 2)],
    ids=["one", "twenty", "partial-last", "one-byte", "just-short", "just-over"],
)
def test_one_track_covers_the_whole_file(tmp_path: Path, size: int, sectors: int) -> None:
    disc, path = _open(tmp_path, size)
    try:
        assert disc.path == path
        assert disc.container == "iso"
        assert len(disc.sessions) == 1 and disc.sessions[0].number == 1
        (track,) = disc.tracks
        assert track.number == 1 and track.session == 1
        assert track.kind is TrackKind.DATA
        assert track.mode is TrackMode.MODE1_2048
        assert track.sector_size == SECTOR_SIZE == 2048
        assert track.start == 0 and track.offset == 0 and track.pregap == 0
        assert track.sectors == sectors
        assert disc.sessions[0].first_data_track() is track
        assert disc.sources == (track.source,)
    finally:
        disc.close()


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.iso"
    path.write_bytes(b"")
    source = FileSource(str(path))
    try:
        with pytest.raises(ImageFormatError) as exc:
            open_plain(str(path), source)
    finally:
        source.close()
    assert exc.value.path == str(path)
    assert "empty file" in str(exc.value)
