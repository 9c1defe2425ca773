"""ByteSource: positioned reads from an image file, thread-safe, with no file position."""

from __future__ import annotations

import errno
import logging
import math
import os
import stat
import threading
import time
from typing import Callable, Protocol

from ..errors import ImageFormatError

log = logging.getLogger("mount_image.io")

# A watched source re-checks its path at most this often on reads, even without inotify events
# (inotify sees nothing of changes made on another NFS client, for example).
STALE_CHECK_SECONDS = 2.0
# pread errors that mean the file's device went away rather than a bad sector.
DEVICE_GONE = {errno.ENXIO, errno.ENODEV, errno.ENOMEDIUM, errno.ESTALE, errno.ENOTCONN}


class ByteSource(Protocol):
    """What every layer above reads bytes from."""

    name: str
    size: int

    def pread(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes at ``offset``; shorter only at the end of the source."""
        ...

    def close(self) -> None:
        ...


class FileSource:
    """A read-only image file read with ``os.pread`` (no shared file position, so threads are safe).

    The file is opened read-only once and never written. Reads past the end return short (the
    caller decides whether that is damage); a negative offset or size is refused.
    """

    def __init__(self, path: str) -> None:
        self.name = path
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            raise ImageFormatError(path, None, "no such file") from None
        except PermissionError:
            raise ImageFormatError(path, None, "permission denied") from None
        except OSError as exc:
            raise ImageFormatError(path, None, exc.strerror or str(exc)) from None
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            os.close(fd)
            raise ImageFormatError(path, None, "is a directory, not an image file")
        if stat.S_ISBLK(st.st_mode):
            size = _block_device_size(fd)
        elif stat.S_ISREG(st.st_mode):
            size = st.st_size
        else:
            os.close(fd)
            raise ImageFormatError(path, None, "not a regular file or block device")
        self._fd = fd
        self.size = size
        self.device = st.st_dev
        self.inode = st.st_ino
        self.mtime_ns = st.st_mtime_ns
        self.is_block_device = stat.S_ISBLK(st.st_mode)
        self.path = os.path.abspath(path)      # checked later: the daemon's cwd becomes /
        self.stale: str | None = None          # why reads now fail, once the image went away
        self._next_check = math.inf            # no checks until watch()
        self._on_stale: Callable[[FileSource, str], None] | None = None
        self._stale_lock = threading.Lock()

    def _readable(self, offset: int, size: int) -> int:
        """How many of ``size`` bytes at ``offset`` the file holds; EIO once the image is stale."""
        if offset < 0 or size < 0:
            raise ValueError(f"bad read at {offset} of {size} bytes")
        if self.stale is not None:
            raise self._stale_error()
        if time.monotonic() >= self._next_check:  # watched sources only: one stat every few seconds
            self.check()
            if self.stale is not None:
                raise self._stale_error()
        return max(0, min(size, self.size - offset))

    def _read_failed(self, exc: OSError) -> OSError:
        """The error to raise for a failed pread: EIO for the whole image when its device is gone."""
        if exc.errno in DEVICE_GONE or (exc.errno == errno.EIO and self._gone()):
            self.mark_stale(f"its device is gone ({exc.strerror})")
            return self._stale_error()
        return exc

    def _shrank(self) -> OSError:
        # Shorter than when it was opened: truncated, or a block device lost its medium.
        self.mark_stale("it shrank while mounted")
        return self._stale_error()

    def pread_into(self, offset: int, dest: memoryview) -> int:
        """Fill ``dest`` from ``offset`` with no intermediate copy (the FUSE reply buffer, say);
        the bytes written, fewer only at the end of the source."""
        size = self._readable(offset, len(dest))
        got = 0
        try:
            while got < size:  # one call in the normal case; a pipe-like short read is finished
                n = os.preadv(self._fd, [dest[got:size]], offset + got)
                if n <= 0:
                    break
                got += n
        except OSError as exc:
            raise self._read_failed(exc) from None
        if got < size:
            raise self._shrank()
        return got

    def pread(self, offset: int, size: int) -> bytes:
        size = self._readable(offset, size)
        if size == 0:
            return b""
        try:
            data = os.pread(self._fd, size, offset)
            if len(data) < size:  # a pipe-like short read: finish it, still one request in the normal case
                parts = [data]
                got = len(data)
                while got < size:
                    more = os.pread(self._fd, size - got, offset + got)
                    if not more:
                        break
                    parts.append(more)
                    got += len(more)
                data = b"".join(parts)
        except OSError as exc:
            error = self._read_failed(exc)
            if error is exc:
                raise
            raise error from None
        if len(data) < size:
            raise self._shrank()
        return data

    # Stale images: the file deleted, replaced or changed, or its device gone, while mounted.
    def watch(self, on_stale: Callable[[FileSource, str], None] | None = None) -> None:
        """Fail every later read with EIO once the image goes away, and call ``on_stale`` once.

        The path is watched with inotify (io/watch.py) and, as a safety net, re-checked by a
        read at most every STALE_CHECK_SECONDS: a read costs one clock call, not a stat.
        """
        from .watch import watch as inotify_watch  # only the daemon watches; the CLI starts faster

        self._on_stale = on_stale
        self._next_check = time.monotonic() + STALE_CHECK_SECONDS
        inotify_watch(self.path, self.check)

    def check(self) -> str | None:
        """Compare the path with the file opened; the reason the image is stale, or None."""
        if self.stale is None:
            self._next_check = time.monotonic() + STALE_CHECK_SECONDS
            reason = self._changed()
            if reason:
                self.mark_stale(reason)
        return self.stale

    def _changed(self) -> str | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return "it was deleted"
        except OSError as exc:
            return f"it cannot be reached ({exc.strerror or exc})"
        if (st.st_dev, st.st_ino) != (self.device, self.inode):
            return "another file replaced it"
        if self.is_block_device:
            try:
                size = os.lseek(self._fd, 0, os.SEEK_END)
            except OSError as exc:
                return f"its device is gone ({exc.strerror})"
            return None if size == self.size else "its device changed size (medium removed?)"
        if st.st_size != self.size or st.st_mtime_ns != self.mtime_ns:
            return "it was modified"
        return None

    def _gone(self) -> bool:
        """After an EIO: is the whole file unreachable (device removed), not one bad sector?"""
        return self._changed() is not None

    def mark_stale(self, reason: str) -> None:
        with self._stale_lock:
            if self.stale is not None:
                return
            self.stale = reason
        log.error("%s: image is stale, %s; reads now fail with EIO until it is unmounted",
                  self.path, reason)
        if self._on_stale is not None:
            self._on_stale(self, reason)

    def _stale_error(self) -> OSError:
        return OSError(errno.EIO, f"{self.path}: image is stale ({self.stale})")

    def fileno(self) -> int:
        return self._fd

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def pread_into(source: ByteSource, offset: int, dest: memoryview) -> int:
    """``source.pread_into`` where the source has it (a file: no copy), else pread and a copy."""
    direct = getattr(source, "pread_into", None)
    if direct is not None:
        return direct(offset, dest)
    data = source.pread(offset, len(dest))
    dest[:len(data)] = data
    return len(data)


def _block_device_size(fd: int) -> int:
    # lseek to the end works for block devices and needs no ioctl numbers.
    return os.lseek(fd, 0, os.SEEK_END)
