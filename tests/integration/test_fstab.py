"""fstab through mount(8) and mount.fuse3: `mount /mnt/x` for a line of type fuse.mount-image.

mount.fuse3 runs ``mount-image SOURCE MOUNTPOINT -o OPTS`` through /bin/sh, options after the
positionals, ``dev,suid`` appended; mount(8) passes ``rw`` unless the line says ``ro``. The
machine's /etc/fstab is never touched: ``mount -T`` reads a temporary one.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import is_mounted, kill_daemons, one_line_error, require_tool, run_cli
from daemon_support import (README, SAMPLE, require_installed_command, require_installed_helper,
                            wait_for)


def _mount_options(mountpoint: Path) -> set[str]:
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if fields[4] == str(mountpoint):
                return set(fields[5].split(","))
    raise AssertionError(f"{mountpoint} is not mounted")


@pytest.fixture
def tools() -> None:
    require_tool("mount")
    require_tool("umount")
    require_tool("mount.fuse3")
    require_installed_command()


@pytest.fixture
def mnt(tmp_path: Path):
    path = tmp_path / "mnt"
    path.mkdir()
    yield path
    if is_mounted(path):
        subprocess.run(["umount", str(path)], capture_output=True)
        wait_for(lambda: not is_mounted(path), what="the unmount")
    kill_daemons(path)


def _fstab(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "fstab"
    path.write_text("# a temporary fstab for mount -T\n" + line + "\n")
    return path


def _umount(mountpoint: Path) -> None:
    proc = subprocess.run(["umount", str(mountpoint)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    wait_for(lambda: not is_mounted(mountpoint), what="the unmount")


def test_fstab_line_mounts_with_mount_T(tools, tmp_path: Path, mnt: Path) -> None:
    """The README's line, with mount(8) reading it from a temporary fstab: `mount MNT`."""
    image = tmp_path / "debian image.iso"          # a space: fstab writes it \040
    shutil.copyfile(SAMPLE, image)
    fstab = _fstab(tmp_path, f"{str(image).replace(' ', chr(92) + '040')} {mnt} "
                             "fuse.mount-image ro,nofail,allow_other 0 0")
    proc = subprocess.run(["mount", "-T", str(fstab), str(mnt)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert (mnt / "README.txt").read_bytes().startswith(README)
    # Forced read-only, no devices, no set-id, whatever mount.fuse3 appended (dev,suid).
    assert {"ro", "nosuid", "nodev"} <= _mount_options(mnt)
    listed = [line.split("\t") for line in run_cli("list").stdout.splitlines()]
    assert [str(image), str(mnt), "files"] in listed
    _umount(mnt)
    assert not is_mounted(mnt)


def test_mount_t_with_everything_fstab_may_say(tools, mnt: Path) -> None:
    options = ("ro,nofail,noauto,user,users,_netdev,defaults,dev,suid,exec,noexec,nodev,nosuid,"
               "x-systemd.automount,x-systemd.requires-mounts-for=/srv,x-gvfs-show,"
               "comment=systemd.automount,allow_other,norock,uid=1000")
    proc = subprocess.run(["mount", "-t", "fuse.mount-image", str(SAMPLE), str(mnt), "-o", options],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert {"ro", "nosuid", "nodev"} <= _mount_options(mnt)
    assert (mnt / "README.txt").stat().st_uid == 1000
    _umount(mnt)


def test_the_whole_option_set_reaches_mount_image(tmp_path: Path, mnt: Path) -> None:
    """mount.fuse3 drops some options and mount(8) others; given straight to mount-image, as
    an older mount.fuse3 or another wrapper might, the whole set is still accepted."""
    options = ("ro,nofail,noauto,auto,user,users,nouser,owner,group,_netdev,defaults,dev,suid,"
               "exec,noexec,nodev,nosuid,x-systemd.automount,x-systemd.device-timeout=5s,"
               "comment=x,relatime,noatime")
    proc = run_cli(SAMPLE, mnt, "-o", options)
    try:
        assert proc.returncode == 0, proc.stderr
        assert {"ro", "nosuid", "nodev"} <= _mount_options(mnt)
    finally:
        run_cli("unmount", mnt)


def test_rw_is_refused_with_a_hint(tools, tmp_path: Path, mnt: Path) -> None:
    """A line without ro: mount(8) passes rw; one clear line, nothing mounted, no daemon left."""
    fstab = _fstab(tmp_path, f"{SAMPLE} {mnt} fuse.mount-image defaults 0 0")
    proc = subprocess.run(["mount", "-T", str(fstab), str(mnt)], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert one_line_error(proc) == "option rw: images are mounted read-only (give ro, e.g. in fstab)"
    assert not is_mounted(mnt)


def test_unknown_option_in_fstab(tools, tmp_path: Path, mnt: Path) -> None:
    fstab = _fstab(tmp_path, f"{SAMPLE} {mnt} fuse.mount-image ro,nosuchoption 0 0")
    proc = subprocess.run(["mount", "-T", str(fstab), str(mnt)], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert one_line_error(proc) == "unknown mount option 'nosuchoption'"
    assert not is_mounted(mnt)


def test_bad_image_in_fstab(tools, tmp_path: Path, mnt: Path) -> None:
    bad = tmp_path / "notes.iso"
    bad.write_bytes(b"not an image" * 1000)
    fstab = _fstab(tmp_path, f"{bad} {mnt} fuse.mount-image ro 0 0")
    proc = subprocess.run(["mount", "-T", str(fstab), str(mnt)], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert one_line_error(proc).startswith(f"{bad}: ")
    assert not is_mounted(mnt)


# `mount -t mount-image` and fstab lines of type mount-image, through /sbin/mount.mount-image.

@pytest.fixture
def helper() -> None:
    require_tool("mount")
    require_installed_helper()


def test_mount_t_mount_image(helper, tmp_path: Path, mnt: Path) -> None:
    fstab = _fstab(tmp_path, f"{SAMPLE} {mnt} mount-image ro,allow_other 0 0")
    proc = subprocess.run(["mount", "-v", "-T", str(fstab), str(mnt)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert f"mount.mount-image: {SAMPLE} mounted on {mnt}" in proc.stdout
    assert (mnt / "README.txt").read_bytes().startswith(README)
    assert {"ro", "nosuid", "nodev"} <= _mount_options(mnt)
    _umount(mnt)


def test_mount_fake_mounts_nothing(helper, mnt: Path) -> None:
    """mount -f: in a helper's argv -f means fake (FUSE would read it as foreground and hang)."""
    proc = subprocess.run(["mount", "-f", "-v", "-t", "mount-image", str(SAMPLE), str(mnt), "-o", "ro"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "nothing mounted" in proc.stdout
    assert not is_mounted(mnt)


def test_mount_fake_still_checks(helper, tmp_path: Path, mnt: Path) -> None:
    bad = tmp_path / "notes.iso"
    bad.write_bytes(b"not an image" * 1000)
    proc = subprocess.run(["mount", "-f", "-t", "mount-image", str(bad), str(mnt), "-o", "ro"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert one_line_error(proc).startswith(f"{bad}: ")


def test_mount_sloppy_drops_unknown_options(helper, mnt: Path) -> None:
    strict = subprocess.run(["mount", "-t", "mount-image", str(SAMPLE), str(mnt), "-o", "ro,nosuchoption"],
                            capture_output=True, text=True, timeout=60)
    assert strict.returncode != 0
    assert one_line_error(strict) == "unknown mount option 'nosuchoption'"
    assert not is_mounted(mnt)
    sloppy = subprocess.run(["mount", "-s", "-t", "mount-image", str(SAMPLE), str(mnt), "-o", "ro,nosuchoption"],
                            capture_output=True, text=True, timeout=60)
    assert sloppy.returncode == 0, sloppy.stderr
    assert sloppy.stderr.strip() == "mount-image: warning: unknown mount option 'nosuchoption': ignored (-s)"
    assert (mnt / "README.txt").read_bytes().startswith(README)
    _umount(mnt)
