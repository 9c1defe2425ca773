"""Mount options (``-o a,b=c``) in the style of the kernel's isofs, checked before mounting."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ..errors import UsageError
from ..fs.iso9660.filesystem import IsoOptions
from ..view.node import OwnerPolicy

# Options libfuse or the kernel understand, passed through as given.
FUSE_FLAGS = {"allow_other", "allow_root", "default_permissions", "auto_unmount", "kernel_cache",
              "auto_cache", "direct_io"}
FUSE_VALUES = {"max_read", "max_readahead", "attr_timeout", "entry_timeout", "negative_timeout",
               "fsname", "subtype", "max_background", "congestion_threshold"}
VIEWS = ("files", "tracks")
FILESYSTEMS = ("iso9660", "udf")
# Accepted and meaningless for a read-only image (mount(8) and fstab pass them).
IGNORED = {"ro", "defaults", "nodev", "nosuid", "noexec", "dev", "suid", "exec", "auto", "noauto",
           "nofail", "user", "users", "nouser", "_netdev", "async", "sync", "atime", "noatime",
           "relatime", "norelatime", "strictatime", "nodiratime", "diratime", "iocharset",
           "utf8", "cruft", "check", "block"}
# mount(8)'s own options that it may hand on to mount.fuse3 from an fstab line (x-* apart).
IGNORED |= {"owner", "group", "comment"}


@dataclass(slots=True)
class MountOptions:
    iso: IsoOptions = field(default_factory=IsoOptions)
    owner: OwnerPolicy = field(default_factory=OwnerPolicy)
    fuse: dict[str, str | bool] = field(default_factory=dict)
    debug: bool = False
    view: str | None = None      # "files" or "tracks"; None: files, or tracks for an audio CD
    fs: str | None = None        # "iso9660" or "udf"; None: UDF on a bridge disc, else what is there
    session: int | None = None   # 1-based, as isofs's session= (which counts from 0); None: the last
    sbsector: int | None = None  # the session's first block, as isofs's sbsector=


def _octal(key: str, value: str) -> int:
    if not re.fullmatch(r"[0-7]{1,5}", value):
        raise UsageError(f"option {key}={value}: expected an octal number")
    n = int(value, 8)
    if not 0 <= n <= 0o7777:
        raise UsageError(f"option {key}={value}: out of range")
    return n


def _id(key: str, value: str) -> int:
    if not (value.isascii() and value.isdigit()):
        raise UsageError(f"option {key}={value}: expected a number")
    return int(value)


def parse_options(specs: list[str]) -> MountOptions:
    """Fold every ``-o`` argument into MountOptions; UsageError for anything unknown."""
    opts = MountOptions()
    iso: dict = {}
    owner: dict = {}
    for spec in specs:
        for item in filter(None, (s.strip() for s in spec.split(","))):
            key, has_value, value = item.partition("=")
            if key == "rw":
                # mount(8) passes rw when fstab does not say ro, hence the hint.
                raise UsageError("option rw: images are mounted read-only (give ro, e.g. in fstab)")
            if key.startswith("x-") or key in IGNORED:
                continue
            if key in FUSE_FLAGS and not has_value:
                opts.fuse[key] = True
            elif key in FUSE_VALUES and has_value:
                opts.fuse[key] = value
            elif key == "view" and has_value:
                if value not in VIEWS:
                    raise UsageError(f"option view={value}: expected {' or '.join(VIEWS)}")
                opts.view = value
            elif key == "fs" and has_value:
                if value not in FILESYSTEMS:
                    raise UsageError(f"option fs={value}: expected {' or '.join(FILESYSTEMS)}")
                opts.fs = value
            elif key == "session" and has_value:
                opts.session = _id(key, value)
                if not 1 <= opts.session <= 99:
                    raise UsageError(f"option session={value}: sessions are numbered 1-99")
            elif key == "sbsector" and has_value:
                opts.sbsector = _id(key, value)
            elif key == "debug":
                opts.debug = True
            elif key == "norock":
                iso["rock"] = False
            elif key == "nojoliet":
                iso["joliet"] = False
            elif key == "unhide":
                iso["unhide"] = True
            elif key == "map" and has_value:
                mapping = {"o": "off", "off": "off", "n": "normal", "normal": "normal"}.get(value)
                if mapping is None:
                    raise UsageError(f"option map={value}: expected off or normal")
                iso["mapping"] = mapping
            elif key in ("uid", "gid") and has_value:
                owner[key] = _id(key, value)
            elif key == "umask" and has_value:
                owner["fmask"] = owner["dmask"] = _octal(key, value)
            elif key in ("fmask", "dmask") and has_value:
                owner[key] = _octal(key, value)
            elif key == "mode" and has_value:
                owner["file_mode"] = _octal(key, value)
            elif key == "dmode" and has_value:
                owner["dir_mode"] = _octal(key, value)
            elif key == "overriderockperm" and not has_value:
                owner["override"] = True
            else:
                raise UsageError(f"unknown mount option {item!r}")
    opts.iso = replace(opts.iso, **iso)
    opts.owner = replace(opts.owner, **owner)
    return opts
