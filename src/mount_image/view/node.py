"""Attributes as a mount shows them: the filesystem's Stat plus the owner and mode options."""

from __future__ import annotations

import os
import stat as st
from dataclasses import dataclass

from ..fs.base import Stat

DEFAULT_FILE_MODE = 0o444   # files of a filesystem that stores no permissions (plain ISO 9660)
DEFAULT_DIR_MODE = 0o555


@dataclass(frozen=True, slots=True)
class OwnerPolicy:
    """uid=, gid=, umask=/fmask=/dmask=, mode=/dmode=, overriderockperm (kernel isofs style).

    Without stored permissions files belong to ``uid``/``gid`` (default: the mounting user) and
    get ``mode``/``dmode``; stored ones (Rock Ridge) are kept unless ``override`` is set.
    """

    uid: int = -1
    gid: int = -1
    fmask: int = 0
    dmask: int = 0
    file_mode: int = DEFAULT_FILE_MODE
    dir_mode: int = DEFAULT_DIR_MODE
    override: bool = False

    def resolved(self) -> OwnerPolicy:
        uid = os.getuid() if self.uid < 0 else self.uid
        gid = os.getgid() if self.gid < 0 else self.gid
        return OwnerPolicy(uid, gid, self.fmask, self.dmask, self.file_mode, self.dir_mode, self.override)


@dataclass(slots=True)
class Attributes:
    """What stat(2) returns for one node."""

    ino: int
    mode: int
    nlink: int
    uid: int
    gid: int
    size: int
    rdev: int
    atime_ns: int
    mtime_ns: int
    ctime_ns: int

    def as_tuple(self) -> tuple[int, ...]:
        """The fields in the binding's STAT_FIELDS order (fast path of a directory listing)."""
        return (self.mode, self.ino, self.nlink, self.uid, self.gid, self.size, self.rdev,
                (self.size + 511) // 512, self.atime_ns, self.mtime_ns, self.ctime_ns)

    def as_dict(self) -> dict[str, int]:
        """fusepy's getattr dictionary (times in nanoseconds: ``use_ns``)."""
        return {
            "st_ino": self.ino, "st_mode": self.mode, "st_nlink": self.nlink,
            "st_uid": self.uid, "st_gid": self.gid, "st_size": self.size, "st_rdev": self.rdev,
            "st_atime": self.atime_ns, "st_mtime": self.mtime_ns, "st_ctime": self.ctime_ns,
            "st_blocks": (self.size + 511) // 512, "st_blksize": 2048,
        }


def apply_policy(stat: Stat, policy: OwnerPolicy) -> Attributes:
    is_dir = stat.file_type == st.S_IFDIR
    stored = stat.perm is not None and not policy.override
    if stored:
        perm = stat.perm or 0
        uid = stat.uid if stat.uid is not None else policy.uid
        gid = stat.gid if stat.gid is not None else policy.gid
    else:
        perm = policy.dir_mode if is_dir else policy.file_mode
        if stat.file_type == st.S_IFLNK:
            perm = 0o777
        perm &= ~(policy.dmask if is_dir else policy.fmask)
        uid, gid = policy.uid, policy.gid
    return Attributes(
        ino=stat.ino, mode=stat.file_type | (perm & 0o7777), nlink=stat.nlink, uid=uid, gid=gid,
        size=stat.size, rdev=stat.rdev, atime_ns=stat.atime_ns, mtime_ns=stat.mtime_ns,
        ctime_ns=stat.ctime_ns)
