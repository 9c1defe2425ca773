"""disc/msf.py: MSF addresses, 75 frames a second, LBA 0 at 00:02:00 (ECMA-130 §14.2)."""

from __future__ import annotations

import pytest

from mount_image.disc.msf import Msf, header_msf, to_bcd


@pytest.mark.parametrize(
    ("text", "frames"),
    [("00:00:00", 0), ("00:00:74", 74), ("00:01:00", 75), ("00:02:00", 150), ("01:00:00", 4500),
     ("79:59:74", 79 * 4500 + 59 * 75 + 74), ("100:00:00", 450000), ("0:2:0", 150)],
)
def test_parse_counts_frames(text: str, frames: int) -> None:
    msf = Msf.parse(text)
    assert msf.frames == frames
    assert Msf.from_frames(frames) == msf


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("00:00:75", "frame 75 must be below 75"), ("00:00:100", "frame 100"),
     ("00:60:00", "second 60 must be below 60"), ("00:90:00", "second 90"),
     ("xx:yy:0", "is not mm:ss:ff"), ("00:00", "is not mm:ss:ff"), ("00:00:00:00", "is not mm:ss:ff"),
     ("-1:00:00", "is not mm:ss:ff"), ("", "is not mm:ss:ff"), ("00:00:0x", "is not mm:ss:ff")],
)
def test_bad_msf_says_why(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        Msf.parse(text)


def test_lba_is_frames_less_the_lead_in() -> None:
    assert Msf(0, 2, 0).lba == 0
    assert Msf.from_lba(0) == Msf(0, 2, 0)
    assert Msf.from_lba(16) == Msf(0, 2, 16)
    assert Msf.from_lba(302).frames == 452
    assert Msf.from_lba(-150) == Msf(0, 0, 0)
    with pytest.raises(ValueError):
        Msf.from_lba(-151)
    assert str(Msf(1, 2, 3)) == "01:02:03"


def test_round_trip_over_a_whole_cd() -> None:
    for frames in range(0, 80 * 4500, 997):
        msf = Msf.from_frames(frames)
        assert msf.frames == frames
        assert 0 <= msf.second < 60 and 0 <= msf.frame < 75


def test_bcd_header() -> None:
    assert to_bcd(59) == 0x59
    assert to_bcd(0) == 0
    with pytest.raises(ValueError):
        to_bcd(100)
    assert header_msf(0) == bytes((0x00, 0x02, 0x00))
    assert header_msf(16) == bytes((0x00, 0x02, 0x16))
    assert header_msf(4500 * 12 + 75 * 34 + 56 - 150) == bytes((0x12, 0x34, 0x56))
