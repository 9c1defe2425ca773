"""UDF images mounted for real through FUSE and read with ordinary tools: pycdlib UDF 2.60 and
genisoimage -udf bridge discs against their source trees (and pycdlib's or 7-Zip's listing), the public
corpus's two UDF images against their expected TSVs, our writer's images for what no tool here
writes (metadata partition, symlinks, hard links, devices, named streams), and refused input."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from builders.udf import UdfBuilder  # noqa: E402
from conftest import CORPUS, corpus_file, is_mounted, listing, one_line_error, require_tool, run_cli  # noqa: E402
from fixtures import trees  # noqa: E402


def source_tree(root: Path) -> Path:
    trees.plain_tree(root)
    trees.write(root, "names/Ünïcode ж файл.txt", b"unicode name\n")
    trees.write(root, "names/a name with spaces", b"spaces\n")
    trees.stamp_times(root)
    return root


def content_view(snap: dict[str, trees.Item]) -> dict[str, tuple]:
    return {p: (i.kind, i.size, i.sha256) for p, i in snap.items()}


def seven_zip_paths(image: Path) -> set[str]:
    require_tool("7zz")
    out = subprocess.run(["7zz", "l", "-slt", "-t" + "Udf", str(image)], capture_output=True,
                         text=True, check=True).stdout
    return {line[7:] for line in out.splitlines() if line.startswith("Path = ")} - {str(image)}


def pycdlib_udf_image(source: Path, image: Path, links: dict[str, str]) -> None:
    """UDF 2.60 + ISO 9660 + Joliet bridge written by pycdlib: every file and directory of
    ``source`` on both sides, and UDF symlinks (UDF side only: pycdlib writes them there)."""
    import pycdlib
    iso = pycdlib.PyCdlib()
    iso.new(udf="2.60", joliet=3, interchange_level=4)
    for n, (dirpath, dirnames, filenames) in enumerate(sorted(os.walk(source))):
        rel = os.path.relpath(dirpath, source)
        base = "" if rel == "." else "/" + rel
        for name in sorted(dirnames):
            iso.add_directory(f"{base}/{name}".upper(), udf_path=f"{base}/{name}",
                              joliet_path=f"{base}/{name}")
        for name in sorted(filenames):
            data = (Path(dirpath) / name).read_bytes()
            iso.add_fp(io.BytesIO(data), len(data), f"{base}/{name}".upper() + ";1",
                       udf_path=f"{base}/{name}", joliet_path=f"{base}/{name}")
    for path, target in links.items():
        iso.add_symlink(udf_symlink_path=path, udf_target=target)
    iso.write(str(image))
    iso.close()


def test_pycdlib_udf260_bridge(tmp_path: Path, mount) -> None:
    source = source_tree(tmp_path / "src")
    image = tmp_path / "py.iso"
    pycdlib_udf_image(source, image, {"/to_readme": "readme.txt", "/dir1/up": "../docs/manual.txt"})
    expected = content_view(trees.snapshot(source))
    with mount(image) as mnt:
        got = trees.snapshot(mnt)
        links = {p: i.target for p, i in got.items() if i.kind == "symlink"}
        assert links == {"to_readme": "readme.txt", "dir1/up": "../docs/manual.txt"}
        assert (mnt / "dir1/up").read_bytes() == (source / "docs/manual.txt").read_bytes()
        assert content_view({p: i for p, i in got.items() if i.kind != "symlink"}) == expected
        assert os.statvfs(mnt).f_bsize == 2048
    # 7-Zip 26.02 refuses this image's UDF side ("Unsupported feature"); pycdlib reads it back.
    import pycdlib
    reader = pycdlib.PyCdlib()
    reader.open(str(image))
    try:
        udf_names = {name for _root, _dirs, files in reader.walk(udf_path="/") for name in files}
    finally:
        reader.close()
    assert udf_names == {Path(p).name for p, i in got.items() if i.kind != "dir"}
    info = json.loads(run_cli("info", "--json", image).stdout)
    assert info["filesystems"][:2] == ["udf", "iso9660"] and info["shown"] == "udf"
    # pycdlib 1.22 asked for udf="2.60" records 1.02 in its domain identifiers; udfinfo reads
    # udfrev=1.02 and udfwriterev=1.02 from the same image.
    assert info["udf"]["revision"] == "1.02" and info["iso9660"]["volume_blocks"] > 0


def test_genisoimage_udf_bridge_both_sides(tmp_path: Path, mount) -> None:
    require_tool("genisoimage")
    source = source_tree(tmp_path / "src")
    image = tmp_path / "gen.iso"
    trees.genisoimage(source, image, "-udf", "-R", "-J")
    expected = content_view(trees.snapshot(source))
    with mount(image) as mnt:
        assert content_view(trees.snapshot(mnt)) == expected
    with mount(image, "-o", "fs=iso9660") as mnt:   # the Rock Ridge side: the same tree
        assert content_view(trees.snapshot(mnt)) == expected
    assert seven_zip_paths(image) == set(expected)
    text = run_cli("info", image).stdout
    assert "udf, iso9660, joliet, rockridge (showing udf)" in text


@pytest.mark.parametrize("name", ["test-udf1.iso", "udf102.iso"])
def test_corpus_udf_images(mount, name: str) -> None:
    image = corpus_file(f"libcdio/{name}")
    expected = (CORPUS / "expected" / "libcdio" / f"{name}.tsv").read_text().splitlines()
    with mount(image) as mnt:
        assert listing(mnt) == sorted(line for line in expected if line)
    info = json.loads(run_cli("info", "--json", image).stdout)
    assert info["filesystems"][0] == "udf" and info["udf"]["revision"] == "1.02"
    if name == "udf102.iso":
        assert info["label"] == "FéжΘvrier" and info["iso9660"] is None


def built_image(path: Path, partition: str, bs: int) -> Path:
    b = UdfBuilder(block_size=bs, partition=partition, label="FEATURES")
    docs = b.mkdir(b.root, "docs", mode=0o750, uid=1000, gid=100)
    a = b.add_file(docs, "a.txt", b"hello\n", mode=0o640, uid=1000, gid=100, streams={"comment": b"hi"})
    b.add_file(b.root, "big.bin", trees.payload("big", 300_000), fragments=5, aed=True)
    b.add_symlink(b.root, "link", "docs/a.txt")
    b.link(b.root, "hard", a)
    b.add_device(b.root, "null", "c", 1, 3)
    b.add_file(b.root, "free", b"owner not stored", uid=None, gid=None)
    path.write_bytes(b.build())
    return path


@pytest.mark.parametrize("partition,bs", [("metadata", 2048), ("virtual", 2048), ("sparable", 2048),
                                          ("type1", 512), ("type1", 4096)])
def test_built_image_features_through_fuse(tmp_path: Path, mount, partition: str, bs: int) -> None:
    image = built_image(tmp_path / "b.img", partition, bs)
    with mount(image) as mnt:
        assert (mnt / "docs/a.txt").read_bytes() == b"hello\n"
        assert (mnt / "big.bin").read_bytes() == trees.payload("big", 300_000)
        assert os.readlink(mnt / "link") == "docs/a.txt" and (mnt / "link").read_bytes() == b"hello\n"
        a, hard = os.lstat(mnt / "docs/a.txt"), os.lstat(mnt / "hard")
        assert a.st_ino == hard.st_ino and a.st_nlink == hard.st_nlink == 2
        assert (stat.S_IMODE(a.st_mode), a.st_uid, a.st_gid) == (0o640, 1000, 100)
        assert os.getxattr(mnt / "docs/a.txt", "user.comment") == b"hi"
        null = os.lstat(mnt / "null")
        assert stat.S_ISCHR(null.st_mode) and (os.major(null.st_rdev), os.minor(null.st_rdev)) == (1, 3)
        assert os.lstat(mnt / "free").st_uid == os.getuid()   # not stored: the mounting user
        assert sorted(os.listdir(mnt)) == ["big.bin", "docs", "free", "hard", "link", "null"]
        assert os.statvfs(mnt).f_bsize == bs


def test_mkudffs_512_byte_hard_disk_image(tmp_path: Path, mount) -> None:
    require_tool("mkudffs")
    image = tmp_path / "hd.img"
    subprocess.run(["mkudffs", "--new-file", "--media-type=hd", "--blocksize=512", "--label=HD512",
                    str(image), "8000"], check=True, capture_output=True)
    with mount(image) as mnt:
        assert os.listdir(mnt) == [] and os.statvfs(mnt).f_bsize == 512
    assert json.loads(run_cli("info", "--json", image).stdout)["label"] == "HD512"


def test_damaged_anchors_refused_in_one_line(tmp_path: Path) -> None:
    image = built_image(tmp_path / "b.img", "type1", 2048)
    data = bytearray(image.read_bytes())
    for block in (256, len(data) // 2048 - 1):
        data[block * 2048 + 4] ^= 0xFF
    image.write_bytes(bytes(data))
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    proc = run_cli(image, mnt)
    assert proc.returncode == 2
    assert "no UDF anchor at 256, N-256 or N" in one_line_error(proc)
    assert not is_mounted(mnt)


def test_forcing_a_filesystem_that_is_not_there(tmp_path: Path) -> None:
    image = built_image(tmp_path / "b.img", "type1", 2048)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    proc = run_cli(image, mnt, "-o", "fs=iso9660")
    assert proc.returncode == 2 and "no ISO 9660 filesystem" in one_line_error(proc)
    assert not is_mounted(mnt)


def test_damaged_file_is_eio_others_read(tmp_path: Path, mount) -> None:
    b = UdfBuilder(efe=False)
    bad = b.add_file(b.root, "bad.txt", b"x" * 5000)
    b.add_file(b.root, "good.txt", b"fine")
    data = bytearray(b.build())
    # Point bad.txt's only allocation descriptor far outside its partition.
    from builders.udf import PART_START, short_ad
    fe = (PART_START + b.meta_phys[bad.meta]) * 2048
    import binascii
    import struct
    data[fe + 176:fe + 184] = short_ad(5000, 10**7)
    crc_len = struct.unpack_from("<H", data, fe + 10)[0]
    struct.pack_into("<H", data, fe + 8, binascii.crc_hqx(bytes(data[fe + 16:fe + 16 + crc_len]), 0))
    data[fe + 4] = (sum(data[fe:fe + 16]) - data[fe + 4]) & 0xFF
    image = tmp_path / "bad.img"
    image.write_bytes(bytes(data))
    with mount(image) as mnt:
        assert (mnt / "good.txt").read_bytes() == b"fine"
        with pytest.raises(OSError) as err:
            (mnt / "bad.txt").read_bytes()
        assert err.value.errno == 5


def test_info_text_describes_a_udf_only_disc() -> None:
    """The text form of `info` names the UDF volume (the JSON form is checked above)."""
    proc = run_cli("info", corpus_file("libcdio/udf102.iso"))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "filesystems:  udf (showing udf)" in lines
    assert "udf:          revision 1.02, 608 blocks of 2048, partitions: type1" in lines
    assert not any(line.startswith("iso9660:") for line in lines)
