"""Measurement primitives: each runs a command (or a worker process) under a timeout.

Everything that touches a FUSE mount runs in a child process, so a hung mount costs one step's
timeout and never blocks the benchmark itself.

Run as a script, this module is that worker for random reads:
    python3 measure.py randread PATH OFFSET SIZE COUNT SEED   (prints the elapsed seconds)
"""

from __future__ import annotations

import os
import random
import re
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
    try:
        done = subprocess.run(argv if not shell else argv[0], shell=shell, timeout=timeout,
                              capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        raise StepError(f"timed out after {timeout:.0f} s") from None
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise StepError(f"`{' '.join(argv)}` exit {done.returncode}: {done.stderr.strip()[-300:]}")
    return seconds, done.stdout


def dd_read(target: ReadTarget, timeout: float) -> Rate:
    """`dd bs=1M of=/dev/null` of the target's byte range; checks that every byte came."""
    argv = ["dd", f"if={target.path}", "of=/dev/null", "bs=1M"]
    if target.offset:
        argv += ["iflag=skip_bytes,count_bytes", f"skip={target.offset}", f"count={target.size}"]
    start = time.perf_counter()
    try:
        done = subprocess.run(argv, timeout=timeout, capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        raise StepError(f"dd timed out after {timeout:.0f} s") from None
    seconds = time.perf_counter() - start
    copied = re.search(r"^(\d+) bytes", done.stderr, re.MULTILINE)
    if done.returncode != 0 or copied is None or int(copied.group(1)) != target.size:
        raise StepError(f"dd exit {done.returncode}, expected {target.size} bytes: {done.stderr.strip()[-300:]}")
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
