"""Test-side raw sector writer, written from ECMA-130 §14 independently of src/.

Enough for mounting tests: sync, BCD MSF header (LBA + 150), mode byte, optional Mode 2
subheader, user data; EDC/ECC left zero (mounting never checks them). The full writer with
EDC/ECC lives in tests/support/ once it exists.
"""

from __future__ import annotations

SYNC = b"\x00" + b"\xff" * 10 + b"\x00"
RAW = 2352
COOKED = 2048


def _bcd(value: int) -> int:
    return (value // 10) * 16 + value % 10


def header(lba: int, mode: int) -> bytes:
    frames = lba + 150
    minute, rest = divmod(frames, 75 * 60)
    second, frame = divmod(rest, 75)
    return SYNC + bytes((_bcd(minute), _bcd(second), _bcd(frame), mode))


def raw_sector(lba: int, data: bytes, mode: int = 1) -> bytes:
    """One 2352-byte sector: Mode 1 (data at 16) or Mode 2 Form 1 (subheader 16-23, data at 24)."""
    data = data.ljust(COOKED, b"\0")
    assert len(data) == COOKED
    if mode == 1:
        sector = header(lba, 1) + data + b"\0" * (4 + 8 + 276)
    else:
        subheader = bytes((0, 0, 0x08, 0)) * 2          # file 0, channel 0, submode: data, Form 1
        sector = header(lba, 2) + subheader + data + b"\0" * (4 + 276)
    assert len(sector) == RAW
    return sector


def iso_to_raw(iso: bytes, mode: int = 1, first_lba: int = 0) -> bytes:
    """Every 2048-byte block of ``iso`` as a raw sector, the first at ``first_lba``."""
    blocks = -(-len(iso) // COOKED)
    return b"".join(raw_sector(first_lba + i, iso[i * COOKED:(i + 1) * COOKED], mode)
                    for i in range(blocks))


def audio(sectors: int, seed: int = 0) -> bytes:
    """Deterministic non-silent PCM, ``sectors`` * 2352 bytes."""
    unit = bytes((seed + i) % 251 for i in range(RAW))
    return unit * sectors
