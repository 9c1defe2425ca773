"""Where the 2048 bytes of user data sit inside each stored sector form (ECMA-130 §14, §22)."""

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
# Mode 2 stored without sync and header (2336): 8 subheader, 2048 user data (ECMA-130 §14.5).
# CD-i tracks (Green Book) are Mode 2 with the CD-ROM XA subheader: Form 1 user data sits where
# it does in MODE2/2352 and MODE2/2336 (the cue types CDI/2352 and CDI/2336 name the disc, not
# another sector form). Their filesystem is usually CD-i's own, which we do not read; a CD-i
# bridge or a CD-i track holding ISO 9660 mounts as any Mode 2 track.
# Subchannel stored after the 2352-byte sector does not move the user data: 96 bytes of P-W
# (ECMA-130 §22: one subcode byte from each of the 98 frames less the 2 sync patterns; the 2448
# form of CloneCD, Alcohol and Nero "with subchannel") or 16 bytes of Q (ECMA-130 §22.3: the 12
# bytes of the Q channel padded to 16, the 2368 form of a drive's READ CD with formatted Q).
SUBCHANNEL_PW = 96
SUBCHANNEL_Q = 16
RAW_SECTOR = 2352

_LAYOUTS: dict[tuple[TrackMode, int], SectorLayout] = {
    (TrackMode.MODE1_2048, 2048): SectorLayout(2048, 0, 2048),                       # ECMA-130 §14.3 (cooked)
    (TrackMode.MODE1_2352, 2352): SectorLayout(2352, 16, 2048),                      # ECMA-130 §14.3
    (TrackMode.MODE1_2352, 2352 + SUBCHANNEL_PW): SectorLayout(2448, 16, 2048),      # §14.3 + §22 P-W
    (TrackMode.MODE1_2352, 2352 + SUBCHANNEL_Q): SectorLayout(2368, 16, 2048),       # §14.3 + §22.3 Q
    (TrackMode.MODE2_2352, 2352): SectorLayout(2352, 24, 2048),                      # ECMA-130 §14.5 Form 1
    (TrackMode.MODE2_2352, 2352 + SUBCHANNEL_PW): SectorLayout(2448, 24, 2048),      # §14.5 + §22 P-W
    (TrackMode.MODE2_2352, 2352 + SUBCHANNEL_Q): SectorLayout(2368, 24, 2048),       # §14.5 + §22.3 Q
    (TrackMode.MODE2_2336, 2336): SectorLayout(2336, 8, 2048),                       # ECMA-130 §14.5 Form 1 less sync/header
    (TrackMode.CDI_2352, 2352): SectorLayout(2352, 24, 2048),                        # Green Book: Mode 2 Form 1 as §14.5
    (TrackMode.CDI_2352, 2352 + SUBCHANNEL_PW): SectorLayout(2448, 24, 2048),        # + §22 P-W
    (TrackMode.CDI_2352, 2352 + SUBCHANNEL_Q): SectorLayout(2368, 24, 2048),         # + §22.3 Q
    (TrackMode.CDI_2336, 2336): SectorLayout(2336, 8, 2048),                         # Green Book: Form 1 less sync/header
}


def layout_for(mode: TrackMode, stored_size: int) -> SectorLayout:
    try:
        return _LAYOUTS[(mode, stored_size)]
    except KeyError:
        raise UnsupportedError(f"{mode.value} track stored as {stored_size}-byte sectors") from None


# CD-i disc label (Green Book, "Disc Label Record"): the block at sector 16 of a CD-i track has
# record type 1, standard identifier "CD-I " and version 1, where ISO 9660 has its volume
# descriptor with "CD001". We do not read the CD-i filesystem; this lets a caller say so.
CDI_LABEL_SECTOR = 16
CDI_LABEL_ID = b"CD-I "


def is_cdi_disc_label(block: bytes) -> bool:
    """True when a cooked block (the track's sector 16) is a CD-i disc label, not ISO 9660."""
    return len(block) >= 7 and block[0] == 1 and block[1:6] == CDI_LABEL_ID
