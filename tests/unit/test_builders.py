"""The test-side ISO 9660 builder, checked field by field and with independent readers.

pycdlib, bsdtar (libarchive), isoinfo (genisoimage), iso-info (libcdio) and 7-Zip must all read
what tests/builders/iso9660.py writes; otherwise the tests built on it would prove nothing.
pycdlib 1.22 refuses any ZF entry ("Unknown SUSP record"), so it reads the image built without
the zisofs file; bsdtar decompresses the zisofs file.
"""

from __future__ import annotations

import hashlib
import io
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from builders.iso9660 import (
    DIRECTORY, SECTOR, ZISOFS_MAGIC, IsoBuilder, ce, cl, dir_record, dir_datetime, er_rrip,
    joliet_name, nm, pl, pn, px, re, rr, sl, sp, st, susp_entry, tf, zf, zisofs_compress)
from conftest import require_tool

README = b"hello world\n" * 100
NOTES = b"notes\n"
BIG = bytes(range(256)) * 1000 + b"\0" * 70000 + b"tail"     # 3 blocks of 32 KiB are zero


def build_valid(zisofs: bool = True) -> bytes:
    """Rock Ridge + Joliet: /readme.txt, /docs/notes.txt, /link -> docs/notes.txt, /big.bin."""
    iso = IsoBuilder(rock_ridge=True, joliet=True, volume_id="BUILDER")
    docs = iso.mkdir(iso.root, "DOCS", su=rr("docs", 0o40755, 2))
    notes = iso.add_file(docs, "NOTES.TXT;1", NOTES, su=rr("notes.txt", 0o100644))
    readme = iso.add_file(iso.root, "README.TXT;1", README, su=rr("readme.txt"))
    iso.add_file(iso.root, "LINK.;1", su=px(0o120777) + tf() + nm("link") + sl("docs/notes.txt"))
    if zisofs:
        iso.add_file(iso.root, "BIG.BIN;1", zisofs_compress(BIG, empty_zero_blocks=True),
                     su=rr("big.bin") + zf(len(BIG)))
    jdocs = iso.mkdir(iso.joliet_root, joliet_name("docs", version=False))
    jdocs.add(dir_record(notes, len(NOTES), joliet_name("notes.txt")))
    iso.joliet_root.add(dir_record(readme, len(README), joliet_name("readme.txt")))
    return iso.build()


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "valid.iso"
    path.write_bytes(build_valid())
    return path


def run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], capture_output=True, check=True,
                          timeout=30).stdout.decode()


# ---- independent readers ----------------------------------------------------------------------

def test_pycdlib_reads_rock_ridge_joliet_and_iso9660_trees(tmp_path: Path) -> None:
    pycdlib = pytest.importorskip("pycdlib")
    path = tmp_path / "valid.iso"
    path.write_bytes(build_valid(zisofs=False))
    iso = pycdlib.PyCdlib()
    iso.open(str(path))
    try:
        assert iso.has_rock_ridge() and iso.has_joliet()
        walk = {p: (sorted(d), sorted(f)) for p, d, f in iso.walk(rr_path="/")}
        assert walk == {"/": (["docs"], ["link", "readme.txt"]), "/docs": ([], ["notes.txt"])}
        walk = {p: (sorted(d), sorted(f)) for p, d, f in iso.walk(joliet_path="/")}
        assert walk == {"/": (["docs"], ["readme.txt;1"]), "/docs": ([], ["notes.txt;1"])}
        walk = {p: (sorted(d), sorted(f)) for p, d, f in iso.walk(iso_path="/")}
        assert walk == {"/": (["DOCS"], ["LINK.;1", "README.TXT;1"]),
                        "/DOCS": ([], ["NOTES.TXT;1"])}
        link = iso.get_record(rr_path="/link").rock_ridge
        assert link.is_symlink() and link.symlink_path() == b"docs/notes.txt"
        assert iso.get_record(rr_path="/docs/notes.txt").rock_ridge.get_file_mode() == 0o100644
        for kind, name, want in (("rr_path", "/readme.txt", README),
                                 ("joliet_path", "/docs/notes.txt;1", NOTES),
                                 ("iso_path", "/DOCS/NOTES.TXT;1", NOTES)):
            out = io.BytesIO()
            iso.get_file_from_iso_fp(out, **{kind: name})
            assert out.getvalue() == want
    finally:
        iso.close()


def test_bsdtar_lists_follows_symlink_and_decompresses_zisofs(image: Path, tmp_path: Path) -> None:
    bsdtar = require_tool("bsdtar")
    listing = run(bsdtar, "-tvf", image)
    names = sorted(line.split()[8] for line in listing.splitlines())
    assert names == [".", "big.bin", "docs", "docs/notes.txt", "link", "readme.txt"]
    assert "link -> docs/notes.txt" in listing
    dest = tmp_path / "out"
    dest.mkdir()
    run(bsdtar, "-xf", image, "-C", dest)
    assert (dest / "readme.txt").read_bytes() == README
    assert (dest / "docs" / "notes.txt").read_bytes() == NOTES
    assert (dest / "link").readlink() == Path("docs/notes.txt")
    assert hashlib.sha256((dest / "big.bin").read_bytes()).digest() == hashlib.sha256(BIG).digest()


def test_isoinfo_reads_rock_ridge_joliet_and_path_table(image: Path) -> None:
    isoinfo = require_tool("isoinfo")
    listing = run(isoinfo, "-R", "-l", "-i", image)
    assert "link -> docs/notes.txt" in listing
    for name in ("readme.txt", "big.bin", "notes.txt", "docs"):
        assert f" {name} " in listing
    assert run(isoinfo, "-R", "-x", "/readme.txt", "-i", image).encode() == README
    assert run(isoinfo, "-x", "/DOCS/NOTES.TXT;1", "-i", image).encode() == NOTES
    assert sorted(run(isoinfo, "-J", "-f", "-i", image).split()) == [
        "/docs", "/docs/notes.txt;1", "/readme.txt;1"]
    info = run(isoinfo, "-d", "-i", image)
    assert "Volume id: BUILDER" in info and "Joliet with UCS level 3" in info
    assert "Rock Ridge signatures version 1 found" in info
    table = run(isoinfo, "-p", "-i", image)        # the path table: root and DOCS
    assert "DOCS" in table


def test_iso_info_and_7zip_read_the_plain_tree(image: Path) -> None:
    """iso-info without RR and Joliet: the ISO 9660 tree, names mapped (lower case, no ;1)."""
    listing = run(require_tool("iso-info"), "-f", "--no-rock-ridge", "--no-joliet", image)
    sizes = {line.split()[1]: int(line.split()[0]) for line in listing.splitlines()
             if line.strip().startswith(tuple("0123456789")) and "/" in line}
    assert sizes == {"/docs": 2048, "/readme.txt": len(README), "/link": 0, "/docs/notes.txt": 6,
                     "/big.bin": len(zisofs_compress(BIG, empty_zero_blocks=True))}
    listing = run(require_tool("7zz"), "l", image)       # 7-Zip prefers Joliet
    assert "docs/notes.txt" in listing and "readme.txt" in listing


# ---- byte layout checked against the specs ------------------------------------------------------

def test_dir_record_fields_sit_where_ecma_119_9_1_puts_them() -> None:
    rec = dir_record(0x12345, 0x6789A, "AB.C;1", DIRECTORY, b"XYZ")
    assert rec[0] == len(rec) == 33 + 6 + 1 + 3 + 1      # padding after even name, even length
    assert rec[2:10] == bytes.fromhex("452301000001 2345".replace(" ", ""))
    assert struct.unpack("<I", rec[10:14])[0] == struct.unpack(">I", rec[14:18])[0] == 0x6789A
    assert rec[18:25] == dir_datetime() and rec[18] == 124       # 2024 - 1900
    assert rec[25] == DIRECTORY and rec[28:32] == b"\1\0\0\1" and rec[32] == 6
    assert rec[33:39] == b"AB.C;1" and rec[39] == 0 and rec[40:43] == b"XYZ"
    assert dir_record(0, 0, b"\0")[0] == 34 and dir_record(0, 0, length=7)[0] == 7
    with pytest.raises(ValueError):
        dir_record(0, 0, "X", su=b"\0" * 230)


def test_susp_and_rrip_entry_lengths() -> None:
    assert susp_entry("AB", b"xy") == b"AB\x06\x01xy"
    assert susp_entry("AB", length=0)[2] == 0
    assert sp() == b"SP\x07\x01\xbe\xef\x00" and st() == b"ST\x04\x01"
    assert len(ce(1, 2, 3)) == 28 and ce(1, 2, 3)[4:8] == b"\1\0\0\0"
    assert len(px()) == 36 and len(px(serial=7)) == 44
    assert len(pn(1, 2)) == 20 and len(cl(5)) == 12 and len(pl(5)) == 12 and re() == b"RE\x04\x01"
    assert len(tf()) == 5 + 3 * 7 and len(tf(long_form=True)) == 5 + 3 * 17
    assert tf(access=None, attributes=None)[4] == 0x02
    assert nm("héllo") == b"NM\x0b\x01\x00h\xc3\xa9llo"
    assert len(zf(100)) == 16 and zf(100, 16)[4:8] == b"pz\x04\x10"
    entry = er_rrip()
    assert entry[2] == len(entry) == 8 + 10 + 84 + 135 and entry[8:18] == b"RRIP_1991A"
    assert er_rrip("1.12")[8:18] == b"IEEE_P1282"


def test_sl_components() -> None:
    assert sl("a/../b") == b"SL\x0d\x01\x00" + b"\x00\x01a" + b"\x04\x00" + b"\x00\x01b"
    assert sl("/x") == b"SL\x0a\x01\x00" + b"\x08\x00" + b"\x00\x01x"
    assert sl("./") == b"SL\x07\x01\x00" + b"\x02\x00"


def test_zisofs_compress_matches_the_mkzftree_format() -> None:
    out = zisofs_compress(BIG, empty_zero_blocks=True)
    magic, size, div4, log2 = struct.unpack_from("<8sIBB", out)
    assert (magic, size, div4, log2) == (ZISOFS_MAGIC, len(BIG), 4, 15)
    nblocks = -(-len(BIG) // (1 << 15))
    pointers = struct.unpack_from(f"<{nblocks + 1}I", out, 16)
    assert pointers[0] == 16 + 4 * (nblocks + 1) and pointers[-1] == len(out)
    data = b""
    for start, end in zip(pointers, pointers[1:]):
        data += zlib.decompress(out[start:end]) if end > start else b"\0" * (1 << 15)
    assert data[:len(BIG)] == BIG
    assert any(end == start for start, end in zip(pointers, pointers[1:]))
    assert zisofs_compress(b"") == ZISOFS_MAGIC + struct.pack("<IBB2xI", 0, 4, 15, 16 + 4)


def test_builder_layout_and_overflowing_directory() -> None:
    iso = IsoBuilder()
    assert iso.root.lba == 18                       # PVD at 16, terminator at 17
    img = iso.build()
    assert img[16 * SECTOR:16 * SECTOR + 7] == b"\1CD001\1"
    assert img[17 * SECTOR:17 * SECTOR + 7] == b"\xffCD001\1"
    assert struct.unpack_from("<I", img, 16 * SECTOR + 80)[0] == len(img) // SECTOR
    assert struct.unpack_from("<I", img, 16 * SECTOR + 156 + 2)[0] == 18      # root extent
    iso.put(40, b"far")                             # path tables go after anything put
    assert iso.build()[40 * SECTOR:40 * SECTOR + 3] == b"far"
    for i in range(60):
        iso.add_file(iso.root, f"FILE{i:04}.TXT;1", b"x")
    with pytest.raises(ValueError, match="needs 2 sectors"):
        iso.build()
