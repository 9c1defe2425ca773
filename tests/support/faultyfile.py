"""A FUSE filesystem of one file, ``disc.iso``, that reads another file but fails or dawdles:
the read errors and slow reads of a scratched disc, for ``dump``'s tests.

    python faultyfile.py SOURCE MOUNTPOINT [--bad START:END] [--delay SECONDS]

Reads touching bytes [START, END) fail with EIO; every read sleeps SECONDS first. A loop device
over ``disc.iso`` passes both on, so a block device with bad sectors can be built from it.
Runs in the foreground until unmounted (``fusermount3 -u``).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import mfusepy


class FaultyFile(mfusepy.Operations):
    def __init__(self, source: str, bad: tuple[int, int] | None, delay: float) -> None:
        self.fd = os.open(source, os.O_RDONLY)
        self.size = os.fstat(self.fd).st_size
        self.bad = bad
        self.delay = delay

    def getattr(self, path, fh=None):
        if path == "/":
            return {"st_mode": stat.S_IFDIR | 0o555, "st_nlink": 2}
        if path == "/disc.iso":
            return {"st_mode": stat.S_IFREG | 0o444, "st_nlink": 1, "st_size": self.size}
        raise mfusepy.FuseOSError(errno.ENOENT)

    def readdir(self, path, fh):
        return [".", "..", "disc.iso"]

    def open(self, path, flags):
        if flags & (os.O_WRONLY | os.O_RDWR):
            raise mfusepy.FuseOSError(errno.EROFS)
        return 0

    def read(self, path, size, offset, fh):
        if self.delay:
            time.sleep(self.delay)
        if self.bad and offset < self.bad[1] and offset + size > self.bad[0]:
            raise mfusepy.FuseOSError(errno.EIO)
        return os.pread(self.fd, size, offset)


@contextlib.contextmanager
def faulty_file(source: Path, mnt: Path, *args: str) -> Iterator[Path]:
    """``mnt/disc.iso``: ``source`` through this filesystem, failing or dawdling as told."""
    from conftest import is_mounted, require_tool, unmount

    require_tool("fusermount3")
    mnt.mkdir()
    proc = subprocess.Popen([sys.executable, __file__, str(source), str(mnt), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not is_mounted(mnt):
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "faulty file system did not mount"
            time.sleep(0.05)
        yield mnt / "disc.iso"
    finally:
        unmount(mnt)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("source")
    p.add_argument("mountpoint")
    p.add_argument("--bad", default=None)
    p.add_argument("--delay", type=float, default=0.0)
    args = p.parse_args()
    bad = tuple(int(x) for x in args.bad.split(":")) if args.bad else None
    # direct_io: every read reaches us, so a retry of a failed range is not answered from cache.
    mfusepy.FUSE(FaultyFile(args.source, bad, args.delay), args.mountpoint, foreground=True,
                 ro=True, direct_io=True)


if __name__ == "__main__":
    main()
