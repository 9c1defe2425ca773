"""ByteSource: positioned reads from an image file, thread-safe, with no file position."""

from __future__ import annotations

import os
import stat
from typing import Protocol

from ..errors import ImageFormatError


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

    def pread(self, offset: int, size: int) -> bytes:
        if offset < 0 or size < 0:
            raise ValueError(f"bad read at {offset} of {size} bytes")
        if offset >= self.size or size == 0:
            return b""
        size = min(size, self.size - offset)
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
        return data

    def fileno(self) -> int:
        return self._fd

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _block_device_size(fd: int) -> int:
    # lseek to the end works for block devices and needs no ioctl numbers.
    return os.lseek(fd, 0, os.SEEK_END)
