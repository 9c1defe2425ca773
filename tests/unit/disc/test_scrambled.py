"""disc/scrambled.py: the ECMA-130 Annex B scrambler and the descrambling ByteSource."""

from __future__ import annotations

import random

import pytest

from mount_image.disc import scrambled
from mount_image.disc.scrambled import SCRAMBLE_TABLE, SECTOR, SECTOR_KEY, DescrambledSource, xor_sectors
from support.memory import MemorySource
from support.multisession import SCRAMBLE_KEY, scramble

# The first 32 bytes of the sequence as published tables give them (e.g. MAME's CD-i CDIC
# s_sector_scramble, after its 12 zero bytes for the sync).
PUBLISHED_START = bytes.fromhex("01 80 00 60 00 28 00 1e 80 08 60 06 a8 02 fe 81"
                                "80 60 60 28 28 1e 9e 88 68 66 ae aa fc 7f 01 e0")


def test_sequence_matches_published_table() -> None:
    assert len(SCRAMBLE_TABLE) == 2340
    assert SCRAMBLE_TABLE[:32] == PUBLISHED_START
    assert SECTOR_KEY[:12] == bytes(12)           # the sync is not scrambled
    assert SECTOR_KEY == SCRAMBLE_KEY             # the test writer's own LFSR agrees


@pytest.mark.parametrize("numpy", [True, False], ids=["numpy", "int"])
def test_xor_is_its_own_inverse_from_any_phase(numpy: bool, monkeypatch) -> None:
    if not numpy:
        monkeypatch.setattr(scrambled, "optional_numpy", lambda: None)   # as without numpy
    data = random.Random(1).randbytes(3 * SECTOR)
    assert xor_sectors(xor_sectors(data)) == data
    assert xor_sectors(data) == scramble(data)
    # a read cut anywhere gets the key of its place in the sector
    assert xor_sectors(data[1000:5000], 1000) == scramble(data)[1000:5000]
    assert xor_sectors(b"") == b""


def test_descrambled_source_only_touches_its_ranges() -> None:
    plain = random.Random(2).randbytes(6 * SECTOR)
    stored = plain[:2 * SECTOR] + scramble(plain[2 * SECTOR:5 * SECTOR]) + plain[5 * SECTOR:]
    source = DescrambledSource(MemorySource(stored, "x.img"), [(2 * SECTOR, 5 * SECTOR)])
    assert source.pread(0, len(stored)) == plain
    for offset, size in ((0, 100), (2 * SECTOR - 7, 20), (2 * SECTOR + 5, SECTOR), (5 * SECTOR - 3, 9),
                         (4 * SECTOR + 2000, 10 * SECTOR)):
        assert source.pread(offset, size) == plain[offset:offset + size]
    assert (source.name, source.size) == ("x.img", len(stored))
