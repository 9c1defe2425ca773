"""Independent readers of an image, for cross-checks with a mount: pycdlib (the reference
reader), bsdtar (libarchive) and 7-Zip (7zz). Each answers path -> entry in its own terms; the
tests state where one of them is known to be wrong."""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

ENV = dict(os.environ, LC_ALL="C.UTF-8", TZ="UTC")


# ----------------------------------------------------------------------------------------------
# pycdlib

@dataclass(frozen=True)
class RefEntry:
    kind: str                   # file, dir, symlink, chr, blk, fifo
    size: int | None            # regular files
    data: bytes | None = None   # regular files, when read
    target: str | None = None   # symlinks
    mode: int | None = None     # st_mode from Rock Ridge PX
    uid: int | None = None
    gid: int | None = None
    nlink: int | None = None
    pn: tuple[int, int] | None = None   # PN (dev_t high, dev_t low) as stored
    mtime: float | None = None


KINDS = {stat.S_IFREG: "file", stat.S_IFDIR: "dir", stat.S_IFLNK: "symlink",
         stat.S_IFCHR: "chr", stat.S_IFBLK: "blk", stat.S_IFIFO: "fifo", stat.S_IFSOCK: "socket"}
VIEW_KEY = {"rr": "rr_path", "joliet": "joliet_path", "iso": "iso_path"}


def pycdlib_open(image: Path):
    import pycdlib
    iso = pycdlib.PyCdlib()
    iso.open(str(image))
    return iso


def pycdlib_tree(image: Path, view: str, read: bool = True) -> dict[str, RefEntry]:
    """Every entry pycdlib's ``walk`` shows in ``view`` ("rr", "joliet" or "iso"); paths are
    relative, as pycdlib names them (ISO 9660 names keep their ';1')."""
    iso = pycdlib_open(image)
    key = VIEW_KEY[view]
    result: dict[str, RefEntry] = {}
    dir_extents: dict[int, str] = {}
    placeholders: dict[str, int] = {}
    try:
        for dirpath, dirs, files in iso.walk(**{key: "/"}):
            for name in dirs:
                path = _join(dirpath, name)
                result[path] = RefEntry("dir", None)
                dir_extents[iso.get_record(**{key: "/" + path}).extent_location()] = path
            for name in files:
                path = _join(dirpath, name)
                record = iso.get_record(**{key: "/" + path})
                if view == "iso" and record.is_dir():
                    placeholders[path] = record.extent_location()
                    result[path] = RefEntry("dir", None)
                    continue
                result[path] = _entry(iso, key, path, record, read)
    finally:
        iso.close()
    # pycdlib lists a directory record that carries a Rock Ridge CL (the place a deep directory
    # was moved from) among the files even in its ISO 9660 view, and does not descend into it.
    # ECMA-119 knows no CL: the record's directory flag is set and it points at the moved
    # directory's extent, so without Rock Ridge the same directory shows in both places.
    for path, extent in placeholders.items():
        moved = dir_extents[extent]
        for sub, entry in list(result.items()):
            if sub.startswith(moved + "/"):
                result[path + sub[len(moved):]] = entry
    return result


def _join(dirpath: str, name: str) -> str:
    return (dirpath.rstrip("/") + "/" + name).lstrip("/")


def _entry(iso, key: str, path: str, record, read: bool) -> RefEntry:
    rr = record.rock_ridge if key == "rr_path" else None
    if rr is not None and rr.is_symlink():
        return RefEntry("symlink", None, target=rr.symlink_path().decode())
    mode = kind = None
    uid = gid = nlink = pn = None
    if rr is not None:
        mode = rr.get_file_mode()
        kind = KINDS[stat.S_IFMT(mode)]
        px = _susp(rr, "px_record")
        uid, gid, nlink = px.posix_user_id, px.posix_group_id, px.posix_file_links
        pn_record = _susp(rr, "pn_record")
        if pn_record is not None:
            pn = (pn_record.dev_t_high, pn_record.dev_t_low)
    if kind not in (None, "file"):
        return RefEntry(kind, None, mode=mode, uid=uid, gid=gid, nlink=nlink, pn=pn)
    data = None
    if key == "iso_path" and record.get_data_length() == 0:
        data = b""      # pycdlib refuses to read a Rock Ridge symlink even in the ISO 9660 view
    elif read:
        buf = io.BytesIO()
        iso.get_file_from_iso_fp(buf, **{key: "/" + path})
        data = buf.getvalue()
    return RefEntry("file", record.get_data_length(), data, mode=mode, uid=uid, gid=gid,
                    nlink=nlink)


def _susp(rr, name: str):
    """A Rock Ridge record from the directory record or from its continuation area."""
    for entries in (rr.dr_entries, rr.ce_entries):
        if entries is not None and getattr(entries, name) is not None:
            return getattr(entries, name)
    return None


def pycdlib_read(image: Path, view: str, path: str) -> bytes:
    iso = pycdlib_open(image)
    try:
        buf = io.BytesIO()
        iso.get_file_from_iso_fp(buf, **{VIEW_KEY[view]: "/" + path})
        return buf.getvalue()
    finally:
        iso.close()


def pn_to_rdev(pn: tuple[int, int]) -> tuple[int, int]:
    """(major, minor) from a PN entry as Linux reads it (fs/isofs/rock.c): genisoimage stores
    major and minor in the high and low words; libisofs stores high 0 and an old-style
    (major << 8 | minor) dev_t in the low word."""
    high, low = pn
    if high == 0 and low & ~0xFF:
        return low >> 8, low & 0xFF
    return high, low


# ISO 9660 name mapping of docs/cli.md (map=normal), written here from the contract, not from src/.
def iso_map_normal(name: str) -> str:
    name = re.sub(r";\d+$", "", name)
    if name.endswith("."):
        name = name[:-1]
    return name.lower()


def iso_map_off(name: str) -> str:
    return name


def map_path(path: str, mapper) -> str:
    return "/".join(mapper(part) for part in path.split("/"))


# ----------------------------------------------------------------------------------------------
# bsdtar

@dataclass(frozen=True)
class TarEntry:
    mode: str            # ls-style, e.g. "-rw-r--r--"
    nlink: int
    uid: str
    gid: str
    size: str            # bytes, or "major,minor" for devices
    target: str | None   # symlink target
    hardlink: str | None # "link to" another entry


_TAR_LINE = re.compile(r"^(\S{10})\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+\w{3}\s+\d+\s+\S+\s(.*)$")


def bsdtar_list(image: Path) -> dict[str, TarEntry]:
    out = subprocess.run(["bsdtar", "-tvf", str(image)], capture_output=True, text=True,
                         env=ENV, check=True, timeout=120).stdout
    names = subprocess.run(["bsdtar", "-tf", str(image)], capture_output=True, text=True,
                           env=ENV, check=True, timeout=120).stdout.splitlines()
    result: dict[str, TarEntry] = {}
    for line, name in zip(out.splitlines(), names):
        m = _TAR_LINE.match(line)
        assert m, f"unexpected bsdtar line: {line!r}"
        mode, nlink, uid, gid, size, rest = m.groups()
        assert rest.startswith(name), (line, name)
        tail = rest[len(name):]
        target = tail[len(" -> "):] if tail.startswith(" -> ") else None
        hardlink = tail[len(" link to "):] if tail.startswith(" link to ") else None
        if name != ".":
            result[name.rstrip("/")] = TarEntry(mode, int(nlink), uid, gid, size, target,
                                                hardlink)
    return result


def bsdtar_read(image: Path, path: str) -> bytes:
    return subprocess.run(["bsdtar", "-xOf", str(image), path], capture_output=True, env=ENV,
                          check=True, timeout=300).stdout


# ----------------------------------------------------------------------------------------------
# 7-Zip

def sevenzip_list(image: Path) -> dict[str, dict[str, str]]:
    """Path -> the ``7zz l -slt`` properties of each entry (Folder, Size, Mode, Symbolic Link)."""
    out = subprocess.run(["7zz", "l", "-slt", str(image)], capture_output=True, text=True,
                         env=ENV, check=True, timeout=120).stdout
    body = out.split("\n----------\n", 1)[1]
    result: dict[str, dict[str, str]] = {}
    for block in body.strip().split("\n\n"):
        props = dict(line.split(" = ", 1) if " = " in line else (line.rstrip(" ="), "")
                     for line in block.splitlines() if line.strip())
        result[props["Path"]] = props
    return result


def sevenzip_read(image: Path, path: str) -> bytes:
    """``7zz e -so -spd IMAGE PATH`` (-spd: the path is a name, not a wildcard)."""
    return subprocess.run(["7zz", "e", "-so", "-spd", str(image), path], capture_output=True,
                          env=ENV, check=True, timeout=300).stdout
