"""Measurement primitives: each runs a command (or a worker process) under a timeout.

Everything that touches a FUSE mount runs in a child process, so a hung mount costs one step's
timeout and never blocks the benchmark itself.

Run as a script, this module is that worker for random reads:
    python3 measure.py randread PATH OFFSET SIZE COUNT SEED   (prints the elapsed seconds)
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mounters import ReadTarget

READ_SIZE = 4096
MB = 1_000_000


class StepError(Exception):
    """A measurement that did not give a figure (timeout, failed command, wrong output)."""


@dataclass(frozen=True)
class Rate:
    size: int
    seconds: float

    @property
    def mb_per_s(self) -> float:
        return self.size / self.seconds / MB


def drop_caches() -> bool:
    """Empty the page cache, dentries and inodes so the next read comes from the disk."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False  # not root: the caller notes that reads were not cold
    return True


def run_timed(argv: list[str], timeout: float, shell: bool = False) -> tuple[float, str]:
    """Wall time and stdout of a command; StepError on timeout or non-zero exit."""
    start = time.perf_counter()
    status, out, err = run_killable(argv[0] if shell else argv, timeout, shell)
    seconds = time.perf_counter() - start
    if status != 0:
        raise StepError(f"`{' '.join(argv)}` exit {status}: {err.strip()[-300:]}")
    return seconds, out


def run_killable(argv: list[str] | str, timeout: float, shell: bool = False) -> tuple[int, str, str]:
    """subprocess.run, but a timeout kills the whole process group: `find | wc` is two processes
    under a shell, and a find left stuck on a hung mount would outlive a plain kill."""
    process = subprocess.Popen(argv, shell=shell, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        process.communicate()
        raise StepError(f"`{argv if shell else ' '.join(argv)}` timed out after {timeout:.0f} s") from None
    except BaseException:  # Ctrl-C: stop the command too, then let the interrupt go on
        _kill_group(process.pid)
        process.wait()
        raise
    return process.returncode, out, err


def _kill_group(pid: int) -> None:
    # The group may be gone already (on Ctrl-C, communicate() first waits a moment for the
    # child); a ProcessLookupError here must not replace the exception being handled.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def dd_read(target: ReadTarget, timeout: float) -> Rate:
    """`dd bs=1M of=/dev/null` of the target's byte range; checks that every byte came."""
    argv = ["dd", f"if={target.path}", "of=/dev/null", "bs=1M"]
    if target.offset:
        argv += ["iflag=skip_bytes,count_bytes", f"skip={target.offset}", f"count={target.size}"]
    start = time.perf_counter()
    status, _, err = run_killable(argv, timeout)
    seconds = time.perf_counter() - start
    copied = re.search(r"^(\d+) bytes", err, re.MULTILINE)
    if status != 0 or copied is None or int(copied.group(1)) != target.size:
        raise StepError(f"dd exit {status}, expected {target.size} bytes: {err.strip()[-300:]}")
    return Rate(target.size, seconds)


def cat_file(path: Path, timeout: float) -> Rate:
    """`cat FILE > /dev/null`: how fast the disk gives the bytes without any filesystem on top."""
    seconds, _ = run_timed([f"cat '{path}' > /dev/null"], timeout, shell=True)
    return Rate(path.stat().st_size, seconds)


def random_reads(target: ReadTarget, count: int, seed: int, timeout: float) -> float:
    """Reads per second of `count` 4 KiB preads at seeded random 4 KiB steps of the range."""
    argv = [sys.executable, __file__, "randread", str(target.path), str(target.offset),
            str(target.size), str(count), str(seed)]
    _, out = run_timed(argv, timeout)
    return count / float(out)


def vm_hwm_bytes(pid: int) -> int:
    """Peak resident set size of a process (VmHWM in /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise StepError(f"no VmHWM for pid {pid}")


def _randread_worker(path: str, offset: int, size: int, count: int, seed: int) -> None:
    rng = random.Random(seed)
    steps = (size - READ_SIZE) // READ_SIZE
    offsets = [offset + rng.randrange(steps + 1) * READ_SIZE for _ in range(count)]
    fd = os.open(path, os.O_RDONLY)
    try:
        start = time.perf_counter()
        for at in offsets:
            if len(os.pread(fd, READ_SIZE, at)) != READ_SIZE:
                sys.exit(f"short read at {at}")
        print(time.perf_counter() - start)
    finally:
        os.close(fd)


if __name__ == "__main__":
    if len(sys.argv) != 7 or sys.argv[1] != "randread":
        sys.exit(__doc__)
    _randread_worker(sys.argv[2], *(int(a) for a in sys.argv[3:]))
