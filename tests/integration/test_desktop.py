"""`mount-image open` / `close`, the double-click action, headless: a recording `xdg-open`
stand-in on PATH, real mounts read through the mountpoint."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import IN_CI, one_line_error, require_tool, run_cli
from fixtures import trees

XDG_OPEN = """#!/bin/sh
printf '%s\\n' "$*" >> "{record}"
"""


def is_mounted(path: Path) -> bool:
    """conftest's check, with mountinfo's octal escapes undone: label folders have spaces."""
    target = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        return any(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[4]) == target
                   for line in f)


def make_iso(tmp_path: Path, name: str, label: str) -> tuple[Path, bytes]:
    require_tool("genisoimage")
    tree = tmp_path / f"{name}-tree"
    tree.mkdir()
    payload = f"payload of {name}\n".encode() * 1000
    (tree / "readme.txt").write_bytes(payload)
    iso = tmp_path / f"{name}.iso"
    trees.genisoimage(tree, iso, "-J", "-R", "-V", label)
    return iso, payload


@pytest.fixture
def desktop(tmp_path: Path):
    """An environment like a desktop session's: PATH with the xdg-open stand-in, an empty
    config folder, no session bus (notifications are tested in test_desktop_notify.py)."""
    require_tool("fusermount3")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "xdg-open.log"
    stand_in = bin_dir / "xdg-open"
    stand_in.write_text(XDG_OPEN.format(record=record))
    stand_in.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "MOUNT_IMAGE_"))}
    env.update(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_RUNTIME_DIR=str(tmp_path / "runtime"))
    discs = tmp_path / "discs"
    yield env, discs, record
    if discs.exists():  # a failed test must not leave a mount behind (nor two stacked ones)
        for folder in discs.iterdir():
            for _ in range(3):
                if is_mounted(folder):
                    subprocess.run(["fusermount3", "-uz", str(folder)], capture_output=True)


def recorded(record: Path, lines: int) -> list[str]:
    """The stand-in runs detached: wait for its lines."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if record.exists() and len(record.read_text().splitlines()) >= lines:
            break
        time.sleep(0.05)
    return record.read_text().splitlines() if record.exists() else []


def test_open_mounts_under_the_label_and_shows_it(desktop, tmp_path):
    env, discs, record = desktop
    iso, payload = make_iso(tmp_path, "one", "My Disc")
    proc = run_cli("open", iso, "--folder", discs, env=env)
    assert proc.returncode == 0, proc.stderr
    folder = discs / "My Disc"
    assert proc.stdout.strip() == str(folder)
    assert is_mounted(folder)
    assert (folder / "readme.txt").read_bytes() == payload
    assert recorded(record, 1) == [str(folder)]

    # Opening it again (another path to the same file) shows the same folder, mounts nothing new.
    again = run_cli("open", tmp_path / "." / iso.name, "--folder", discs, env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == str(folder)
    assert recorded(record, 2) == [str(folder), str(folder)]
    assert sorted(p.name for p in discs.iterdir()) == ["My Disc"]
    listed = run_cli("list", env=env).stdout
    assert listed.count(str(folder)) == 1

    closed = run_cli("close", iso, env=env)
    assert closed.returncode == 0, closed.stderr
    assert not is_mounted(folder)
    assert not folder.exists(), "close removes the folder open made"


def test_same_label_gets_a_second_folder_and_close_by_folder(desktop, tmp_path):
    env, discs, record = desktop
    first, _ = make_iso(tmp_path, "first", "SAME")
    second, payload = make_iso(tmp_path, "second", "SAME")
    (discs / "SAME 2").mkdir(parents=True)          # the user's own folder: never used or removed
    (discs / "SAME 2" / "notes").write_text("mine")
    assert run_cli("open", first, "--folder", discs, env=env).returncode == 0
    proc = run_cli("open", second, "--folder", discs, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(discs / "SAME 3")
    assert (discs / "SAME 3" / "readme.txt").read_bytes() == payload
    assert recorded(record, 2) == [str(discs / "SAME"), str(discs / "SAME 3")]

    for folder in ("SAME", "SAME 3"):
        closed = run_cli("close", discs / folder, env=env)
        assert closed.returncode == 0, closed.stderr
        assert not is_mounted(discs / folder)
    assert sorted(p.name for p in discs.iterdir()) == ["SAME 2"]
    assert (discs / "SAME 2" / "notes").read_text() == "mine"


@pytest.mark.parametrize("how", ["flag", "environment", "config"])
def test_browsing_can_be_turned_off(desktop, tmp_path, how):
    env, discs, record = desktop
    iso, payload = make_iso(tmp_path, "quiet", "QUIET")
    extra: list[str] = []
    if how == "flag":
        extra = ["--no-browse"]
    elif how == "environment":
        env["MOUNT_IMAGE_BROWSE"] = "no"
    else:
        config = Path(env["XDG_CONFIG_HOME"]) / "mount-image" / "desktop.conf"
        config.parent.mkdir(parents=True)
        config.write_text(f"[desktop]\nbrowse = no\nfolder = {discs}\n")
    args = ["open", iso, *extra] + ([] if how == "config" else ["--folder", discs])
    proc = run_cli(*args, env=env)
    assert proc.returncode == 0, proc.stderr
    assert (discs / "QUIET" / "readme.txt").read_bytes() == payload
    time.sleep(0.3)  # time for a stray xdg-open to have written, were one started
    assert not record.exists()
    assert run_cli("close", iso, env=env).returncode == 0
    assert not (discs / "QUIET").exists()


def test_open_refuses_a_file_that_is_not_an_image(desktop, tmp_path):
    env, discs, record = desktop
    bogus = tmp_path / "letter.iso"
    bogus.write_bytes(b"Dear reader,\n" * 4000)
    proc = run_cli("open", bogus, "--folder", discs, env=env)
    assert proc.returncode == 2
    assert one_line_error(proc).startswith(str(bogus))
    assert not discs.exists() or list(discs.iterdir()) == []
    assert not record.exists()
    assert str(bogus) not in run_cli("list", env=env).stdout


def test_close_of_something_not_open(desktop, tmp_path):
    env, discs, _ = desktop
    iso, _ = make_iso(tmp_path, "idle", "IDLE")
    proc = run_cli("close", iso, env=env)
    assert proc.returncode == 1
    assert one_line_error(proc) == f"{iso}: not mounted"
    proc = run_cli("close", tmp_path, env=env)
    assert proc.returncode == 1
    assert one_line_error(proc) == f"{tmp_path}: not a mount-image mount"


def test_open_passes_mount_options_on(desktop, tmp_path):
    """`open` mounts through `mount`'s own path: its options and views work the same."""
    env, discs, record = desktop
    iso, payload = make_iso(tmp_path, "tracks", "TRACKS")
    proc = run_cli("open", iso, "--folder", discs, "--view", "tracks", "-o", "uid=4321", env=env)
    assert proc.returncode == 0, proc.stderr
    folder = discs / "TRACKS"
    assert (folder / "track01.iso").read_bytes() == iso.read_bytes()
    assert (folder / "track01.iso").stat().st_uid == 4321
    assert run_cli("close", folder, env=env).returncode == 0
    bad = run_cli("open", iso, "--folder", discs, "-o", "nosuchoption", env=env)
    assert bad.returncode == 2
    assert "nosuchoption" in one_line_error(bad)
    assert list(discs.iterdir()) == []


@pytest.fixture
def user_home():
    """A home for the unprivileged user ``nobody`` in a world-readable temporary folder (pytest's
    own is root's alone), removed afterwards."""
    import pwd
    import shutil
    import tempfile

    nobody = pwd.getpwnam("nobody")
    base = Path(tempfile.mkdtemp(prefix="mount-image-user-"))
    base.chmod(0o755)
    home, runtime = base / "home", base / "run"
    for folder in (home, runtime):
        folder.mkdir(mode=0o700)
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
    yield nobody, base, home, runtime
    for mountpoint in list((home / "Discs").glob("*")) if (home / "Discs").exists() else []:
        if is_mounted(mountpoint):
            subprocess.run(["fusermount3", "-uz", str(mountpoint)], capture_output=True)
    shutil.rmtree(base, ignore_errors=True)


def test_open_as_an_ordinary_user_uses_discs_in_the_home(user_home, tmp_path):
    """The desktop case: not root. The folder is ~/Discs/LABEL, the mount goes through the
    setuid fusermount3, and close works for the user's own mount."""
    setpriv = require_tool("setpriv")
    require_tool("fusermount3")
    nobody, base, home, runtime = user_home
    iso, payload = make_iso(tmp_path, "users", "User Disc")
    shared = base / "users.iso"
    shared.write_bytes(iso.read_bytes())
    shared.chmod(0o644)
    as_user = [setpriv, f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups",
               sys.executable, "-m", "mount_image"]
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime),
           "XDG_CONFIG_HOME": str(home / ".config"), "MOUNT_IMAGE_BROWSE": "no",
           "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    system = subprocess.run([setpriv, f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                             "--clear-groups", "/bin/sh", "-c", "true"], capture_output=True, text=True)
    if system.returncode != 0:  # e.g. a chroot made with mktemp -d: its root directory is 0700
        pytest.skip(f"this machine lets no unprivileged user run programs ({system.stderr.strip()})")
    probe = subprocess.run([*as_user, "list"], env=env, capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        message = f"user nobody cannot run this checkout ({probe.stderr.strip()[-200:]})"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    proc = subprocess.run([*as_user, "open", str(shared)], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    folder = home / "Discs" / "User Disc"
    assert proc.stdout.strip() == str(folder)
    assert is_mounted(folder)
    # Only the user sees into the mount (no allow_other): read it as them.
    user = [setpriv, f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
    read = subprocess.run([*user, "cat", str(folder / "readme.txt")], capture_output=True)
    assert read.stdout == payload
    closed = subprocess.run([*as_user, "close", str(shared)], env=env, capture_output=True, text=True,
                            timeout=60)
    assert closed.returncode == 0, closed.stderr
    assert not is_mounted(folder) and not folder.exists()
    assert (home / "Discs").exists()


def test_two_opens_at_once_mount_once(desktop, tmp_path):
    """A double-click that fires twice: both `open`s show one folder, one mount."""
    env, discs, record = desktop
    iso, payload = make_iso(tmp_path, "twice", "TWICE")
    cmd = [sys.executable, "-m", "mount_image", "open", str(iso), "--folder", str(discs)]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert [out.strip() for out, _ in outputs] == [str(discs / "TWICE")] * 2
    assert sorted(p.name for p in discs.iterdir()) == ["TWICE"]
    assert run_cli("list", env=env).stdout.count(str(discs / "TWICE")) == 1
    assert (discs / "TWICE" / "readme.txt").read_bytes() == payload
    assert run_cli("close", iso, env=env).returncode == 0
