"""Build (and cache) the benchmark's ISO images, and find a file's extent in one.

The images are made by genisoimage, never by mount-image, so the benchmark measures the mount
against discs written by an independent, widely used mastering tool.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

BIG_NAME = "big.bin"
FILES_PER_DIR = 100
DIRS_PER_GROUP = 100
SECTOR = 2048
# A chunk of real randomness repeated: incompressible enough for any reader, fast to write.
CHUNK = 16 << 20
BUILD_TIMEOUT = 600


@dataclass(frozen=True)
class Extent:
    """Where a file's bytes lie inside the image file."""

    offset: int
    size: int


def big_iso_path(work: Path, size: int) -> Path:
    return work / f"big-{size >> 20}MiB.iso"


def tree_iso_path(work: Path, files: int) -> Path:
    return work / f"tree-{files}.iso"


def build_big_iso(work: Path, size: int) -> Path:
    """An ISO holding one file of `size` random-ish bytes; reused when already built."""
    iso = big_iso_path(work, size)
    if not iso.exists():
        src = _fresh_dir(work / "src-big")
        _write_random_file(src / BIG_NAME, size)
        _make_iso(src, iso, "BENCH_BIG")
        shutil.rmtree(src)
    return iso


def build_tree_iso(work: Path, files: int) -> Path:
    """An ISO with `files` small files, FILES_PER_DIR per directory; reused when already built."""
    iso = tree_iso_path(work, files)
    if not iso.exists():
        src = _fresh_dir(work / f"src-tree-{files}")
        _write_tree(src, files)
        _make_iso(src, iso, "BENCH_TREE")
        shutil.rmtree(src)
    return iso


def tree_entries(files: int) -> int:
    """What `find MNT | wc -l` prints for a tree ISO: files, directories and the root."""
    dirs = -(-files // FILES_PER_DIR)
    groups = -(-dirs // DIRS_PER_GROUP)
    return files + dirs + groups + 1


def _fresh_dir(path: Path) -> Path:
    # A left-over source tree from an interrupted build is incomplete: start over.
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _write_random_file(path: Path, size: int) -> None:
    chunk = os.urandom(CHUNK)
    with open(path, "wb") as out:
        left = size
        while left > 0:
            out.write(chunk[: min(left, CHUNK)])
            left -= CHUNK


def _write_tree(root: Path, files: int) -> None:
    """g000/d00000/f0000000.txt ...: two directory levels so no directory gets huge."""
    for index in range(files):
        directory = index // FILES_PER_DIR
        parent = root / f"g{directory // DIRS_PER_GROUP:03d}" / f"d{directory:05d}"
        if index % FILES_PER_DIR == 0:
            parent.mkdir(parents=True)
        # Sizes vary (0..~1.2 KiB) so files are not all alike; content names the file.
        line = f"file {index}\n".encode()
        (parent / f"f{index:07d}.txt").write_bytes(line * (index % 97))


def _make_iso(src: Path, iso: Path, label: str) -> None:
    # Build under a temporary name: an interrupted build must not be cached as an image.
    tmp = iso.with_suffix(".iso.part")
    subprocess.run(
        ["genisoimage", "-quiet", "-R", "-J", "-V", label, "-o", str(tmp), str(src)],
        check=True,
        timeout=BUILD_TIMEOUT,
    )
    tmp.rename(iso)


def find_root_file(iso: Path, name: str) -> Extent:
    """Extent of a file in the root directory, read straight from ECMA-119 structures.

    Written here, independent of mount_image, so the passthrough reads exactly the bytes the
    mounters read for that file.
    """
    with open(iso, "rb") as f:
        pvd = os.pread(f.fileno(), SECTOR, 16 * SECTOR)
        if pvd[:6] != b"\x01CD001":
            raise ValueError(f"{iso}: no primary volume descriptor at sector 16")
        root_lba, root_size = _extent_of(pvd[156:190])
        directory = os.pread(f.fileno(), root_size, root_lba * SECTOR)
    for record in _records(directory):
        stored = record[33 : 33 + record[32]].decode("ascii", "replace")
        if stored.split(";")[0].rstrip(".").lower() == name.lower():
            lba, size = _extent_of(record)
            return Extent(lba * SECTOR, size)
    raise FileNotFoundError(f"{iso}: no {name} in the root directory")


def _extent_of(record: bytes) -> tuple[int, int]:
    # Directory Record (ECMA-119 §9.1): little-endian halves of extent location and data length.
    lba, size = struct.unpack_from("<I4xI", record, 2)
    return lba, size


def _records(directory: bytes) -> list[bytes]:
    """Directory records of one directory extent; a zero length byte pads to the next sector."""
    records: list[bytes] = []
    pos = 0
    while pos < len(directory):
        length = directory[pos]
        if length == 0:
            pos = (pos // SECTOR + 1) * SECTOR
            continue
        records.append(directory[pos : pos + length])
        pos += length
    return records
