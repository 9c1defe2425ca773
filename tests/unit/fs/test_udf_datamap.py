"""fs/udf/icb.py DataMap: read_into (the daemon's path) writes what read returns, piece by piece:
recorded pieces through the device, unrecorded ones as zeros, embedded data copied, and a gap
in the allocation is damage either way."""

from __future__ import annotations

import pytest

from mount_image.errors import CorruptDataError
from mount_image.fs.udf.icb import MISSING, ZEROS, DataMap

DISC = bytes((i * 7 + 3) & 0xFF for i in range(64 * 1024))


def read_bytes(position: int, size: int) -> bytes:
    return DISC[position:position + size]


def read_into(position: int, dest: memoryview) -> None:
    dest[:] = DISC[position:position + len(dest)]


def datamap(pieces: list[tuple[int, int, int]], size: int) -> DataMap:
    return DataMap(size, None, [start for start, _, _ in pieces], pieces)


@pytest.mark.parametrize(("offset", "size"), [(0, 9000), (100, 50), (2000, 3000), (4090, 10),
                                              (8990, 100), (9000, 5), (0, 0)])
def test_read_into_matches_read(offset: int, size: int) -> None:
    # 0-4095 recorded at 10000, 4096-6143 unrecorded (zeros), 6144-8999 recorded at 30000
    dm = datamap([(0, 4096, 10_000), (4096, 2048, ZEROS), (6144, 2856, 30_000)], 9000)
    want = dm.read(read_bytes, offset, size, "f")
    dest = bytearray(b"\xEE" * (size + 3))
    got = dm.read_into(read_into, offset, memoryview(dest)[:size], "f")
    assert got == len(want) and bytes(dest[:got]) == want
    assert dest[got:] == b"\xEE" * (size + 3 - got)


def test_embedded_data_is_copied() -> None:
    dm = DataMap(5, b"hello", [], [])
    dest = bytearray(8)
    assert dm.read_into(read_into, 1, memoryview(dest), "f") == 4 and dest[:4] == b"ello"


def test_a_gap_in_the_allocation_is_damage() -> None:
    dm = datamap([(0, 2048, 10_000), (2048, 2048, MISSING)], 4096)
    assert dm.read_into(read_into, 0, memoryview(bytearray(2048)), "f") == 2048
    with pytest.raises(CorruptDataError, match="no allocation descriptor"):
        dm.read_into(read_into, 1000, memoryview(bytearray(2048)), "f")
