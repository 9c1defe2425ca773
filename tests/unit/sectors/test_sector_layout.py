"""sectors/layout.py: where the user data sits in each stored sector form (ECMA-130 §14)."""

from __future__ import annotations

import pytest

from mount_image.disc.model import TrackMode
from mount_image.errors import UnsupportedError
from mount_image.sectors.layout import COOKED_BLOCK, layout_for


@pytest.mark.parametrize(
    ("mode", "stored", "user_offset"),
    [
        (TrackMode.MODE1_2048, 2048, 0),
        (TrackMode.MODE1_2352, 2352, 16),      # 12 sync + 4 header
        (TrackMode.MODE2_2352, 2352, 24),      # + 8 subheader (Form 1)
        (TrackMode.MODE2_2336, 2336, 8),       # subheader only
    ],
)
def test_layouts(mode: TrackMode, stored: int, user_offset: int) -> None:
    layout = layout_for(mode, stored)
    assert (layout.stored_size, layout.user_offset, layout.user_size) == (stored, user_offset, COOKED_BLOCK)
    assert layout.user_offset + layout.user_size <= layout.stored_size


@pytest.mark.parametrize(
    ("mode", "stored", "fragment"),
    [
        (TrackMode.AUDIO, 2352, "AUDIO track stored as 2352-byte sectors"),
        (TrackMode.MODE1_2048, 2352, "MODE1/2048 track stored as 2352-byte sectors"),
        (TrackMode.CDG, 2448, "CDG track stored as 2448-byte sectors"),
    ],
    ids=["audio", "cooked-as-raw", "cdg-with-subchannel"],
)
def test_unsupported(mode: TrackMode, stored: int, fragment: str) -> None:
    with pytest.raises(UnsupportedError) as exc:
        layout_for(mode, stored)
    assert fragment in str(exc.value)
    assert "not supported" in str(exc.value)


@pytest.mark.parametrize(("mode", "stored", "user_offset"), [
    (TrackMode.CDI_2352, 2352, 24),      # CD-i is Mode 2 with the XA subheader: Form 1 data at 24
    (TrackMode.CDI_2352, 2448, 24),      # + 96 bytes of P-W subchannel after the sector
    (TrackMode.CDI_2336, 2336, 8),       # stored without sync and header
])
def test_cdi_layouts_are_mode2_form1(mode: TrackMode, stored: int, user_offset: int) -> None:
    layout = layout_for(mode, stored)
    assert (layout.stored_size, layout.user_offset, layout.user_size) == (stored, user_offset, COOKED_BLOCK)


def test_cdi_disc_label_is_told_from_iso9660() -> None:
    from mount_image.sectors.layout import is_cdi_disc_label
    label = bytes((1,)) + b"CD-I " + bytes((1,)) + bytes(2041)
    pvd = bytes((1,)) + b"CD001" + bytes((1,)) + bytes(2041)
    assert is_cdi_disc_label(label) and not is_cdi_disc_label(pvd) and not is_cdi_disc_label(b"")
