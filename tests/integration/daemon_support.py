"""Helpers for the daemon, fstab and systemd tests: a foreground daemon under test control, a
datagram socket to receive syslog lines or sd_notify messages, and waiting without sleeping
longer than needed."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from conftest import IN_CI, REPO, is_mounted, kill_daemons, require_tool, unmount, wait_until

SAMPLE = REPO / "samples" / "sample.iso"
README = b"This is the sample disc of mount-image."


def wait_for(condition: Callable[[], object], timeout: float = 10, what: str = "condition") -> None:
    if not wait_until(condition, timeout, 0.02):
        raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def datagram_socket(path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(10)
    try:
        yield sock
    finally:
        sock.close()


def receive_until(sock: socket.socket, needle: bytes, timeout: float = 10) -> list[bytes]:
    """Every datagram up to and including the first that contains ``needle``."""
    got: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except TimeoutError:
            break
        got.append(data.rstrip(b"\0"))  # Python's SysLogHandler ends each message with a NUL
        if needle in data:
            return got
    raise AssertionError(f"{needle!r} never arrived; got {got!r}")


def cli_command(*args: str | os.PathLike) -> list[str]:
    return [sys.executable, "-m", "mount_image", *map(str, args)]


@contextlib.contextmanager
def foreground(image: str | os.PathLike, mountpoint: Path, *options: str,
               env: dict[str, str] | None = None, stderr: Path | None = None) -> Iterator[subprocess.Popen]:
    """``mount-image IMAGE MNT -f OPTIONS`` as a child process; yields once the mount answers."""
    require_tool("fusermount3")
    mountpoint.mkdir(parents=True, exist_ok=True)
    err = open(stderr, "wb") if stderr else subprocess.DEVNULL
    proc = subprocess.Popen(cli_command(image, mountpoint, "-f", *options), stderr=err,
                            env=env, stdin=subprocess.DEVNULL)
    try:
        wait_for(lambda: is_mounted(mountpoint) or proc.poll() is not None, what="the mount")
        assert proc.poll() is None, f"the daemon exited with {proc.returncode}"
        yield proc
    finally:
        if proc.poll() is None and is_mounted(mountpoint):
            unmount(mountpoint)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            kill_daemons(mountpoint)
            proc.kill()
            proc.wait()
        if stderr:
            err.close()


def _other_checkout(script: Path) -> str | None:
    """Why the installed console ``script`` is not this checkout's mount-image, or None."""
    interpreter = script.resolve().read_text(errors="replace").splitlines()[0].removeprefix("#!")
    where = subprocess.run([interpreter.strip(), "-c", "import mount_image; print(mount_image.__file__)"],
                           capture_output=True, text=True).stdout.strip()
    if where.startswith(str(REPO / "src")):
        return None
    return f"{script} runs mount-image from {where or '?'}, not this checkout ({REPO})"


def _installed_or_skip(problem: str | None) -> None:
    """An install problem fails the test in CI (.ci/run installs it) and skips it elsewhere."""
    if problem:
        if IN_CI:
            pytest.fail(problem)
        pytest.skip(problem)


def require_installed_command() -> str:
    """The ``mount-image`` that mount.fuse3 and systemd will run, checked to be this checkout's.

    mount(8) hands its helpers no PATH, so mount.fuse3's /bin/sh finds the command only in the
    default places (/usr/local/bin, /usr/bin, ...); scripts/install.sh links it there.
    """
    found = subprocess.run(["env", "-i", "/bin/sh", "-c", "command -v mount-image"],
                           capture_output=True, text=True).stdout.strip()
    problem = None
    if not found:
        problem = "mount-image is not in /usr/local/bin or /usr/bin (run scripts/install.sh)"
    else:
        probe = subprocess.run(["env", "-i", "/bin/sh", "-c",
                                "exec mount-image info " + str(SAMPLE) + " --json"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            problem = f"{found} does not run: {probe.stderr.strip()}"
        else:
            problem = _other_checkout(Path(found))
    _installed_or_skip(problem)
    return found


def require_installed_helper() -> str:
    """/sbin/mount.mount-image (mount(8) looks only in /sbin), checked to be this checkout's."""
    helper = Path("/sbin/mount.mount-image")
    if not helper.exists():
        _installed_or_skip("/sbin/mount.mount-image is missing (run scripts/install.sh)")
    _installed_or_skip(_other_checkout(helper))
    return str(helper)
