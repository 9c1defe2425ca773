"""The three mounters under test, behind one interface: mount, find the daemon, unmount.

Every mount goes through `mounted()`, a context manager whose `finally` unmounts, so no step,
error or timeout leaves a mount behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator, TypeVar

import isobuild
import passthrough

BENCH = Path(__file__).resolve().parent
SRC = BENCH.parent / "src"
MOUNT_TIMEOUT = 30.0
UNMOUNT_TIMEOUT = 30.0
PROBE_TIMEOUT = 30.0  # a stat or listdir of a mount that takes longer means the daemon hangs
T = TypeVar("T")


class MountError(Exception):
    """A mounter refused or failed to mount, or a mount stopped answering.

    `hung`: the mounter did not answer at all, so later steps would only wait out timeouts too.
    """

    def __init__(self, message: str, hung: bool = False) -> None:
        super().__init__(message)
        self.hung = hung


@dataclass(frozen=True)
class ReadTarget:
    """The bytes of the big file as seen through a mount: path plus a range of it."""

    path: Path
    offset: int
    size: int


@dataclass
class Mounted:
    mountpoint: Path
    seconds: float  # from starting the command to the mount being usable
    process: subprocess.Popen[bytes] | None = None  # only for mounters run in the foreground
    pid: int | None = None  # the daemon serving the mount


@dataclass(frozen=True)
class Mounter:
    """One way of mounting an image. `kind` picks how to start it, see command()."""

    name: str
    kind: str  # "mount-image" | "fuseiso" | "passthrough-tuned" | "passthrough-fuse2"
    serves_tree: bool  # False: exposes the image file itself, so no file-tree figures

    @property
    def is_passthrough(self) -> bool:
        return self.kind.startswith("passthrough")


MOUNT_IMAGE = Mounter("mount-image", "mount-image", True)
FUSEISO = Mounter("fuseiso", "fuseiso", True)
PASSTHROUGH_TUNED = Mounter("passthrough (fuse3 tuned)", "passthrough-tuned", False)
PASSTHROUGH_FUSE2 = Mounter("passthrough (fuse2 default)", "passthrough-fuse2", False)


def with_timeout(call: Callable[[], T], what: str, timeout: float = PROBE_TIMEOUT) -> T:
    """Run a call that touches a mount in a thread, so a hung daemon costs a timeout, not the run.

    A thread stuck in the kernel is released when the daemon is unmounted or killed afterwards.
    """
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(call())
        except BaseException as error:  # handed to the caller below
            failure.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise MountError(f"{what}: no answer within {timeout:.0f} s (daemon hung?)", hung=True)
    if failure:
        raise failure[0]
    return result[0]


def mountinfo_entry(mountpoint: Path) -> list[str] | None:
    """The /proc/self/mountinfo fields of the mount at `mountpoint`, or None."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if passthrough.unescape(fields[4]) == str(mountpoint):
                return fields
    return None


def is_mounted(mountpoint: Path) -> bool:
    return mountinfo_entry(mountpoint) is not None


def read_ahead_kb(mountpoint: Path) -> int | None:
    """The bdi read_ahead_kb of the mount (what the kernel reads ahead for its files)."""
    entry = mountinfo_entry(mountpoint)
    if entry is None:
        return None
    return int(Path(f"/sys/class/bdi/{entry[2]}/read_ahead_kb").read_text())


def daemon_pid(mountpoint: Path) -> int | None:
    """The process whose command line contains the mountpoint path (the FUSE daemon)."""
    wanted = str(mountpoint).encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # the process ended while we looked
        if any(wanted in arg for arg in argv) and b"fusermount" not in argv[0]:
            return int(entry)
    return None


def command(mounter: Mounter, image: Path, mountpoint: Path) -> list[str]:
    if mounter.kind == "mount-image":
        return [sys.executable, "-m", "mount_image", str(image), str(mountpoint)]
    if mounter.kind == "fuseiso":
        # -n: do not write ~/.mtab.fuseiso
        return ["fuseiso", "-n", str(image), str(mountpoint)]
    config = "tuned" if mounter.kind == "passthrough-tuned" else "fuse2-default"
    script = str(BENCH / "passthrough.py")
    return [sys.executable, script, str(image), str(mountpoint), "--config", config]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH")) if p)
    return env


def mount(mounter: Mounter, image: Path, mountpoint: Path) -> Mounted:
    """Mount and time it. Daemonizing mounters: until the command returns and the mount shows;
    foreground ones (the passthrough): until the mount shows and answers a stat."""
    mountpoint.mkdir(parents=True, exist_ok=True)
    if is_mounted(mountpoint):
        raise MountError(f"{mountpoint} is already mounted")
    argv = command(mounter, image, mountpoint)
    # Output goes to a file, not a pipe: a daemon inherits the pipe and would hold it open.
    log = tempfile.TemporaryFile()
    start = time.perf_counter()
    if mounter.is_passthrough:
        process = subprocess.Popen(argv, stdout=log, stderr=log, env=environment())
        try:
            _wait_visible(mountpoint, process, log)
        except BaseException:
            process.kill()
            process.wait()
            raise
        seconds = time.perf_counter() - start
        mounted = Mounted(mountpoint, seconds, process, process.pid)
    else:
        _run_daemonizing(argv, log, mountpoint)
        seconds = time.perf_counter() - start
        mounted = Mounted(mountpoint, seconds, None, daemon_pid(mountpoint))
    if mounter.kind == "passthrough-tuned":
        _wait_read_ahead(mountpoint)
    return mounted


def _run_daemonizing(argv: list[str], log: IO[bytes], mountpoint: Path) -> None:
    process = subprocess.Popen(argv, stdout=log, stderr=log, env=environment())
    # Not subprocess.run(timeout=...): its wait polls with sleeps of up to 50 ms, which would
    # round mount times up by as much. A blocking wait on a thread returns at the exit itself.
    try:
        status = with_timeout(process.wait, "mount command", MOUNT_TIMEOUT)
    except MountError:
        process.kill()
        process.wait()
        raise MountError(f"did not return within {MOUNT_TIMEOUT:.0f} s{_tail(log)}", hung=True) from None
    except BaseException:
        # Interrupted (Ctrl-C) while the command runs: its daemon may be mounting right now, so
        # let the command finish first; the caller's cleanup then finds and removes the mount.
        try:
            process.wait(timeout=MOUNT_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
        raise
    if status != 0:
        raise MountError(f"exit status {status}{_tail(log)}")
    _wait_visible(mountpoint, None, log)


def _wait_visible(mountpoint: Path, process: subprocess.Popen[bytes] | None, log: IO[bytes]) -> None:
    """Until the mount is listed and its root answers (the kernel's INIT is done)."""
    deadline = time.perf_counter() + MOUNT_TIMEOUT
    while time.perf_counter() < deadline:
        if is_mounted(mountpoint):
            with_timeout(lambda: os.stat(mountpoint), f"stat {mountpoint}")
            return
        if process is not None and process.poll() is not None:
            raise MountError(f"exited with status {process.returncode} before mounting{_tail(log)}")
        time.sleep(0.001)
    raise MountError(f"mount not visible after {MOUNT_TIMEOUT:.0f} s{_tail(log)}", hung=True)


def _wait_read_ahead(mountpoint: Path) -> None:
    # The passthrough raises read-ahead from a thread of its own; wait so the reads see it.
    deadline = time.perf_counter() + 10
    while read_ahead_kb(mountpoint) != passthrough.READ_AHEAD_KB and time.perf_counter() < deadline:
        time.sleep(0.005)


def _tail(log: IO[bytes]) -> str:
    """The last lines the mounter printed, for the error message."""
    log.seek(0)
    text = log.read().decode(errors="replace").strip()
    lines = text.splitlines()[-12:]
    return (": " + "\n".join(lines)) if lines else ""


def unmount(mounted: Mounted) -> None:
    """Unmount and wait for the daemon to end, so the next measurement starts clean."""
    mountpoint = mounted.mountpoint
    if is_mounted(mountpoint):
        _fusermount(["-u"], mountpoint)
    if is_mounted(mountpoint):
        # Busy (a killed reader may still hold it): detach lazily rather than leave it mounted.
        _fusermount(["-u", "-z"], mountpoint)
    if mounted.process is not None:
        _stop(mounted.process)
    elif mounted.pid is not None:
        _reap(mounted.pid)


def _fusermount(flags: list[str], mountpoint: Path) -> None:
    subprocess.run(["fusermount3", *flags, str(mountpoint)], timeout=UNMOUNT_TIMEOUT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait(timeout=UNMOUNT_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _reap(pid: int) -> None:
    """Wait for a daemon we started to end after its unmount; stop it if it hangs instead.

    Only ever called with the pid of a daemon this benchmark started on its own mountpoint.
    """
    for sig in (None, signal.SIGTERM, signal.SIGKILL):
        if sig is not None:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
        if _wait_gone(pid, UNMOUNT_TIMEOUT if sig is None else 5.0):
            return


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True  # ended; its parent (not us) has yet to reap it
        time.sleep(0.005)
    return False


@contextmanager
def mounted(mounter: Mounter, image: Path, mountpoint: Path) -> Iterator[Mounted]:
    """Mount for the duration of a `with` block; always unmounts, even on errors."""
    try:
        mount_result = mount(mounter, image, mountpoint)
    except BaseException:
        _cleanup_failed(mountpoint)
        raise
    try:
        yield mount_result
    finally:
        unmount(mount_result)


def _cleanup_failed(mountpoint: Path) -> None:
    # A half-failed mount (command killed by the timeout, daemon alive) must not stay mounted.
    pid = daemon_pid(mountpoint)
    if is_mounted(mountpoint):
        _fusermount(["-u", "-z"], mountpoint)
    if pid is not None:
        _reap(pid)


def big_file(mounter: Mounter, mounted_at: Mounted, image: Path) -> ReadTarget:
    """Where to read the big file: the file itself, or its extent within the passthrough's image."""
    if mounter.is_passthrough:
        extent = isobuild.find_root_file(image, isobuild.BIG_NAME)
        return ReadTarget(mounted_at.mountpoint / passthrough.FILE_NAME, extent.offset, extent.size)
    path = with_timeout(lambda: _find_name(mounted_at.mountpoint, isobuild.BIG_NAME), "listdir")
    size = with_timeout(lambda: path.stat().st_size, f"stat {path}")
    return ReadTarget(path, 0, size)


def _find_name(directory: Path, name: str) -> Path:
    # Whatever name mapping the mounter applies (Rock Ridge, Joliet, ISO 9660 "BIG.BIN;1").
    for entry in os.listdir(directory):
        if entry.split(";")[0].rstrip(".").lower() == name:
            return directory / entry
    raise FileNotFoundError(f"no {name} in {directory} (found {sorted(os.listdir(directory))[:5]})")
