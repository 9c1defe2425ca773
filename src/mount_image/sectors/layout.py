"""Where the 2048 bytes of user data sit inside each stored sector form (ECMA-130 §14, §16-17)."""

from __future__ import annotations

from dataclasses import dataclass

from ..disc.model import TrackMode
from ..errors import UnsupportedError

COOKED_BLOCK = 2048


@dataclass(frozen=True, slots=True)
class SectorLayout:
    """A stored sector of ``stored_size`` bytes holds user data at ``user_offset``."""

    stored_size: int
    user_offset: int
    user_size: int


# Mode 1 raw sector: 12 sync + 4 header, 2048 user data, 4 EDC, 8 zero, 276 ECC (ECMA-130 §14.3).
# Mode 2 Form 1: 12 sync + 4 header + 8 subheader, 2048 user data (ECMA-130 §14.5, CD-ROM XA).
_LAYOUTS: dict[tuple[TrackMode, int], SectorLayout] = {
    (TrackMode.MODE1_2048, 2048): SectorLayout(2048, 0, 2048),
    (TrackMode.MODE1_2352, 2352): SectorLayout(2352, 16, 2048),
    (TrackMode.MODE2_2352, 2352): SectorLayout(2352, 24, 2048),
    (TrackMode.MODE2_2336, 2336): SectorLayout(2336, 8, 2048),
}


def layout_for(mode: TrackMode, stored_size: int) -> SectorLayout:
    try:
        return _LAYOUTS[(mode, stored_size)]
    except KeyError:
        raise UnsupportedError(f"{mode.value} track stored as {stored_size}-byte sectors") from None
