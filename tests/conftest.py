"""Shared test helpers: the public corpus, tool look-up, running the CLI, real FUSE mounts."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("MOUNT_IMAGE_CORPUS", REPO.parent / "shared" / "corpus" / "public"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_tool(name: str) -> str:
    """Path of an external tool; a missing tool fails the test in CI (where .ci/run installs
    every tool) and skips it on a developer's machine."""
    path = shutil.which(name)
    if path:
        return path
    if IN_CI:
        pytest.fail(f"tool {name!r} is missing: .ci/run must install it")
    pytest.skip(f"tool {name!r} is not installed")
    raise AssertionError  # unreachable


def corpus_file(relative: str) -> Path:
    path = CORPUS / relative
    if not path.exists():
        if IN_CI:
            pytest.fail(f"corpus file {path} is missing")
        pytest.skip(f"corpus file {relative} is not here")
    return path


def run_cli(*args: str | os.PathLike, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    """Run ``mount-image ARGS`` as a user would, capturing its output as text."""
    return subprocess.run([sys.executable, "-m", "mount_image", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, **kw)


def listing(root: Path) -> list[str]:
    """``path<TAB>type<TAB>size<TAB>sha256`` for every entry, as the corpus TSVs spell it."""
    lines = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            lines.append(f"{os.path.relpath(os.path.join(dirpath, name), root)}\td\t-\t-")
        for name in filenames:
            full = os.path.join(dirpath, name)
            data = Path(full).read_bytes()
            lines.append(f"{os.path.relpath(full, root)}\tf\t{len(data)}\t{hashlib.sha256(data).hexdigest()}")
    return sorted(lines)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("mount-image: "), proc.stderr
    return lines[0].removeprefix("mount-image: ")


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def _unescape_mountinfo(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash in paths as octal escapes (\\040)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def is_mounted(path: Path) -> bool:
    target = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        return any(_unescape_mountinfo(line.split()[4]) == target for line in f)


def unmount(path: Path) -> None:
    if not is_mounted(path):
        return
    for cmd in (["fusermount3", "-u", str(path)], ["fusermount3", "-uz", str(path)]):
        if subprocess.run(cmd, capture_output=True).returncode == 0:
            break
        time.sleep(0.2)
    deadline = time.monotonic() + 10
    while is_mounted(path) and time.monotonic() < deadline:
        time.sleep(0.05)


def kill_daemons(mountpoint: Path) -> None:
    """Kill any mount-image daemon serving ``mountpoint`` (a failed test must not leave a hung
    mount behind: pytest's temp-dir clean-up would then hang in stat)."""
    needle = str(mountpoint).encode()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if needle in argv and any(b"mount_image" in a or b"mount-image" in a for a in argv):
            with contextlib.suppress(OSError):
                os.kill(int(pid), 9)
    if is_mounted(mountpoint):
        subprocess.run(["fusermount3", "-uz", str(mountpoint)], capture_output=True)


@contextlib.contextmanager
def mounted(image: str | os.PathLike, mountpoint: Path, *options: str) -> Iterator[Path]:
    """Mount ``image`` with the real CLI, yield the mountpoint, always unmount."""
    require_tool("fusermount3")
    mountpoint.mkdir(parents=True, exist_ok=True)
    try:
        proc = run_cli(image, mountpoint, *options)
    except subprocess.TimeoutExpired:
        kill_daemons(mountpoint)
        raise
    try:
        assert proc.returncode == 0, f"mount failed ({proc.returncode}): {proc.stderr}"
        assert is_mounted(mountpoint), "mount-image returned 0 but nothing is mounted"
        yield mountpoint
    finally:
        unmount(mountpoint)
        if is_mounted(mountpoint):
            kill_daemons(mountpoint)


@pytest.fixture
def mount(tmp_path: Path):
    """``with mount(image, "-o", "norock") as mnt:`` mounts under tmp_path and cleans up."""
    counter = iter(range(1000))

    def _mount(image: str | os.PathLike, *options: str):
        return mounted(image, tmp_path / f"mnt{next(counter)}", *options)

    return _mount
