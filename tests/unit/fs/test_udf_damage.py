"""Crafted damage in UDF images: clean CorruptDataError at open time for the volume's own
structures, EIO (CorruptDataError) plus a log line for one file, and never a hang."""

from __future__ import annotations

import binascii
import logging
import struct

import pytest

from builders.udf import PART_START, UdfBuilder, long_ad, short_ad
from mount_image.errors import CorruptDataError
from test_udf_reader import open_bytes, read_all, walk

BS = 2048


def tree() -> UdfBuilder:
    b = UdfBuilder(block_size=BS, efe=False)
    d = b.mkdir(b.root, "docs")
    b.add_file(d, "a.txt", b"hello\n")
    b.add_file(b.root, "big.bin", bytes(range(256)) * 40, fragments=3, aed=True)
    b.add_file(b.root, "ok.txt", b"fine")
    return b


def block_of(b: UdfBuilder, meta_lbn: int) -> int:
    return PART_START + b.meta_phys[meta_lbn]


def retag(image: bytearray, block: int, offset: int = 0) -> None:
    """Recompute the CRC and checksum of the descriptor at ``block`` (ECMA-167 3/7.2)."""
    at = block * BS + offset
    crc_len = struct.unpack_from("<H", image, at + 10)[0]
    struct.pack_into("<H", image, at + 8, binascii.crc_hqx(bytes(image[at + 16:at + 16 + crc_len]), 0))
    image[at + 4] = (sum(image[at:at + 16]) - image[at + 4]) & 0xFF


def node(b: UdfBuilder, *path: str):
    n = b.root
    for name in path:
        n = next(c for nm, c, _x in n.children if nm == name)
    return n


def test_no_anchor_anywhere() -> None:
    image = bytearray(tree().build())
    last = len(image) // BS - 1
    for block in (256, last):
        image[block * BS + 4] ^= 0x55      # tag checksum
    with pytest.raises(CorruptDataError, match="no UDF anchor at 256, N-256 or N"):
        open_bytes(bytes(image), fs="udf")


def test_bad_crc_is_refused() -> None:
    image = bytearray(tree().build())
    last = len(image) // BS - 1
    for block in (256, last):
        image[block * BS + 20] ^= 0x01      # inside the CRC'd body: the main VDS extent
    with pytest.raises(CorruptDataError, match="no UDF anchor"):
        open_bytes(bytes(image), fs="udf")


def test_both_sequences_damaged() -> None:
    image = bytearray(tree().build())
    for start in (260, 270):
        image[(start + 2) * BS + 4] ^= 0xFF       # the LVD of each copy
    with pytest.raises(CorruptDataError, match="volume descriptor sequence unusable.*no logical volume"):
        open_bytes(bytes(image), fs="udf")


@pytest.mark.parametrize("start", [10**6, 2**32 - 1])
def test_partition_outside_the_image(start: int) -> None:
    image = bytearray(tree().build())
    for vds in (260, 270):
        struct.pack_into("<I", image, (vds + 1) * BS + 188, start)    # PD starting location
        retag(image, vds + 1)
    with pytest.raises(CorruptDataError, match="partition 0 starts at block .* past the image"):
        open_bytes(bytes(image), fs="udf")


def test_file_set_descriptor_damaged() -> None:
    b = tree()
    image = bytearray(b.build())
    image[block_of(b, 0) * BS + 4] ^= 0xFF
    with pytest.raises(CorruptDataError, match="file set descriptor.*checksum"):
        open_bytes(bytes(image), fs="udf")


def test_root_entry_damaged() -> None:
    b = tree()
    image = bytearray(b.build())
    image[block_of(b, b.root.meta) * BS + 4] ^= 0xFF
    with pytest.raises(CorruptDataError, match="root directory"):
        open_bytes(bytes(image), fs="udf")


def test_damaged_file_entry_is_eio_for_that_file(caplog) -> None:
    b = tree()
    image = bytearray(b.build())
    image[block_of(b, node(b, "docs", "a.txt").meta) * BS + 4] ^= 0xFF
    fs = open_bytes(bytes(image))
    docs = fs.lookup(fs.root(), "docs")
    with caplog.at_level(logging.WARNING):
        assert [e.name for e in fs.listdir(docs)] == []
    assert "a.txt" in caplog.text and "checksum" in caplog.text
    with pytest.raises(CorruptDataError, match="a.txt"):
        fs.lookup(docs, "a.txt")
    assert read_all(fs, fs.lookup(fs.root(), "ok.txt")) == b"fine"


def test_allocation_extent_loop_is_eio_not_a_hang() -> None:
    b = tree()
    image = bytearray(b.build())
    big = node(b, "big.bin")
    aed = block_of(b, next(iter(_aed_blocks(b, big))))
    # Make the AED's last descriptor continue into the AED itself.
    n_ads = struct.unpack_from("<I", image, aed * BS + 20)[0]
    struct.pack_into("<I", image, aed * BS + 20, n_ads + 8)
    image[aed * BS + 24 + n_ads:aed * BS + 24 + n_ads + 8] = short_ad(BS, b.meta_phys.index(aed - PART_START), 3)
    struct.pack_into("<H", image, aed * BS + 10, 8 + n_ads + 8)
    retag(image, aed)
    fs = open_bytes(bytes(image))
    entry = fs.lookup(fs.root(), "big.bin")
    with pytest.raises(CorruptDataError, match="loops"):
        fs.read(entry, 0, 100)
    assert read_all(fs, fs.lookup(fs.root(), "ok.txt")) == b"fine"


def _aed_blocks(b: UdfBuilder, n) -> list[int]:
    # The builder hands out AED blocks after all directory blocks, one per file asking for one.
    image = b.build()
    for m in range(len(b.meta_phys)):
        at = (PART_START + b.meta_phys[m]) * BS
        if struct.unpack_from("<H", image, at)[0] == 258:
            yield m


def test_extent_outside_the_partition_is_eio() -> None:
    b = tree()
    image = bytearray(b.build())
    fe = block_of(b, node(b, "ok.txt").meta)
    l_ea = struct.unpack_from("<I", image, fe * BS + 168)[0]
    ad_at = fe * BS + 176 + l_ea
    image[ad_at:ad_at + 8] = short_ad(4, 10**7)
    retag(image, fe)
    fs = open_bytes(bytes(image))
    with pytest.raises(CorruptDataError, match="outside partition 0"):
        fs.read(fs.lookup(fs.root(), "ok.txt"), 0, 4)


def test_fid_length_past_its_directory() -> None:
    b = tree()
    image = bytearray(b.build())
    docs_dir = _directory_block(b, image, node(b, "docs"))
    # The second FID (a.txt) claims 60000 bytes of implementation use.
    first_len = 40                                 # parent FID: 38 bytes padded to 40
    at = docs_dir * BS + first_len
    struct.pack_into("<H", image, at + 36, 60000)
    retag(image, docs_dir, first_len)
    fs = open_bytes(bytes(image))
    with pytest.raises(CorruptDataError, match="docs.*file identifier descriptor"):
        fs.listdir(fs.lookup(fs.root(), "docs"))
    assert read_all(fs, fs.lookup(fs.root(), "ok.txt")) == b"fine"


def _directory_block(b: UdfBuilder, image: bytes, n) -> int:
    fe = block_of(b, n.meta)
    l_ea = struct.unpack_from("<I", image, fe * BS + 168)[0]
    lbn = struct.unpack_from("<I", image, fe * BS + 176 + l_ea + 4)[0]
    return PART_START + lbn


def test_directory_loop_is_not_followed() -> None:
    b = tree()
    docs = node(b, "docs")
    b.link(docs, "back", b.root)         # a FID in docs naming the root directory
    fs = open_bytes(b.build())
    tree_ = walk(fs)
    assert "docs/back" not in tree_ and "docs/a.txt" in tree_


def test_vat_past_the_end_is_refused() -> None:
    b = UdfBuilder(partition="virtual")
    b.add_file(b.root, "f", b"x")
    image = bytearray(b.build())
    last = len(image) // BS - 1
    # The VAT's entries are embedded in its ICB: point the root's virtual block elsewhere.
    fe = last
    l_ea = struct.unpack_from("<I", image, fe * BS + 208)[0]
    entries = fe * BS + 216 + l_ea + 152
    for i in range(len(b.meta_phys)):
        struct.pack_into("<I", image, entries + 4 * i, 10**6 + i)
    retag(image, fe)
    with pytest.raises(CorruptDataError, match="outside partition 0"):
        open_bytes(bytes(image), fs="udf")


def test_vat_missing() -> None:
    b = UdfBuilder(partition="virtual")
    b.add_file(b.root, "f", b"x")
    image = bytearray(b.build())
    image[-BS:] = bytes(BS)
    with pytest.raises(CorruptDataError, match="no virtual allocation table"):
        open_bytes(bytes(image), fs="udf")


def test_truncated_image() -> None:
    image = tree().build()
    cut = image[:300 * BS]      # the descriptors survive, the anchor at N does not
    fs = open_bytes(cut)
    with pytest.raises(CorruptDataError):
        read_all(fs, fs.lookup(fs.root(), "big.bin"))


def test_long_ad_to_a_missing_partition_reference() -> None:
    b = UdfBuilder(efe=False, ad="long")
    b.add_file(b.root, "f", b"data")
    image = bytearray(b.build())
    fe = block_of(b, node(b, "f").meta)
    l_ea = struct.unpack_from("<I", image, fe * BS + 168)[0]
    image[fe * BS + 176 + l_ea:fe * BS + 176 + l_ea + 16] = long_ad(4, 0, 7)
    retag(image, fe)
    fs = open_bytes(bytes(image))
    with pytest.raises(CorruptDataError, match="partition reference 7"):
        fs.read(fs.lookup(fs.root(), "f"), 0, 4)
