"""A minimal Python FUSE filesystem that exposes one image file; read() is a bare os.pread.

It is the ceiling of a Python FUSE filesystem on this machine: mount-image cannot read faster
than a daemon that does no work at all per request. Two configurations:

  tuned           libfuse3, multithreaded, kernel_cache, day-long attr/entry timeouts, and the
                  mount's bdi read_ahead_kb raised to 1024 once the mount is up (the best we know)
  fuse2-default   libfuse2 (what plain fusepy gets), multithreaded, every option at its default

Usage: python3 passthrough.py IMAGE MOUNTPOINT [--config tuned|fuse2-default]
Runs in the foreground; unmount with `fusermount3 -u MOUNTPOINT`.
"""

from __future__ import annotations

import argparse
import errno
import os
import stat
import threading
import time
from pathlib import Path
from typing import Any

FILE_NAME = "image"
READ_AHEAD_KB = 1024
DAY = 86400.0


def load_mfusepy(config: str) -> Any:
    """Import mfusepy bound to the libfuse the configuration asks for.

    mfusepy picks libfuse2 when both are installed unless FUSE_LIBRARY_NAME says otherwise, and
    the choice is made at import time, so the variable must be set before the import.
    """
    os.environ["FUSE_LIBRARY_NAME"] = "fuse3" if config == "tuned" else "fuse"
    import mfusepy

    return mfusepy


def make_operations(mfusepy: Any, image: Path) -> Any:
    """The Operations object: a root directory holding FILE_NAME, the image's bytes."""

    class Passthrough(mfusepy.Operations):
        use_ns = True

        def __init__(self) -> None:
            self.fd = os.open(image, os.O_RDONLY)
            self.size = os.fstat(self.fd).st_size
            self.now = time.time_ns()

        def getattr(self, path: str, fh: int | None = None) -> dict[str, Any]:
            times = {"st_atime": self.now, "st_mtime": self.now, "st_ctime": self.now}
            if path == "/":
                return {"st_mode": stat.S_IFDIR | 0o555, "st_nlink": 2, **times}
            if path == "/" + FILE_NAME:
                return {"st_mode": stat.S_IFREG | 0o444, "st_nlink": 1, "st_size": self.size, **times}
            raise mfusepy.FuseOSError(errno.ENOENT)

        def readdir(self, path: str, fh: int) -> list[str]:
            return [".", "..", FILE_NAME]

        def open(self, path: str, flags: int) -> int:
            return 0

        def read(self, path: str, size: int, offset: int, fh: int) -> bytes:
            return os.pread(self.fd, size, offset)

    return Passthrough()


def fuse_options(config: str) -> dict[str, Any]:
    if config == "tuned":
        # The image never changes while mounted: let the kernel keep pages and names for long.
        return {"kernel_cache": True, "attr_timeout": DAY, "entry_timeout": DAY}
    return {}


def bdi_of(mountpoint: Path) -> str | None:
    """major:minor of the mount at `mountpoint` (its bdi name), from /proc/self/mountinfo."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if unescape(fields[4]) == str(mountpoint):
                return fields[2]
    return None


def unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as octal.
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def raise_read_ahead(mountpoint: Path) -> None:
    """Raise the mount's read-ahead once libfuse has answered the kernel's INIT.

    The kernel lowers bdi ra_pages to the INIT reply's max_readahead, so writing earlier would be
    undone. A lookup inside the mount blocks until INIT is done, which makes the order certain.
    """
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        bdi = bdi_of(mountpoint)
        if bdi is not None:
            os.stat(mountpoint / FILE_NAME)
            Path(f"/sys/class/bdi/{bdi}/read_ahead_kb").write_text(f"{READ_AHEAD_KB}\n")
            return
        time.sleep(0.005)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", type=Path)
    parser.add_argument("mountpoint", type=Path)
    parser.add_argument("--config", choices=("tuned", "fuse2-default"), default="tuned")
    args = parser.parse_args()
    mountpoint = args.mountpoint.resolve()
    mfusepy = load_mfusepy(args.config)
    operations = make_operations(mfusepy, args.image)
    if args.config == "tuned":
        threading.Thread(target=raise_read_ahead, args=(mountpoint,), daemon=True).start()
    mfusepy.FUSE(
        operations,
        str(mountpoint),
        foreground=True,
        ro=True,
        fsname=f"passthrough:{args.image.name}",
        **fuse_options(args.config),
    )


if __name__ == "__main__":
    main()
