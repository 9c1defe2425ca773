"""Our mounts as the kernel lists them in /proc/self/mountinfo, plus the daemon's state file.

The state file also records which files the mount reads (device, inode, size, mtime), so
``list`` can mark a mount stale when its image was deleted, replaced or changed since, whether
or not the daemon has noticed yet; the daemon writes the reason there when it notices first.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any, Iterable

FSTYPE = "fuse.mount-image"
SUBTYPE = "mount-image"


@dataclass(frozen=True, slots=True)
class MountRecord:
    image: str
    mountpoint: str
    fstype: str
    device: str          # "major:minor" of the FUSE connection
    view: str
    pid: int | None
    stale: str | None = None     # why the image behind the mount is gone, or None

    def as_json(self) -> dict[str, Any]:
        return {"image": self.image, "mountpoint": self.mountpoint, "view": self.view,
                "pid": self.pid, "stale": self.stale is not None, "stale_reason": self.stale}


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \ooo
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _mountinfo() -> list[tuple[str, str, str, str]]:
    """(mountpoint, fstype, source, major:minor) of every mount."""
    rows = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields, tail = left.split(), right.split()
            if len(fields) >= 5 and len(tail) >= 2:
                rows.append((_unescape(fields[4]), tail[0], _unescape(tail[1]), fields[2]))
    return rows


def is_mountpoint(path: str) -> bool:
    target = os.path.realpath(path)
    return any(mp == target for mp, *_ in _mountinfo())


def find_device(mountpoint: str) -> str | None:
    found = [dev for mp, _, _, dev in _mountinfo() if mp == mountpoint]
    return found[-1] if found else None


def state_dir() -> str:
    base = "/run" if os.geteuid() == 0 else os.environ.get("XDG_RUNTIME_DIR") or f"/tmp/mount-image-{os.getuid()}"
    return os.path.join(base, "mount-image")


def _state_path(mountpoint: str) -> str:
    # Never realpath() here: the daemon calls this while its own mount cannot answer yet.
    return os.path.join(state_dir(), mountpoint.strip("/").replace("/", "-") + ".json")


def file_identity(source: Any) -> dict[str, Any]:
    """What a FileSource saw when it opened its file (io/source.py keeps these)."""
    return {"path": getattr(source, "path", None) or os.path.abspath(source.name), "dev": source.device, "ino": source.inode,
            "size": source.size, "mtime_ns": getattr(source, "mtime_ns", None),
            "block_device": getattr(source, "is_block_device", False)}


def write_state(mountpoint: str, image: str, view: str, sources: Iterable[Any] = (),
                stale: str | None = None) -> None:
    """Record the view, daemon pid and image files of a mount; ``mountpoint`` is absolute and real."""
    files = [file_identity(s) for s in sources if hasattr(s, "inode")]
    try:
        os.makedirs(state_dir(), mode=0o700, exist_ok=True)
        path = _state_path(mountpoint)
        with open(path + ".new", "w", encoding="utf-8") as f:
            json.dump({"image": image, "mountpoint": mountpoint, "view": view,
                       "pid": os.getpid(), "files": files, "stale": stale}, f)
        os.replace(path + ".new", path)   # `list` never reads half a file
    except OSError:
        pass  # the state file only adds detail to `list`; the mount works without it


def mark_stale(mountpoint: str, reason: str) -> None:
    """The daemon noticed its image went away: say so in the state file."""
    try:
        with open(_state_path(mountpoint), encoding="utf-8") as f:
            state = json.load(f)
        state["stale"] = reason
        with open(_state_path(mountpoint) + ".new", "w", encoding="utf-8") as f:
            json.dump(state, f)
        os.replace(_state_path(mountpoint) + ".new", _state_path(mountpoint))
    except (OSError, ValueError):
        pass


def stale_reason(files: list[dict[str, Any]]) -> str | None:
    """Compare the files a mount opened with what their paths hold now (one stat each)."""
    for f in files:
        path = f.get("path", "?")
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return f"{path}: deleted"
        except OSError as exc:
            return f"{path}: {exc.strerror or exc}"
        if (st.st_dev, st.st_ino) != (f.get("dev"), f.get("ino")):
            return f"{path}: replaced by another file"
        if not f.get("block_device") and (st.st_size, st.st_mtime_ns) != (f.get("size"), f.get("mtime_ns")):
            return f"{path}: modified"
    return None


def remove_state(mountpoint: str) -> None:
    try:
        os.unlink(_state_path(mountpoint))
    except OSError:
        pass


def our_mounts() -> list[MountRecord]:
    records = []
    for mp, fstype, source, dev in _mountinfo():
        if fstype != FSTYPE:
            continue
        view, pid, stale = "files", None, None
        try:
            with open(_state_path(mp), encoding="utf-8") as f:
                state = json.load(f)
            view, pid = state.get("view", view), state.get("pid")
            stale = state.get("stale") or stale_reason(state.get("files") or [])
        except (OSError, ValueError, AttributeError):
            pass
        records.append(MountRecord(source, mp, fstype, dev, view, pid, stale))
    return records


def raise_read_ahead(mountpoint: str, kib: int = 1024) -> bool:
    """Raise the mount's read-ahead so sequential reads arrive as 1 MiB requests (root only)."""
    device = find_device(mountpoint)
    if device is None:
        return False
    try:
        with open(f"/sys/class/bdi/{device}/read_ahead_kb", "w") as f:
            f.write(str(kib))
        return True
    except OSError:
        return False
