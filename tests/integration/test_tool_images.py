"""Images built by real tools (genisoimage, xorriso, pycdlib) from a generated source tree,
mounted for real with the CLI, walked with ordinary tools and compared with the source; the same
images read by independent readers (pycdlib, bsdtar, 7-Zip) as a cross-check.

Where a reader is known to read a feature wrongly, the test says which reader and why, and
asserts the known difference instead of skipping it. The recipes and tool versions are in
tests/fixtures/README.md.
"""

from __future__ import annotations

import hashlib
import os
import re
import random
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

_TESTS = Path(__file__).resolve().parent.parent
for _dir in (_TESTS, _TESTS / "integration"):
    if str(_dir) not in sys.path:
        sys.path.insert(0, str(_dir))

from conftest import require_tool  # noqa: E402
from fixtures import trees  # noqa: E402
from fixtures.trees import Item  # noqa: E402
import tool_readers as readers  # noqa: E402

MTIME_SLACK = 2.0       # seconds: directory records and short-form TF have 1 s resolution


@pytest.fixture
def tools():
    """Every tool these tests build or read images with; checked per test."""
    def need(*names: str) -> None:
        for name in names:
            require_tool(name)
    return need


# ----------------------------------------------------------------------------------------------
# comparison helpers

def assert_same_paths(expected, actual, what: str) -> None:
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    assert not missing and not extra, (
        f"{what}: missing {[p[:80] for p in missing][:20]} ({len(missing)}), "
        f"unexpected {[p[:80] for p in extra][:20]} ({len(extra)})")


def assert_fields(source: dict[str, Item], mount: dict[str, Item], fields: tuple[str, ...],
                  what: str = "mount vs source") -> None:
    assert_same_paths(source, mount, what)
    wrong = []
    for path in sorted(source):
        for field in fields:
            a, b = getattr(source[path], field), getattr(mount[path], field)
            if field == "perm":
                a, b = oct(a), oct(b)
            if a != b:
                wrong.append(f"{path[:80]}: {field} source={a!r} mount={b!r}")
    assert not wrong, f"{what}: {len(wrong)} differences:\n" + "\n".join(wrong[:40])


def assert_mtimes(source: dict[str, Item], mount: dict[str, Item],
                  slack: float = MTIME_SLACK) -> None:
    wrong = [f"{p[:80]}: source {source[p].mtime} mount {mount[p].mtime}"
             for p in sorted(source) if abs(source[p].mtime - mount[p].mtime) > slack]
    assert not wrong, f"{len(wrong)} mtimes off by more than {slack} s:\n" + "\n".join(wrong[:30])


def assert_distinct_inodes(mount: dict[str, Item], groups: list[list[str]]) -> None:
    """Each hard-link group shares one inode number and has nlink == its size; everything else
    has an inode number of its own (du, tar, cp -a and find rely on that)."""
    owner: dict[int, str] = {}
    together = {p: g[0] for g in groups for p in g}
    clashes = []
    for path, item in sorted(mount.items()):
        key = together.get(path, path)
        if item.ino in owner and owner[item.ino] != key:
            clashes.append(f"{path[:60]} and {owner[item.ino][:60]} share inode {item.ino}")
        owner.setdefault(item.ino, key)
    assert not clashes, "distinct files share an inode number:\n" + "\n".join(clashes[:20])
    for group in groups:
        inos = {mount[p].ino for p in group}
        assert len(inos) == 1, f"hard links {group} have inode numbers {inos}"
        for p in group:
            assert mount[p].nlink == len(group), f"{p}: nlink {mount[p].nlink}, want {len(group)}"


def assert_listxattr_empty(mnt: Path, paths) -> None:
    """The sources carry no extended attributes, so the mount must list none (and listxattr
    must work: ENOTSUP would break cp -a and rsync -X)."""
    for path in [""] + sorted(paths):
        names = os.listxattr(mnt / path, follow_symlinks=False)
        assert [n for n in names if n.startswith("user.")] == [], (path, names)


def by_content(snap: dict[str, Item]) -> dict[tuple[int, str], list[str]]:
    result: dict[tuple[int, str], list[str]] = {}
    for path, item in snap.items():
        if item.kind == "file":
            result.setdefault((item.size, item.sha256), []).append(path)
    return result


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_preads(path: Path, data: bytes, boundaries: tuple[int, ...] = ()) -> None:
    """pread at the block-edge offsets, around ``boundaries`` and at seeded random places;
    each answer must be ``data[offset:offset + size]`` (b'' past the end)."""
    n = len(data)
    offsets = {0, 1, 2, 2047, 2048, 2049, 4095, 4096, 4097, n - 1, n, n + 1, n + 2048,
               n + (1 << 20)}
    for b in boundaries:
        offsets.update({b - 2049, b - 2048, b - 1, b, b + 1, b + 2047})
    sizes = (1, 2, 3, 2047, 2048, 2049, 4096, 65537, 200_001, n + 10)
    rng = random.Random(f"{path.name}:{n}")
    pairs = {(o, s) for o in offsets if o >= 0 for s in sizes}
    pairs |= {(rng.randrange(n + 1), rng.choice(sizes + (rng.randrange(1, 70000),)))
              for _ in range(60)}
    fd = os.open(path, os.O_RDONLY)
    try:
        wrong = []
        for offset, size in sorted(pairs):
            got = os.pread(fd, size, offset)
            want = data[offset:offset + size]
            if got != want:
                wrong.append(f"pread(size={size}, offset={offset}): {len(got)} bytes "
                             f"{'(other bytes)' if len(got) == len(want) else ''} want {len(want)}")
        assert not wrong, f"{path}: {len(wrong)} wrong reads:\n" + "\n".join(wrong[:20])
        assert os.pread(fd, 4096, n) == b"", "a read at EOF must return b''"
        assert os.pread(fd, 1, n + 12345) == b"", "a read past EOF must return b''"
    finally:
        os.close(fd)


def cat(*paths: Path) -> bytes:
    return subprocess.run(["cat", *map(str, paths)], capture_output=True, check=True,
                          timeout=120).stdout


def tar_kind(mode: str) -> str:
    return {"-": "file", "d": "dir", "l": "symlink", "c": "chr", "b": "blk", "p": "fifo",
            "s": "socket"}[mode[0]]


def mode_string(st_mode: int) -> str:
    return stat.filemode(st_mode)


def strip_slashes(text: str) -> str:
    return text.replace("/", "")


# ----------------------------------------------------------------------------------------------
# plain ISO 9660: levels 1, 2, 3 and name mapping

def plain_checks(image: Path, source: Path, mnt: Path, mapper, like_source: bool = True
                 ) -> dict[str, Item]:
    """Names are pycdlib's ISO 9660 names through ``mapper``; no Rock Ridge means kinds
    file/dir only and default modes 0444/0555; with ``like_source`` every source file appears
    once, with its bytes."""
    ref = readers.pycdlib_tree(image, "iso")
    mount = trees.snapshot(mnt)
    expected = {readers.map_path(p, mapper): e for p, e in ref.items()}
    assert_same_paths(expected, mount, "mount vs pycdlib ISO 9660 names")
    for path, entry in expected.items():
        item = mount[path]
        assert item.kind == entry.kind, path
        if entry.kind == "file":
            assert (item.size, item.sha256) == (entry.size, sha(entry.data)), path
            assert item.perm == 0o444, (path, oct(item.perm))
        else:
            assert item.perm == 0o555, (path, oct(item.perm))
    if not like_source:
        return mount
    src = trees.snapshot(source)
    assert sorted(by_content(src)) == sorted(by_content(mount)), \
        "the files' contents through the mount differ from the source's"
    src_dirs = sorted(p.count("/") for p, i in src.items() if i.kind == "dir")
    assert src_dirs == sorted(p.count("/") for p, i in mount.items() if i.kind == "dir")
    return mount


@pytest.mark.parametrize("level", [1, 2, 3])
def test_genisoimage_plain_levels_map_normal(tmp_path, mount, tools, level):
    tools("genisoimage")
    source = trees.iso_names_tree(tmp_path / "src")
    args = [] if level == 1 else ["-iso-level", str(level)]
    image = trees.genisoimage(source, tmp_path / "plain.iso", *args)
    ref = readers.pycdlib_tree(image, "iso", read=False)
    for path in ref:
        name = path.rsplit("/", 1)[-1]
        assert name == name.upper(), f"genisoimage wrote a lower-case ISO 9660 name: {path}"
        if level == 1:
            stem, _, ext = readers.iso_map_normal(name).partition(".")
            assert len(stem) <= 8 and len(ext) <= 3, f"not an 8.3 name at level 1: {path}"
    with mount(image) as mnt:
        snap = plain_checks(image, source, mnt, readers.iso_map_normal)
        assert_listxattr_empty(mnt, snap)
        # every 8.3-clean source name comes back exactly: upper-cased on disc, lower-cased and
        # stripped of ';1' (and the '.' of "NOEXT.;1") by map=normal
        plain = {p: i for p, i in trees.snapshot(source).items() if not p.startswith("names/")}
        assert_fields(plain, {p: snap[p] for p in plain}, ("kind", "size", "sha256"))
        assert_mtimes(plain, {p: snap[p] for p in plain})
        long_names = {p.split("/")[1] for p in snap if p.startswith("names/")}
        assert len(long_names) == len(trees.LONG_ISO_NAMES)
        if level == 1:
            assert not long_names & set(trees.LONG_ISO_NAMES)
        else:
            # levels 2 and 3 allow 31 characters: one-dot names survive up to their case
            assert long_names >= set(trees.LONG_ISO_NAMES[:3]), long_names


def test_genisoimage_level1_map_off_shows_stored_names(tmp_path, mount, tools):
    tools("genisoimage")
    source = trees.plain_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "plain.iso")
    with mount(image, "-o", "map=off") as mnt:
        snap = plain_checks(image, source, mnt, readers.iso_map_off)
        assert "README.TXT;1" in snap and "DIR1" in snap and "NOEXT.;1" in snap, sorted(snap)
        assert snap["README.TXT;1"].sha256 == trees.sha256_file(source / "readme.txt")


def test_genisoimage_plain_readers_agree(tmp_path, tools):
    """bsdtar and 7-Zip read the same level-1 image: names without ';1', same bytes."""
    tools("genisoimage", "bsdtar", "7zz")
    source = trees.plain_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "plain.iso")
    ref = {readers.map_path(p, readers.iso_map_normal): e
           for p, e in readers.pycdlib_tree(image, "iso").items()}
    tar = {p.lower(): e for p, e in readers.bsdtar_list(image).items()}
    assert_same_paths(ref, tar, "bsdtar vs pycdlib")
    sz = {p.lower(): e for p, e in readers.sevenzip_list(image).items()}
    assert_same_paths(ref, sz, "7-Zip vs pycdlib")
    raw = {readers.map_path(p, readers.iso_map_normal): p for p in
           readers.pycdlib_tree(image, "iso", read=False)}
    for path, entry in ref.items():
        if entry.kind != "file":
            continue
        stored = raw[path].replace(";1", "").rstrip(".")
        assert readers.sevenzip_read(image, stored) == entry.data, path
        if tar[path].hardlink is None:
            assert readers.bsdtar_read(image, stored) == entry.data, path
        else:
            # bsdtar is wrong here: ISO 9660 has no hard links, but libarchive reports a
            # second record pointing at the same extent (genisoimage shares the extent of
            # empty files) as a tar-style hard link with no data of its own.
            assert entry.size == 0 and readers.bsdtar_read(image, stored) == b"", path


# ----------------------------------------------------------------------------------------------
# timestamps

def test_plain_mtime_uses_directory_record_gmt_offset(tmp_path, mount, tools, monkeypatch):
    """Without Rock Ridge the mtime is the directory record's date, which genisoimage writes
    in its local time with the offset from GMT (ECMA-119 §9.1.5). Built at +05:30 and mounted
    at -07:00: a reader that drops the offset or uses local time is hours off."""
    tools("genisoimage")
    source = trees.plain_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "tz.iso", env={"TZ": "XST-05:30"})
    iso = readers.pycdlib_open(image)
    try:
        record = iso.get_record(iso_path="/README.TXT;1")
        assert record.date.gmtoffset == 22, "expected +05:30 (22 quarter hours) in the record"
        assert record.date.hour != time.gmtime(os.lstat(source / "readme.txt").st_mtime).tm_hour
    finally:
        iso.close()
    monkeypatch.setenv("TZ", "YST+07:00")
    with mount(image) as mnt:
        src, mnt_snap = trees.snapshot(source), trees.snapshot(mnt)
        assert_mtimes(src, mnt_snap)


def test_plain_mtime_readers_agree(tmp_path, tools):
    tools("genisoimage", "bsdtar", "7zz")
    source = trees.plain_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "tz.iso", env={"TZ": "XST-05:30"})
    want = time.strftime("%Y-%m-%d %H:%M:%S",
                         time.gmtime(os.lstat(source / "readme.txt").st_mtime))
    assert readers.sevenzip_list(image)["README.TXT"]["Modified"] == want
    tar_line = subprocess.run(["bsdtar", "-tvf", str(image), "README.TXT"], env=readers.ENV,
                              capture_output=True, text=True, check=True).stdout
    day = time.strftime("%b %e %Y", time.gmtime(os.lstat(source / "readme.txt").st_mtime))
    assert " ".join(day.split()) in " ".join(tar_line.split()), (day, tar_line)


def test_rockridge_times_come_from_tf(tmp_path, mount, tools):
    """mtime and ctime come from the TF entry. The source's ctime is now (set by chmod) while
    its mtime is in 2017 and the directory record holds the mtime: only TF carries the ctime."""
    tools("genisoimage")
    source = trees.rr_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "rr.iso", "-R")
    src = trees.snapshot(source)
    with mount(image) as mnt:
        snap = trees.snapshot(mnt)
        assert_mtimes(src, snap)
        wrong = []
        for path, item in src.items():
            if item.kind != "file":
                continue
            st_src, st_mnt = os.lstat(source / path), os.lstat(mnt / path)
            assert st_src.st_ctime - st_src.st_mtime > 86400, path
            if abs(st_src.st_ctime - st_mnt.st_ctime) > MTIME_SLACK:
                wrong.append(f"{path[:60]}: ctime source {st_src.st_ctime} mount {st_mnt.st_ctime}")
        assert not wrong, "ctime not taken from TF attributes:\n" + "\n".join(wrong[:20])


# ----------------------------------------------------------------------------------------------
# Joliet

def test_genisoimage_joliet_only(tmp_path, mount, tools):
    """-J without -R: UCS-2 names up to 64 characters, any case, non-ASCII."""
    tools("genisoimage")
    source = trees.joliet_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "joliet.iso", "-J")
    src = trees.snapshot(source)
    with mount(image) as mnt:
        snap = trees.snapshot(mnt)
        assert_fields(src, snap, ("kind", "size", "sha256"))
        assert_mtimes(src, snap)
        for path, item in snap.items():
            assert item.perm == (0o555 if item.kind == "dir" else 0o444), (path, oct(item.perm))
        assert "A" * 64 in snap and "ж" in snap and "日本/ファイル.txt" in snap
        assert_listxattr_empty(mnt, snap)
    ref = readers.pycdlib_tree(image, "joliet")
    assert_same_paths(ref, snap, "pycdlib Joliet names vs mount")
    for path, entry in ref.items():
        if entry.kind == "file":
            assert sha(entry.data) == snap[path].sha256, path


def test_genisoimage_joliet_readers_agree(tmp_path, tools):
    tools("genisoimage", "bsdtar", "7zz")
    source = trees.joliet_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "joliet.iso", "-J")
    src = trees.snapshot(source)
    tar = readers.bsdtar_list(image)
    sz = readers.sevenzip_list(image)
    assert_same_paths(src, tar, "bsdtar vs source")
    assert_same_paths(src, sz, "7-Zip vs source")
    for path, item in src.items():
        if item.kind == "file":
            assert sha(readers.bsdtar_read(image, path)) == item.sha256, path
            assert sha(readers.sevenzip_read(image, path)) == item.sha256, path


def test_joliet_image_nojoliet_falls_back_to_iso_names(tmp_path, mount, tools):
    tools("genisoimage")
    source = trees.joliet_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "joliet.iso", "-J")
    with mount(image, "-o", "nojoliet") as mnt:
        snap = plain_checks(image, source, mnt, readers.iso_map_normal)
        assert "ж" not in snap and all(p.isascii() for p in snap), sorted(snap)


# ----------------------------------------------------------------------------------------------
# Rock Ridge (genisoimage -R)

RR_FIELDS = ("kind", "perm", "uid", "gid", "size", "sha256", "target", "rdev")


def test_genisoimage_rockridge_tree(tmp_path, mount, tools):
    """Modes (setuid, setgid, sticky), owners, symlinks (relative, absolute, '.', '..', dangling,
    298 bytes over several SL entries), block/char devices, a FIFO, hard links, 200- and
    255-byte names, a directory 10 levels deep (relocated by genisoimage)."""
    tools("genisoimage")
    source = trees.rr_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "rr.iso", "-R")
    src = trees.snapshot(source)
    with mount(image) as mnt:
        snap = trees.snapshot(mnt)
        assert_fields(src, snap, RR_FIELDS)
        assert_mtimes(src, snap)
        assert_distinct_inodes(snap, trees.hard_link_groups(src, source))
        assert snap["files/setuid.bin"].perm == 0o4755
        assert snap["dirs/sticky"].perm == 0o1777
        assert snap["links/long"].target == trees.GENISO_LONG_LINK
        assert snap["dev/nvme"].rdev == (259, 3)
        assert_listxattr_empty(mnt, [p for p, i in snap.items() if i.kind != "symlink"])


def test_genisoimage_rockridge_pycdlib_agrees(tmp_path, mount, tools):
    tools("genisoimage")
    source = trees.rr_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "rr.iso", "-R")
    ref = readers.pycdlib_tree(image, "rr")
    # pycdlib lists genisoimage's relocation directory, now empty of everything but the RE
    # records it skips. It is wrong to show it: rr_moved is a writer's artefact for the
    # ISO 9660 depth limit of 8, and RRIP 1.12 §4.1.5 (CL/PL/RE) restores the original tree;
    # the mount hides it (as bsdtar does).
    assert ref.pop("rr_moved").kind == "dir"
    assert not [p for p in ref if p.startswith("rr_moved/")]
    with mount(image) as mnt:
        snap = trees.snapshot(mnt)
    assert_same_paths(ref, snap, "pycdlib Rock Ridge vs mount")
    for path, entry in ref.items():
        item = snap[path]
        assert entry.kind == item.kind, path
        if entry.kind == "symlink":
            assert entry.target == item.target, path
            continue
        if entry.mode is not None:
            assert stat.S_IMODE(entry.mode) == item.perm, path
            assert (entry.uid, entry.gid) == (item.uid, item.gid), path
        if entry.kind == "file":
            assert (entry.size, sha(entry.data)) == (item.size, item.sha256), path
            assert entry.nlink == item.nlink, path
        if entry.kind in ("chr", "blk"):
            assert readers.pn_to_rdev(entry.pn) == item.rdev, path


def test_genisoimage_rockridge_bsdtar_and_7zip(tmp_path, tools):
    tools("genisoimage", "bsdtar", "7zz")
    source = trees.rr_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "rr.iso", "-R")
    src = trees.snapshot(source)
    tar = readers.bsdtar_list(image)
    assert_same_paths(src, tar, "bsdtar vs source")
    for path, item in src.items():
        entry = tar[path]
        st = os.lstat(source / path)
        assert tar_kind(entry.mode) == item.kind, path
        assert entry.mode == mode_string(st.st_mode), path
        assert (int(entry.uid), int(entry.gid)) == (item.uid, item.gid), path
        if item.kind == "symlink":
            if item.target != trees.GENISO_LONG_LINK:
                assert entry.target == item.target, path
            else:
                # bsdtar is wrong: a target spread over two SL entries loses the '/' between
                # them. libarchive takes the SL entry's CONTINUE flag as joining the next
                # component, but RRIP 1.12 §4.1.3.1 puts component continuation in each
                # component record's own flags; pycdlib and the mount read it right.
                assert entry.target != item.target and \
                    strip_slashes(entry.target) == strip_slashes(item.target), path
        elif item.kind in ("chr", "blk"):
            # bsdtar is wrong: genisoimage stores PN as (high=major, low=minor) and libarchive
            # glues the words into one 64-bit dev_t (high << 32 | low) before splitting it
            # with major()/minor(), so 8,1 shows as 0,8388609. The kernel reads
            # MKDEV(high, low), as does the mount.
            glued = (item.rdev[0] << 32) | item.rdev[1]
            assert entry.size == f"{os.major(glued)},{os.minor(glued)}", path
            assert entry.size != f"{item.rdev[0]},{item.rdev[1]}", path
        elif item.kind == "file":
            data = readers.bsdtar_read(image, path)
            if entry.hardlink is None:
                assert sha(data) == item.sha256, path
            else:
                # bsdtar reports a second record of one extent (a hard link, or genisoimage's
                # empty files, which share an extent) tar-style: a link with no data of its own.
                assert data == b"" and src[entry.hardlink].sha256 == item.sha256, path
    sz = readers.sevenzip_list(image)
    missing, extra = set(src) - set(sz), set(sz) - set(src)
    # 7-Zip is wrong about deep directories: it ignores the CL/PL/RE relocation entries
    # (RRIP 1.12 §4.1.5) and shows the relocated directory under rr_moved instead of in place.
    moved = {p for p in extra if p.startswith("rr_moved/")}
    assert "rr_moved" in extra and any(p.endswith("/deep.txt") for p in moved)
    originals = {p for p in src if any(p.endswith("/" + m.split("/", 1)[1]) for m in moved)}
    assert len(originals) == len(moved) and all(p.startswith("deep/") for p in originals)
    relocated = missing & originals
    # 7-Zip is wrong on long Rock Ridge names: it reads the NM entry in the directory record and
    # not its continuation in the CE area, so a long name comes out cut short.
    cut = extra - moved - {"rr_moved"}
    assert missing - relocated == {f"long/{trees.LONG_NAME_200}", f"long/{trees.LONG_NAME_255}"}
    for path in missing - relocated:
        prefixes = [q for q in cut if path.startswith(q) and len(q) < len(path)]
        assert len(prefixes) == 1 and sz[prefixes[0]]["Size"] == str(src[path].size), path
    assert len(cut) == 2
    for path in set(src) & set(sz):
        item, props = src[path], sz[path]
        assert props["Mode"] == mode_string(os.lstat(source / path).st_mode), path
        if item.kind == "symlink" and item.target.rsplit("/", 1)[-1] in (".", ".."):
            # 7-Zip is wrong: it puts a '/' after a CURRENT or PARENT component of an SL entry
            # even when it is the last one, so "." reads "./" (the mount says ".").
            assert props["Symbolic Link"] == item.target + "/", path
        elif item.kind == "symlink" and item.target == trees.GENISO_LONG_LINK:
            # 7-Zip is wrong, as with the long names: the SL entries of this target continue in
            # a CE area, which it does not follow, and it shows no target at all.
            assert props["Symbolic Link"] == "", path
        elif item.kind == "symlink":
            assert props["Symbolic Link"] == item.target, path
        if item.kind == "file":
            assert int(props["Size"]) == item.size, path
            assert sha(readers.sevenzip_read(image, path)) == item.sha256, path


def test_rockridge_deep_directories_relocated(tmp_path, mount, tools):
    """genisoimage moves directories deeper than 8 levels to /rr_moved (CL in the parent, RE on
    the moved one, PL for '..'): the mount shows them where they were and hides rr_moved."""
    tools("genisoimage", "bsdtar")
    source = trees.rr_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "rr.iso", "-R")
    assert any(p.startswith("RR_MOVED") for p in readers.pycdlib_tree(image, "iso", read=False))
    with mount(image) as mnt:
        assert "rr_moved" not in os.listdir(mnt) and "RR_MOVED" not in os.listdir(mnt)
        deep = mnt / trees.DEEP_DIR
        want = (source / trees.DEEP_DIR / "deep.txt").read_bytes()
        assert (deep / "deep.txt").read_bytes() == want
        assert os.listdir(deep) == ["deep.txt"]
        assert os.path.samefile(deep / "..", deep.parent), "'..' of a relocated directory (PL)"
        assert sorted(os.listdir(deep.parent)) == ["deep9.txt", "l10"]
        st = os.lstat(deep)
        assert stat.S_ISDIR(st.st_mode) and st.st_ino == os.stat(deep / ".").st_ino
    tar = readers.bsdtar_list(image)
    assert trees.DEEP_DIR + "/deep.txt" in tar and not any("rr_moved" in p for p in tar)


def test_rockridge_long_names_and_symlink(tmp_path, mount, tools):
    tools("genisoimage")
    source = trees.rr_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "rr.iso", "-R")
    with mount(image) as mnt:
        names = set(os.listdir(mnt / "long"))
        assert names == {trees.LONG_NAME_200, trees.LONG_NAME_255}
        assert len(trees.LONG_NAME_255.encode()) == 255
        data = (mnt / "long" / trees.LONG_NAME_255).read_bytes()
        assert data == (source / "long" / trees.LONG_NAME_255).read_bytes()
        target = os.readlink(mnt / "links/long")
        assert target == trees.GENISO_LONG_LINK and len(target.encode()) > 255


def test_norock_falls_back_to_joliet(tmp_path, mount, tools):
    """-R -J image with -o norock: the Joliet tree (no symlinks or devices, names cut to 64)."""
    tools("genisoimage")
    source = trees.rr_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "rrj.iso", "-R", "-J")
    ref = readers.pycdlib_tree(image, "joliet")
    with mount(image, "-o", "norock") as mnt:
        snap = trees.snapshot(mnt)
    assert_same_paths(ref, snap, "pycdlib Joliet vs mount -o norock")
    assert any(len(p.rsplit("/", 1)[-1]) == 64 for p in snap), "a 64-character Joliet name"
    for path, entry in ref.items():
        item = snap[path]
        assert item.kind == entry.kind, path
        assert item.perm == (0o555 if item.kind == "dir" else 0o444), path
        if entry.kind == "file":
            assert (item.size, item.sha256) == (entry.size, sha(entry.data)), path
    with mount(image) as mnt:     # and without norock, Rock Ridge wins over Joliet
        assert_fields(trees.snapshot(source), trees.snapshot(mnt), RR_FIELDS)


def test_norock_falls_back_to_iso_names(tmp_path, mount, tools):
    tools("genisoimage")
    source = trees.iso_names_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "rr.iso", "-R", "-iso-level", "2")
    with mount(image, "-o", "norock") as mnt:
        plain_checks(image, source, mnt, readers.iso_map_normal)


def test_nojoliet_on_rockridge_joliet_image_keeps_rockridge(tmp_path, mount, tools):
    tools("genisoimage")
    source = trees.rr_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "rrj.iso", "-R", "-J")
    with mount(image, "-o", "nojoliet") as mnt:
        assert_fields(trees.snapshot(source), trees.snapshot(mnt), RR_FIELDS)


def test_norock_nojoliet_shows_relocation_as_stored(tmp_path, mount, tools):
    """Without Rock Ridge the plain ISO 9660 tree is shown as stored: RR_MOVED holds the deep
    directory, and where it came from stands its CL placeholder, which ECMA-119 sees as an empty
    regular file (flags 0, length 0; checked in the record itself). pycdlib's ISO 9660 path API
    resolves the CL placeholder through Rock Ridge even when asked for the plain tree, so it
    lists the relocated directory at both places: pycdlib is the one that is wrong here."""
    tools("genisoimage", "isoinfo")
    source = trees.rr_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "rrj.iso", "-R", "-J")
    with mount(image, "-o", "nojoliet,norock") as mnt:
        snap = trees.snapshot(mnt)
        assert snap["rr_moved"].kind == "dir"
        moved = [p for p in snap if p.startswith("rr_moved/") and p.count("/") == 1]
        assert len(moved) == 1
        name = moved[0].split("/")[1]
        placeholder = next(p for p in snap if p.startswith("deep/") and p.endswith("/" + name))
        # isoinfo (genisoimage's independent reader) prints each record's flags after its extent.
        parent = "/" + "/".join(part.upper() for part in placeholder.split("/")[:-1]) + "/"
        listing = subprocess.run(["isoinfo", "-l", "-i", str(image)], capture_output=True,
                                 text=True, check=True).stdout
        block = listing.split(f"Directory listing of {parent}\n", 1)[1].split("\n\n", 1)[0]
        line = next(ln for ln in block.splitlines() if ln.rstrip().endswith(" " + name.upper()))
        assert re.search(r"\s0 \S+ \d+ \d+ \[\s*\d+ 00\]", line), line  # length 0, flags 00
        assert snap[placeholder].kind == "file" and snap[placeholder].size == 0
        assert os.listdir(mnt / moved[0])  # the relocated directory's contents are under rr_moved


@pytest.mark.parametrize("rock_ridge", [False, True], ids=["plain", "rockridge"])
def test_hidden_files_need_unhide(tmp_path, mount, tools, rock_ridge):
    """genisoimage -hidden sets the Existence bit (ECMA-119 §9.1.6): hidden by default, shown
    with -o unhide."""
    tools("genisoimage", "bsdtar", "7zz")
    source = trees.plain_tree(tmp_path / "src")
    trees.write(source, "secret.txt", b"you found me\n")
    trees.write(source, "dir1/hidden.bin", trees.payload("hidden", 5000))
    image = trees.genisoimage(source, tmp_path / "hidden.iso", *(["-R"] if rock_ridge else []),
                              "-hidden", "secret.txt", "-hidden", "hidden.bin")
    flags = {p: r.file_flags for p, r in _iso_records(image).items()}
    assert flags["SECRET.TXT;1"] & 1 and flags["DIR1/HIDDEN.BIN;1"] & 1
    with mount(image) as mnt:
        assert "secret.txt" not in os.listdir(mnt)
        assert "hidden.bin" not in os.listdir(mnt / "dir1")
        assert not os.path.lexists(mnt / "secret.txt")
        assert (mnt / "readme.txt").exists()
    with mount(image, "-o", "unhide") as mnt:
        assert "secret.txt" in os.listdir(mnt)
        assert (mnt / "secret.txt").read_bytes() == b"you found me\n"
        assert (mnt / "dir1/hidden.bin").read_bytes() == trees.payload("hidden", 5000)
    # bsdtar and 7-Zip ignore the Existence bit and always list hidden files, as -o unhide does;
    # not wrong, a different default.
    assert any(p.lower() == "secret.txt" for p in readers.bsdtar_list(image))
    assert any(p.lower() == "secret.txt" for p in readers.sevenzip_list(image))


def _iso_records(image: Path) -> dict:
    iso = readers.pycdlib_open(image)
    try:
        out = {}
        for dirpath, dirs, files in iso.walk(iso_path="/"):
            for name in files:
                path = readers._join(dirpath, name)
                out[path] = iso.get_record(iso_path="/" + path)
        return out
    finally:
        iso.close()


def test_uid_gid_umask_on_plain_image(tmp_path, mount, tools):
    tools("genisoimage")
    source = trees.plain_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "plain.iso", "-J")
    with mount(image) as mnt:
        for path, item in trees.snapshot(mnt, hash_files=False).items():
            assert item.perm == (0o555 if item.kind == "dir" else 0o444), path
            assert (item.uid, item.gid) == (os.getuid(), os.getgid()), path
    with mount(image, "-o", "uid=1234,gid=5678,umask=027") as mnt:
        snap = trees.snapshot(mnt)
        for path, item in snap.items():
            assert item.perm == (0o550 if item.kind == "dir" else 0o440), (path, oct(item.perm))
            assert (item.uid, item.gid) == (1234, 5678), path
        st = os.stat(mnt)
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 5678, 0o550)
        assert_fields(trees.snapshot(source), snap, ("kind", "size", "sha256"))


def test_uid_gid_apply_to_rockridge_only_with_overriderockperm(tmp_path, mount, tools):
    tools("genisoimage")
    source = trees.rr_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "rr.iso", "-R")
    src = trees.snapshot(source, hash_files=False)
    with mount(image, "-o", "uid=1234,gid=5678,umask=077") as mnt:
        assert_fields(src, trees.snapshot(mnt, hash_files=False), ("kind", "perm", "uid", "gid"))
    with mount(image, "-o", "uid=42,gid=43,umask=077,overriderockperm") as mnt:
        for path, item in trees.snapshot(mnt, hash_files=False).items():
            if item.kind == "symlink":
                continue
            assert (item.uid, item.gid) == (42, 43), path
            assert item.perm & 0o077 == 0, (path, oct(item.perm))
    with mount(image, "-o", "mode=0640,dmode=0750,overriderockperm") as mnt:
        for path, item in trees.snapshot(mnt, hash_files=False).items():
            if item.kind in ("file", "dir"):
                assert item.perm == (0o750 if item.kind == "dir" else 0o640), path
            elif item.kind != "symlink":
                assert item.kind == src[path].kind, path


# ----------------------------------------------------------------------------------------------
# xorriso

def test_xorriso_mkisofs_rockridge_joliet(tmp_path, mount, tools):
    """xorriso -as mkisofs -R -J: libisofs keeps deep directories in place (no rr_moved),
    writes PN as high 0 / old-style dev_t, RRIP 1.12 PX with inode numbers."""
    tools("xorriso")
    source = trees.rr_tree(tmp_path / "src")
    image = trees.xorriso_mkisofs(source, tmp_path / "x.iso", "-R", "-J")
    src = trees.snapshot(source)
    with mount(image) as mnt:
        snap = trees.snapshot(mnt)
        assert_fields(src, snap, RR_FIELDS)
        assert_mtimes(src, snap)
        assert_distinct_inodes(snap, trees.hard_link_groups(src, source))
    ref = readers.pycdlib_tree(image, "rr")
    assert_same_paths(ref, snap, "pycdlib vs mount")
    for path, entry in ref.items():
        if entry.kind == "file":
            assert sha(entry.data) == snap[path].sha256, path
        if entry.kind in ("chr", "blk"):
            assert entry.pn[0] == 0 and readers.pn_to_rdev(entry.pn) == snap[path].rdev, path
        if entry.kind == "symlink":
            assert entry.target == snap[path].target, path


def test_xorriso_mkisofs_bsdtar_and_7zip(tmp_path, tools):
    tools("xorriso", "bsdtar", "7zz")
    source = trees.rr_tree(tmp_path / "src")
    image = trees.xorriso_mkisofs(source, tmp_path / "x.iso", "-R", "-J")
    src = trees.snapshot(source)
    tar = readers.bsdtar_list(image)
    assert_same_paths(src, tar, "bsdtar vs source")
    for path, item in src.items():
        if item.kind in ("chr", "blk"):     # libisofs' PN layout reads right in libarchive
            assert tar[path].size == f"{item.rdev[0]},{item.rdev[1]}", path
        if item.kind == "file" and tar[path].hardlink is None:
            assert sha(readers.bsdtar_read(image, path)) == item.sha256, path
    # 7-Zip reads the Joliet tree when there is one (its Iso handler prefers Joliet over Rock
    # Ridge), so it shows what the mount shows with -o norock: no symlinks, devices or FIFOs.
    sz = readers.sevenzip_list(image)
    joliet = readers.pycdlib_tree(image, "joliet", read=False)
    assert_same_paths(joliet, sz, "7-Zip vs pycdlib Joliet")
    assert not [p for p, props in sz.items() if props.get("Symbolic Link")]


def test_xorriso_long_rockridge_names_and_links_use_ce(tmp_path, mount, tools):
    """40 names of 250 bytes and a 1000-byte symlink target: NM and SL continue in CE areas."""
    tools("xorriso", "bsdtar", "7zz")
    source = trees.long_rr_tree(tmp_path / "src")
    image = trees.xorriso_mkisofs(source, tmp_path / "long.iso", "-R")
    src = trees.snapshot(source)
    assert max(len(p.rsplit("/", 1)[-1].encode()) for p in src) == 250
    with mount(image) as mnt:
        snap = trees.snapshot(mnt)
        assert_fields(src, snap, RR_FIELDS)
        assert os.readlink(mnt / "longlink") == trees.XORRISO_LONG_LINK
        assert len(os.listdir(mnt / "names")) == 40 + 1 + 5
    ref = readers.pycdlib_tree(image, "rr")
    assert_same_paths(ref, snap, "pycdlib vs mount")
    assert ref["longlink"].target == trees.XORRISO_LONG_LINK
    tar = readers.bsdtar_list(image)
    assert_same_paths(src, tar, "bsdtar vs source")
    for path, item in src.items():
        if item.kind == "symlink" and tar[path].target != item.target:
            # bsdtar is wrong, as in test_genisoimage_rockridge_bsdtar_and_7zip: it drops the
            # '/' where the target passes from one SL entry to the next.
            assert strip_slashes(tar[path].target) == strip_slashes(item.target), path
            assert "/" in item.target, path
    assert tar["longlink"].target != trees.XORRISO_LONG_LINK, "the known bsdtar bug is covered"
    # 7-Zip is wrong on long Rock Ridge names: it reads only the NM entry in the directory
    # record and ignores the rest continued through CE, so the names come out cut short.
    sz = readers.sevenzip_list(image)
    long_names = [p for p in src if p.startswith("names/0")]
    assert not set(long_names) & set(sz)
    cut = [p for p in sz if p.startswith("names/0")]
    assert len(cut) == len(long_names)
    assert all(any(full.startswith(p) for full in long_names) for p in cut)


def test_xorriso_zisofs(tmp_path, mount, tools):
    """Files compressed with zisofs (ZF entries, 32 KiB blocks): the mount decompresses."""
    tools("xorriso", "bsdtar", "7zz")
    source = trees.zisofs_tree(tmp_path / "src")
    image = trees.xorriso_zisofs(source, tmp_path / "z.iso")
    src = trees.snapshot(source)
    assert image.stat().st_size < sum(i.size for i in src.values() if i.kind == "file")
    with mount(image) as mnt:
        snap = trees.snapshot(mnt)
        assert_fields(src, snap, RR_FIELDS)
        data = (source / "text.txt").read_bytes()
        check_preads(mnt / "text.txt", data, tuple(range(32768, len(data), 32768)))
        mixed = (source / "mixed.bin").read_bytes()
        check_preads(mnt / "mixed.bin", mixed, (32768, 65536, 98304, 131072))
        assert cat(mnt / "zeros.bin") == bytes(200_000)
    # pycdlib is wrong: it refuses the whole image ("Unknown SUSP record") because of the ZF
    # entries, while SUSP 1.12 §5 says a reader ignores entries it does not know.
    import pycdlib.pycdlibexception
    with pytest.raises(pycdlib.pycdlibexception.PyCdlibInvalidISO, match="Unknown SUSP"):
        readers.pycdlib_open(image)
    # bsdtar decompresses zisofs, but is wrong at the end of a file that ends in all-zero
    # blocks: zisofs stores such a block as two equal block pointers (no data), and libarchive
    # ends the file early when no compressed data follows (zeros in the middle are fine).
    for path, item in src.items():
        if item.kind != "file":
            continue
        got = readers.bsdtar_read(image, path)
        data = (source / path).read_bytes()
        if len(data) >= 32768 and data[-32768:] == bytes(32768):
            assert len(got) < item.size and got == data[:len(got)], path
            assert data[len(got):] == bytes(len(data) - len(got)), path
        else:
            assert sha(got) == item.sha256, path
    # 7-Zip is wrong: it knows no ZF entry, reports the compressed size and extracts the
    # compressed stream (it starts with the zisofs magic 37 E4 53 96 C9 DB D6 07).
    sz = readers.sevenzip_list(image)
    assert int(sz["text.txt"]["Size"]) < src["text.txt"].size
    assert readers.sevenzip_read(image, "text.txt")[:8] == bytes.fromhex("37E45396C9DBD607")
    assert sha(readers.sevenzip_read(image, "sub/random.bin")) == src["sub/random.bin"].sha256


# ----------------------------------------------------------------------------------------------
# multi-extent files

MULTI_CHUNK = 64 * 1024


def test_multi_extent_small_pycdlib(tmp_path, mount, tools):
    """A 300 KiB file in five 64 KiB extents (several directory records, multi-extent flag on
    all but the last), written by pycdlib with its extent limit lowered (trees.pycdlib_image)."""
    tools("bsdtar", "7zz")
    data = trees.payload("multi", 300 * 1024 + 123)
    exact = trees.payload("exact", 2 * MULTI_CHUNK)
    entries = [trees.PycdlibEntry("big"), trees.PycdlibEntry("big/multi.bin", data),
               trees.PycdlibEntry("big/exact.bin", exact),
               trees.PycdlibEntry("big/after.txt", b"after the multi-extent records\n")]
    image = tmp_path / "multi.iso"
    iso_paths = trees.pycdlib_image(image, entries, level=3, multi_extent_chunk=MULTI_CHUNK)
    records = [r for p, r in _iso_records_all(image) if p == iso_paths["big/multi.bin"][1:]]
    assert len(records) == 5 and [r.file_flags & 0x80 for r in records] == [0x80] * 4 + [0]
    boundaries = tuple(range(MULTI_CHUNK, len(data), MULTI_CHUNK))
    # Rock Ridge, Joliet and plain ISO 9660 (where map=normal gives the same lower-case names)
    for options in ((), ("-o", "norock"), ("-o", "norock,nojoliet")):
        with mount(image, *options) as mnt:
            big = mnt / "big"
            assert sorted(os.listdir(big)) == ["after.txt", "exact.bin", "multi.bin"], options
            multi = big / "multi.bin"
            assert os.lstat(multi).st_size == len(data), options
            assert trees.sha256_file(multi) == sha(data), options
            assert (big / "exact.bin").read_bytes() == exact, options
            assert (big / "after.txt").read_bytes() == b"after the multi-extent records\n"
            check_preads(multi, data, boundaries)
            assert cat(multi) == data
            assert len({os.lstat(big / n).st_ino for n in os.listdir(big)}) == 3
    # pycdlib is wrong through its Rock Ridge path: get_file_from_iso_fp(rr_path=...) finds the
    # last of the file's directory records and returns only that extent's bytes. Its ISO 9660
    # and Joliet paths return the whole file.
    assert readers.pycdlib_read(image, "rr", "big/multi.bin") == data[4 * MULTI_CHUNK:]
    assert readers.pycdlib_read(image, "joliet", "big/multi.bin") == data
    assert readers.pycdlib_read(image, "iso", iso_paths["big/multi.bin"][1:]) == data
    assert readers.bsdtar_read(image, "big/multi.bin") == data
    assert readers.sevenzip_list(image)["big/multi.bin"]["Size"] == str(len(data))
    assert readers.sevenzip_read(image, "big/multi.bin") == data


def _iso_records_all(image: Path) -> list:
    """(path, record) for every ISO 9660 directory record of a file, multi-extent parts too."""
    iso = readers.pycdlib_open(image)
    try:
        out = []
        for dirpath, dirs, files in iso.walk(iso_path="/"):
            parent = iso.get_record(iso_path=dirpath)
            for child in parent.children:
                if child.is_dot() or child.is_dotdot() or child.is_dir():
                    continue
                out.append((readers._join(dirpath, child.file_identifier().decode()), child))
        return out
    finally:
        iso.close()


FOUR_GIB = 4 * 1024 ** 3
EXTENT_MAX = 0xFFFFF800      # the most one directory record holds, in whole blocks


def test_multi_extent_4gib_sparse_file(tmp_path, mount, tools):
    """A real file over 4 GiB (sparse in the source, with data at the start, across the first
    extent boundary and at the end) in an -iso-level 3 image: two directory records."""
    tools("xorriso", "7zz", "bsdtar")
    started = time.monotonic()
    source = tmp_path / "src"
    source.mkdir()
    size = FOUR_GIB + 300 * 1024 + 7
    marks = {0: trees.payload("start", 10_000), EXTENT_MAX - 5000: trees.payload("edge", 10_000),
             size - 4321: trees.payload("end", 4321), 2 ** 31: trees.payload("mid", 3000)}
    with open(source / "huge.bin", "wb") as f:
        os.truncate(f.fileno(), size)
        for offset, chunk in marks.items():
            os.pwrite(f.fileno(), chunk, offset)
    trees.write(source, "small.txt", b"next to a huge file\n")
    image = tmp_path / "huge.iso"
    try:
        trees.xorriso_mkisofs(source, image, "-iso-level", "3", "-R", "-J")
        built = time.monotonic()
        print(f"\n4 GiB: xorriso {built - started:.1f} s, image {image.stat().st_size} bytes, "
              f"{image.stat().st_blocks * 512} on disk")

        def expected(offset: int, length: int) -> bytes:
            with open(source / "huge.bin", "rb") as f:
                return os.pread(f.fileno(), length, offset)

        with mount(image) as mnt:
            huge = mnt / "huge.bin"
            assert os.lstat(huge).st_size == size
            fd = os.open(huge, os.O_RDONLY)
            try:
                for offset in [0, 1, 2047, EXTENT_MAX - 5000, EXTENT_MAX - 2049, EXTENT_MAX - 1,
                               EXTENT_MAX, EXTENT_MAX + 1, EXTENT_MAX + 4999, 2 ** 31 - 1,
                               2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, size - 4321, size - 1]:
                    for length in (1, 2049, 10_001):
                        assert os.pread(fd, length, offset) == expected(offset, length), \
                            (offset, length)
                assert os.pread(fd, 100, size) == b""
                # the whole file, compared chunk by chunk with the (sparse, fast) source
                h_src, h_mnt = hashlib.sha256(), hashlib.sha256()
                with open(source / "huge.bin", "rb") as f_src:
                    offset = 0
                    while offset < size:
                        got = os.pread(fd, 8 << 20, offset)
                        want = os.pread(f_src.fileno(), 8 << 20, offset)
                        assert got == want, f"bytes differ in the 8 MiB from {offset:#x}"
                        offset += len(want)
            finally:
                os.close(fd)
            assert (mnt / "small.txt").read_bytes() == b"next to a huge file\n"
        read_done = time.monotonic()
        iso = readers.pycdlib_open(image)
        try:
            with iso.open_file_from_iso(iso_path="/HUGE.BIN;1") as f:
                for offset in (0, 2 ** 31, EXTENT_MAX - 10_000):
                    f.seek(offset)
                    assert f.read(10_000) == expected(offset, 10_000), offset
                # pycdlib is wrong: the file object it opens for a multi-extent file spans only
                # the first directory record's extent; reads end there (the mount goes on).
                f.seek(EXTENT_MAX - 5000)
                assert f.read(10_000) == expected(EXTENT_MAX - 5000, 5000)
                f.seek(size - 4321)
                assert f.read(4321) == b""
        finally:
            iso.close()
        assert readers.sevenzip_list(image)["huge.bin"]["Size"] == str(size)
        assert readers.bsdtar_list(image)["huge.bin"].size == str(size)
        print(f"4 GiB: full read through the mount {read_done - built:.1f} s, "
              f"total {time.monotonic() - started:.1f} s")
    finally:
        image.unlink(missing_ok=True)      # pytest keeps the last runs' tmp dirs: not 4 GiB


# ----------------------------------------------------------------------------------------------
# pycdlib-written images

def pycdlib_entries() -> list[trees.PycdlibEntry]:
    e = trees.PycdlibEntry
    out = [e("dir1"), e("dir1/sub"), e("dir1/sub/deeper"), e("docs"), e("Ünï"),
           e("dir1/sub/notes.txt", trees.text_payload("notes", 5000)),
           e("dir1/data.bin", trees.payload("data", 100 * 1024 + 3)),
           e("docs/manual.txt", trees.text_payload("manual", 300 * 1024)),
           e("Ünï/çödé.txt", trees.payload("unicode", 77)),
           e("readme.txt", b"readme\n"),
           e("links_rel", target="dir1/data.bin"),
           e("dir1/sub/up", target="../../readme.txt"),
           e("links_abs", target="/usr/share/doc"),
           e("dangling", target="no/such/file")]
    out += [e(f"sizes/{name}", trees.payload(name, size)) for name, size in
            trees.EDGE_SIZES.items()]
    return out + [e("sizes")]


@pytest.mark.parametrize("level", [1, 2, 3])
def test_pycdlib_written_image(tmp_path, mount, level):
    entries = pycdlib_entries()
    image = tmp_path / f"pycdlib{level}.iso"
    iso_paths = trees.pycdlib_image(image, entries, level=level, joliet=True, rock_ridge="1.09")
    with mount(image) as mnt:
        snap = trees.snapshot(mnt)
        assert_same_paths({x.path for x in entries}, snap, "mount vs what pycdlib wrote")
        for entry in entries:
            item = snap[entry.path]
            if entry.target is not None:
                assert item.kind == "symlink" and item.target == entry.target, entry.path
            elif entry.data is not None:
                assert item.kind == "file" and item.sha256 == sha(entry.data), entry.path
                if len(entry.data) > 5000:
                    check_preads(mnt / entry.path, entry.data)
            else:
                assert item.kind == "dir", entry.path
    with mount(image, "-o", "norock") as mnt:
        snap = trees.snapshot(mnt)
        joliet = readers.pycdlib_tree(image, "joliet")
        assert_same_paths(joliet, snap, "mount -o norock vs pycdlib Joliet")
        for entry in entries:
            if entry.data is not None:
                assert snap[entry.path].sha256 == sha(entry.data), entry.path
    with mount(image, "-o", "norock,nojoliet") as mnt:
        snap = trees.snapshot(mnt)
        want = {readers.map_path(iso_paths[x.path][1:], readers.iso_map_normal): x
                for x in entries if x.target is None}
        got_files = {p for p, i in snap.items()}
        assert want.keys() <= got_files, sorted(want.keys() - got_files)
        for path, entry in want.items():
            if entry.data is not None:
                assert snap[path].sha256 == sha(entry.data), path


def test_pycdlib_written_image_readers_agree(tmp_path, tools):
    tools("bsdtar", "7zz")
    entries = pycdlib_entries()
    image = tmp_path / "pycdlib.iso"
    trees.pycdlib_image(image, entries, level=3, joliet=False, rock_ridge="1.09")
    tar = readers.bsdtar_list(image)
    sz = readers.sevenzip_list(image)
    assert_same_paths({x.path for x in entries}, tar, "bsdtar vs what pycdlib wrote")
    assert_same_paths({x.path for x in entries}, sz, "7-Zip vs what pycdlib wrote")
    for entry in entries:
        if entry.target is not None:
            assert tar[entry.path].target == entry.target
            assert sz[entry.path]["Symbolic Link"] == entry.target
        elif entry.data is not None:
            assert readers.bsdtar_read(image, entry.path) == entry.data, entry.path
            assert readers.sevenzip_read(image, entry.path) == entry.data, entry.path


# ----------------------------------------------------------------------------------------------
# a wide directory

def test_directory_with_5000_files(tmp_path, mount, tools):
    tools("genisoimage", "du", "ls")
    source = trees.wide_tree(tmp_path / "src", 5000)
    image = trees.genisoimage(source, tmp_path / "wide.iso", "-R", "-J")
    want = sorted(os.listdir(source / "wide"))
    with mount(image) as mnt:
        # a lookup before any listing of the directory
        assert (mnt / "wide/file_04999.txt").read_bytes() == b"4999\n"
        assert os.lstat(mnt / "wide/file_02500.txt").st_size == 5
        started = time.monotonic()
        names = os.listdir(mnt / "wide")
        assert len(names) == 5000 and sorted(names) == want
        with os.scandir(mnt / "wide") as it:            # partial iteration, then abandon
            first = [next(it).name for _ in range(10)]
        assert set(first) <= set(want)
        ls = subprocess.run(["ls", "-f", str(mnt / "wide")], capture_output=True, text=True,
                            check=True, timeout=120).stdout.split()
        assert sorted(n for n in ls if n not in (".", "..")) == want
        snap = trees.snapshot(mnt)
        listed = time.monotonic() - started
        assert sum(1 for p in snap if p.startswith("wide/")) == 5000
        assert all(snap[f"wide/{n}"].sha256 == sha(b"%d\n" % int(n[5:10])) for n in want)
        du = subprocess.run(["du", "-s", "--apparent-size", "-B1", str(mnt)],
                            capture_output=True, text=True, check=True, timeout=120)
        total = sum(os.lstat(mnt / p).st_size for p in snap) + os.lstat(mnt).st_size
        assert int(du.stdout.split()[0]) == total
        du_blocks = subprocess.run(["du", "-s", "-B1", str(mnt)], capture_output=True,
                                   text=True, check=True, timeout=120)
        assert int(du_blocks.stdout.split()[0]) >= sum(i.size for i in snap.values()
                                                       if i.kind == "file")
        assert_distinct_inodes(snap, [])
        print(f"\n5000 files: list + stat + read all in {listed:.1f} s")


# ----------------------------------------------------------------------------------------------
# reads

def test_reads_at_odd_offsets_and_sizes(tmp_path, mount, tools):
    tools("genisoimage", "cat")
    source = trees.plain_tree(tmp_path / "src")
    image = trees.genisoimage(source, tmp_path / "rr.iso", "-R", "-J")
    files = {p: (source / p).read_bytes() for p, i in trees.snapshot(source).items()
             if i.kind == "file"}
    with mount(image) as mnt:
        for path, data in sorted(files.items()):
            check_preads(mnt / path, data)
            assert cat(mnt / path) == data, path
            with open(mnt / path, "rb") as f:       # buffered sequential reads of odd sizes
                parts = []
                while chunk := f.read(777):
                    parts.append(chunk)
            assert b"".join(parts) == data, path
        every = sorted(files)
        assert cat(*(mnt / p for p in every)) == b"".join(files[p] for p in every)
        # several threads reading different files at once
        import concurrent.futures
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda p: (p, trees.sha256_file(mnt / p)), every * 4))
        assert all(h == sha(files[p]) for p, h in results)
        with pytest.raises(OSError):
            os.open(mnt / "readme.txt", os.O_WRONLY)
        with pytest.raises(FileNotFoundError):
            os.lstat(mnt / "no-such-file")
