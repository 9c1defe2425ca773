"""sectors/blocks.py over sectors stored with subchannel: 2448 (2352 + 96 bytes of P-W, ECMA-130
§22) and 2368 (2352 + 16 bytes of Q, §22.3) give the same cooked blocks as 2352; so does a Mode 2
Form 1 track stored as 2336 (subheader + user data, no sync or header).

The raw sectors are built here from ECMA-130, independently of layout.py: Mode 1 is 12 sync + 4
header + 2048 user data + 4 EDC + 8 zero + 276 ECC (§14.3); Mode 2 Form 1 puts an 8-byte
subheader before the user data (CD-ROM XA). The subchannel bytes are made to look like user data
(a different pattern per sector), so a wrong stride or offset shows up in the cooked bytes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mount_image.disc.model import Track, TrackKind, TrackMode
from mount_image.errors import CorruptDataError
from mount_image.io.source import FileSource
from mount_image.sectors.blocks import BlockDevice
from mount_image.sectors.layout import layout_for

SYNC = b"\x00" + b"\xff" * 10 + b"\x00"
SECTORS = 12


def user_data(lba: int) -> bytes:
    return bytes((lba * 31 + i * 7 + 3) & 0xFF for i in range(2048))


def _bcd(n: int) -> int:
    return (n // 10) << 4 | n % 10


def header(lba: int, mode: int) -> bytes:
    frames = lba + 150
    return bytes([_bcd(frames // 4500), _bcd(frames // 75 % 60), _bcd(frames % 75), mode])


def mode1(lba: int) -> bytes:
    return SYNC + header(lba, 1) + user_data(lba) + b"\xe1" * 4 + b"\0" * 8 + b"\xcc" * 276


def mode2_form1(lba: int) -> bytes:
    return SYNC + header(lba, 2) + bytes([0, 0, 0x08, 0]) * 2 + user_data(lba) + b"\xe2" * 4 + b"\xcc" * 276


def pw_subchannel(lba: int) -> bytes:
    """96 bytes, one per frame: P set on every byte (a pause flag), Q-W a per-sector pattern."""
    return bytes(0x80 | ((lba * 5 + i) & 0x7F) for i in range(96))


def q_subchannel(lba: int) -> bytes:
    """16 bytes: 12 of Q (control/ADR, track, index, ...) then 4 of padding."""
    return bytes([0x41, 1, 1]) + bytes((lba + i) & 0xFF for i in range(9)) + b"\0" * 4


_OPENED: list[FileSource] = []


@pytest.fixture(autouse=True)
def _close_sources():
    yield
    while _OPENED:
        _OPENED.pop().close()


def device(tmp_path: Path, data: bytes, mode: TrackMode, sector_size: int, sectors: int = SECTORS,
           offset: int = 0, subchannel: int = 0) -> BlockDevice:
    path = tmp_path / f"track-{sector_size}.bin"
    path.write_bytes(data)
    source = FileSource(str(path))
    _OPENED.append(source)
    track = Track(number=1, session=1, kind=TrackKind.DATA, mode=mode, start=0, sectors=sectors,
                  source=source, offset=offset, sector_size=sector_size, subchannel=subchannel)
    return BlockDevice(track)


FORMS = {
    "mode1-2352": (TrackMode.MODE1_2352, 2352, 0, lambda lba: mode1(lba)),
    "mode1-2448": (TrackMode.MODE1_2352, 2448, 96, lambda lba: mode1(lba) + pw_subchannel(lba)),
    "mode1-2368": (TrackMode.MODE1_2352, 2368, 16, lambda lba: mode1(lba) + q_subchannel(lba)),
    "mode2-2352": (TrackMode.MODE2_2352, 2352, 0, lambda lba: mode2_form1(lba)),
    "mode2-2448": (TrackMode.MODE2_2352, 2448, 96, lambda lba: mode2_form1(lba) + pw_subchannel(lba)),
    "mode2-2368": (TrackMode.MODE2_2352, 2368, 16, lambda lba: mode2_form1(lba) + q_subchannel(lba)),
    "mode2-2336": (TrackMode.MODE2_2336, 2336, 0, lambda lba: mode2_form1(lba)[16:]),
}
COOKED = b"".join(user_data(lba) for lba in range(SECTORS))


@pytest.mark.parametrize("form", list(FORMS))
def test_every_form_cooks_to_the_same_blocks(tmp_path: Path, form: str) -> None:
    mode, size, sub, build = FORMS[form]
    data = b"".join(build(lba) for lba in range(SECTORS))
    assert len(data) == SECTORS * size
    dev = device(tmp_path, data, mode, size, subchannel=sub)
    assert (dev.block_count, dev.size) == (SECTORS, SECTORS * 2048)
    assert dev.read(0, SECTORS) == COOKED
    for lba in (0, 5, SECTORS - 1):
        assert dev.read(lba, 1) == user_data(lba)


@pytest.mark.parametrize("form", ["mode1-2448", "mode1-2368", "mode2-2448", "mode2-2368", "mode2-2336"])
@pytest.mark.parametrize(("offset", "size"), [(1, 1), (2047, 2), (3000, 9000), (2048 * 11 + 100, 1948),
                                              (0, 2048 * 12)])
def test_byte_ranges_across_sector_edges(tmp_path: Path, form: str, offset: int, size: int) -> None:
    mode, stored, sub, build = FORMS[form]
    dev = device(tmp_path, b"".join(build(lba) for lba in range(SECTORS)), mode, stored, subchannel=sub)
    assert dev.read_bytes(offset, size) == COOKED[offset:offset + size]


def test_track_at_an_offset_in_a_shared_file(tmp_path: Path) -> None:
    """A second track of an .mdf: its first stored sector starts past the first track's."""
    lead = b"\x55" * (3 * 2448)
    data = lead + b"".join(mode1(lba) + pw_subchannel(lba) for lba in range(SECTORS))
    dev = device(tmp_path, data, TrackMode.MODE1_2352, 2448, offset=len(lead), subchannel=96)
    assert dev.read(0, SECTORS) == COOKED


def test_one_pread_per_run(tmp_path: Path) -> None:
    """A run of 2448-byte sectors is one pread of exactly the stored bytes, however long."""
    data = b"".join(mode1(lba) + pw_subchannel(lba) for lba in range(SECTORS))
    dev = device(tmp_path, data, TrackMode.MODE1_2352, 2448, subchannel=96)
    calls: list[tuple[int, int]] = []
    real = dev._source.pread

    def counting(offset: int, size: int) -> bytes:
        calls.append((offset, size))
        return real(offset, size)

    dev._source.pread = counting  # type: ignore[method-assign]
    try:
        assert dev.read_bytes(2048 * 2 + 10, 2048 * 5) == COOKED[2048 * 2 + 10:2048 * 7 + 10]
    finally:
        dev._source.pread = real  # type: ignore[method-assign]
    assert calls == [(2 * 2448, 6 * 2448)]


def test_truncated_2448_image_is_cut_to_whole_sectors(tmp_path: Path) -> None:
    data = b"".join(mode1(lba) + pw_subchannel(lba) for lba in range(SECTORS))
    dev = device(tmp_path, data[:5 * 2448 + 2400], TrackMode.MODE1_2352, 2448, subchannel=96)
    assert dev.block_count == 5
    assert dev.read(4, 1) == user_data(4)
    with pytest.raises(CorruptDataError, match="goes past the end"):
        dev.read(5, 1)


@pytest.mark.parametrize(("mode", "stored", "offset"), [
    (TrackMode.MODE1_2352, 2448, 16), (TrackMode.MODE1_2352, 2368, 16),
    (TrackMode.MODE2_2352, 2448, 24), (TrackMode.MODE2_2352, 2368, 24),
    (TrackMode.MODE2_2336, 2336, 8),
])
def test_layouts_keep_the_user_data_where_2352_has_it(mode: TrackMode, stored: int, offset: int) -> None:
    layout = layout_for(mode, stored)
    assert (layout.stored_size, layout.user_offset, layout.user_size) == (stored, offset, 2048)
