"""view/node.py: owner and mode policy (kernel isofs options) applied to a filesystem's Stat."""

from __future__ import annotations

import os
import stat as st

import pytest

from mount_image.fs.base import Stat
from mount_image.view.node import (DEFAULT_DIR_MODE, DEFAULT_FILE_MODE, Attributes, OwnerPolicy,
                                   apply_policy)


def make_stat(file_type: int = st.S_IFREG, perm: int | None = None, uid: int | None = None,
              gid: int | None = None, **kw) -> Stat:
    base = dict(ino=77, file_type=file_type, size=5000, mtime_ns=3, atime_ns=2, ctime_ns=1, nlink=1)
    base.update(kw)
    return Stat(perm=perm, uid=uid, gid=gid, **base)


POLICY = OwnerPolicy(uid=500, gid=600)


def test_defaults() -> None:
    assert (DEFAULT_FILE_MODE, DEFAULT_DIR_MODE) == (0o444, 0o555)
    p = OwnerPolicy()
    assert (p.uid, p.gid, p.fmask, p.dmask, p.file_mode, p.dir_mode, p.override) == (
        -1, -1, 0, 0, 0o444, 0o555, False)


def test_resolved_fills_in_the_mounting_user() -> None:
    r = OwnerPolicy(fmask=0o22, file_mode=0o400).resolved()
    assert (r.uid, r.gid) == (os.getuid(), os.getgid())
    assert (r.fmask, r.file_mode) == (0o22, 0o400)
    assert OwnerPolicy(uid=7, gid=8).resolved() == OwnerPolicy(uid=7, gid=8)


@pytest.mark.parametrize(
    ("file_type", "perm", "uid", "gid", "expected_mode", "expected_owner"),
    [
        (st.S_IFREG, 0o640, 1000, 100, st.S_IFREG | 0o640, (1000, 100)),
        (st.S_IFDIR, 0o700, 0, 0, st.S_IFDIR | 0o700, (0, 0)),
        (st.S_IFREG, 0o4755, 1, 2, st.S_IFREG | 0o4755, (1, 2)),        # setuid kept
        (st.S_IFLNK, 0o777, 3, 4, st.S_IFLNK | 0o777, (3, 4)),
        (st.S_IFREG, 0o000, 5, 6, st.S_IFREG, (5, 6)),                  # stored 0 is kept
        (st.S_IFREG, 0o644, None, None, st.S_IFREG | 0o644, (500, 600)),
    ],
    ids=["file", "dir", "setuid", "symlink", "no-perms", "no-owner"],
)
def test_rock_ridge_permissions_are_kept(file_type, perm, uid, gid, expected_mode, expected_owner) -> None:
    masked = OwnerPolicy(uid=500, gid=600, fmask=0o777, dmask=0o777, file_mode=0o400, dir_mode=0o500)
    a = apply_policy(make_stat(file_type, perm, uid, gid), masked)
    assert a.mode == expected_mode
    assert (a.uid, a.gid) == expected_owner


@pytest.mark.parametrize(
    ("policy", "file_mode", "dir_mode"),
    [
        (OwnerPolicy(uid=500, gid=600), 0o444, 0o555),
        (OwnerPolicy(uid=500, gid=600, fmask=0o044, dmask=0o055), 0o400, 0o500),
        (OwnerPolicy(uid=500, gid=600, fmask=0o022, dmask=0o022), 0o444, 0o555),
        (OwnerPolicy(uid=500, gid=600, file_mode=0o644, dir_mode=0o755), 0o644, 0o755),
        (OwnerPolicy(uid=500, gid=600, file_mode=0o664, dir_mode=0o775, fmask=0o002, dmask=0o022),
         0o664, 0o755),
        (OwnerPolicy(uid=500, gid=600, fmask=0o777, dmask=0o777), 0o000, 0o000),
    ],
    ids=["defaults", "masks", "masks-already-clear", "modes", "modes-and-masks", "all-masked"],
)
def test_without_stored_permissions(policy: OwnerPolicy, file_mode: int, dir_mode: int) -> None:
    f = apply_policy(make_stat(st.S_IFREG), policy)
    d = apply_policy(make_stat(st.S_IFDIR), policy)
    assert f.mode == st.S_IFREG | file_mode
    assert d.mode == st.S_IFDIR | dir_mode
    assert (f.uid, f.gid, d.uid, d.gid) == (500, 600, 500, 600)


def test_overriderockperm_replaces_stored_permissions_and_owner() -> None:
    policy = OwnerPolicy(uid=500, gid=600, fmask=0o004, file_mode=0o644, dir_mode=0o750, override=True)
    f = apply_policy(make_stat(st.S_IFREG, 0o600, 1000, 100), policy)
    d = apply_policy(make_stat(st.S_IFDIR, 0o700, 1000, 100), policy)
    assert f.mode == st.S_IFREG | 0o640 and (f.uid, f.gid) == (500, 600)
    assert d.mode == st.S_IFDIR | 0o750 and (d.uid, d.gid) == (500, 600)


def test_overridden_symlink_stays_0777_less_the_file_mask() -> None:
    policy = OwnerPolicy(uid=1, gid=1, fmask=0o022, override=True)
    a = apply_policy(make_stat(st.S_IFLNK, 0o700, 9, 9), policy)
    assert a.mode == st.S_IFLNK | 0o755


def test_device_and_other_fields_are_passed_through() -> None:
    s = make_stat(st.S_IFCHR, 0o660, 0, 6, size=0, nlink=3, rdev=os.makedev(4, 64))
    a = apply_policy(s, POLICY)
    assert a == Attributes(ino=77, mode=st.S_IFCHR | 0o660, nlink=3, uid=0, gid=6, size=0,
                           rdev=os.makedev(4, 64), atime_ns=2, mtime_ns=3, ctime_ns=1)


def test_attributes_as_tuple_and_dict() -> None:
    a = apply_policy(make_stat(st.S_IFREG, size=1025), POLICY)
    assert a.as_tuple() == (st.S_IFREG | 0o444, 77, 1, 500, 600, 1025, 0, 3, 2, 3, 1)
    d = a.as_dict()
    assert d["st_mode"] == st.S_IFREG | 0o444 and d["st_ino"] == 77
    assert d["st_blocks"] == 3 and d["st_blksize"] == 2048
    assert (d["st_atime"], d["st_mtime"], d["st_ctime"]) == (2, 3, 1)
    assert (d["st_uid"], d["st_gid"], d["st_size"], d["st_nlink"], d["st_rdev"]) == (500, 600, 1025, 1, 0)
