"""Apple ISO 9660 extensions, Amiga AS entries and hybrid HFS discs through real mounts.

Fixtures: genisoimage -apple from Mac files in the forms it reads (MacOS X AppleDouble ``._name``
and Netatalk ``.AppleDouble/name``, both written here per the AppleDouble v2 spec, and MacBinary
II), with -R or -XA; genisoimage -hfs (with and without -part) and xorriso -hfsplus hybrids;
AS entries (no Linux tool writes them) from tests/builders. Independent readers: hfsutils
(hmount/hls read the HFS side of the same files), isoinfo and 7-Zip (the associated file's record),
xorriso -report_system_area (the Apple partition map).
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
from pathlib import Path

import pytest

from builders.iso9660 import IsoBuilder, amiga_as, rr
from conftest import require_tool, run_cli

FINDER_FLAGS = 0x2402          # hasBundle | hasCustomIcon | colour 1: bits genisoimage keeps
FORK = b"resource fork bytes " * 40


def run(*cmd: str | Path, **kw) -> str:
    require_tool(str(cmd[0]))
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout + proc.stderr


def appledouble(file_type: bytes, creator: bytes, flags: int, fork: bytes) -> bytes:
    """AppleDouble version 2 (RFC 1740 / AppleSingle-AppleDouble v2): magic 0x00051607,
    version 0x00020000, 16 filler bytes, entry count, (id, offset, length) descriptors; entry 9
    is the 32-byte Finder info, entry 2 the resource fork."""
    entries = [(9, file_type + creator + struct.pack(">H", flags) + bytes(22)), (2, fork)]
    header = struct.pack(">II16sH", 0x00051607, 0x00020000, bytes(16), len(entries))
    offset = len(header) + 12 * len(entries)
    descriptors, body = b"", b""
    for entry_id, data in entries:
        descriptors += struct.pack(">III", entry_id, offset + len(body), len(data))
        body += data
    return header + descriptors + body


def macbinary(name: bytes, file_type: bytes, creator: bytes, flags: int, data: bytes, fork: bytes) -> bytes:
    """MacBinary II: a 128-byte header (name, type, creator, Finder flags high byte at 73 and
    low byte at 101, fork lengths at 83/87, version 129, CRC-16/XMODEM of bytes 0-123 at 124),
    then each fork padded to 128 bytes."""
    h = bytearray(128)
    h[1] = len(name)
    h[2:2 + len(name)] = name
    h[65:73] = file_type + creator
    h[73], h[101] = flags >> 8, flags & 0xFF
    struct.pack_into(">II", h, 83, len(data), len(fork))
    h[122] = h[123] = 129
    crc = 0
    for byte in bytes(h[:124]):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    struct.pack_into(">H", h, 124, crc)
    pad = lambda b: b + bytes(-len(b) % 128)  # noqa: E731
    return bytes(h) + pad(data) + pad(fork)


def mac_tree(root: Path, form: str) -> None:
    """readme.txt (TEXT/ttxt, flags, FORK) in genisoimage's ``form`` and a plain file."""
    root.mkdir()
    (root / "plain.txt").write_bytes(b"plain\n")
    if form == "--osx-double":
        (root / "readme.txt").write_bytes(b"data fork\n")
        (root / "._readme.txt").write_bytes(appledouble(b"TEXT", b"ttxt", FINDER_FLAGS, FORK))
    elif form == "--netatalk":
        (root / "readme.txt").write_bytes(b"data fork\n")
        (root / ".AppleDouble").mkdir()
        (root / ".AppleDouble" / "readme.txt").write_bytes(appledouble(b"TEXT", b"ttxt", FINDER_FLAGS, FORK))
    else:
        (root / "readme.txt").write_bytes(macbinary(b"readme.txt", b"TEXT", b"ttxt", FINDER_FLAGS,
                                                    b"data fork\n", FORK))


def genisoimage(tmp_path: Path, *args: str, name: str = "mac.iso") -> Path:
    image = tmp_path / name
    run("genisoimage", "-quiet", "-o", image, *args, tmp_path / "src")
    return image


@pytest.mark.parametrize("form", ["--osx-double", "--netatalk", "--macbin"])
def test_finder_info_and_resource_fork_xattrs(tmp_path: Path, mount, form: str) -> None:
    mac_tree(tmp_path / "src", form)
    image = genisoimage(tmp_path, "-apple", form, "-R")
    with mount(image) as mnt:
        readme = mnt / "readme.txt"
        assert readme.read_bytes() == b"data fork\n"
        assert sorted(os.listdir(mnt)) == ["plain.txt", "readme.txt"]   # the fork's own record hidden
        finder = os.getxattr(readme, "user.com.apple.FinderInfo")
        assert finder == b"TEXTttxt" + struct.pack(">H", FINDER_FLAGS) + bytes(22)
        assert os.getxattr(readme, "user.com.apple.ResourceFork") == FORK
        names = run("getfattr", "-d", "-m", "-", "--absolute-names", readme)
        assert "user.com.apple.FinderInfo=" in names and "user.com.apple.ResourceFork=" in names
        # plain.txt got genisoimage's default type and creator, and has no fork
        assert os.listxattr(mnt / "plain.txt") == ["user.com.apple.FinderInfo"]
        assert os.getxattr(mnt / "plain.txt", "user.com.apple.FinderInfo")[:8] == b"TEXTunix"
    with mount(image, "-o", "unhide") as mnt:
        assert (mnt / "readme.txt.rsrc").read_bytes() == FORK
        assert (mnt / "readme.txt").read_bytes() == b"data fork\n"


def test_the_fork_is_the_associated_record_isoinfo_lists(tmp_path: Path, mount) -> None:
    mac_tree(tmp_path / "src", "--osx-double")
    image = genisoimage(tmp_path, "-apple", "--osx-double", "-R")
    listing = run("isoinfo", "-l", "-i", image)
    sizes = [int(m.group(1)) for m in re.finditer(r"\s(\d+) \w{3} .*\]\s+README\.TXT;1", listing)]
    assert sizes == [len(FORK), len(b"data fork\n")], listing     # associated record first
    # 7-Zip lists the associated file as a second readme.txt, with the fork's size
    seven = run("7zz", "l", "-slt", image)
    records = re.findall(r"^Path = readme\.txt\n(?:\w[^\n]* = [^\n]*\n)*?Size = (\d+)", seven, re.M)
    assert list(map(int, records)) == sizes, seven
    with mount(image) as mnt:
        assert len(os.getxattr(mnt / "readme.txt", "user.com.apple.ResourceFork")) == sizes[0]


def test_cd_rom_xa_form_without_rock_ridge(tmp_path: Path, mount) -> None:
    """-apple -XA: the AA entry follows the XA entry in the System Use field."""
    mac_tree(tmp_path / "src", "--osx-double")
    image = genisoimage(tmp_path, "-apple", "--osx-double", "-XA")
    with mount(image) as mnt:
        assert os.getxattr(mnt / "readme.txt", "user.com.apple.FinderInfo")[:10] == \
            b"TEXTttxt" + struct.pack(">H", FINDER_FLAGS)
        assert os.getxattr(mnt / "readme.txt", "user.com.apple.ResourceFork") == FORK


def test_hfs_side_of_the_same_disc_agrees(tmp_path: Path, mount) -> None:
    """The same files through -hfs (hfsutils reads type, creator and the fork size from the HFS
    volume) and -apple (our xattrs; genisoimage takes only one of the two at a time) agree, and
    info names the HFS volume of the hybrid."""
    mac_tree(tmp_path / "src", "--osx-double")
    image = genisoimage(tmp_path, "-hfs", "--osx-double", "-R", "-V", "MACDISC")
    apple = genisoimage(tmp_path, "-apple", "--osx-double", "-R", name="apple.iso")
    env = {**os.environ, "HOME": str(tmp_path)}                   # hfsutils keeps state in ~/.hcwd
    out = run("hmount", image, env=env)
    assert 'Volume name is "MACDISC"' in out
    try:
        hls = run("hls", "-l", env=env)
    finally:
        subprocess.run(["humount"], env=env, capture_output=True)
    row = re.search(r"^f\s+(\S{4})/(\S{4})\s+(\d+)\s+(\d+)\s.*readme\.txt$", hls, re.M)
    assert row, hls
    with mount(apple) as mnt:
        finder = os.getxattr(mnt / "readme.txt", "user.com.apple.FinderInfo")
        fork = os.getxattr(mnt / "readme.txt", "user.com.apple.ResourceFork")
    assert (finder[:4].decode(), finder[4:8].decode(), len(fork)) == (row.group(1), row.group(2), int(row.group(3)))
    info = json.loads(run_cli("info", "--json", image).stdout)
    assert "hfs" in info["filesystems"] and info["shown"] == "rockridge"
    assert [(v["kind"], v["offset"], v["name"]) for v in info["hfs"]["volumes"]] == [("hfs", 0, "MACDISC")]
    assert info["hfs"]["partition_map"] == []


def test_hfs_partition_map_from_genisoimage_part(tmp_path: Path) -> None:
    mac_tree(tmp_path / "src", "--osx-double")
    image = genisoimage(tmp_path, "-hfs", "-part", "--osx-double", "-R", "-V", "PARTED")
    env = {**os.environ, "HOME": str(tmp_path)}
    out = run("hmount", image, env=env)
    subprocess.run(["humount"], env=env, capture_output=True)
    assert "contains 1 HFS partition" in out and 'Volume name is "PARTED"' in out
    info = json.loads(run_cli("info", "--json", image).stdout)
    types = [p["type"] for p in info["hfs"]["partition_map"]]
    assert types == ["Apple_partition_map", "Apple_HFS"]
    hfs_part = info["hfs"]["partition_map"][1]
    (volume,) = info["hfs"]["volumes"]
    assert (volume["kind"], volume["name"]) == ("hfs", "PARTED")
    assert volume["offset"] == hfs_part["start"] * hfs_part["block_size"]
    text = run_cli("info", image).stdout
    assert re.search(r"filesystems:.*\bhfs\b", text), text


def test_xorriso_hfsplus_hybrid(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a\n")
    image = tmp_path / "hfsplus.iso"
    run("xorriso", "-as", "mkisofs", "-R", "-hfsplus", "-apm-block-size", "2048", "-o", image,
        tmp_path / "src")
    report = run("xorriso", "-indev", image, "-report_system_area", "plain")
    names = re.findall(r"^APM partition name :\s+\d+\s+(\S+)", report, re.M)
    types = re.findall(r"^APM partition type :\s+\d+\s+(\S+)", report, re.M)
    spans = [tuple(map(int, m)) for m in re.findall(r"^APM start and size :\s+\d+\s+(\d+)\s+(\d+)", report, re.M)]
    info = json.loads(run_cli("info", "--json", image).stdout)
    ours = info["hfs"]["partition_map"]
    # xorriso lists the map entries after the map's own one
    assert [(p["name"], p["type"], (p["start"], p["blocks"])) for p in ours[1:]] == \
        list(zip(names, types, spans))
    hfs = next(p for p in ours if p["type"] == "Apple_HFS")
    (volume,) = info["hfs"]["volumes"]
    assert (volume["kind"], volume["offset"]) == ("hfsplus", hfs["start"] * 2048)
    assert info["filesystems"] == ["iso9660", "rockridge", "hfsplus"]


def test_amiga_protection_and_comment_xattrs(tmp_path: Path, mount) -> None:
    iso = IsoBuilder(rock_ridge=True)
    iso.add_file(iso.root, "TOOL.;1", b"\x00\x00\x03\xf3tool", su=rr("Tool") + amiga_as(0x00000002, b"Runs from CLI"))
    iso.add_file(iso.root, "SCRIPT.;1", b"echo hi\n", su=rr("Script") + amiga_as(0x00000040))
    iso.add_file(iso.root, "README.;1", b"read me\n",
                 su=rr("ReadMe") + amiga_as(comment=b"Read me ", continues=True) + amiga_as(comment=b"first"))
    image = tmp_path / "amiga.iso"
    image.write_bytes(iso.build())
    with mount(image) as mnt:
        assert os.getxattr(mnt / "Tool", "user.amiga.protection") == b"----rw-d"
        assert os.getxattr(mnt / "Tool", "user.amiga.comment") == b"Runs from CLI"
        assert os.listxattr(mnt / "Script") == ["user.amiga.protection"]
        assert os.getxattr(mnt / "Script", "user.amiga.protection") == b"-s--rwed"
        assert os.getxattr(mnt / "ReadMe", "user.amiga.comment") == b"Read me first"
        dump = run("getfattr", "-d", "--absolute-names", mnt / "Tool")
        assert 'user.amiga.protection="----rw-d"' in dump and 'user.amiga.comment="Runs from CLI"' in dump
        assert (mnt / "Tool").read_bytes() == b"\x00\x00\x03\xf3tool"
