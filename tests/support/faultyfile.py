"""A FUSE filesystem of one file, ``disc.iso``, that reads another file but fails or dawdles:
the read errors and slow reads of a scratched disc, for ``dump``'s tests.

    python faultyfile.py SOURCE MOUNTPOINT [--bad START:END] [--delay SECONDS]

Reads touching bytes [START, END) fail with EIO; every read sleeps SECONDS first. A loop device
over ``disc.iso`` passes both on, so a block device with bad sectors can be built from it.
Runs in the foreground until unmounted (``fusermount3 -u``).
"""

from __future__ import annotations

import argparse
import errno
import os
import stat
import time

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
