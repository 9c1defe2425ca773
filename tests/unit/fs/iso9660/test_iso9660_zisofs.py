"""fs/iso9660/zisofs.py: random access to zisofs files.

The stored files are made here in the mkzftree layout: a 16-byte header (magic 37 E4 53 96 C9 DB
D6 07, LE32 uncompressed size, header size / 4, log2 block size, 2 reserved bytes), then
(blocks + 1) LE32 pointers, then one zlib stream per block; equal pointers mean a zero block.
"""

from __future__ import annotations

import itertools
import random
import struct
import zlib

import pytest

from mount_image.errors import CorruptDataError
from mount_image.fs.base import LruCache
from mount_image.fs.iso9660 import zisofs
from mount_image.fs.iso9660.layout import ZisofsEntry
from mount_image.fs.iso9660.zisofs import ZisofsFile

MAGIC = bytes.fromhex("37E45396C9DBD607")
_keys = itertools.count(1)


@pytest.fixture(autouse=True)
def fresh_block_cache(monkeypatch: pytest.MonkeyPatch) -> LruCache:
    cache: LruCache = LruCache(64 << 20, weigh=len)
    monkeypatch.setattr(zisofs, "_blocks", cache)
    return cache


def compress(data: bytes, log2: int = 15, empty_zero_blocks: bool = False) -> tuple[bytes, list[int]]:
    """The mkzftree layout of ``data``; also returns the pointer table."""
    bs = 1 << log2
    blocks = []
    for i in range(0, len(data), bs):
        chunk = data[i:i + bs]
        blocks.append(b"" if empty_zero_blocks and chunk.count(0) == len(chunk) else zlib.compress(chunk))
    header = MAGIC + struct.pack("<IBB2x", len(data), 4, log2)
    pos = len(header) + 4 * (len(blocks) + 1)
    pointers = [pos]
    for block in blocks:
        pos += len(block)
        pointers.append(pos)
    return header + struct.pack(f"<{len(pointers)}I", *pointers) + b"".join(blocks), pointers


class Stored:
    """The stored bytes of a file; counts reads."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.reads = 0

    def __call__(self, offset: int, size: int) -> bytes:
        self.reads += 1
        return self.data[offset:offset + size]


def open_file(stored: bytes, size: int, log2: int = 15, algorithm: bytes = b"pz",
              header_div4: int = 4, stored_size: int | None = None) -> tuple[ZisofsFile, Stored]:
    reader = Stored(stored)
    zf = ZisofsEntry(algorithm, header_div4, log2, size)
    f = ZisofsFile(next(_keys), zf, len(stored) if stored_size is None else stored_size, reader)
    return f, reader


def sample(size: int, seed: int = 1) -> bytes:
    rnd = random.Random(seed)
    words = [b"iso ", b"9660 ", b"rock ", b"ridge ", b"zisofs ", b"\n"]
    out = bytearray()
    while len(out) < size:
        out += rnd.choice(words) if rnd.random() < 0.8 else bytes([rnd.randrange(256)])
    return bytes(out[:size])


@pytest.mark.parametrize("log2", [15, 16, 17])
def test_whole_file_reads_back(log2: int) -> None:
    data = sample(3 * (1 << log2) + 1234, seed=log2)
    f, _ = open_file(compress(data, log2)[0], len(data), log2)
    assert f.size == len(data)
    assert f.read(0, len(data)) == data
    assert f.read(0, len(data) + 5000) == data


def test_random_offset_reads() -> None:
    data = sample(200_000)
    f, _ = open_file(compress(data)[0], len(data))
    rnd = random.Random(7)
    for _ in range(200):
        offset = rnd.randrange(len(data) + 100)
        size = rnd.choice([1, 7, 4096, 32768, 32769, 70000, rnd.randrange(1, 100_000)])
        assert f.read(offset, size) == data[offset:offset + size], (offset, size)


@pytest.mark.parametrize(("offset", "size"), [(32767, 2), (32768, 32768), (65535, 1), (0, 0)])
def test_reads_at_block_boundaries(offset: int, size: int) -> None:
    data = sample(100_000, seed=3)
    f, _ = open_file(compress(data)[0], len(data))
    assert f.read(offset, size) == data[offset:offset + size]


def test_reads_at_or_past_the_end_are_empty() -> None:
    data = sample(1000)
    f, _ = open_file(compress(data)[0], len(data))
    assert f.read(1000, 10) == b""
    assert f.read(5000, 10) == b""
    assert f.read(995, 10) == data[995:]


def test_zero_blocks_stored_as_equal_pointers() -> None:
    data = b"head" + bytes(100_000) + b"tail"
    stored, pointers = compress(data, empty_zero_blocks=True)
    assert pointers[1] == pointers[2]                  # block 1 is all zeros and stored empty
    f, _ = open_file(stored, len(data))
    assert f.read(0, len(data)) == data


def test_empty_file() -> None:
    stored, _ = compress(b"")
    f, _ = open_file(stored, 0)
    assert f.read(0, 100) == b""


def test_blocks_are_cached(fresh_block_cache: LruCache) -> None:
    data = sample(70_000)
    f, reader = open_file(compress(data)[0], len(data))
    f.read(0, 10)
    after_first = reader.reads
    assert f.read(5, 10) == data[5:15]
    assert reader.reads == after_first
    assert len(fresh_block_cache) == 1


@pytest.mark.parametrize("log2", [14, 18, 0, 31])
def test_block_size_exponent_outside_15_to_17(log2: int) -> None:
    stored, _ = compress(b"x" * 10, 15)
    with pytest.raises(CorruptDataError, match=rf"zisofs block size 2\^{log2} outside 2\^15..2\^17"):
        open_file(stored, 10, log2)


def test_algorithm_other_than_pz() -> None:
    stored, _ = compress(b"x" * 10)
    with pytest.raises(CorruptDataError, match="zisofs algorithm b'bz' is not 'pz'"):
        open_file(stored, 10, algorithm=b"bz")


def test_bad_magic() -> None:
    stored, _ = compress(sample(1000))
    f, _ = open_file(b"\x00" + stored[1:], 1000)
    with pytest.raises(CorruptDataError, match="zisofs header magic is wrong"):
        f.read(0, 10)


def _patch_pointer(stored: bytes, index: int, value: int) -> bytes:
    pos = 16 + 4 * index
    return stored[:pos] + struct.pack("<I", value) + stored[pos + 4:]


@pytest.mark.parametrize(
    ("index", "delta", "fragment"),
    [
        (2, 10_000_000, "out of order or past the file"),        # last pointer past the file
        (1, 10_000_000, "out of order or past the file"),        # middle pointer past the file
        (1, None, "out of order or past the file"),              # pointer before its predecessor
        (0, -20, "out of order or past the file"),               # first pointer inside the header
    ],
    ids=["last-past-file", "middle-past-file", "out-of-order", "into-header"],
)
def test_bad_pointer_table(index: int, delta: int | None, fragment: str) -> None:
    data = sample(40_000)
    stored, pointers = compress(data)
    value = pointers[0] - 1 if delta is None else pointers[index] + delta
    f, _ = open_file(_patch_pointer(stored, index, value), len(data))
    with pytest.raises(CorruptDataError, match=fragment):
        f.read(0, 1)


@pytest.mark.parametrize(
    ("size", "stored_size", "header_div4", "fragment"),
    [
        (10 << 20, None, 4, "zisofs table of 321 pointers does not fit"),   # size claims 320 blocks
        (1000, 20, 4, "does not fit the 20-byte stored file"),
        (1000, None, 3, "does not fit"),                                      # header below 16 bytes
    ],
    ids=["table-past-file", "stored-file-too-small", "header-too-small"],
)
def test_table_that_does_not_fit(size: int, stored_size: int | None, header_div4: int,
                                 fragment: str) -> None:
    stored, _ = compress(sample(1000))
    f, _ = open_file(stored, size, stored_size=stored_size, header_div4=header_div4)
    with pytest.raises(CorruptDataError, match=fragment):
        f.read(0, 1)


def test_corrupt_block_does_not_inflate() -> None:
    data = sample(100_000)
    stored, pointers = compress(data)
    broken = bytearray(stored)
    for i in range(pointers[1], pointers[1] + 40):       # block 1's zlib stream
        broken[i] ^= 0x5A
    f, _ = open_file(bytes(broken), len(data))
    assert f.read(0, 100) == data[:100]                  # block 0 is fine
    with pytest.raises(CorruptDataError, match="zisofs block 1"):
        f.read(40_000, 100)


def test_block_that_inflates_short() -> None:
    data = sample(20_000)
    header = MAGIC + struct.pack("<IBB2x", 40_000, 4, 15)          # two blocks of 32 KiB claimed
    block0 = zlib.compress(data)                                    # but block 0 holds 20000 bytes
    table_end = 16 + 4 * 3
    pointers = [table_end, table_end + len(block0), table_end + len(block0)]
    f, _ = open_file(header + struct.pack("<3I", *pointers) + block0, 40_000)
    with pytest.raises(CorruptDataError, match="zisofs block 0 inflates to 20000 bytes, expected 32768"):
        f.read(0, 10)
    assert f.read(32_768, 10) == bytes(10)                          # block 1 stored empty: zeros


def test_error_is_not_cached_and_repeats() -> None:
    stored, _ = compress(sample(1000))
    f, _ = open_file(b"\x00" + stored[1:], 1000)
    for _ in range(2):
        with pytest.raises(CorruptDataError):
            f.read(0, 1)
