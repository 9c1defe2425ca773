"""Block devices as /sys describes them: what a device is, its size, and which devices an image
depends on (the device holding the filesystem where the image file lives, its parent disk, the
devices below it: a loop device's backing file, the members of a device-mapper or md device).

Everything here reads /sys and /proc only, so it works with or without udev.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

SYS_DEV_BLOCK = "/sys/dev/block"
MAX_CHAIN = 32            # devices followed below one image (loops of loops are finite, but cap it)
SCSI_TYPE_ROM = 5         # SCSI INQUIRY peripheral device type 05h: CD/DVD devices (SPC; Linux TYPE_ROM)


@dataclass(frozen=True, slots=True)
class DeviceNumber:
    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}:{self.minor}"

    @classmethod
    def of(cls, dev: int) -> "DeviceNumber":
        return cls(os.major(dev), os.minor(dev))

    @classmethod
    def parse(cls, text: str) -> "DeviceNumber | None":
        major, _, minor = text.strip().partition(":")
        if major.isdigit() and minor.isdigit():
            return cls(int(major), int(minor))
        return None


def sys_path(number: DeviceNumber) -> str | None:
    """The device's directory in /sys, or None when it has none (gone, or not a block device)."""
    path = os.path.join(SYS_DEV_BLOCK, str(number))
    return os.path.realpath(path) if os.path.exists(path) else None


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return None


def size_bytes(sys_dir: str) -> int:
    """The device's size: /sys gives it in 512-byte units whatever the logical block size."""
    text = _read(os.path.join(sys_dir, "size"))
    return int(text) * 512 if text and text.isdigit() else 0


def is_optical(sys_dir: str) -> bool:
    """A CD/DVD/BD drive: SCSI type 5 (the sr driver's devices), whether or not a disc is in."""
    return _read(os.path.join(sys_dir, "device", "type")) == str(SCSI_TYPE_ROM)


def loop_backing_file(sys_dir: str) -> str | None:
    """The file a loop device reads, or None (not a loop device, or unbound)."""
    return _read(os.path.join(sys_dir, "loop", "backing_file"))


def kind(sys_dir: str) -> str:
    """optical, loop, partition, or disk."""
    name = os.path.basename(sys_dir)
    if is_optical(sys_dir):
        return "optical"
    if os.path.exists(os.path.join(sys_dir, "partition")):
        return "partition"
    if name.startswith("loop"):
        return "loop"
    return "disk"


def removable(sys_dir: str) -> bool:
    """The kernel's removable flag; a partition inherits its disk's."""
    if os.path.exists(os.path.join(sys_dir, "partition")):
        sys_dir = os.path.dirname(sys_dir)
    return _read(os.path.join(sys_dir, "removable")) == "1"


def _number_of_sys_dir(sys_dir: str) -> DeviceNumber | None:
    text = _read(os.path.join(sys_dir, "dev"))
    return DeviceNumber.parse(text) if text else None


def _mount_source_device(number: DeviceNumber) -> DeviceNumber | None:
    """For a filesystem with an anonymous device number (btrfs, overlay): the block device
    mountinfo names as its source, if it names one."""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
            for line in f:
                left, _, right = line.partition(" - ")
                fields, tail = left.split(), right.split()
                if len(fields) > 2 and len(tail) > 1 and fields[2] == str(number):
                    source = tail[1]
                    if source.startswith("/dev/"):
                        try:
                            st = os.stat(source)
                        except OSError:
                            return None
                        return DeviceNumber.of(st.st_rdev) if stat.S_ISBLK(st.st_mode) else None
    except OSError:
        pass
    return None


def base_device(path: str) -> DeviceNumber | None:
    """The block device an image depends on first: the device itself for a /dev node, else the
    device of the filesystem holding the file. None when the path cannot be looked at."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if stat.S_ISBLK(st.st_mode):
        return DeviceNumber.of(st.st_rdev)
    return DeviceNumber.of(st.st_dev)


def depends_on(path: str) -> list[DeviceNumber]:
    """Every block device whose removal takes ``path`` away, nearest first: the base device, its
    whole disk when it is a partition, a loop device's backing file's devices, dm/md members."""
    first = base_device(path)
    if first is None:
        return []
    found: list[DeviceNumber] = []
    todo = [first]
    while todo and len(found) < MAX_CHAIN:
        number = todo.pop(0)
        if number in found:
            continue
        sys_dir = sys_path(number)
        if sys_dir is None:
            other = _mount_source_device(number) if number.major == 0 else None
            if other is not None:
                todo.append(other)
            continue
        found.append(number)
        if os.path.exists(os.path.join(sys_dir, "partition")):
            parent = _number_of_sys_dir(os.path.dirname(sys_dir))
            if parent is not None:
                todo.append(parent)
        slaves = os.path.join(sys_dir, "slaves")
        if os.path.isdir(slaves):
            for name in sorted(os.listdir(slaves)):
                member = _number_of_sys_dir(os.path.realpath(os.path.join(slaves, name)))
                if member is not None:
                    todo.append(member)
        backing = loop_backing_file(sys_dir)
        if backing:
            under = base_device(backing.removesuffix(" (deleted)"))
            if under is not None:
                todo.append(under)
    return found


def device_node(sys_dir: str) -> str:
    """/dev/NAME from the uevent file (DEVNAME), else from the directory's name."""
    text = _read(os.path.join(sys_dir, "uevent")) or ""
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key == "DEVNAME" and value:
            return "/dev/" + value
    return "/dev/" + os.path.basename(sys_dir)
