"""fs/iso9660/hfs_detect.py: Apple partition maps, HFS MDBs and HFS+ headers, bounded."""

from __future__ import annotations

import struct

from builders.iso9660 import SECTOR, IsoBuilder
from mount_image.disc.model import Track, TrackKind, TrackMode
from mount_image.fs.iso9660.filesystem import Iso9660FileSystem
from mount_image.fs.iso9660.hfs_detect import MAX_MAP_ENTRIES, detect_apple
from mount_image.sectors.blocks import BlockDevice
from support.memory import MemorySource


def device(image: bytes) -> BlockDevice:
    return BlockDevice(Track(1, 1, TrackKind.DATA, TrackMode.MODE1_2048, 0, -(-len(image) // SECTOR),
                             MemorySource(image), 0, SECTOR))


def ddr(block_size: int = 512, blocks: int = 1000) -> bytes:
    """Driver Descriptor Record (Inside Macintosh: Devices)."""
    return struct.pack(">2sHI", b"ER", block_size, blocks)


def pm(count: int, start: int, blocks: int, name: bytes, ptype: bytes) -> bytes:
    """Partition map entry: "PM", pad, map entries, start, size, name, type."""
    return struct.pack(">2s2xIII32s32s", b"PM", count, start, blocks, name, ptype)


def mdb(name: bytes, al_blk_siz: int = 2048, blocks: int = 100, embed: bytes = b"\0\0") -> bytes:
    """HFS Master Directory Block up to drVN, then drEmbedSigWord at 0x7C."""
    head = struct.pack(">2sIIHHHHHIIHIH28s", b"BD", 0, 0, 0, 0, 3, 0, blocks, al_blk_siz, 0, 5, 16,
                       0, bytes([len(name)]) + name)
    return head + bytes(0x7C - len(head)) + embed


def hfsplus(signature: bytes = b"H+", block_size: int = 4096, blocks: int = 77) -> bytes:
    return struct.pack(">2sHI4sIIIIIIIIII", signature, 4, 0, b"10.0", 0, 0, 0, 0, 0, 1, 1,
                       block_size, blocks, 0)


def image_with(parts: dict[int, bytes], size: int = 64 * SECTOR) -> bytes:
    img = bytearray(size)
    for offset, data in parts.items():
        img[offset:offset + len(data)] = data
    return bytes(img)


def test_plain_iso_has_no_apple_layout() -> None:
    assert detect_apple(device(IsoBuilder().build())) is None


def test_hfs_volume_at_byte_zero() -> None:
    got = detect_apple(device(image_with({1024: mdb(b"CDROM", embed=b"H+")})))
    assert got is not None and got.partitions == []
    (v,) = got.volumes
    assert (v.kind, v.offset, v.name, v.block_size, v.blocks, v.wrapped) == ("hfs", 0, "CDROM", 2048, 100, True)


def test_partition_map_with_hfs_and_hfsx() -> None:
    img = image_with({0: ddr(2048), 2048: pm(3, 1, 3, b"Apple", b"Apple_partition_map"),
                      4096: pm(3, 8, 4, b"Mac", b"Apple_HFS"), 6144: pm(3, 16, 4, b"X", b"Apple_HFSX"),
                      8 * 2048 + 1024: hfsplus(), 16 * 2048 + 1024: hfsplus(b"HX", 512, 9)})
    got = detect_apple(device(img))
    assert [(p["name"], p["type"], p["start"], p["blocks"], p["block_size"]) for p in got.partitions] == [
        ("Apple", "Apple_partition_map", 1, 3, 2048), ("Mac", "Apple_HFS", 8, 4, 2048),
        ("X", "Apple_HFSX", 16, 4, 2048)]
    assert [(v.kind, v.offset, v.block_size, v.blocks) for v in got.volumes] == [
        ("hfsplus", 8 * 2048, 4096, 77), ("hfsx", 16 * 2048, 512, 9)]


def test_partition_outside_the_image_and_an_odd_block_size() -> None:
    img = image_with({0: ddr(777), 512: pm(2, 1, 2, b"Apple", b"Apple_partition_map"),
                      1024: pm(2, 0xFFFFFF00, 4, b"Far", b"Apple_HFS")})
    got = detect_apple(device(img))
    assert [p["name"] for p in got.partitions] == ["Apple", "Far"] and got.volumes == []


def test_a_map_that_claims_endless_entries_is_bounded() -> None:
    parts = {0: ddr(512)}
    for i in range(1, 100):
        parts[i * 512] = pm(0xFFFFFFFF, 1, 1, b"P%d" % i, b"Apple_Free")
    got = detect_apple(device(image_with(parts)))
    assert len(got.partitions) == MAX_MAP_ENTRIES


def test_image_too_short_for_a_header() -> None:
    assert detect_apple(device(b"ER" + bytes(600))) is None


def test_info_and_kinds_of_a_hybrid() -> None:
    iso = IsoBuilder()
    iso.put(0, mdb(b"HYBRID"), offset=1024)
    fs = Iso9660FileSystem(device(iso.build()))
    assert fs.kinds == ("iso9660", "hfs")
    assert fs.info()["hfs"]["volumes"][0]["name"] == "HYBRID"
