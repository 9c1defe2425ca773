"""disc/raw.py and probe: raw 2352-byte sectors without a descriptor are found by sync and mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from mount_image.disc.model import TrackKind, TrackMode
from mount_image.disc.probe import open_image
from mount_image.disc.raw import open_raw, raw_mode
from mount_image.errors import ImageFormatError
from mount_image.io.source import FileSource
from support_raw import RAW, raw_sector


def _raw(sectors: int, mode: int = 1) -> bytes:
    return b"".join(raw_sector(lba, bytes([lba & 0xFF]) * 2048, mode) for lba in range(sectors))


def _open(tmp_path: Path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return open_image(str(path))


@pytest.mark.parametrize(("mode", "expected"), [(1, TrackMode.MODE1_2352), (2, TrackMode.MODE2_2352)])
@pytest.mark.parametrize("name", ["disc.bin", "disc.img", "disc.iso", "DISC.BIN"])
def test_raw_image_is_one_raw_data_track(tmp_path: Path, name: str, mode: int, expected: TrackMode) -> None:
    disc = _open(tmp_path, name, _raw(20, mode))
    try:
        assert disc.container == "raw"
        (track,) = disc.tracks
        assert (track.number, track.session, track.kind, track.mode) == (1, 1, TrackKind.DATA, expected)
        assert (track.start, track.sectors, track.offset, track.sector_size) == (0, 20, 0, RAW)
    finally:
        disc.close()


def test_short_raw_image_checks_sector_zero_only(tmp_path: Path) -> None:
    disc = _open(tmp_path, "short.bin", _raw(3))
    try:
        assert disc.container == "raw" and disc.tracks[0].sectors == 3
    finally:
        disc.close()


def test_trailing_partial_sector_is_not_counted(tmp_path: Path) -> None:
    disc = _open(tmp_path, "odd.bin", _raw(18) + b"\0" * 100)
    try:
        assert disc.tracks[0].sectors == 18
    finally:
        disc.close()


@pytest.mark.parametrize(
    "data",
    [
        b"\0" * 2048 * 40,                                              # a cooked ISO
        _raw(1)[:2000],                                                 # less than one sector
        _raw(20)[:15] + b"\x00" + _raw(20)[16:],                        # mode 0 at sector 0
        _raw(20)[:15] + b"\x03" + _raw(20)[16:],                        # mode 3
        _raw(20)[:16 * RAW] + b"\0" * 16 + _raw(20)[16 * RAW + 16:],    # no sync at sector 16
        b"\x01" + _raw(20)[1:],                                         # broken sync
    ],
    ids=["cooked", "too-short", "mode-0", "mode-3", "no-sync-at-16", "bad-sync"],
)
def test_not_raw_stays_plain(tmp_path: Path, data: bytes) -> None:
    disc = _open(tmp_path, "x.bin", data)
    try:
        assert disc.container == "iso"
        assert disc.tracks[0].mode is TrackMode.MODE1_2048
    finally:
        disc.close()


def test_raw_mode_never_raises_and_open_raw_refuses(tmp_path: Path) -> None:
    path = tmp_path / "plain.iso"
    path.write_bytes(b"\0" * 4096)
    source = FileSource(str(path))
    try:
        assert raw_mode(source) is None
        with pytest.raises(ImageFormatError, match="no raw 2352-byte data sectors"):
            open_raw(str(path), source)
    finally:
        source.close()
