"""cli/blockdevs.py and the watcher's decision (cli/watch.py) on real loop devices and real
pyudev Device objects; the unmount itself is tested for real in
tests/integration/test_drives_watch.py, here it is recorded."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import time
from pathlib import Path

import pytest

from mount_image.cli import blockdevs, watch
from mount_image.cli.blockdevs import DeviceNumber
from mount_image.cli.drives import human_size
from support.loopdev import backing_file, loop_device

import pyudev  # the test extra installs it (pyproject.toml)


def number_of(device: str) -> DeviceNumber:
    return DeviceNumber.of(os.stat(device).st_rdev)


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "disc.img"
    path.write_bytes(os.urandom(64 * 2048))
    return path


def test_sysfs_view_of_a_loop_device(image: Path) -> None:
    with loop_device(image) as dev:
        sys_dir = blockdevs.sys_path(number_of(dev))
        assert sys_dir is not None and os.path.basename(sys_dir) == os.path.basename(dev)
        assert blockdevs.kind(sys_dir) == "loop"
        assert blockdevs.size_bytes(sys_dir) == image.stat().st_size
        assert blockdevs.loop_backing_file(sys_dir) == str(image.resolve())
        assert blockdevs.device_node(sys_dir) == dev
        assert not blockdevs.is_optical(sys_dir)


def test_an_image_depends_on_its_device_and_what_backs_that(image: Path) -> None:
    """A /dev node depends on itself first, then on whatever its backing file depends on; a
    file, on the device of its filesystem (none for tmpfs: no block device to lose)."""
    st = image.stat()
    file_chain = blockdevs.depends_on(str(image))
    if blockdevs.sys_path(DeviceNumber.of(st.st_dev)):
        assert file_chain[0] == DeviceNumber.of(st.st_dev)
    with loop_device(image) as dev:
        assert blockdevs.depends_on(dev) == [number_of(dev), *file_chain]
    assert blockdevs.depends_on(str(image.parent / "missing.iso")) == []


def test_device_number_parse() -> None:
    assert DeviceNumber.parse("7:3") == DeviceNumber(7, 3)
    assert str(DeviceNumber(259, 12)) == "259:12"
    assert DeviceNumber.parse("7") is None and DeviceNumber.parse("a:b") is None


def _event(device, action: str, **extra: str) -> watch.DeviceEvent:
    event = watch.DeviceEvent.from_udev(device)
    return dataclasses.replace(event, action=action,
                               properties={**event.properties, "ACTION": action, **extra})


def test_decision_with_a_real_udev_device(image: Path) -> None:
    context = pyudev.Context()
    with loop_device(image) as dev, loop_device(image) as other_dev:
        device = pyudev.Devices.from_device_file(context, dev)
        event = watch.DeviceEvent.from_udev(device)
        assert event.number == number_of(dev) and event.node == dev
        mine = watch.Watched("/mnt/a", dev, tuple(blockdevs.depends_on(dev)))
        other = watch.Watched("/mnt/b", other_dev, tuple(blockdevs.depends_on(other_dev)))
        table = [mine, other]

        assert watch.affected(_event(device, "remove"), table, watch.current_size) == ("removed", [mine])
        # A change that leaves a medium in (the device still has its size): nothing to do.
        assert watch.affected(_event(device, "change"), table, watch.current_size) == (None, [])
        assert watch.affected(_event(device, "change", DISK_EJECT_REQUEST="1"), table,
                              watch.current_size) == ("eject requested", [mine])
        assert watch.affected(_event(device, "add"), table, watch.current_size) == (None, [])

        unmounted: list[str] = []
        watcher = watch.Watcher(notify=False, unmount=lambda mp: unmounted.append(mp) or True)
        watcher.table = {w.mountpoint: w for w in table}
        assert watcher.handle(_event(device, "remove")) == [mine]
        assert unmounted == ["/mnt/a"] and list(watcher.table) == ["/mnt/b"]


def test_a_detached_loop_device_reads_as_medium_removed(image: Path) -> None:
    """A real kernel event: ``losetup -d`` of an idle loop device sends "change" and its size
    drops to 0, which the watcher reads as the medium gone."""
    context = pyudev.Context()
    monitor = pyudev.Monitor.from_netlink(context, source="kernel")
    monitor.filter_by("block")
    monitor.start()
    with loop_device(image) as dev:
        number = number_of(dev)
        table = [watch.Watched("/mnt/a", dev, tuple(blockdevs.depends_on(dev)))]
        subprocess.run(["losetup", "-d", dev], check=True, capture_output=True)
        reasons = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "medium removed" not in reasons:
            device = monitor.poll(timeout=1)
            if device is None:
                continue
            event = watch.DeviceEvent.from_udev(device)
            if event.number != number:
                continue
            reason, hit = watch.affected(event, table, watch.current_size)
            assert event.action == "change"
            reasons.append(reason)
            if reason:
                assert hit == table
        assert backing_file(dev) is None
        assert "medium removed" in reasons, reasons


def test_human_size() -> None:
    assert human_size(0) == "-"
    assert human_size(2048) == "2.0 KiB"
    assert human_size(700 * 2**20) == "700.0 MiB"
    assert human_size(4_700_000_000) == "4.4 GiB"


def test_table_row_of_a_drive_as_udev_describes_it() -> None:
    """udev's cdrom_id properties for a DVD-R holding an ISO (names as systemd's cdrom_id prints
    them: a profile flag next to counters whose value is also 1)."""
    from mount_image.cli.drives import DriveInfo, format_table
    udev = {"ID_CDROM": "1", "ID_CDROM_DVD": "1", "ID_CDROM_MEDIA": "1", "ID_CDROM_MEDIA_DVD_R": "1",
            "ID_CDROM_MEDIA_STATE": "complete", "ID_CDROM_MEDIA_SESSION_COUNT": "1",
            "ID_CDROM_MEDIA_TRACK_COUNT": "1", "ID_CDROM_MEDIA_TRACK_COUNT_DATA": "1",
            "ID_FS_TYPE": "iso9660", "ID_FS_LABEL": "BACKUP_2024"}
    drive = DriveInfo(device="/dev/sr0", sys_name="sr0", number="11:0", kind="optical",
                      size=4_700_000_000, removable=True, udev=udev,
                      mounted=[{"mountpoint": "/mnt/x", "image": "/dev/sr0"}])
    header, row = format_table([drive])
    cells = row.split("  ")
    assert [c.strip() for c in cells if c.strip()] == ["/dev/sr0", "optical", "4.4 GiB",
                                                        "dvd_r; iso9660", "BACKUP_2024", "/mnt/x"]
    empty = DriveInfo(device="/dev/sr1", sys_name="sr1", number="11:1", kind="optical", size=0,
                      removable=True, udev={"ID_CDROM": "1", "ID_CDROM_CD_R": "1"})
    assert "no disc" in format_table([empty])[1]
