"""``mount-image drives --watch``: a removed device takes its mounted images with it.

Two mounts depend on loop devices: an .iso file on an ext2 "stick" (a loop device mounted by
the kernel) and a loop device mounted directly; a third image lives elsewhere and must stay.

How the removal is made: ``losetup -d`` on a device that is in use (our daemon holds it open,
or the stick's filesystem is mounted) is deferred by the kernel until the last user lets go
(autoclear), and sends nothing until then; pulling a USB stick sends a block "remove" uevent at
once. So the test detaches each device with ``losetup -d`` and has the kernel send the "remove"
uevent of a pull by writing "remove" to the device's sysfs ``uevent`` file (what
``udevadm trigger --action=remove`` does). The watcher receives that real kernel event through
pyudev's Monitor, unmounts, and then the deferred detach completes, which the test checks.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import is_mounted, kill_daemons, listing, require_tool, run_cli, unmount, wait_until
from fixtures import trees
from support.loopdev import ext2_stick, loop_device, wait_detached
from support.rawcd import write_single_track

READY = "watching for removed devices"


def genisoimage(tree: Path, out: Path, label: str) -> Path:
    require_tool("genisoimage")
    trees.genisoimage(tree, out, "-R", "-V", label)
    return out


def send_remove_uevent(device: str) -> None:
    Path(f"/sys/block/{os.path.basename(device)}/uevent").write_text("remove")


def number(device: str) -> str:
    rdev = os.stat(device).st_rdev
    return f"{os.major(rdev)}:{os.minor(rdev)}"


def pull(device: str, watch: "Watch") -> tuple[str, str]:
    """The loop device goes away as a pulled stick would (detached, then udev's remove
    uevent): its major:minor from before, and the watcher's "unmounted" line."""
    major_minor = number(device)
    subprocess.run(["losetup", "-d", device], check=True, capture_output=True)
    send_remove_uevent(device)
    return major_minor, watch.wait_line("unmounted")


class Watch:
    """The watcher as a user runs it, with a recording notify-send first on PATH."""

    def __init__(self, tmp: Path) -> None:
        bin_dir = tmp / "bin"
        bin_dir.mkdir()
        self.notes = tmp / "notifications.txt"
        stand_in = bin_dir / "notify-send"
        stand_in.write_text(f'#!/bin/sh\nprintf "%s|" "$@" >> "{self.notes}"\necho >> "{self.notes}"\n')
        stand_in.chmod(0o755)
        env = dict(os.environ, PATH=f"{bin_dir}:{os.environ.get('PATH', '')}")
        self.proc = subprocess.Popen([sys.executable, "-m", "mount_image", "drives", "--watch"],
                                     stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                                     env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.put(line.rstrip("\n"))

    def wait_line(self, fragment: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            self.seen.append(line)
            if fragment in line:
                return line
        raise AssertionError(f"no line with {fragment!r}; watcher said: {self.seen}")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return -9


def _mount(image: Path | str, mnt: Path) -> None:
    mnt.mkdir(exist_ok=True)
    proc = subprocess.run([sys.executable, "-m", "mount_image", str(image), str(mnt)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_watch_unmounts_images_whose_device_is_removed(tmp_path: Path) -> None:
    require_tool("fusermount3")
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.txt").write_bytes(b"on the stick\n")
    (tree / "sub" / "b.bin").write_bytes(os.urandom(50_000))
    iso = genisoimage(tree, tmp_path / "disc.iso", "STICKDISC")
    stick = ext2_stick(tmp_path, lambda folder: (folder / "disc.iso").write_bytes(iso.read_bytes()))
    on_stick = tmp_path / "stick"
    on_stick.mkdir()
    from_stick, from_device, elsewhere = (tmp_path / "m-stick", tmp_path / "m-dev",
                                          tmp_path / "m-else")
    watch = None
    sleeper = None
    with loop_device(stick) as stick_dev, loop_device(iso) as disc_dev:
        subprocess.run(["mount", "-o", "ro", stick_dev, str(on_stick)], check=True,
                       capture_output=True)
        try:
            _mount(on_stick / "disc.iso", from_stick)
            _mount(iso, elsewhere)
            watch = Watch(tmp_path)
            watch.wait_line(READY)
            _mount(disc_dev, from_device)          # made while the watcher runs
            assert listing(from_stick) == listing(tree) == listing(from_device)
            # A shell sitting in the mount: the unmount must not fail on it (lazy detach).
            sleeper = subprocess.Popen(["sleep", "60"], cwd=from_stick)

            # The stick is pulled.
            stick_number, line = pull(stick_dev, watch)
            assert line == (f"mount-image: unmounted {from_stick} ({on_stick / 'disc.iso'}): "
                            f"device {stick_dev} ({stick_number}) removed")
            assert wait_until(lambda: not is_mounted(from_stick))
            assert is_mounted(from_device) and is_mounted(elsewhere)

            # The disc device itself goes away.
            disc_number, line = pull(disc_dev, watch)
            assert line == (f"mount-image: unmounted {from_device} ({disc_dev}): "
                            f"device {disc_dev} ({disc_number}) removed")
            assert wait_until(lambda: not is_mounted(from_device))
            # Released by its daemon, the loop device really is gone now (the deferred detach).
            assert wait_detached(disc_dev, iso)
            assert is_mounted(elsewhere)
            assert listing(elsewhere) == listing(tree)

            # notify-send runs right after the log line: give the second one its moment.
            def notes_written() -> list[str]:
                return watch.notes.read_text().splitlines() if watch.notes.exists() else []
            assert wait_until(lambda: len(notes_written()) >= 2), notes_written()
            notes = notes_written()
            assert len(notes) == 2, notes
            assert notes[0].startswith("--app-name=mount-image|--icon=media-eject|Unmounted disc.iso|")
            assert f"{from_stick}: device {stick_dev} removed" in notes[0]
            assert notes[1].startswith(f"--app-name=mount-image|--icon=media-eject|Unmounted {os.path.basename(disc_dev)}|")
            assert watch.stop() == 0
            watch = None
        finally:
            if sleeper is not None:
                sleeper.kill()
                sleeper.wait()
            if watch is not None:
                watch.stop()
            for mnt in (from_stick, from_device, elsewhere):
                unmount(mnt)
                if is_mounted(mnt):
                    kill_daemons(mnt)
            subprocess.run(["umount", str(on_stick)], capture_output=True)
        # With the stick's filesystem unmounted, its deferred detach completes too.
        assert wait_detached(stick_dev, stick)


def test_watch_follows_a_bin_that_lives_on_the_removed_stick(tmp_path: Path) -> None:
    """The .cue is on the local disk, its .bin (a symlink in the cue's folder) on the stick:
    the mount depends on the stick too."""
    require_tool("fusermount3")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "song.txt").write_bytes(b"la la la\n")
    iso = genisoimage(tree, tmp_path / "disc.iso", "CUEDISC")
    stick = ext2_stick(tmp_path, lambda folder: write_single_track(iso, folder / "game.bin", "MODE1/2352"))
    on_stick = tmp_path / "stick"
    on_stick.mkdir()
    local = tmp_path / "local"
    local.mkdir()
    (local / "game.cue").write_text('FILE "game.bin" BINARY\n  TRACK 01 MODE1/2352\n'
                                    '    INDEX 01 00:00:00\n')
    mnt = tmp_path / "m-cue"
    watch = None
    with loop_device(stick) as stick_dev:
        subprocess.run(["mount", "-o", "ro", stick_dev, str(on_stick)], check=True,
                       capture_output=True)
        try:
            (local / "game.bin").symlink_to(on_stick / "game.bin")
            _mount(local / "game.cue", mnt)
            assert listing(mnt) == listing(tree)
            drives = json.loads(run_cli("drives", "--json").stdout)["drives"]
            stick_row = next(d for d in drives if d["device"] == stick_dev)
            assert stick_row["mounted"] == [{"mountpoint": str(mnt), "image": str(local / "game.cue")}]
            watch = Watch(tmp_path)
            watch.wait_line(READY)
            stick_number, line = pull(stick_dev, watch)
            assert line == (f"mount-image: unmounted {mnt} ({local / 'game.cue'}): "
                            f"device {stick_dev} ({stick_number}) removed")
            assert wait_until(lambda: not is_mounted(mnt))
            assert watch.stop() == 0
            watch = None
        finally:
            if watch is not None:
                watch.stop()
            unmount(mnt)
            if is_mounted(mnt):
                kill_daemons(mnt)
            subprocess.run(["umount", str(on_stick)], capture_output=True)
        assert wait_detached(stick_dev, stick)
