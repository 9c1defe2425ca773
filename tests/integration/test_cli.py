"""The command line of docs/cli.md, on small images made here with genisoimage and xorriso.

Every expected value comes from the contract, from what the test put into the image, or from an
independent reader (isoinfo, xorriso, pycdlib); none from mount-image itself.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import random
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import is_mounted, require_tool, run_cli, unmount, wait_until

# fixed, whole-second mtimes (Rock Ridge TF stores seconds), distinct per entry
T0 = int(dt.datetime(2021, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc).timestamp())
FILE_MODE_DEFAULT, DIR_MODE_DEFAULT = 0o444, 0o555  # docs/cli.md: mode / dmode defaults
WRITE_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}


# ---------------------------------------------------------------------------------------------
# building images

def make_tree(root: Path, symlinks: bool = True) -> Path:
    """A small tree with known contents and mtimes."""
    root.mkdir(parents=True)
    (root / "hello.txt").write_bytes(b"hello, world\n")
    (root / "empty").write_bytes(b"")
    (root / "dir").mkdir()
    (root / "dir" / "nested.txt").write_bytes(b"nested file\n" * 10)
    (root / "dir" / "deeper").mkdir()
    (root / "dir" / "deeper" / "data.bin").write_bytes(random.Random(7).randbytes(300_000))
    if symlinks:
        os.symlink("hello.txt", root / "link")
        os.symlink("../hello.txt", root / "dir" / "up")
        os.symlink("dir/deeper", root / "dirlink")
    entries = sorted((p for p in root.rglob("*")), key=lambda p: len(p.parts), reverse=True)
    for i, p in enumerate(entries):  # deepest first, so a directory's own time is set last
        os.utime(p, (T0 + 1000 + i, T0 + i), follow_symlinks=False)
    os.utime(root, (T0, T0 - 100))
    return root


def genisoimage(out: Path, src: Path, *args: str) -> Path:
    require_tool("genisoimage")
    proc = subprocess.run(["genisoimage", "-quiet", "-input-charset", "utf-8", *args,
                           "-o", str(out), str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


def xorriso_mkisofs(out: Path, src: Path, *args: str) -> Path:
    require_tool("xorriso")
    proc = subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", *args, "-o", str(out), str(src)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "src")


@pytest.fixture
def rr_image(tmp_path: Path, tree: Path) -> Path:
    """Rock Ridge + Joliet, with every descriptor field set to a known value."""
    return genisoimage(tmp_path / "rr.iso", tree, "-R", "-J", "-V", "My Disc", "-sysid", "MYSYS",
                       "-publisher", "Pub Co", "-p", "Prep Person", "-A", "Test App")


@pytest.fixture
def plain_image(tmp_path: Path) -> Path:
    """No Rock Ridge: ownership and permissions come from the mount options."""
    src = make_tree(tmp_path / "plain-src", symlinks=False)
    return genisoimage(tmp_path / "plain.iso", src, "-J", "-V", "PLAIN")


def cli_json(*args) -> object:
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    """The error contract: a single line on stderr, ``mount-image: ...``."""
    lines = proc.stderr.strip().split("\n")
    assert len(lines) == 1 and lines[0], f"expected one line on stderr, got {proc.stderr!r}"
    assert lines[0].startswith("mount-image: "), lines[0]
    return lines[0]


def unescape_mountinfo(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mountinfo_entry(mountpoint: Path) -> dict | None:
    target = os.path.realpath(mountpoint)
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if unescape_mountinfo(fields[4]) != target:
                continue
            sep = fields.index("-")
            return {"options": fields[5].split(","), "fstype": fields[sep + 1],
                    "source": unescape_mountinfo(fields[sep + 2]),
                    "super_options": fields[sep + 3].split(",")}
    return None


def mounts_of(image: Path) -> list[str]:
    """Mountpoints whose source is ``image`` (however they were mounted)."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if unescape_mountinfo(fields[sep + 2]) == str(image):
                out.append(unescape_mountinfo(fields[4]))
    return out


def holders_of(image: Path) -> dict[int, list[int]]:
    """pid -> open flags of each descriptor that process holds on ``image``."""
    target = os.path.realpath(image)
    found: dict[int, list[int]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") != target:
                    continue
                info = Path(f"/proc/{pid}/fdinfo/{fd}").read_text()
            except OSError:
                continue
            flags = int(re.search(r"^flags:\s+([0-7]+)", info, re.M).group(1), 8)
            found.setdefault(int(pid), []).append(flags)
    return found


def tree_lines(root: Path) -> list[str]:
    """path, type, size, sha256 or ->target, mtime of everything below root (lstat)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = Path(dirpath, name)
            rel = full.relative_to(root).as_posix()
            st = full.lstat()
            if stat.S_ISLNK(st.st_mode):
                out.append(f"{rel}\tl\t->{os.readlink(full)}")
            elif stat.S_ISDIR(st.st_mode):
                out.append(f"{rel}\td\t{int(st.st_mtime)}")
            else:
                out.append(f"{rel}\tf\t{sha256(full)}\t{int(st.st_mtime)}")
    return sorted(out)


def eltorito_report(image: Path) -> list[dict]:
    """xorriso's reading of the boot catalog."""
    require_tool("xorriso")
    out = subprocess.run(["xorriso", "-indev", str(image), "-report_el_torito", "plain"],
                         capture_output=True, text=True).stdout
    entries = []
    for m in re.finditer(r"^El Torito boot img :\s+(\d+)\s+(\S+)\s+([yn])\s+(\S+)\s+(0x[0-9a-f]+)"
                         r"\s+(0x[0-9a-f]+)\s+(\d+)\s+(\d+)", out, re.M):
        entries.append({"platform": m.group(2), "bootable": m.group(3) == "y",
                        "emulation": m.group(4), "load_segment": int(m.group(5), 16),
                        "system_type": int(m.group(6), 16), "sectors": int(m.group(7)),
                        "load_rba": int(m.group(8))})
    assert entries, out
    return entries


PLATFORMS = {"bios": 0, "x86": 0, "80x86": 0, "ppc": 1, "powerpc": 1, "mac": 2, "uefi": 0xEF, "efi": 0xEF}
EMULATIONS = [("no", 0), ("none", 0), ("1.2", 1), ("1.44", 2), ("1.4", 2), ("2.88", 3), ("2.8", 3),
              ("hard", 4), ("hd", 4)]


def platform_id(value) -> int:
    """The El Torito platform id, from a number or a name (80x86/BIOS, PowerPC, Mac, EFI)."""
    if isinstance(value, int):
        return value
    key = str(value).lower().replace(" ", "")
    if key in PLATFORMS:
        return PLATFORMS[key]
    hits = {pid for name, pid in PLATFORMS.items() if name in key}
    assert len(hits) == 1, f"cannot tell which platform {value!r} is"
    return hits.pop()


def emulation_id(value) -> int:
    """The El Torito boot media type, from a number or a name (no emulation, 1.2/1.44/2.88 MB
    floppy, hard disk)."""
    if isinstance(value, int):
        return value
    key = str(value).lower()
    for fragment, code in EMULATIONS:
        if fragment in key:
            return code
    raise AssertionError(f"cannot tell which emulation {value!r} is")


# ---------------------------------------------------------------------------------------------
# mount, list, unmount

def test_mount_returns_when_ready(rr_image: Path, tree: Path, mount):
    with mount(rr_image) as mnt:
        # no retry, no sleep: the command returned, so the mount must answer now
        assert sorted(os.listdir(mnt)) == sorted(os.listdir(tree))
        assert (mnt / "hello.txt").read_bytes() == (tree / "hello.txt").read_bytes()
        assert sha256(mnt / "dir" / "deeper" / "data.bin") == sha256(tree / "dir" / "deeper" / "data.bin")


def test_mount_subcommand_spelled_out(rr_image: Path, tree: Path, tmp_path: Path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    try:
        proc = run_cli("mount", rr_image, mnt)
        assert proc.returncode == 0, proc.stderr
        assert sorted(os.listdir(mnt)) == sorted(os.listdir(tree))
    finally:
        unmount(mnt)


def test_mountinfo_names_fstype_and_image(rr_image: Path, mount):
    with mount(rr_image) as mnt:
        entry = mountinfo_entry(mnt)
        assert entry is not None
        assert entry["fstype"] == "fuse.mount-image"
        assert entry["source"] == str(rr_image.resolve())
        assert "ro" in entry["options"]


def test_list_text_and_json(rr_image: Path, mount):
    with mount(rr_image) as mnt:
        proc = run_cli("list")
        assert proc.returncode == 0, proc.stderr
        lines = [line for line in proc.stdout.split("\n")
                 if str(mnt) in line.split() and str(rr_image) in line.split()]
        assert len(lines) == 1, proc.stdout
        assert "files" in lines[0].split()

        mounts = cli_json("list", "--json")
        assert isinstance(mounts, list)
        ours = [m for m in mounts if m["mountpoint"] == str(mnt)]
        assert len(ours) == 1, mounts
        assert {k: ours[0][k] for k in ("image", "mountpoint", "view")} == \
            {"image": str(rr_image), "mountpoint": str(mnt), "view": "files"}
    mounts = cli_json("list", "--json")
    assert not [m for m in mounts if m["mountpoint"] == str(mnt)], "list shows an unmounted mount"


def test_list_unescapes_paths_with_spaces(tmp_path: Path, tree: Path, mount):
    """/proc/self/mountinfo writes a space as \\040; list prints the real path."""
    (tmp_path / "a folder").mkdir()
    image = genisoimage(tmp_path / "a folder" / "my disc.iso", tree, "-R")
    with mount(image) as mnt:
        assert mountinfo_entry(mnt)["source"] == str(image)
        ours = [m for m in cli_json("list", "--json") if m["mountpoint"] == str(mnt)]
        assert len(ours) == 1 and ours[0]["image"] == str(image)
        proc = run_cli("list")
        assert str(image) in proc.stdout


@pytest.mark.parametrize("how", ["unmount", "-u", "fusermount3"])
def test_unmount(how: str, rr_image: Path, tmp_path: Path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    try:
        proc = run_cli(rr_image, mnt)
        assert proc.returncode == 0, proc.stderr
        assert is_mounted(mnt)
        assert holders_of(rr_image), "no process holds the image open while it is mounted"
        if how == "fusermount3":
            proc = subprocess.run([require_tool("fusermount3"), "-u", str(mnt)], capture_output=True, text=True)
        else:
            proc = run_cli(how, mnt)
        assert proc.returncode == 0, proc.stderr
        assert wait_until(lambda: not is_mounted(mnt))
        assert mnt.is_dir() and os.listdir(mnt) == []
        assert wait_until(lambda: not holders_of(rr_image)), "the daemon outlives its mount"
    finally:
        unmount(mnt)


def test_unmount_of_something_not_mounted_fails(tmp_path: Path):
    (tmp_path / "mnt").mkdir()
    proc = run_cli("unmount", tmp_path / "mnt")
    assert proc.returncode != 0
    one_line_error(proc)


def test_foreground_mode(rr_image: Path, tree: Path, tmp_path: Path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    log = tmp_path / "fg.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "mount_image", str(rr_image), str(mnt), "-f"],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: is_mounted(mnt) or proc.poll() is not None, 30)
        assert proc.poll() is None, f"-f exited ({proc.returncode}): {log.read_text()}"
        assert is_mounted(mnt)
        assert sorted(os.listdir(mnt)) == sorted(os.listdir(tree))
        assert proc.poll() is None, "-f returned while mounted"
        done = subprocess.run([require_tool("fusermount3"), "-u", str(mnt)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert proc.wait(timeout=30) == 0, log.read_text()
    finally:
        unmount(mnt)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------------------------------------
# read-only, and the image left alone

def test_mount_is_read_only(rr_image: Path, mount):
    before = sha256(rr_image)
    with mount(rr_image) as mnt:
        attempts = {
            "create": lambda: open(mnt / "new.txt", "wb"),
            "open for writing": lambda: open(mnt / "hello.txt", "r+b"),
            "append": lambda: open(mnt / "hello.txt", "ab"),
            "truncate": lambda: os.truncate(mnt / "hello.txt", 0),
            "remove": lambda: os.remove(mnt / "hello.txt"),
            "rmdir": lambda: os.rmdir(mnt / "dir" / "deeper"),
            "mkdir": lambda: os.mkdir(mnt / "newdir"),
            "rename": lambda: os.rename(mnt / "hello.txt", mnt / "renamed.txt"),
            "chmod": lambda: os.chmod(mnt / "hello.txt", 0o777),
            "symlink": lambda: os.symlink("hello.txt", mnt / "newlink"),
            "link": lambda: os.link(mnt / "hello.txt", mnt / "hardlink"),
            "utime": lambda: os.utime(mnt / "hello.txt", (0, 0)),
        }
        for what, attempt in attempts.items():
            with pytest.raises(OSError) as caught:
                attempt()
            assert caught.value.errno in WRITE_ERRNOS, f"{what}: {caught.value}"
        assert (mnt / "hello.txt").read_bytes() == b"hello, world\n"
        assert not (mnt / "new.txt").exists() and not (mnt / "newdir").exists()
        assert os.statvfs(mnt).f_flag & os.ST_RDONLY
    assert sha256(rr_image) == before


def test_daemon_leaves_the_image_alone(rr_image: Path, mount):
    before = rr_image.stat()
    digest = sha256(rr_image)
    with mount(rr_image) as mnt:
        holders = holders_of(rr_image)
        assert holders, "no process holds the image open while it is mounted"
        for pid, flags in holders.items():
            for f in flags:
                assert f & os.O_ACCMODE == os.O_RDONLY, f"pid {pid} holds the image open for writing"
        for path in mnt.rglob("*"):
            if path.is_file() and not path.is_symlink():
                path.read_bytes()
    after = rr_image.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ctime_ns) == (before.st_size, before.st_mtime_ns, before.st_ctime_ns)
    assert sha256(rr_image) == digest


def test_statvfs_reports_the_volume(rr_image: Path, mount):
    require_tool("isoinfo")
    out = subprocess.run(["isoinfo", "-d", "-i", str(rr_image)], capture_output=True, text=True).stdout
    block_size = int(re.search(r"Logical block size is: (\d+)", out).group(1))
    blocks = int(re.search(r"Volume size is: (\d+)", out).group(1))
    with mount(rr_image) as mnt:
        st = os.statvfs(mnt)
    assert st.f_frsize == block_size
    assert st.f_blocks == blocks
    assert st.f_bfree == 0 and st.f_bavail == 0
    assert st.f_flag & os.ST_RDONLY
    assert st.f_namemax >= 255


# ---------------------------------------------------------------------------------------------
# refusals: nothing gets mounted

def test_unknown_option_is_refused(rr_image: Path, tmp_path: Path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    try:
        proc = run_cli(rr_image, mnt, "-o", "ro,frobnicate=3")
        assert proc.returncode == 2
        assert "frobnicate" in one_line_error(proc)
        assert not is_mounted(mnt)
        assert not mounts_of(rr_image)
        assert wait_until(lambda: not holders_of(rr_image), 5)
    finally:
        unmount(mnt)


def test_rw_is_refused_ro_is_accepted(rr_image: Path, tmp_path: Path, mount):
    mnt = tmp_path / "rw"
    mnt.mkdir()
    try:
        proc = run_cli(rr_image, mnt, "-o", "rw")
        assert proc.returncode == 2
        one_line_error(proc)
        assert not is_mounted(mnt)
    finally:
        unmount(mnt)
    with mount(rr_image, "-o", "ro") as ro:
        assert (ro / "hello.txt").read_bytes() == b"hello, world\n"


def test_missing_mountpoint(rr_image: Path, tmp_path: Path):
    missing = tmp_path / "no-such-dir"
    proc = run_cli(rr_image, missing)
    assert proc.returncode != 0
    assert "no-such-dir" in one_line_error(proc)
    assert not missing.exists()
    assert not mounts_of(rr_image)
    assert wait_until(lambda: not holders_of(rr_image), 5)


@pytest.mark.parametrize("content", [b"\0" * 300 * 1024, b"not an image\n"], ids=["zeros", "text"])
def test_not_an_image_is_refused(content: bytes, tmp_path: Path):
    image = tmp_path / "disc.iso"
    image.write_bytes(content)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    try:
        proc = run_cli(image, mnt)
        assert proc.returncode == 2
        assert "disc.iso" in one_line_error(proc)
        assert not is_mounted(mnt)
        info = run_cli("info", image)
        assert info.returncode == 2
        assert "disc.iso" in one_line_error(info)
    finally:
        unmount(mnt)


def test_missing_image_is_refused(tmp_path: Path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    proc = run_cli(tmp_path / "nothing.iso", mnt)
    assert proc.returncode == 2
    assert "nothing.iso" in one_line_error(proc)
    assert not is_mounted(mnt)


# ---------------------------------------------------------------------------------------------
# mount options

def modes_and_owners(mnt: Path) -> dict[str, tuple[int, int, int]]:
    out = {".": (stat.S_IMODE(mnt.stat().st_mode), mnt.stat().st_uid, mnt.stat().st_gid)}
    for path in mnt.rglob("*"):
        st = path.lstat()
        out[path.relative_to(mnt).as_posix()] = (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
    return out


@pytest.mark.parametrize("options, file_mode, dir_mode", [
    ("", FILE_MODE_DEFAULT, DIR_MODE_DEFAULT),
    ("umask=027", FILE_MODE_DEFAULT & ~0o027, DIR_MODE_DEFAULT & ~0o027),
    ("fmask=0044,dmask=0005", FILE_MODE_DEFAULT & ~0o044, DIR_MODE_DEFAULT & ~0o005),
    ("umask=022,fmask=0004", FILE_MODE_DEFAULT & ~0o004, DIR_MODE_DEFAULT & ~0o022),
    ("mode=0640,dmode=0750", 0o640, 0o750),
    ("mode=0666,dmode=0777,umask=022", 0o644, 0o755),
])
def test_permission_options_without_rock_ridge(options: str, file_mode: int, dir_mode: int,
                                               plain_image: Path, mount):
    args = ("-o", options) if options else ()
    with mount(plain_image, *args) as mnt:
        seen = modes_and_owners(mnt)
        for rel, (mode, _, _) in seen.items():
            is_dir = rel == "." or (mnt / rel).is_dir()
            assert mode == (dir_mode if is_dir else file_mode), f"{rel}: {mode:o}"
    assert set(seen) == {".", "hello.txt", "empty", "dir", "dir/nested.txt", "dir/deeper",
                         "dir/deeper/data.bin"}


def test_uid_gid_options_without_rock_ridge(plain_image: Path, mount):
    with mount(plain_image, "-o", "uid=1234,gid=2345") as mnt:
        seen = modes_and_owners(mnt)
    assert {(uid, gid) for _, uid, gid in seen.values()} == {(1234, 2345)}


@pytest.fixture
def rr_owned_image(tmp_path: Path) -> Path:
    """Rock Ridge entries that record owner 1000:1001 and modes 0640 / 0750."""
    src = make_tree(tmp_path / "owned", symlinks=False)
    for path in [src, *src.rglob("*")]:
        os.chown(path, 1000, 1001)
        os.chmod(path, 0o750 if path.is_dir() else 0o640)
    return genisoimage(tmp_path / "owned.iso", src, "-R")


def test_rock_ridge_owner_and_modes_win_over_options(rr_owned_image: Path, mount):
    """uid/gid/masks/modes are for entries that store none; Rock Ridge entries keep theirs."""
    with mount(rr_owned_image, "-o", "uid=1234,gid=2345,umask=077,mode=0444,dmode=0555") as mnt:
        seen = modes_and_owners(mnt)
    for rel, (mode, uid, gid) in seen.items():
        is_dir = rel == "." or rel in ("dir", "dir/deeper")
        assert (mode, uid, gid) == ((0o750 if is_dir else 0o640), 1000, 1001), rel


def test_overriderockperm_applies_options_to_rock_ridge(rr_owned_image: Path, mount):
    with mount(rr_owned_image, "-o", "overriderockperm,uid=1234,gid=2345,umask=027") as mnt:
        seen = modes_and_owners(mnt)
    for rel, (mode, uid, gid) in seen.items():
        is_dir = rel == "." or rel in ("dir", "dir/deeper")
        want = (DIR_MODE_DEFAULT if is_dir else FILE_MODE_DEFAULT) & ~0o027
        assert (mode, uid, gid) == (want, 1234, 2345), rel


def test_allow_other_is_passed_to_fuse(rr_image: Path, mount):
    with mount(rr_image, "-o", "allow_other") as mnt:
        entry = mountinfo_entry(mnt)
        assert "allow_other" in entry["super_options"]
        assert (mnt / "hello.txt").read_bytes() == b"hello, world\n"


def isoinfo_root_names(image: Path, *flags: str) -> list[str]:
    require_tool("isoinfo")
    out = subprocess.run(["isoinfo", *flags, "-f", "-i", str(image)], capture_output=True, text=True).stdout
    return sorted(line[1:] for line in out.split("\n") if line.count("/") == 1)


def test_norock_and_nojoliet_change_the_names(rr_image: Path, mount):
    """norock shows the Joliet tree, norock,nojoliet the ISO 9660 one (isoinfo's names)."""
    with mount(rr_image, "-o", "norock") as mnt:
        assert sorted(os.listdir(mnt)) == isoinfo_root_names(rr_image, "-J")
        # genisoimage puts a Rock Ridge symlink into the Joliet tree as an empty file
        assert not (mnt / "link").is_symlink() and (mnt / "link").stat().st_size == 0
    stored = isoinfo_root_names(rr_image)
    assert "HELLO.TXT;1" in stored  # the premise: 8.3 upper-case names with versions
    with mount(rr_image, "-o", "norock,nojoliet") as mnt:
        # map=normal: lower case, no ";1", no trailing dot
        assert sorted(os.listdir(mnt)) == sorted(n.lower().removesuffix(";1").removesuffix(".") for n in stored)
    with mount(rr_image, "-o", "norock,nojoliet,map=off") as mnt:
        assert sorted(os.listdir(mnt)) == stored


# ---------------------------------------------------------------------------------------------
# info

def test_info_json_keys_and_values(rr_image: Path, tmp_path: Path):
    built = dt.datetime.now(dt.timezone.utc)
    info = cli_json("info", "--json", rr_image)
    assert info["label"] == "My Disc"
    assert sorted(info["filesystems"]) == ["iso9660", "joliet", "rockridge"]
    assert info["size"] == rr_image.stat().st_size
    assert info["container"] == "iso"
    assert info["shown"] == "rockridge"
    assert info["eltorito"] == []

    require_tool("isoinfo")
    out = subprocess.run(["isoinfo", "-d", "-i", str(rr_image)], capture_output=True, text=True).stdout
    iso = info["iso9660"]
    assert set(iso) >= {"level", "volume_id", "system_id", "publisher", "preparer", "application",
                        "created", "modified", "block_size", "volume_blocks"}
    assert iso["volume_id"] == "My Disc"
    assert iso["system_id"] == "MYSYS"
    assert iso["publisher"] == "Pub Co"
    assert iso["preparer"] == "Prep Person"
    assert iso["application"] == "Test App"
    assert iso["block_size"] == int(re.search(r"Logical block size is: (\d+)", out).group(1))
    assert iso["volume_blocks"] == int(re.search(r"Volume size is: (\d+)", out).group(1))
    assert iso["level"] in (1, 2, 3, 4)
    for key in ("created", "modified"):
        when = dt.datetime.fromisoformat(iso[key])
        if when.tzinfo is None:
            when = when.astimezone()
        assert abs(when - built) < dt.timedelta(minutes=10), f"{key}: {iso[key]}"
    assert info["joliet"]["level"] == 3  # genisoimage writes the UCS-2 level 3 escape %/E
    assert info["joliet"]["volume_id"] == "My Disc"
    assert isinstance(info["rockridge"]["extensions"], list) and info["rockridge"]["extensions"]


def test_info_text(rr_image: Path):
    proc = run_cli("info", rr_image)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.replace(str(rr_image), "")
    assert "My Disc" in text
    squashed = re.sub(r"[\s_-]", "", text.lower())
    for fs in ("iso9660", "joliet", "rockridge"):
        assert fs in squashed, fs
    assert str(dt.datetime.now().year) in text  # the creation date


@pytest.mark.parametrize("options, shown", [
    ((), "rockridge"), (("-o", "norock"), "joliet"), (("-o", "nojoliet"), "rockridge"),
    (("-o", "norock,nojoliet"), "iso9660"),
])
def test_info_options_change_shown(options, shown: str, rr_image: Path):
    info = cli_json("info", "--json", rr_image, *options)
    assert info["shown"] == shown
    assert sorted(info["filesystems"]) == ["iso9660", "joliet", "rockridge"]  # all still found


def test_info_plain_label_as_stored(tmp_path: Path, tree: Path):
    image = genisoimage(tmp_path / "plain.iso", tree, "-V", "My Disc")
    info = cli_json("info", "--json", image)
    assert info["filesystems"] == ["iso9660"]
    assert info["shown"] == "iso9660"
    assert info["label"] == "My Disc"  # not mapped: map=normal is for file names
    assert info["joliet"] is None and info["rockridge"] is None


def joliet_volume_id_by_pycdlib(image: Path) -> str:
    import pycdlib  # a test dependency (pyproject.toml); the project's reference reader

    iso = pycdlib.PyCdlib()
    iso.open(str(image))
    try:
        return iso.joliet_vd.volume_identifier.decode("utf-16-be").rstrip(" \0")
    finally:
        iso.close()


@pytest.mark.parametrize("volume_id", ["Mé Disc", "A rather long volume name"],
                         ids=["non-ascii", "longer-than-joliet"])
@pytest.mark.parametrize("extra", [(), ("-joliet-long",)], ids=["joliet", "joliet-long"])
def test_info_label_of_a_joliet_only_image(volume_id: str, extra, tmp_path: Path, tree: Path):
    """Joliet shown: the label is the Joliet volume id as Joliet spells it. genisoimage copies
    the -V bytes into the PVD unchecked (UTF-8, up to 32 bytes) and writes UCS-2 (16 characters
    at most) into the Joliet descriptor, so the two differ."""
    image = genisoimage(tmp_path / "j.iso", tree, "-J", *extra, "-V", volume_id)
    joliet_id = joliet_volume_id_by_pycdlib(image)
    assert joliet_id == volume_id[:16]  # the premise, from an independent reader
    info = cli_json("info", "--json", image)
    assert info["shown"] == "joliet"
    assert info["joliet"]["volume_id"] == joliet_id
    assert info["label"] == joliet_id


def test_info_eltorito_bios_no_emulation(tmp_path: Path, tree: Path):
    (tree / "boot").mkdir()
    (tree / "boot" / "boot.img").write_bytes(random.Random(1).randbytes(2048))
    image = genisoimage(tmp_path / "boot.iso", tree, "-R", "-J", "-b", "boot/boot.img", "-c",
                        "boot/boot.cat", "-no-emul-boot", "-boot-load-size", "4")
    check_eltorito(image)


def test_info_eltorito_floppy_emulation(tmp_path: Path, tree: Path):
    (tree / "boot").mkdir()
    (tree / "boot" / "floppy.img").write_bytes(bytes(1474560))
    image = genisoimage(tmp_path / "floppy.iso", tree, "-R", "-b", "boot/floppy.img", "-c", "boot/boot.cat")
    check_eltorito(image)


def test_info_eltorito_bios_and_efi(tmp_path: Path, tree: Path):
    (tree / "boot").mkdir()
    (tree / "boot" / "boot.img").write_bytes(random.Random(2).randbytes(2048))
    (tree / "boot" / "efi.img").write_bytes(random.Random(3).randbytes(65536))
    image = xorriso_mkisofs(tmp_path / "efi.iso", tree, "-R", "-J", "-b", "boot/boot.img", "-c",
                            "boot/boot.cat", "-no-emul-boot", "-boot-load-size", "4",
                            "-eltorito-alt-boot", "-e", "boot/efi.img", "-no-emul-boot")
    entries = check_eltorito(image)
    assert [platform_id(e["platform"]) for e in entries] == [0, 0xEF]


def check_eltorito(image: Path) -> list[dict]:
    expected = eltorito_report(image)
    info = cli_json("info", "--json", image)
    got = info["eltorito"]
    assert len(got) == len(expected), got
    for ours, ref in zip(got, expected):
        assert platform_id(ours["platform"]) == platform_id(ref["platform"]), ours
        assert emulation_id(ours["emulation"]) == emulation_id(ref["emulation"]), ours
        assert ours["bootable"] is ref["bootable"]
        assert ours["load_rba"] == ref["load_rba"]
        assert ours["sectors"] == ref["sectors"]
        assert ours["system_type"] == ref["system_type"]
        # 0 in the catalog means "the traditional segment 0x7C0" (El Torito 1.0, section 2.2):
        # reporting either the stored 0 or the effective 0x7C0 is right.
        assert ours["load_segment"] in ({ref["load_segment"], 0x7C0} if ref["load_segment"] == 0
                                        else {ref["load_segment"]})
    proc = run_cli("info", image)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.replace(str(image), "")  # the path names the test, "eltorito" included
    assert re.search(r"boot|torito", text, re.I), text
    for ref in expected:  # each entry shows up with its load RBA and sector count
        assert re.search(rf"\b{ref['load_rba']}\b", text) and re.search(rf"\b{ref['sectors']}\b", text), text
    return got


# ---------------------------------------------------------------------------------------------
# ls and extract, without FUSE

def test_ls_root_and_subdirectory(rr_image: Path, tree: Path):
    proc = run_cli("ls", rr_image)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:-1] == sorted(os.listdir(tree))
    for path in ("dir", "/dir", "dir/deeper"):
        proc = run_cli("ls", rr_image, path)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split("\n")[:-1] == sorted(os.listdir(tree / path.lstrip("/"))), path


def test_ls_long(rr_image: Path, tree: Path):
    proc = run_cli("ls", "-l", rr_image)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.split("\n") if line]
    names = sorted(os.listdir(tree))
    assert len(lines) == len(names)
    for name, line in zip(names, lines):  # sorted by name, one line each
        tokens = line.split()
        assert name in tokens, (name, line)
        st = (tree / name).lstat()
        if stat.S_ISREG(st.st_mode):
            assert str(st.st_size) in tokens, (name, line)
        mode = stat.S_IMODE(st.st_mode)
        assert stat.filemode(st.st_mode) in tokens or f"{mode:o}" in tokens or f"{mode:04o}" in tokens \
            or f"0o{mode:o}" in tokens, (name, line)
        day = dt.datetime.fromtimestamp(st.st_mtime).strftime("%Y-%m-%d")
        year = dt.datetime.fromtimestamp(st.st_mtime).strftime("%Y")
        assert day in line or year in line, (name, line)


def test_ls_recursive(rr_image: Path, tree: Path):
    proc = run_cli("ls", "-R", rr_image)
    assert proc.returncode == 0, proc.stderr
    listed = [line for line in proc.stdout.split("\n") if line]
    want = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*"))
    assert sorted(listed) == want
    proc = run_cli("ls", "-R", rr_image, "dir")
    assert proc.returncode == 0, proc.stderr
    listed = [line for line in proc.stdout.split("\n") if line]
    assert sorted(listed) == sorted(p.relative_to(tree / "dir").as_posix() for p in (tree / "dir").rglob("*"))


def test_ls_missing_path(rr_image: Path):
    proc = run_cli("ls", rr_image, "no/such/dir")
    assert proc.returncode != 0
    assert "no/such/dir" in one_line_error(proc)


def test_extract_a_file(rr_image: Path, tree: Path, tmp_path: Path):
    src = tree / "dir" / "deeper" / "data.bin"
    dest = tmp_path / "out.bin"
    proc = run_cli("extract", rr_image, "dir/deeper/data.bin", dest)
    assert proc.returncode == 0, proc.stderr
    assert sha256(dest) == sha256(src)
    assert int(dest.stat().st_mtime) == int(src.stat().st_mtime)

    into = tmp_path / "into"
    into.mkdir()
    proc = run_cli("extract", rr_image, "/hello.txt", into)
    assert proc.returncode == 0, proc.stderr
    assert os.listdir(into) == ["hello.txt"]
    assert (into / "hello.txt").read_bytes() == b"hello, world\n"
    assert int((into / "hello.txt").stat().st_mtime) == int((tree / "hello.txt").stat().st_mtime)


def test_extract_a_tree(rr_image: Path, tree: Path, tmp_path: Path, mount):
    dest = tmp_path / "copy"
    proc = run_cli("extract", rr_image, "dir", dest)
    assert proc.returncode == 0, proc.stderr
    assert (dest / "up").is_symlink() and os.readlink(dest / "up") == "../hello.txt"
    assert tree_lines(dest) == tree_lines(tree / "dir")
    assert int(dest.stat().st_mtime) == int((tree / "dir").stat().st_mtime)
    with mount(rr_image) as mnt:
        assert tree_lines(dest) == tree_lines(mnt / "dir")

    whole = tmp_path / "whole"
    proc = run_cli("extract", rr_image, "/", whole)
    assert proc.returncode == 0, proc.stderr
    assert tree_lines(whole) == tree_lines(tree)


def test_extract_missing_path(rr_image: Path, tmp_path: Path):
    proc = run_cli("extract", rr_image, "no-such-file", tmp_path / "x")
    assert proc.returncode != 0
    assert "no-such-file" in one_line_error(proc)
    assert not (tmp_path / "x").exists()
