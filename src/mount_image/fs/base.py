"""What every filesystem reader answers: the FileSystem protocol, Entry, Stat, walk limits."""

from __future__ import annotations

import stat as st
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Generic, Hashable, Protocol, Sequence, TypeVar

# Caps on every walk over on-disk lists, shared by all readers (DESIGN.md, on-disk rule 5).
MAX_DIRECTORY_ENTRIES = 1 << 20     # entries in one directory
MAX_DIRECTORY_BYTES = 256 << 20     # bytes of one directory's extents
MAX_DEPTH = 1024                    # nesting of directories below the root
MAX_SYMLINK_BYTES = 4096            # a symlink target (PATH_MAX)
MAX_NAME_BYTES = 255                # a name component in UTF-8 (NAME_MAX)


@dataclass(slots=True)
class Stat:
    """Attributes of one entry as the disc states them.

    Treated as immutable, but not declared frozen: a frozen dataclass sets each field through
    object.__setattr__, and with the records and entries built per file listed that was a
    quarter of the time of a directory listing (measured with py-spy on 100k files).

    ``perm``, ``uid`` and ``gid`` are None when the filesystem stores none (plain ISO 9660):
    the view fills them from the mount options, as the kernel does.
    """

    ino: int
    file_type: int          # stat.S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK
    size: int
    mtime_ns: int
    atime_ns: int
    ctime_ns: int
    nlink: int = 1
    perm: int | None = None
    uid: int | None = None
    gid: int | None = None
    rdev: int = 0

    @property
    def is_dir(self) -> bool:
        return self.file_type == st.S_IFDIR


class Entry(Protocol):
    """One directory entry of a filesystem: a name and its attributes (readers add their own)."""

    name: str
    stat: Stat


E = TypeVar("E", bound=Entry)


class FileSystem(Protocol[E]):
    """The protocol every reader answers; the view knows no more of a filesystem than this."""

    label: str
    kinds: tuple[str, ...]          # e.g. ("iso9660", "joliet", "rockridge")
    block_size: int
    total_blocks: int

    def root(self) -> E: ...
    def listdir(self, directory: E) -> Sequence[E]: ...
    def lookup(self, directory: E, name: str) -> E | None: ...
    def read(self, entry: E, offset: int, size: int) -> bytes: ...
    def read_into(self, entry: E, offset: int, dest: memoryview) -> int:
        """read(entry, offset, len(dest)) written into ``dest``; how many bytes. Readers with
        nothing better to do use ``copy_into``."""
        ...
    def readlink(self, entry: E) -> str: ...
    def xattrs(self, entry: E) -> dict[str, bytes]: ...
    def info(self) -> dict: ...
    def byte_ranges(self, entry: E) -> list[tuple[int, int]]:
        """Where the entry's stored bytes lie on the device: (byte offset, length) pairs, for
        `verify` to name the files bad sectors belong to. Unrecorded (zero) parts are left out."""
        ...


def copy_into(dest: memoryview, data: bytes) -> int:
    """Put ``data`` (at most len(dest) bytes) at the start of ``dest``; its length."""
    dest[:len(data)] = data
    return len(data)


def usable_name(name: str) -> str:
    """A name the kernel accepts: no '/', no NUL, not '.' or '..', at most NAME_MAX bytes in
    UTF-8 ('' when nothing usable is left: the caller skips the entry)."""
    name = name.replace("/", "_").replace("\x00", "_")
    if name in (".", ".."):
        return ""
    encoded = name.encode("utf-8", "surrogateescape")
    if len(encoded) > MAX_NAME_BYTES:
        name = encoded[:MAX_NAME_BYTES].decode("utf-8", "ignore")
    return name


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A thread-safe LRU bounded by the summed weight of its values (e.g. directory entries).

    The value is computed outside the lock, so a slow parse never blocks other lookups; two
    threads may parse the same directory once each, which is harmless.
    """

    def __init__(self, max_weight: int, weigh: Callable[[V], int] = lambda v: 1) -> None:
        self._data: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._weight = 0
        self._max = max_weight
        self._weigh = weigh
        self._lock = threading.Lock()

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            hit = self._data.get(key)
            if hit is not None:
                self._data.move_to_end(key)
                return hit[0]
        value = compute()
        weight = self._weigh(value)
        with self._lock:
            if key not in self._data:
                self._data[key] = (value, weight)
                self._weight += weight
                while self._weight > self._max and len(self._data) > 1:
                    _, (_, w) = self._data.popitem(last=False)
                    self._weight -= w
        return value

    def __len__(self) -> int:
        return len(self._data)
