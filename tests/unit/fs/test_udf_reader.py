"""The UDF reader over images from our spec-based writer (tests/builders/udf.py): every
partition kind (type 1, metadata with mirror, virtual/VAT, sparable with a spared packet), block
sizes 512-4096, FE and EFE, short and long ADs; symlinks, hard links, devices, hidden and
deleted names, uid/gid not stored, named streams, strategy 4096, AED chains and sparse extents."""

from __future__ import annotations

import os
import random
import stat as st

import pytest

from builders.udf import PART_START, UdfBuilder
from mount_image.disc.model import Track, TrackKind, TrackMode
from mount_image.errors import CorruptDataError
from mount_image.fs.probe import open_filesystem
from mount_image.fs.udf.filesystem import UdfFileSystem
from mount_image.sectors.blocks import BlockDevice
from support.memory import MemorySource

SECTOR = 2048


def open_bytes(image: bytes, **kw):
    source = MemorySource(image)
    track = Track(1, 1, TrackKind.DATA, TrackMode.MODE1_2048, 0, -(-len(image) // SECTOR), source, 0, SECTOR)
    return open_filesystem(BlockDevice(track), **kw)


def walk(fs, entry=None, prefix=""):
    out = {}
    for child in fs.listdir(entry or fs.root()):
        path = prefix + child.name
        out[path] = child
        if child.stat.is_dir:
            out.update(walk(fs, child, path + "/"))
    return out


def read_all(fs, entry) -> bytes:
    return fs.read(entry, 0, entry.stat.size + 10)


BIG = random.Random(7).randbytes(50000)


def full_tree(part: str, bs: int, efe: bool, ad: str) -> UdfBuilder:
    b = UdfBuilder(block_size=bs, partition=part, efe=efe, ad=ad, label=f"B{part}")
    docs = b.mkdir(b.root, "docs", mode=0o750, uid=1000, gid=100)
    a = b.add_file(docs, "a.txt", b"hello\n", mode=0o4755, uid=1000, gid=100,
                   streams={"note": b"xyz"} if efe else {})
    big = b.add_file(b.root, "big.bin", BIG, fragments=4, aed=True, sparse=8192)
    if part == "sparable":
        b.spare_packet_of = big
    b.add_symlink(b.root, "link", "docs/a.txt")
    b.add_symlink(docs, "up", "../big.bin")
    b.add_symlink(docs, "abs", "/etc/passwd")
    b.link(b.root, "hard", a)
    b.add_device(b.root, "tty0", "c", 4, 1)
    b.add_file(b.root, "Ñame ж", b"unicode")
    b.add_file(b.root, "hidden", b"h", chars=1)
    b.add_file(b.root, "deleted", b"d", chars=4)
    b.add_file(b.root, "nouid", b"n", uid=None, gid=None)
    b.add_file(b.root, "succ", b"old", successor=b"newer content")
    return b


MATRIX = [(p, bs, efe, ad) for p in ("type1", "metadata", "virtual", "sparable")
          for bs in (512, 2048, 4096) for efe in (True, False) for ad in ("short", "long")
          if not (p == "virtual" and bs == 512 and not efe)]


@pytest.mark.parametrize("part,bs,efe,ad", MATRIX, ids=lambda v: str(v))
def test_every_partition_kind_block_size_and_entry_form(part: str, bs: int, efe: bool, ad: str) -> None:
    fs = open_bytes(full_tree(part, bs, efe, ad).build())
    assert isinstance(fs, UdfFileSystem)
    assert fs.block_size == bs and fs.label == f"B{part}" and fs.kinds == ("udf",)
    kinds = [p["type"] for p in fs.info()["udf"]["partitions"]]
    assert kinds == {"type1": ["type1"], "sparable": ["sparable"], "metadata": ["type1", "metadata"],
                     "virtual": ["type1", "virtual"]}[part]
    tree = walk(fs)
    assert sorted(tree) == sorted(["docs", "docs/a.txt", "docs/up", "docs/abs", "big.bin", "link",
                                   "hard", "tty0", "Ñame ж", "nouid", "succ"])
    # File data across fragments, an AED chain and a leading unrecorded (sparse) extent.
    assert read_all(fs, tree["big.bin"]) == bytes(8192) + BIG
    assert fs.read(tree["big.bin"], 8192 + 3000, 7000) == BIG[3000:10000]
    assert read_all(fs, tree["docs/a.txt"]) == b"hello\n"
    assert read_all(fs, tree["Ñame ж"]) == b"unicode"
    # Strategy 4096: the indirect entry after the first ICB points to the current one.
    assert read_all(fs, tree["succ"]) == b"newer content"
    # Symlinks from path components.
    assert fs.readlink(tree["link"]) == "docs/a.txt"
    assert fs.readlink(tree["docs/up"]) == "../big.bin"
    assert fs.readlink(tree["docs/abs"]) == "/etc/passwd"
    assert tree["link"].stat.file_type == st.S_IFLNK and tree["link"].stat.size == len("docs/a.txt")
    # Hard links share one inode and say so in their link count.
    a, hard = tree["docs/a.txt"].stat, tree["hard"].stat
    assert a.ino == hard.ino and a.nlink == hard.nlink == 2
    # Owner, permissions (setuid from the ICB flags), "not stored" ids.
    assert (a.perm, a.uid, a.gid) == (0o4755, 1000, 100)
    assert tree["docs"].stat.perm == 0o750 and tree["docs"].stat.is_dir
    n = tree["nouid"].stat
    assert (n.uid, n.gid) == (None, None)
    # A character device from its Device Specification extended attribute.
    tty = tree["tty0"].stat
    assert tty.file_type == st.S_IFCHR and tty.rdev == os.makedev(4, 1)
    # Timestamps: 2017-03-04 05:06:07 at UTC+01:00.
    assert a.mtime_ns == 1488600367 * 10**9
    # Named streams as xattrs (EFE only).
    assert fs.xattrs(tree["docs/a.txt"]) == ({"user.note": b"xyz"} if efe else {})
    assert fs.lookup(fs.root(), "hidden") is None and fs.lookup(fs.root(), "deleted") is None


def test_unhide_shows_hidden_names() -> None:
    from mount_image.fs.iso9660.filesystem import IsoOptions
    image = full_tree("type1", 2048, True, "short").build()
    fs = open_bytes(image, iso=IsoOptions(unhide=True))
    assert read_all(fs, fs.lookup(fs.root(), "hidden")) == b"h"
    assert fs.lookup(fs.root(), "deleted") is None


def test_metadata_mirror_is_used_when_the_main_copy_is_damaged() -> None:
    b = full_tree("metadata", 2048, True, "short")
    image = bytearray(b.build())
    # Destroy every block of the main metadata copy: the FSD, file entries and directories.
    for lbn in b.meta_phys:
        at = (PART_START + lbn) * 2048
        image[at:at + 2048] = b"\xee" * 2048
    fs = open_bytes(bytes(image))
    tree = walk(fs)
    assert read_all(fs, tree["docs/a.txt"]) == b"hello\n"
    assert fs.readlink(tree["link"]) == "docs/a.txt"


def test_metadata_file_damaged_falls_back_to_its_mirror_file() -> None:
    b = full_tree("metadata", 2048, False, "short")
    image = bytearray(b.build())
    at = PART_START * 2048            # the metadata file's own entry (block 0 of the partition)
    image[at:at + 16] = bytes(16)
    fs = open_bytes(bytes(image))
    assert fs.info()["udf"]["partitions"][1]["copies"] == 1
    assert read_all(fs, fs.lookup(fs.root(), "Ñame ж")) == b"unicode"


def test_sparing_table_moves_a_packet() -> None:
    b = full_tree("sparable", 2048, True, "short")
    fs = open_bytes(b.build())
    assert fs.info()["udf"]["partitions"][0]["spared_packets"] == 1
    # The original packet holds 0xde garbage; the data is read from the spare place.
    assert read_all(fs, fs.lookup(fs.root(), "big.bin")) == bytes(8192) + BIG


def test_info_reports_revision_and_names() -> None:
    fs = open_bytes(full_tree("virtual", 2048, True, "short").build())
    udf = fs.info()["udf"]
    assert udf["revision"] == "2.50"
    assert udf["volume_id"] == "Bvirtual" and udf["file_set_id"] == "FILESET"
    assert udf["recognition"] == ["BEA01", "NSR03", "TEA01"]
    assert udf["vat"]["files"] > 5
    assert fs.info()["iso9660"] is None


def test_forced_filesystem_names() -> None:
    image = full_tree("type1", 2048, True, "short").build()
    with pytest.raises(CorruptDataError, match="no ISO 9660 filesystem"):
        open_bytes(image, fs="iso9660")
    assert isinstance(open_bytes(image, fs="udf"), UdfFileSystem)
    with pytest.raises(CorruptDataError, match="no ext4 filesystem reader"):
        open_bytes(image, fs="ext4")


def test_session_start_moves_the_search() -> None:
    """``start`` (in 2048-byte blocks) moves the VRS and the first anchor: a volume written
    at block 0 is not found from a later session start."""
    image = full_tree("type1", 2048, True, "short").build()
    with pytest.raises(CorruptDataError):
        open_bytes(image, start=300, fs="udf")


def test_reserve_sequence_used_when_the_main_one_is_damaged() -> None:
    image = bytearray(full_tree("type1", 2048, True, "short").build())
    for block in range(260, 264):   # main VDS: PVD, PD, LVD, TD
        image[block * 2048 + 4] ^= 0xFF   # tag checksum
    fs = open_bytes(bytes(image))
    assert fs.info()["udf"]["reserve_sequence_used"] is True
    assert read_all(fs, fs.lookup(fs.root(), "Ñame ж")) == b"unicode"


def test_the_last_anchor_stands_in_for_block_256() -> None:
    image = bytearray(full_tree("type1", 2048, True, "short").build())
    image[256 * 2048:256 * 2048 + 16] = bytes(16)
    fs = open_bytes(bytes(image))
    assert fs.info()["udf"]["anchor_block"] == len(image) // 2048 - 1


def test_symlink_embedded_in_a_512_byte_block() -> None:
    """The FE's fixed part is 176 bytes, the EFE's 216 (ECMA-167 4/14.9, 4/14.17): a 512-byte
    block holds an EFE with its embedded symlink and named stream pointer."""
    b = UdfBuilder(block_size=512)
    b.add_symlink(b.root, "l", "x/" * 30 + "y")
    fs = open_bytes(b.build())
    assert fs.readlink(fs.lookup(fs.root(), "l")) == "x/" * 30 + "y"
