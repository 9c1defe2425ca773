"""Bad input through the real CLI: images refused before mounting, damage met inside a mount.

Refused images and options: exit status 2, one stderr line ``mount-image: ...`` naming the file
(or the option), no traceback, nothing mounted. Damage inside an image: the mount succeeds, the
damaged file or directory answers EIO, the rest of the tree keeps working, nothing hangs. Every
image also goes through ``mount-image ls -R`` (no FUSE). Images are never written: their bytes
and mtime are checked after each test.

Everything on the mount is touched from a child process with a timeout (``fs()``), so a hung
FUSE request fails the test instead of hanging the run.
"""

from __future__ import annotations

import errno
import hashlib
import json
import random
import re
import struct
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from builders.iso9660 import (
    DIRECTORY, NM_CONTINUE, SECTOR, VD_PARTITION, Dir, IsoBuilder, both32, ce, dir_datetime,
    dir_record, nm, px, rr, sl_components, susp_entry, tf, volume_descriptor, zf,
    zisofs_compress, zisofs_header)
from conftest import (corpus_file, is_mounted, kill_daemons, one_line_error, require_tool, run_cli,
                      unmount)
from fixtures import trees

TIMEOUT = 20                     # seconds for any one command; each normally takes well under 1
EIO = errno.EIO
GOOD_A = b"good file sorted before the damage\n" * 20
GOOD_Z = b"good file sorted after the damage\n" * 30
BROKEN = b"the bytes of the entry whose metadata is damaged\n" * 5
ZDATA = b"".join(b"zisofs line %06d\n" % i for i in range(8000))      # 5 blocks of 32 KiB


# ---- helpers ----------------------------------------------------------------------------------

def digest(data: bytes) -> list:
    return [len(data), hashlib.sha256(data).hexdigest()]


def snapshot(path: Path) -> tuple[str, int, int]:
    info = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), info.st_size, info.st_mtime_ns


@pytest.fixture
def image_file(tmp_path: Path):
    """``image_file(name, data)`` writes an image (``data=None``: use the corpus file ``name``);
    after the test every image must still have the same bytes and mtime."""
    watched: dict[Path, tuple] = {}

    def _image(name: str, data: bytes | None = None) -> Path:
        path = corpus_file(name) if data is None else tmp_path / name
        if data is not None:
            path.write_bytes(data)
        if path.is_file():
            watched[path] = snapshot(path)
        return path

    yield _image
    for path, before in watched.items():
        assert snapshot(path) == before, f"{path} was modified"


_PROBE = r"""
import hashlib, json, os, stat, sys
LIMIT = 64 << 20
root = sys.argv[1]

def read(path):
    h, n = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while n < LIMIT:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            h.update(chunk)
            n += len(chunk)
    return [n, h.hexdigest()]

def walk(top):
    entries, errors, stack = [], {}, [""]
    while stack and len(entries) < 10000:
        rel = stack.pop()
        try:
            names = sorted(os.listdir(os.path.join(top, rel)))
        except OSError as e:
            errors[rel] = e.errno
            continue
        for name in names:
            sub = os.path.join(rel, name)
            path = os.path.join(top, sub)
            entries.append(sub)
            try:
                mode = os.lstat(path).st_mode
                if stat.S_ISDIR(mode):
                    stack.append(sub)
                elif stat.S_ISLNK(mode):
                    os.readlink(path)
                elif stat.S_ISREG(mode):
                    read(path)
            except OSError as e:
                errors[sub] = e.errno
    return {"entries": sorted(entries), "errors": errors}

ops = {"list": lambda p: sorted(os.listdir(p)), "read": read, "readlink": os.readlink,
       "lstat": lambda p: stat.S_IFMT(os.lstat(p).st_mode), "walk": walk}
out = []
for op, rel in json.loads(sys.argv[2]):
    try:
        out.append(["ok", ops[op](os.path.join(root, rel))])
    except OSError as e:
        out.append(["err", e.errno])
print(json.dumps(out))
"""


def run_on_mount(mnt: Path, *cmd: str) -> subprocess.CompletedProcess:
    """Run ``cmd`` against the mount; if it hangs, kill the daemon serving ``mnt`` (that frees a
    request stuck in FUSE) and fail instead of hanging the test run."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        kill_daemons(mnt)
        proc.kill()
        proc.communicate(timeout=10)
        pytest.fail(f"{' '.join(cmd[:2])} on the mount hung for {TIMEOUT} s")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def fs(mnt: Path, *ops: tuple[str, str]) -> list:
    """Run (op, relative path) pairs on the mount in a child process: ["ok", value] or
    ["err", errno] each. Ops: list, read (-> [size, sha256]), readlink, lstat (-> S_IFMT), walk."""
    proc = run_on_mount(mnt, sys.executable, "-c", _PROBE, str(mnt), json.dumps(ops))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def try_mount(image: Path, mnt: Path, *options: str) -> subprocess.CompletedProcess:
    """Run the mount command; if it does not come back, leave nothing mounted and fail."""
    require_tool("fusermount3")
    mnt.mkdir(exist_ok=True)
    try:
        return run_cli(image, mnt, *options, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        kill_daemons(mnt)
        raise


def ls_recursive(image: Path, expect_rc: int | tuple[int, ...]) -> list[str]:
    """``mount-image ls -R IMAGE``: must finish, exit as expected, never show a traceback."""
    proc = run_cli("ls", "-R", image, timeout=TIMEOUT)
    want = (expect_rc,) if isinstance(expect_rc, int) else expect_rc
    assert proc.returncode in want, f"ls -R exited {proc.returncode}: {proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(set(lines)), "ls -R printed a path twice"
    return lines


def assert_refused(proc: subprocess.CompletedProcess, *names: str, fragment: str) -> None:
    """Exit 2 and one line ``mount-image: ...`` naming ``names`` and matching ``fragment``."""
    assert proc.returncode == 2, f"exit {proc.returncode}, stderr: {proc.stderr!r}"
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got {proc.stderr!r}"
    line = lines[0]
    assert line.startswith("mount-image: "), line
    for name in names:
        assert name in line, f"{name!r} not named in {line!r}"
    assert re.search(fragment, line, re.IGNORECASE), f"{fragment!r} not in {line!r}"


def tree(middle: Callable[[IsoBuilder], None], **kw) -> bytes:
    """A Rock Ridge image: /a_good.txt, whatever ``middle`` adds, /z_good.txt."""
    iso = IsoBuilder(rock_ridge=True, **kw)
    iso.add_file(iso.root, "A_GOOD.TXT;1", GOOD_A, su=rr("a_good.txt"))
    middle(iso)
    iso.add_file(iso.root, "Z_GOOD.TXT;1", GOOD_Z, su=rr("z_good.txt"))
    return iso.build()


def valid_image() -> bytes:
    return tree(lambda iso: None)


GOOD = [("read", "a_good.txt"), ("read", "z_good.txt")]
GOOD_OK = [["ok", digest(GOOD_A)], ["ok", digest(GOOD_Z)]]


# ---- refused before mounting ----------------------------------------------------------------

def _no_terminator() -> bytes:
    """A PVD followed by 1000 partition descriptors: the set never ends within any sane cap."""
    iso = IsoBuilder(extra_descriptors=[volume_descriptor(VD_PARTITION)] * 1000, terminator=False)
    iso.add_file(iso.root, "A.TXT;1", b"a")
    return iso.build()


REFUSED_IMAGES = {
    # case: (image bytes, or None for no file / "dir" for a directory; message fragment)
    "missing-file": (None, r"no such file|not found|does not exist"),
    "directory": ("dir", r"directory"),
    "empty-file": (b"", r"empty"),
    "random-bytes": (random.Random(1).randbytes(64 * 1024),
                     r"volume descriptor|not an? (iso|disc|image)|unrecognized|unknown format"),
    "truncated-before-sector-16": (valid_image()[:16 * SECTOR - 1],
                                   r"sector 16|too (small|short)|truncated"),
    "truncated-inside-the-pvd": (valid_image()[:16 * SECTOR + 1000],
                                 r"sector 16|outside|truncated|too (small|short)|past the end"),
    "root-extent-outside": (IsoBuilder().build(root_record=dir_record(1 << 20, SECTOR, b"\0",
                                                                      DIRECTORY)),
                            r"root directory.*(outside|beyond|past)"),
}


def _refused_image(tmp_path: Path, image_file, case: str) -> tuple[Path, str]:
    data, fragment = REFUSED_IMAGES[case]
    if data is None:
        return tmp_path / "missing.iso", fragment
    if data == "dir":
        path = tmp_path / "folder.iso"
        path.mkdir()
        return path, fragment
    return image_file(f"{case}.iso", data), fragment


@pytest.mark.parametrize("case", REFUSED_IMAGES)
def test_refused_before_mounting(case: str, tmp_path: Path, image_file) -> None:
    image, fragment = _refused_image(tmp_path, image_file, case)
    mnt = tmp_path / "mnt"
    try:
        assert_refused(try_mount(image, mnt), image.name, fragment=fragment)
        assert not is_mounted(mnt) and not any(mnt.iterdir())
    finally:
        unmount(mnt)


@pytest.mark.parametrize("case", REFUSED_IMAGES)
def test_refused_by_ls(case: str, tmp_path: Path, image_file) -> None:
    image, fragment = _refused_image(tmp_path, image_file, case)
    proc = run_cli("ls", "-R", image, timeout=TIMEOUT)
    assert_refused(proc, image.name, fragment=fragment)
    assert proc.stdout == ""


@pytest.mark.parametrize("option, named, fragment", [
    ("bogus", "bogus", r"unknown|option"),
    ("rw", "rw", r"read-only|read only"),
    ("ro,bogus=1", "bogus", r"unknown|option"),
    ("uid=abc", "uid", r"abc|invalid|number|integer"),
])
def test_refused_mount_options(option: str, named: str, fragment: str, tmp_path: Path,
                               image_file) -> None:
    image = image_file("valid.iso", valid_image())
    mnt = tmp_path / "mnt"
    try:
        assert_refused(try_mount(image, mnt, "-o", option), named, fragment=fragment)
        assert not is_mounted(mnt)
    finally:
        unmount(mnt)
    assert_refused(run_cli("ls", image, "-o", option, timeout=TIMEOUT), named, fragment=fragment)


def test_valid_tree_mounts_and_lists(image_file, mount) -> None:
    """The control for the cases below: the undamaged tree works."""
    image = image_file("valid.iso", valid_image())
    with mount(image) as mnt:
        assert fs(mnt, ("list", ""), *GOOD) == [["ok", ["a_good.txt", "z_good.txt"]], *GOOD_OK]
    assert sorted(ls_recursive(image, 0)) == ["a_good.txt", "z_good.txt"]


@pytest.mark.parametrize("case", ["100-bytes-appended", "last-sector-cut-short"])
def test_image_size_not_a_multiple_of_2048_still_mounts(case: str, image_file, mount) -> None:
    """Stray bytes after the last sector, or a last sector (the M path table) cut short: every
    byte the tree needs is there, so it mounts, as the kernel would."""
    data = valid_image()
    image = image_file(f"{case}.iso", data + b"\0" * 100 if case[0] == "1" else data[:-1000])
    with mount(image) as mnt:
        assert fs(mnt, ("list", ""), *GOOD) == [["ok", ["a_good.txt", "z_good.txt"]], *GOOD_OK]
    assert sorted(ls_recursive(image, 0)) == ["a_good.txt", "z_good.txt"]


def test_descriptor_set_without_terminator_uses_the_primary(image_file, mount) -> None:
    """A PVD followed by 1000 partition descriptors and no terminator: the walk stops at its cap
    and the primary descriptor it found is used, as the Linux kernel does (isofs reads at most
    100 descriptors and keeps the PVD); refusing a readable tree would help no one."""
    image = image_file("no-terminator.iso", _no_terminator())
    with mount(image) as mnt:
        assert fs(mnt, ("list", "")) == [["ok", ["a.txt"]]]
    assert ls_recursive(image, 0) == ["a.txt"]


# ---- damage inside a mounted image: EIO for that entry, the rest works ------------------------

def _dir_outside(iso: IsoBuilder) -> None:
    iso.root.add(dir_record(1 << 20, SECTOR, "BROKEN", DIRECTORY, rr("broken", 0o40755, 2)))


def _dir_straddles_end(iso: IsoBuilder) -> None:
    """A directory whose first sector is fine but whose length runs past the end of the image."""
    d = Dir(100, 1, iso.root, b"BROKEN")
    iso.put(100, d.render())
    iso.root.add(dir_record(100, 40 * SECTOR, "BROKEN", DIRECTORY, rr("broken", 0o40755, 2)))


def _file_outside(iso: IsoBuilder) -> None:
    iso.root.add(dir_record(1 << 20, len(BROKEN), "BROKEN.;1", 0, rr("broken")))


def _file_straddles_end(iso: IsoBuilder) -> None:
    iso.put(100, BROKEN)
    iso.root.add(dir_record(100, 40 * SECTOR, "BROKEN.;1", 0, rr("broken")))


def _zisofs(stored: bytes, zf_entry: bytes) -> Callable[[IsoBuilder], None]:
    """A good zisofs file /c_good.z beside /broken holding ``stored`` with ``zf_entry``."""
    def middle(iso: IsoBuilder) -> None:
        iso.add_file(iso.root, "BROKEN.;1", stored, su=rr("broken") + zf_entry)
        iso.add_file(iso.root, "C_GOOD.Z;1", zisofs_compress(ZDATA),
                     su=rr("c_good.z") + zf(len(ZDATA)))
    return middle


def _zisofs_corrupt_block() -> Callable[[IsoBuilder], None]:
    stored = bytearray(zisofs_compress(ZDATA))
    second = struct.unpack_from("<I", stored, 16 + 4)[0]
    stored[second + 8:second + 40] = bytes(b ^ 0x5A for b in stored[second + 8:second + 40])
    return _zisofs(bytes(stored), zf(len(ZDATA)))


def _zisofs_huge_size() -> Callable[[IsoBuilder], None]:
    size = 0xFFFFFFF0
    stored = zisofs_header(size) + zisofs_compress(ZDATA)[16:]
    return _zisofs(stored, zf(size))


def _zisofs_pointer(index: int, value: int) -> Callable[[IsoBuilder], None]:
    stored = bytearray(zisofs_compress(ZDATA))
    struct.pack_into("<I", stored, 16 + 4 * index, value)
    return _zisofs(bytes(stored), zf(len(ZDATA)))


DAMAGED = {
    # case: (builder of the middle of the tree, what is done to /broken, ls -R exit status)
    "dir-extent-outside": (_dir_outside, "list", 1),
    "dir-extent-runs-past-end": (_dir_straddles_end, "list", 1),
    "file-extent-outside": (_file_outside, "read", 0),
    "file-extent-runs-past-end": (_file_straddles_end, "read", 0),
    "zisofs-corrupt-block": (_zisofs_corrupt_block(), "read", 0),
    "zisofs-huge-size": (_zisofs_huge_size(), "read", 0),
    "zisofs-pointer-past-end": (_zisofs_pointer(4, 1 << 30), "read", 0),
    "zisofs-pointers-backwards": (_zisofs_pointer(2, 20), "read", 0),
}


@pytest.mark.parametrize("case", DAMAGED)
def test_damaged_entry_gives_eio(case: str, image_file, mount) -> None:
    middle, op, ls_rc = DAMAGED[case]
    image = image_file(f"{case}.iso", tree(middle))
    names = sorted(["a_good.txt", "broken", "z_good.txt"]
                   + (["c_good.z"] if case.startswith("zisofs") else []))
    with mount(image) as mnt:
        got = fs(mnt, ("list", ""), (op, "broken"), *GOOD, ("list", ""))
        assert got == [["ok", names], ["err", EIO], *GOOD_OK, ["ok", names]]
        if "c_good.z" in names:
            assert fs(mnt, ("read", "c_good.z")) == [["ok", digest(ZDATA)]]
    assert set(names) <= set(ls_recursive(image, ls_rc))


def test_bad_zisofs_block_size_is_eio_or_the_stored_bytes(image_file, mount) -> None:
    """ZF and header say 2^2-byte blocks: the kernel and libarchive then show the stored bytes
    as they are; EIO is as good. Never invented data."""
    stored = bytearray(zisofs_compress(ZDATA))
    stored[13] = 2
    image = image_file("zisofs-block-size.iso", tree(_zisofs(bytes(stored), zf(len(ZDATA), 2))))
    with mount(image) as mnt:
        got = fs(mnt, ("read", "broken"), ("read", "c_good.z"), *GOOD)
        assert got[0] in (["err", EIO], ["ok", digest(bytes(stored))])
        assert got[1:] == [["ok", digest(ZDATA)], *GOOD_OK]
    assert "broken" in ls_recursive(image, 0)


def test_directory_loop_is_bounded(image_file, mount) -> None:
    """Subdirectory records pointing at the root, at themselves and at a grandparent."""
    def middle(iso: IsoBuilder) -> None:
        loop = iso.mkdir(iso.root, "LOOP", su=rr("loop", 0o40755, 3))
        inner = iso.mkdir(loop, "INNER", su=rr("inner", 0o40755, 2))
        iso.add_file(inner, "F.TXT;1", BROKEN, su=rr("f.txt"))
        for parent, name, target in ((loop, "BACK", iso.root), (loop, "SELF", loop),
                                     (inner, "UP", loop)):
            parent.add(dir_record(target.lba, target.size, name, DIRECTORY,
                                  rr(name.lower(), 0o40755, 2)))

    image = image_file("loop.iso", tree(middle))
    with mount(image) as mnt:
        found = run_on_mount(mnt, "find", str(mnt))
        assert 5 <= len(found.stdout.splitlines()) <= 50, found.stdout
        walked = fs(mnt, ("walk", ""))[0][1]
        assert len(walked["entries"]) <= 50
        assert {"a_good.txt", "loop/inner/f.txt", "z_good.txt"} <= set(walked["entries"])
        assert set(walked["errors"].values()) <= {EIO}
        assert fs(mnt, ("read", "loop/inner/f.txt"), *GOOD) == [["ok", digest(BROKEN)], *GOOD_OK]
    lines = ls_recursive(image, (0, 1))
    assert len(lines) <= 50 and "loop/inner/f.txt" in lines


def test_repeated_names_are_listed_once(image_file, mount) -> None:
    """4000 records with three names (two files, one directory): each name shown once."""
    def middle(iso: IsoBuilder) -> None:
        big = iso.mkdir(iso.root, "MANY", su=rr("many", 0o40755, 3), sectors=160)
        data = iso.put(iso.alloc(len(BROKEN)), BROKEN)
        inner = iso.mkdir(big, "SAMEDIR", su=rr("samedir", 0o40755, 2))
        iso.add_file(inner, "IN.TXT;1", GOOD_A, su=rr("in.txt"))
        for i in range(4000):
            kind = i % 3
            if kind == 2:
                big.add(dir_record(inner.lba, inner.size, "SAMEDIR", DIRECTORY, nm("samedir")))
            else:
                big.add(dir_record(data, len(BROKEN), ("DUP_A.;1", "DUP_B.;1")[kind], 0,
                                   nm(("dup_a", "dup_b")[kind])))

    image = image_file("repeated.iso", tree(middle))
    with mount(image) as mnt:
        got = fs(mnt, ("list", "many"), ("read", "many/dup_a"), ("read", "many/dup_b"),
                 ("list", "many/samedir"), *GOOD)
        assert got == [["ok", ["dup_a", "dup_b", "samedir"]], ["ok", digest(BROKEN)],
                       ["ok", digest(BROKEN)], ["ok", ["in.txt"]], *GOOD_OK]
    assert sorted(ls_recursive(image, 0)) == [
        "a_good.txt", "many", "many/dup_a", "many/dup_b", "many/samedir", "many/samedir/in.txt",
        "z_good.txt"]


# ---- damaged System Use areas: never a hang, the entry still listed -------------------------

def _in_ce_areas(iso: IsoBuilder, entries: list[bytes]) -> bytes:
    """Pack System Use entries into one-sector continuation areas linked by CE entries (an
    area must fit its block: SUSP 1.12 §5.1); returns the CE entry that starts the chain."""
    areas, current = [], b""
    for entry in entries:
        if len(current) + len(entry) + 28 > SECTOR:
            areas.append(current)
            current = b""
        current += entry
    areas.append(current)
    lbas = [iso.alloc(SECTOR) for _ in areas]
    for i, (lba, area) in enumerate(zip(lbas, areas)):
        nxt = ce(lbas[i + 1], 0, len(areas[i + 1]) + (28 if i + 2 < len(areas) else 0)) \
            if i + 1 < len(areas) else b""
        iso.put(lba, area + nxt)
    return ce(lbas[0], 0, len(areas[0]) + (28 if len(areas) > 1 else 0))


def _ce_chain(iso: IsoBuilder, count: int) -> bytes:
    """``count`` CE areas of one CE entry each, packed 73 to a sector; the last holds NM."""
    first = iso.alloc(-(-count // 73) * SECTOR + SECTOR)
    where = [(first + i // 73, i % 73 * 28) for i in range(count)] + [(first + -(-count // 73), 0)]
    tail = nm("broken")
    for i in range(count):
        nxt = where[i + 1]
        iso.put(where[i][0], ce(nxt[0], nxt[1], 28 if i + 1 < count else len(tail)), where[i][1])
    iso.put(where[-1][0], tail, where[-1][1])
    return ce(where[0][0], where[0][1], 28)


def _ce_cycle(iso: IsoBuilder, length: int) -> bytes:
    lbas = [iso.alloc(SECTOR) for _ in range(length)]
    for i, lba in enumerate(lbas):
        iso.put(lba, ce(lbas[(i + 1) % length], 0, 28))
    return ce(lbas[0], 0, 28)


def _ce_at(lba_of: Callable[[IsoBuilder], int], offset: int, length: int):
    return lambda iso: ce(lba_of(iso), offset, length)


SUSP_DAMAGE: dict[str, Callable[[IsoBuilder], bytes]] = {
    "entry-length-0": lambda iso: px() + susp_entry("NM", b"\0broken", length=0) + tf(),
    "entry-length-2": lambda iso: susp_entry("PX", length=2) + nm("broken"),
    "entry-length-past-area": lambda iso: px() + susp_entry("NM", b"\0broken", length=250),
    "px-truncated": lambda iso: susp_entry("PX", both32(0o100444)) + nm("broken"),
    "tf-truncated": lambda iso: susp_entry("TF", b"\x0e" + dir_datetime()) + nm("broken"),
    "tf-long-form-truncated": lambda iso: susp_entry("TF", b"\x8e" + b"2024") + nm("broken"),
    "nm-without-flags": lambda iso: susp_entry("NM") + px(),
    "nm-continue-never-ends": lambda iso: px() + nm("broken", NM_CONTINUE),
    "sl-on-a-file-truncated": lambda iso: px() + nm("broken") + susp_entry("SL", b"\0\0\x50abc"),
    "ce-self-loop": lambda iso: _ce_cycle(iso, 1),
    "ce-two-area-cycle": lambda iso: _ce_cycle(iso, 2),
    "ce-chain-of-5000": lambda iso: _ce_chain(iso, 5000),
    "ce-outside-image": _ce_at(lambda iso: 1 << 20, 0, 100),
    "ce-offset-past-sector": _ce_at(lambda iso: iso.put(iso.alloc(SECTOR), nm("broken")), 4000, 50),
    "ce-huge-length": _ce_at(lambda iso: iso.put(iso.alloc(SECTOR), nm("broken")), 0, 0xFFFFFFFF),
    "ce-length-0": _ce_at(lambda iso: iso.alloc(SECTOR), 0, 0),
}


@pytest.mark.parametrize("case", SUSP_DAMAGE)
def test_damaged_system_use(case: str, image_file, mount) -> None:
    """The file's data is intact: it is listed (RR name or ISO name, both "broken") and reads its
    bytes or EIO; its siblings are untouched."""
    def middle(iso: IsoBuilder) -> None:
        iso.add_file(iso.root, "BROKEN.;1", BROKEN, su=SUSP_DAMAGE[case](iso))

    image = image_file(f"{case}.iso", tree(middle))
    with mount(image) as mnt:
        got = fs(mnt, ("list", ""), ("read", "broken"), *GOOD)
        assert got[0] == ["ok", ["a_good.txt", "broken", "z_good.txt"]]
        assert got[1] in (["ok", digest(BROKEN)], ["err", EIO])
        assert got[2:] == GOOD_OK
    assert sorted(ls_recursive(image, 0)) == ["a_good.txt", "broken", "z_good.txt"]


SYMLINK_DAMAGE: dict[str, list[bytes]] = {
    # case: the SL entries of /broken, a symlink (PX mode 0120777)
    "component-past-entry": [susp_entry("SL", b"\0\0\x50abc")],
    "entry-length-0": [susp_entry("SL", b"\0\0\x03abc", length=0)],
    "continue-never-ends": [sl_components([(0, b"abc")], flags=1)],
    "component-continue-never-ends": [sl_components([(1, b"abc")])],
    "target-over-path-max": [sl_components([(1, b"x" * 240)], flags=1)] * 30,
}


@pytest.mark.parametrize("case", SYMLINK_DAMAGE)
def test_damaged_symlink(case: str, image_file, mount) -> None:
    """A symlink whose SL entries are broken: still listed, readlink gives a string or EIO
    (EIO for a target longer than PATH_MAX: the kernel's isofs does the same)."""
    entries = [px(0o120777), nm("broken"), *SYMLINK_DAMAGE[case]]

    def middle(iso: IsoBuilder) -> None:
        su = b"".join(entries)
        if len(su) > 200:                           # long SL data goes to continuation areas
            su = _in_ce_areas(iso, entries)
        iso.add_file(iso.root, "BROKEN.;1", su=su)

    image = image_file(f"sl-{case}.iso", tree(middle))
    with mount(image) as mnt:
        got = fs(mnt, ("list", ""), ("readlink", "broken"), *GOOD)
        assert got[0] == ["ok", ["a_good.txt", "broken", "z_good.txt"]]
        status, target = got[1]
        if case == "target-over-path-max":       # cut short, it would point somewhere else
            assert got[1] == ["err", EIO]
        assert (status, target) == ("err", EIO) or status == "ok" and len(target.encode()) < 4096
        assert got[2:] == GOOD_OK
    assert sorted(ls_recursive(image, 0)) == ["a_good.txt", "broken", "z_good.txt"]


# ---- crafted images from the public corpus ----------------------------------------------------

def _extent(image: Path, lba: int, size: int) -> list:
    with open(image, "rb") as f:
        f.seek(lba * SECTOR)
        return digest(f.read(size))


def test_corpus_ce_loop(image_file, mount) -> None:
    """libarchive's crafted self-referencing CE (AAAAA000, whose NM continues in the looping
    area); AAAAA001 and AAAAAAAA continue their NM in good CE areas (152 and 151 characters)."""
    image = image_file("libarchive/test_read_format_iso_rockridge_ce_loop.iso")
    good = {"dir", "sym1", "sym2", "sym3", "a" * 151, "a" * 152}
    with mount(image) as mnt:
        names = fs(mnt, ("list", ""))[0]
        assert names[0] == "ok" and len(names[1]) == 7 and good <= set(names[1])
        (loop_name,) = set(names[1]) - good
        got = fs(mnt, ("read", "a" * 152), ("read", "a" * 151), ("read", loop_name),
                 ("lstat", "sym1"), ("list", "dir"))
        assert got == [["ok", _extent(image, 29, 4090)], ["ok", _extent(image, 31, 4090)],
                       ["ok", _extent(image, 27, 4090)], ["ok", 0o120000], ["ok", []]]
    assert good <= set(ls_recursive(image, 0))


def test_corpus_rockridge_zf_overflow(image_file, mount) -> None:
    """A short ZF entry in a CE area at the end of the image, on an empty directory A."""
    image = image_file("libarchive/test_read_format_iso_rockridge_zf_overflow.iso")
    with mount(image) as mnt:
        names = fs(mnt, ("list", ""))[0]
        assert names[0] == "ok" and [n.lower() for n in names[1]] == ["a"]
        assert fs(mnt, ("list", names[1][0]))[0] in (["ok", []], ["err", EIO])
    assert [n.lower() for n in ls_recursive(image, (0, 1))] == ["a"]


def test_corpus_zisofs_overflow(image_file, mount) -> None:
    """ZF with 2^2-byte blocks and a huge size: EIO or the 2064 stored bytes, nothing else."""
    image = image_file("libarchive/test_read_format_iso_zisofs_overflow.iso")
    with mount(image) as mnt:
        names = fs(mnt, ("list", ""))[0]
        assert names[0] == "ok" and [n.lower() for n in names[1]] == ["overflow.bin"]
        assert fs(mnt, ("read", names[1][0]))[0] in (["err", EIO], ["ok", _extent(image, 20, 2064)])
    assert [n.lower() for n in ls_recursive(image, 0)] == ["overflow.bin"]


def test_corpus_malformed_is_refused(image_file, tmp_path: Path) -> None:
    """libcdio's malformed.iso: version byte "0", root directory of 4 GiB. Not a usable volume."""
    image = image_file("libcdio/malformed.iso")
    mnt = tmp_path / "mnt"
    try:
        assert_refused(try_mount(image, mnt), image.name, fragment=r".")
        assert not is_mounted(mnt)
    finally:
        unmount(mnt)
    assert_refused(run_cli("ls", "-R", image, timeout=TIMEOUT), image.name, fragment=r".")


@pytest.mark.parametrize("name", ["libcdio/bad-dir.iso", "libcdio/malformed2.iso"])
def test_corpus_broken_directories(name: str, image_file, tmp_path: Path) -> None:
    """Broken root directory records (bsdtar and 7-Zip give up): refused in one line, or
    mounted with every listing and read finishing and failing only with EIO."""
    image = image_file(name)
    mnt = tmp_path / "mnt"
    try:
        proc = try_mount(image, mnt)
        if proc.returncode == 2:
            assert_refused(proc, image.name, fragment=r".")
            assert not is_mounted(mnt)
            assert_refused(run_cli("ls", "-R", image, timeout=TIMEOUT), image.name, fragment=r".")
            return
        assert proc.returncode == 0 and is_mounted(mnt), proc.stderr
        walked = fs(mnt, ("walk", ""))[0]
        assert walked[0] == "ok" and len(walked[1]["entries"]) < 10000
        assert set(walked[1]["errors"].values()) <= {EIO}
    finally:
        unmount(mnt)
    ls_recursive(image, (0, 1))


def test_read_error_while_opening_is_one_line(tmp_path: Path) -> None:
    """An image whose root directory cannot be read (EIO from the file, as a scratched disc or
    a failing disk gives) is refused with one line, not a traceback, and nothing is mounted."""
    from support.faultyfile import faulty_file
    require_tool("genisoimage")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.txt").write_text("a")
    iso = tmp_path / "src.iso"
    trees.genisoimage(tree, iso)
    root = int.from_bytes(iso.read_bytes()[16 * 2048 + 158:16 * 2048 + 162], "little")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    with faulty_file(iso, tmp_path / "faulty", "--bad", f"{root * 2048}:{(root + 1) * 2048}") as bad:
        proc = run_cli(bad, mnt)
        assert proc.returncode == 2
        assert one_line_error(proc) == f"{bad}: read error: Input/output error"
        assert not is_mounted(mnt)
