"""``mount-image drives``: optical drives and block devices holding media we can read.

Devices come from pyudev (optional: the ``drives`` extra). udev adds what the kernel does not
know (ID_CDROM*, ID_CDROM_MEDIA*, ID_FS_TYPE, ID_FS_LABEL); where udev keeps no database (a
container, a system without udevd) the devices still come from /sys, and what each one holds is
found by opening it the way a mount would, so the listing still answers "what can I mount".
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import MountImageError, UsageError
from . import blockdevs, mounts
from .messages import EXIT_OK, warn

UDEV_DATA = "/run/udev/data"    # libudev's database: absent where udevd never ran
READABLE_FS = ("iso9660", "udf")
PYUDEV_MISSING = ("drives: needs the Python package pyudev "
                  "(pip install 'mount-image[drives]', or apt install python3-pyudev)")
NO_UDEV_NOTE = (f"no udev database ({UDEV_DATA} missing): ID_CDROM/ID_FS properties unavailable; "
                "devices from /sys, contents from mount-image's own reader")


def import_pyudev() -> Any:
    try:
        import pyudev
        return pyudev
    except ImportError:
        raise UsageError(PYUDEV_MISSING) from None


def udev_context() -> Any:
    pyudev = import_pyudev()
    try:
        return pyudev.Context()
    except Exception as exc:  # noqa: BLE001 - libudev missing or broken: one line, not a traceback
        raise UsageError(f"drives: cannot use libudev ({exc})") from None


def has_udev_database() -> bool:
    return os.path.isdir(UDEV_DATA)


@dataclass(slots=True)
class DriveInfo:
    device: str
    sys_name: str
    number: str
    kind: str                    # optical, loop, partition, disk
    size: int
    removable: bool
    udev: dict[str, str]         # ID_CDROM*, ID_FS_*, ID_MODEL... (empty without a udev database)
    backing_file: str | None = None
    content: dict[str, Any] | None = None   # what mount-image's reader found, or why not
    mounted: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"device": self.device, "sys_name": self.sys_name, "number": self.number,
                "kind": self.kind, "size": self.size, "removable": self.removable,
                "udev": self.udev, "backing_file": self.backing_file, "content": self.content,
                "mounted": self.mounted}


MEDIA_COUNTERS = ("ID_CDROM_MEDIA_STATE", "ID_CDROM_MEDIA_SESSION", "ID_CDROM_MEDIA_TRACK")
UDEV_KEYS = ("ID_CDROM", "ID_FS_", "ID_MODEL", "ID_VENDOR", "ID_BUS", "ID_SERIAL", "ID_TYPE",
             "DISK_MEDIA_CHANGE")


def _udev_properties(device: Any) -> dict[str, str]:
    return {k: v for k, v in device.properties.items() if k.startswith(UDEV_KEYS)}


def probe_content(node: str) -> dict[str, Any]:
    """Open ``node`` as ``mount-image NODE MNT`` would: the label and filesystems, or the error."""
    from .opening import open_view
    from .options import MountOptions
    try:
        opened = open_view(node, MountOptions())
    except MountImageError as exc:
        return {"readable": False, "error": str(exc).removeprefix(f"{node}: ")}
    except OSError as exc:
        return {"readable": False, "error": exc.strerror or str(exc)}
    try:
        fs = opened.fs
        return {"readable": True, "container": opened.disc.container,
                "label": fs.label if fs else None,
                "filesystems": list(fs.kinds) if fs else [], "view": opened.view.name}
    finally:
        opened.close()


def _mounted_from(number: blockdevs.DeviceNumber, holders: dict[str, list[blockdevs.DeviceNumber]],
                  records: list[mounts.MountRecord]) -> list[dict[str, str]]:
    return [{"mountpoint": r.mountpoint, "image": r.image} for r in records
            if number in holders.get(r.mountpoint, ())]


def image_files(image: str) -> list[str]:
    """The files a mount of ``image`` reads: the image, and for a descriptor (.cue, .ccd, ...)
    the data files it names, which may sit elsewhere (a symlink in the cue's folder)."""
    from ..disc.probe import open_image
    try:
        disc = open_image(image)
    except (MountImageError, OSError):
        return [image]
    try:
        return [image] + [s.name for s in disc.sources if s.name != image]
    finally:
        disc.close()


def _holders(image: str) -> list[blockdevs.DeviceNumber]:
    """The devices the mount's files are on (a /dev node: itself) and, for a partition, its
    disk; not the devices further below (the disk under a loop device's backing file), which
    would list every system disk as "holding" the images in /tmp."""
    found: list[blockdevs.DeviceNumber] = []
    for path in image_files(image):
        chain = blockdevs.depends_on(path)
        if not chain:
            continue
        first = blockdevs.sys_path(chain[0])
        near = chain[:2] if first and blockdevs.kind(first) == "partition" else chain[:1]
        found += [n for n in near if n not in found]
    return found


def list_drives(show_all: bool = False) -> tuple[list[DriveInfo], bool]:
    """The drives to show and whether udev properties were available."""
    context = udev_context()
    with_udev = has_udev_database()
    records = mounts.our_mounts()
    holders = {r.mountpoint: _holders(r.image) for r in records}
    found = []
    for device in context.list_devices(subsystem="block"):
        node = device.device_node
        if not node:
            continue
        sys_dir = device.sys_path
        number = blockdevs.DeviceNumber.of(device.device_number)
        props = _udev_properties(device)
        optical = props.get("ID_CDROM") == "1" or blockdevs.is_optical(sys_dir)
        size = blockdevs.size_bytes(sys_dir)
        info = DriveInfo(device=node, sys_name=device.sys_name, number=str(number),
                         kind="optical" if optical else blockdevs.kind(sys_dir), size=size,
                         removable=blockdevs.removable(sys_dir), udev=props,
                         backing_file=blockdevs.loop_backing_file(sys_dir))
        fs_type = props.get("ID_FS_TYPE")
        # With udev's answer for a filesystem we do not read, do not open the device at all.
        worth_probing = size > 0 and (fs_type is None or fs_type in READABLE_FS)
        if worth_probing:
            info.content = probe_content(node)
        readable = bool(info.content and info.content["readable"]) or fs_type in READABLE_FS
        info.mounted = _mounted_from(number, holders, records)
        # Listed: drives, devices we can read, and removable devices (a USB stick, a loop
        # device) holding an image file we mounted; not the system disk holding ~/Downloads.
        portable = info.removable or info.kind == "loop" or props.get("ID_BUS") == "usb"
        if optical or readable or (info.mounted and portable) or show_all:
            found.append(info)
    return found, with_udev


def human_size(n: int) -> str:
    if n <= 0:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError


def _media(info: DriveInfo) -> str:
    """What is in the drive: udev's ID_CDROM_MEDIA_* words, else what our reader found."""
    props = info.udev
    parts = []
    if info.kind == "optical":
        # cdrom_id: ID_CDROM_MEDIA_<profile>=1 (CD, CD_R, DVD_PLUS_RW, BD_R_SRM, ...) next to
        # counters whose value may be 1 too (SESSION_COUNT, TRACK_COUNT_DATA, ...) and STATE.
        kinds = sorted(k.removeprefix("ID_CDROM_MEDIA_").lower() for k, v in props.items()
                       if k.startswith("ID_CDROM_MEDIA_") and v == "1"
                       and not k.startswith(MEDIA_COUNTERS))
        state = props.get("ID_CDROM_MEDIA_STATE")
        if kinds:
            parts.append("+".join(kinds) + (f" ({state})" if state and state != "complete" else ""))
        elif props.get("ID_CDROM_MEDIA") == "1" or info.size > 0:
            parts.append("disc")
        else:
            parts.append("no disc")
    fs = props.get("ID_FS_TYPE")
    content = info.content or {}
    if content.get("readable"):
        parts.append(", ".join(content["filesystems"]) or f"{content['view']} view")
    elif fs:
        parts.append(fs)
    elif content.get("error") and info.size > 0:
        parts.append(f"unreadable: {content['error']}")
    return "; ".join(parts) or "-"


def format_table(drives: list[DriveInfo]) -> list[str]:
    rows = [("DEVICE", "KIND", "SIZE", "MEDIA/FILESYSTEM", "LABEL", "MOUNTED BY MOUNT-IMAGE")]
    for d in drives:
        label = (d.content or {}).get("label") or d.udev.get("ID_FS_LABEL") or "-"
        mounted = ", ".join(f"{m['mountpoint']} ({m['image']})" if m["image"] != d.device
                            else m["mountpoint"] for m in d.mounted) or "-"
        kind = d.kind + (" (removable)" if d.removable and d.kind != "optical" else "")
        rows.append((d.device, kind, human_size(d.size), _media(d), label, mounted))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1] for r in rows]


def cmd_drives(args: argparse.Namespace) -> int:
    """pyudev missing or unusable: UsageError, one line and exit 2 from main."""
    if args.watch:
        from .watch import run_watch
        return run_watch(notify=not args.no_notify)
    drives, with_udev = list_drives(show_all=args.all)
    if args.json:
        print(json.dumps({"udev_database": with_udev, "drives": [d.as_json() for d in drives]},
                         indent=2, ensure_ascii=False))
        return EXIT_OK
    if not with_udev:
        warn(NO_UDEV_NOTE)
    if not drives:
        print("no optical drive and no device holding a disc image")
        return EXIT_OK
    print("\n".join(format_table(drives)))
    return EXIT_OK

