"""``mount-image drives --watch``: unmount an image when the device it depends on goes away.

A USB stick holding the .iso is pulled, a disc is forced out of its drive, a loop device is
detached: the kernel sends a block "remove" (or a "change" after which the device has no
medium). The watcher keeps, for each of our mounts, the devices its image depends on (see
blockdevs.depends_on), learnt while they are still there, and unmounts the mounts an event
takes away, with a log line and a desktop notification (notify-send, when installed).

Events come from pyudev's Monitor: udevd's processed events when udevd runs, else the kernel's
own uevents (a container or a system without udevd still gets those).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from . import blockdevs, mounts
from .blockdevs import DeviceNumber
from .drives import image_files, import_pyudev, udev_context
from .messages import EXIT_OK, EXIT_USAGE, error

log = logging.getLogger("mount_image.watch")
UDEV_CONTROL = "/run/udev/control"   # udevd's socket: present while udevd runs
REFRESH_SECONDS = 2.0                # new mounts are learnt at least this often
READY_LINE = "watching for removed devices"


@dataclass(frozen=True, slots=True)
class Watched:
    """One of our mounts and the devices its image needs, nearest first."""

    mountpoint: str
    image: str
    devices: tuple[DeviceNumber, ...]


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """What the decision needs from a uevent; a removed device can no longer be looked up."""

    action: str
    number: DeviceNumber | None
    node: str
    properties: Mapping[str, str]

    @classmethod
    def from_udev(cls, device: Any) -> "DeviceEvent":
        props = dict(device.properties)
        number = None
        if props.get("MAJOR", "").isdigit() and props.get("MINOR", "").isdigit():
            number = DeviceNumber(int(props["MAJOR"]), int(props["MINOR"]))
        return cls(device.action or props.get("ACTION", ""), number,
                   props.get("DEVNAME", device.sys_name or ""), props)


def device_gone(event: DeviceEvent, size_now: Callable[[DeviceNumber], int]) -> str | None:
    """Why the event takes the device away from its readers, or None when it does not.

    - remove: the device is gone (a USB stick pulled, a drive unplugged);
    - change with DISK_EJECT_REQUEST: the eject button of a drive someone holds open; the
      watcher lets go so the eject can happen (udisks does the same for its mounts);
    - any other change after which the device has no medium (size 0): a disc forced out, a loop
      device detached.
    """
    if event.number is None:
        return None
    if event.action == "remove":
        return "removed"
    if event.action == "change":
        if event.properties.get("DISK_EJECT_REQUEST") == "1":
            return "eject requested"
        if size_now(event.number) == 0:
            return "medium removed"
    return None


def affected(event: DeviceEvent, watched: Iterable[Watched],
             size_now: Callable[[DeviceNumber], int]) -> tuple[str | None, list[Watched]]:
    """The reason and the mounts an event takes away (none when the device stays usable)."""
    reason = device_gone(event, size_now)
    if reason is None:
        return None, []
    return reason, [w for w in watched if event.number in w.devices]


def image_devices(image: str) -> list[DeviceNumber]:
    """Every device any file of the mount depends on, nearest first, each once."""
    found: list[DeviceNumber] = []
    for path in image_files(image):
        for number in blockdevs.depends_on(path):
            if number not in found:
                found.append(number)
    return found


def current_size(number: DeviceNumber) -> int:
    sys_dir = blockdevs.sys_path(number)
    return blockdevs.size_bytes(sys_dir) if sys_dir else 0


class Watcher:
    """The table of our mounts and their devices, refreshed from mountinfo, and the unmounting."""

    def __init__(self, notify: bool = True,
                 unmount: Callable[[str], bool] | None = None) -> None:
        self.table: dict[str, Watched] = {}
        self.notify = notify and shutil.which("notify-send") is not None
        self._unmount = unmount or fusermount_unmount

    def refresh(self) -> None:
        """Learn new mounts (their devices are looked up now, while they exist), forget old ones."""
        records = mounts.our_mounts()
        live = {r.mountpoint for r in records}
        for mp in list(self.table):
            if mp not in live:
                del self.table[mp]
        for r in records:
            known = self.table.get(r.mountpoint)
            if known is None or known.image != r.image or not known.devices:
                self.table[r.mountpoint] = Watched(r.mountpoint, r.image,
                                                   tuple(image_devices(r.image)))

    def handle(self, event: DeviceEvent) -> list[Watched]:
        reason, hit = affected(event, self.table.values(), current_size)
        for w in hit:
            what = event.node or str(event.number)
            if self._unmount(w.mountpoint):
                log.warning("unmounted %s (%s): device %s (%s) %s", w.mountpoint, w.image, what,
                            event.number, reason)
                self._notify(w, what, reason or "")
                self.table.pop(w.mountpoint, None)
            else:
                log.error("device %s (%s) %s, but %s could not be unmounted", what, event.number,
                          reason, w.mountpoint)
        return hit

    def _notify(self, w: Watched, device: str, reason: str) -> None:
        if not self.notify:
            return
        title = f"Unmounted {os.path.basename(w.image) or w.image}"
        body = f"{w.mountpoint}: device {device} {reason}"
        try:
            subprocess.run(["notify-send", "--app-name=mount-image", "--icon=media-eject",
                            title, body], capture_output=True, timeout=10)
        except (OSError, subprocess.SubprocessError) as exc:
            log.info("notify-send failed: %s", exc)


def fusermount_unmount(mountpoint: str) -> bool:
    """Unmount; if something still holds the mount (a shell cd'ed into it), detach it lazily:
    its device is gone, so nothing there can be read any more anyway."""
    for args in (["-u"], ["-uz"]):
        proc = subprocess.run(["fusermount3", *args, mountpoint], capture_output=True, text=True)
        if proc.returncode == 0:
            return True
    return False


def open_monitor(context: Any) -> tuple[Any, str]:
    pyudev = import_pyudev()
    source = "udev" if os.path.exists(UDEV_CONTROL) else "kernel"
    monitor = pyudev.Monitor.from_netlink(context, source=source)
    monitor.filter_by("block")
    monitor.start()
    return monitor, source


def _setup_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("mount-image: %(message)s"))
    logger = logging.getLogger("mount_image.watch")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


def run_watch(notify: bool = True) -> int:
    """Watch until SIGTERM/SIGINT; exit 2 when pyudev or the event socket is unavailable."""
    context = udev_context()
    try:
        monitor, source = open_monitor(context)
    except OSError as exc:
        error(f"drives --watch: cannot listen to device events ({exc.strerror or exc})")
        return EXIT_USAGE
    _setup_logging()

    def stop(*_: object) -> None:
        raise KeyboardInterrupt  # leaves the poll at once, for SIGTERM as for SIGINT

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    watcher = Watcher(notify=notify)
    try:
        watcher.refresh()
        log.info("%s (%s events; %d mounts)", READY_LINE, source, len(watcher.table))
        _loop(monitor, watcher)
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def _loop(monitor: Any, watcher: Watcher) -> None:
    last = time.monotonic()
    while True:
        device = monitor.poll(timeout=REFRESH_SECONDS)
        try:
            if device is not None:
                # A mount made a moment ago is learnt now; mounts already known keep the
                # devices learnt while they were there (a removed device cannot be looked up).
                watcher.refresh()
                watcher.handle(DeviceEvent.from_udev(device))
            if device is None or time.monotonic() - last >= REFRESH_SECONDS:
                watcher.refresh()
                last = time.monotonic()
        except KeyboardInterrupt:
            raise
        except Exception:  # noqa: BLE001 - our bug: say it, keep watching the other mounts
            log.exception("internal error while handling a device event")
