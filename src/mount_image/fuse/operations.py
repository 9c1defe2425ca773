"""The thin adapter from a view to fusepy's Operations API; no format knowledge here.

Every exception becomes an errno: POSIX ones map through ``exc.errno``, damage
(CorruptDataError) is EIO with one log line, anything else is our bug, logged with its
traceback, EIO to the caller, and the daemon keeps serving.

With ``-o debug`` every request is traced at debug level: operation, path, result or errno.
When the image goes stale (io/source.py), the kernel's cached pages of every file opened so far
are dropped, so later reads reach us and fail with EIO instead of returning old data.
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import threading
from typing import Any, Callable

from ..errors import CorruptDataError, MountImageError, UnsupportedError
from . import binding
from .binding import FuseOSError, Operations

log = logging.getLogger("mount_image.fuse")

ENOATTR = getattr(errno, "ENODATA", 61)
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
MAX_REMEMBERED_PATHS = 100_000   # files whose cached pages a stale image must drop


def _describe_args(op: str, args: tuple) -> str:
    path = str(args[0]) if args else ""
    if op == "read" and len(args) >= 3:
        return f"{path} {args[1]}@{args[2]}"
    if op == "read_into" and len(args) >= 3:   # (path, reply buffer, offset, fh)
        return f"{path} {len(args[1])}@{args[2]}"
    if op in ("getxattr", "access", "open") and len(args) >= 2:
        return f"{path} {args[1]}"
    return path


def _describe_result(op: str, result: Any) -> str:
    if op == "read":
        return f"{len(result)} bytes"
    if op == "read_into":
        return f"{result} bytes"
    if op == "readdir":
        return f"{len(result)} entries"
    if op == "getattr":
        return f"mode {result.get('st_mode', 0):o} size {result.get('st_size', 0)}"
    if op in ("open", "opendir"):
        return f"fh {result}"
    text = repr(result)
    return text if len(text) <= 80 else text[:77] + "..."


def _trace(op: str, args: tuple, outcome: str) -> None:
    # read_into is how the binding reads: traced under the request's name
    log.debug("%s %s -> %s", "read" if op == "read_into" else op, _describe_args(op, args), outcome)


def _errno_boundary(func: Callable) -> Callable:
    op = func.__name__

    @functools.wraps(func)
    def wrapper(self: ViewOperations, *args: Any) -> Any:
        if not self.trace:
            return _answer(self, func, args)
        try:
            result = _answer(self, func, args)
        except FuseOSError as exc:
            _trace(op, args, errno.errorcode.get(exc.errno, str(exc.errno)))
            raise
        _trace(op, args, _describe_result(op, result))
        return result
    return wrapper


def _answer(self: ViewOperations, func: Callable, args: tuple) -> Any:
    """Run one operation; every exception leaves as a FuseOSError with an errno."""
    try:
        return func(self, *args)
    except FuseOSError:
        raise
    except OSError as exc:
        raise FuseOSError(exc.errno or errno.EIO) from None
    except CorruptDataError as exc:
        self.report(func.__name__, args, f"damaged: {exc}")
        raise FuseOSError(errno.EIO) from None
    except UnsupportedError as exc:
        self.report(func.__name__, args, str(exc))
        raise FuseOSError(errno.EOPNOTSUPP) from None
    except MountImageError as exc:
        self.report(func.__name__, args, str(exc))
        raise FuseOSError(errno.EIO) from None
    except Exception:
        log.exception("bug in %s%r", func.__name__, args)
        raise FuseOSError(errno.EIO) from None


class ViewOperations(Operations):
    """fusepy operations over a view (files view now; the tracks view later)."""

    use_ns = True

    def __init__(self, view: Any, on_ready: Callable[[], None] | None = None,
                 trace: bool = False) -> None:
        self.view = view
        self.trace = trace
        self._on_ready = on_ready
        self._fuse: int | None = None        # libfuse's struct fuse *, known from init on
        self._opened: set[str] = set()
        self._handles: dict[int, Any] = {}
        self._listings: dict[int, list | None] = {}
        self._next_handle = 1
        self._lock = threading.Lock()
        self._reported: set[tuple[str, str]] = set()

    def report(self, op: str, args: tuple, message: str) -> None:
        """One log line per damaged path and message, however often it is read."""
        key = (str(args[0]) if args else "", message)
        if key not in self._reported:
            if len(self._reported) < 100_000:
                self._reported.add(key)
            log.error("%s %s: %s", op, key[0], message)

    def _new_handle(self, table: dict, value: Any) -> int:
        with self._lock:
            fh = self._next_handle
            self._next_handle += 1
            table[fh] = value
        return fh

    def init(self, path: str) -> None:
        self._fuse = binding.current_fuse()
        if self._on_ready is not None:
            self._on_ready()

    def drop_cached_data(self) -> int:
        """Make the kernel forget the pages and attributes of every file opened so far.

        For a stale image: with kernel_cache, pages read before would otherwise still be served.
        Call it from a thread of its own, never from inside a request (the kernel may wait on
        the very request that asks). Returns how many files were invalidated.
        """
        if self._fuse is None:
            return 0
        with self._lock:
            paths = list(self._opened)
        done = 0
        for path in paths:
            if binding.invalidate_path(self._fuse, path) == 0:
                done += 1
        log.debug("dropped the kernel's cached data of %d of %d opened files", done, len(paths))
        return done

    @_errno_boundary
    def getattr(self, path: str, fh: int | None = None) -> dict[str, int]:
        entry = self._handles.get(fh) if fh else None
        if entry is None:
            entry = self.view.resolve(path)
        return self.view.attributes(entry).as_dict()

    @_errno_boundary
    def opendir(self, path: str) -> int:
        entry = self.view.resolve(path)
        if not self.view.is_dir(entry):
            raise FuseOSError(errno.ENOTDIR)
        return self._new_handle(self._listings, None)

    @_errno_boundary
    def readdir(self, path: str, fh: int) -> list:
        # The kernel reads a directory in several requests of about 4 KiB; the listing is built
        # once per opendir and served from here to the following requests.
        items = self._listings.get(fh)
        if items is None:
            entry = self.view.resolve(path)
            attrs = self.view.attributes
            items = [".", ".."]
            # Full attributes: the binding passes them on as READDIRPLUS entries.
            for child in self.view.listdir(entry):
                items.append((child.name, attrs(child).as_tuple(), 0))
            if fh in self._listings:
                self._listings[fh] = items
        return items

    @_errno_boundary
    def releasedir(self, path: str, fh: int) -> int:
        self._listings.pop(fh, None)
        return 0

    @_errno_boundary
    def open(self, path: str, flags: int) -> int:
        if flags & WRITE_FLAGS:
            raise FuseOSError(errno.EROFS)
        entry = self.view.resolve(path)
        if self.view.is_dir(entry):
            raise FuseOSError(errno.EISDIR)
        if len(self._opened) < MAX_REMEMBERED_PATHS:
            self._opened.add(path)
        return self._new_handle(self._handles, entry)

    @_errno_boundary
    def read(self, path: str, size: int, offset: int, fh: int) -> bytes:
        entry = self._handles.get(fh)
        if entry is None:
            entry = self.view.resolve(path)
        return self.view.read(entry, offset, size)

    @_errno_boundary
    def read_into(self, path: str, dest: memoryview, offset: int, fh: int) -> int:
        """read() written straight into libfuse's reply buffer ``dest`` (fuse/binding.py)."""
        entry = self._handles.get(fh)
        if entry is None:
            entry = self.view.resolve(path)
        return self.view.read_into(entry, offset, dest)

    @_errno_boundary
    def release(self, path: str, fh: int) -> int:
        self._handles.pop(fh, None)
        return 0

    @_errno_boundary
    def readlink(self, path: str) -> str:
        return self.view.readlink(self.view.resolve(path))

    @_errno_boundary
    def statfs(self, path: str) -> dict[str, int]:
        return self.view.statfs()

    @_errno_boundary
    def listxattr(self, path: str) -> list[str]:
        return list(self.view.xattrs(self.view.resolve(path)))

    @_errno_boundary
    def getxattr(self, path: str, name: str, position: int = 0) -> bytes:
        value = self.view.xattrs(self.view.resolve(path)).get(name)
        if value is None:
            raise FuseOSError(ENOATTR)
        return value

    @_errno_boundary
    def access(self, path: str, amode: int) -> int:
        self.view.resolve(path)
        if amode & os.W_OK:
            raise FuseOSError(errno.EROFS)
        return 0

    # Every change is refused: the image is never written.
    def _read_only(self, *args: Any) -> int:
        raise FuseOSError(errno.EROFS)

    chmod = chown = create = link = mkdir = mknod = rename = rmdir = _read_only
    setxattr = removexattr = symlink = truncate = unlink = utimens = write = _read_only
