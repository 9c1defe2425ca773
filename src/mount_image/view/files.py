"""The files view: the disc's filesystem at the mountpoint, addressed by path."""

from __future__ import annotations

import stat as st
from typing import Any, Sequence

from ..fs.base import FileSystem
from .node import Attributes, OwnerPolicy, apply_policy


class FilesView:
    """Paths to filesystem entries, attributes with the owner policy applied."""

    name = "files"

    def __init__(self, fs: FileSystem, policy: OwnerPolicy) -> None:
        self.fs = fs
        self.policy = policy.resolved()

    def resolve(self, path: str) -> Any:
        """The entry at ``path`` ('/a/b'); FileNotFoundError / NotADirectoryError as POSIX says."""
        entry = self.fs.root()
        for part in path.split("/"):
            if not part:
                continue
            if not entry.stat.is_dir:
                raise NotADirectoryError(20, "not a directory", path)
            child = self.fs.lookup(entry, part)
            if child is None:
                raise FileNotFoundError(2, "no such file or directory", path)
            entry = child
        return entry

    def attributes(self, entry: Any) -> Attributes:
        return apply_policy(entry.stat, self.policy)

    def listdir(self, entry: Any) -> Sequence[Any]:
        return self.fs.listdir(entry)

    def read(self, entry: Any, offset: int, size: int) -> bytes:
        return self.fs.read(entry, offset, size)

    def read_into(self, entry: Any, offset: int, dest: memoryview) -> int:
        return self.fs.read_into(entry, offset, dest)

    def readlink(self, entry: Any) -> str:
        return self.fs.readlink(entry)

    def xattrs(self, entry: Any) -> dict[str, bytes]:
        return self.fs.xattrs(entry)

    def is_dir(self, entry: Any) -> bool:
        return entry.stat.file_type == st.S_IFDIR

    def statfs(self) -> dict[str, int]:
        return {"f_bsize": self.fs.block_size, "f_frsize": self.fs.block_size,
                "f_blocks": self.fs.total_blocks, "f_bfree": 0, "f_bavail": 0,
                "f_files": 0, "f_ffree": 0, "f_favail": 0, "f_namemax": 255}
