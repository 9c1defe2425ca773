"""Our mounts as the kernel lists them in /proc/self/mountinfo, plus the daemon's state file."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

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


def write_state(mountpoint: str, image: str, view: str) -> None:
    """Record the view and daemon pid of a mount; ``mountpoint`` is already absolute and real."""
    try:
        os.makedirs(state_dir(), mode=0o700, exist_ok=True)
        with open(_state_path(mountpoint), "w", encoding="utf-8") as f:
            json.dump({"image": image, "mountpoint": mountpoint, "view": view,
                       "pid": os.getpid()}, f)
    except OSError:
        pass  # the state file only adds detail to `list`; the mount works without it


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
        view, pid = "files", None
        try:
            with open(_state_path(mp), encoding="utf-8") as f:
                state = json.load(f)
            view, pid = state.get("view", view), state.get("pid")
        except (OSError, ValueError):
            pass
        records.append(MountRecord(source, mp, fstype, dev, view, pid))
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
