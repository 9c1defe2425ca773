"""UDF images made by mkudffs (udftools) for every revision and media type it writes: type 1
partitions (hd), VAT (cdr, dvdr, bdr; UDF 1.50 and 2.00+ forms), sparable partitions with their
sparing tables (cdrw, dvdrw), block sizes 512-4096. Each is checked against udfinfo's reading."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import require_tool
from fixtures import trees
from mount_image.fs.udf.filesystem import UdfFileSystem
from test_udf_reader import open_bytes

REVISIONS = ["1.01", "1.02", "1.50", "2.00", "2.01", "2.50", "2.60"]
MEDIA = ["hd", "cdr", "cdrw", "dvdr", "dvdrw", "bdr"]
BLOCKS = 4000


def _accepted(media: str, rev: str) -> bool:
    """What mkudffs 2.3 agrees to write (it refuses the rest with a message)."""
    r = float(rev)
    if media == "bdr":
        return r >= 2.50
    if media in ("cdr", "dvdr"):
        return r >= 1.50
    if media in ("cdrw", "dvdrw"):
        return 1.50 <= r <= 2.01
    return r <= 2.01


CASES = [(m, r) for m in MEDIA for r in REVISIONS if _accepted(m, r)]


def mkudffs(path: Path, *args: str, blocks: int = BLOCKS) -> bytes:
    require_tool("mkudffs")
    subprocess.run(["mkudffs", "--new-file", *args, str(path), str(blocks)], check=True,
                   capture_output=True)
    return path.read_bytes()


def udfinfo(path: Path) -> dict[str, str]:
    require_tool("udfinfo")
    out = subprocess.run(["udfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


@pytest.mark.parametrize("media,rev", CASES, ids=lambda v: str(v))
def test_every_media_type_and_revision(tmp_path: Path, media: str, rev: str) -> None:
    path = tmp_path / "u.img"
    label = f"m{media}{rev.replace('.', '')}"
    fs = open_bytes(mkudffs(path, f"--media-type={media}", f"--udfrev={rev}", f"--label={label}"))
    assert isinstance(fs, UdfFileSystem)
    ref = udfinfo(path)
    assert fs.label == ref["label"] == label
    assert fs.block_size == int(ref["blocksize"])
    # Ours is the domain identifier's revision, the one the disc was written to; udfinfo's
    # udfrev is the minimum reader revision (2.50 for a 2.60 disc) and udfwriterev the former.
    assert fs.info()["udf"]["revision"] == ref.get("udfwriterev", ref["udfrev"]) == rev
    kinds = [p["type"] for p in fs.info()["udf"]["partitions"]]
    if media in ("cdr", "dvdr", "bdr"):
        assert kinds == ["type1", "virtual"]
        assert "vatblock" in ref and fs.info()["udf"]["partitions"][1]["vat_entries"] >= 1
        # UDF 1.50 ends its VAT with a regid trailer; 2.00 and later start it with a header.
        assert ("vat" in fs.info()["udf"]) == (float(rev) >= 2.0)
    elif media in ("cdrw", "dvdrw"):
        assert kinds == ["sparable"]
    else:
        assert kinds == ["type1"]
    assert fs.info()["udf"]["recognition"][0] == "BEA01"
    assert fs.info()["udf"]["recognition"][1] == ("NSR03" if float(rev) >= 2.0 else "NSR02")
    # mkudffs leaves the root empty (the kernel's udf driver, which would fill it, is not
    # available here): the root is there, readable and a directory with its attributes.
    root = fs.root()
    assert list(fs.listdir(root)) == []
    assert root.stat.is_dir and root.stat.perm == 0o755 and root.stat.uid == 0


@pytest.mark.parametrize("bs", [512, 1024, 2048, 4096])
def test_block_sizes(tmp_path: Path, bs: int) -> None:
    path = tmp_path / "u.img"
    fs = open_bytes(mkudffs(path, "--media-type=hd", f"--blocksize={bs}", "--uid=1000", "--gid=100",
                            "--mode=0700"))
    assert fs.block_size == bs == int(udfinfo(path)["blocksize"])
    assert fs.total_blocks == BLOCKS
    root = fs.root().stat
    assert (root.perm, root.uid, root.gid) == (0o700, 1000, 100)


def test_closed_vat_disc(tmp_path: Path) -> None:
    """A closed CD-R: the VAT and, after it, anchors at N-256 and N."""
    path = tmp_path / "u.img"
    fs = open_bytes(mkudffs(path, "--media-type=cdr", "--closed"))
    assert [p["type"] for p in fs.info()["udf"]["partitions"]] == ["type1", "virtual"]
    assert list(fs.listdir(fs.root())) == []


@pytest.mark.parametrize("partition,bs", [("type1", 512), ("type1", 2048), ("type1", 4096),
                                          ("metadata", 2048), ("virtual", 2048)])
def test_our_writer_images_read_by_udfinfo(tmp_path: Path, partition: str, bs: int) -> None:
    """udfinfo (udftools) reads what tests/builders/udf.py writes as we do: an independent
    check of the writer the reader tests lean on."""
    from test_udf_reader import full_tree
    path = tmp_path / "b.img"
    path.write_bytes(full_tree(partition, bs, True, "short").build())
    proc = subprocess.run(["udfinfo", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0 and "Warning" not in proc.stderr, proc.stderr
    ref = udfinfo(path)
    fs = open_bytes(path.read_bytes())
    assert ref["label"] == fs.label == f"B{partition}"
    assert int(ref["blocksize"]) == fs.block_size == bs


def test_bridge_disc_with_damaged_udf_side_shows_iso9660(tmp_path: Path, caplog) -> None:
    """genisoimage -udf writes both; with the UDF anchors and sequences damaged the ISO 9660
    side is shown (with a log line), and fs=udf names the UDF damage."""
    require_tool("genisoimage")
    from mount_image.errors import CorruptDataError
    from mount_image.fs.iso9660.filesystem import Iso9660FileSystem
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(b"bridge\n")
    image = tmp_path / "g.iso"
    trees.genisoimage(src, image, "-udf", "-R")
    data = bytearray(image.read_bytes())
    assert isinstance(open_bytes(bytes(data)), UdfFileSystem)
    for block in (256, len(data) // 2048 - 1):
        data[block * 2048 + 4] ^= 0xFF
    fs = open_bytes(bytes(data))
    assert isinstance(fs, Iso9660FileSystem) and "udf" not in fs.kinds
    assert "showing its ISO 9660 side" in caplog.text
    assert fs.read(fs.lookup(fs.root(), "a.txt"), 0, 100) == b"bridge\n"
    with pytest.raises(CorruptDataError, match="no UDF anchor"):
        open_bytes(bytes(data), fs="udf")
