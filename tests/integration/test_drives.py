"""Block devices (loop devices here) mounted like images, and ``mount-image drives``.

The ISO is made by genisoimage from a tree written here; the mount's tree is compared with that
source tree, so nothing expected comes from mount-image itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import is_mounted, listing, one_line_error, require_tool, run_cli
from fixtures import trees
from support.faultyfile import faulty_file
from support.loopdev import ext2_stick, loop_device

LABEL = "LOOPDISC"
NO_UDEV_NOTE = "ID_CDROM/ID_FS properties unavailable"


def make_tree(root: Path) -> Path:
    (root / "docs" / "deep").mkdir(parents=True)
    (root / "readme.txt").write_bytes(b"a disc in a loop device\n")
    (root / "docs" / "manual.txt").write_bytes(bytes(range(256)) * 300)
    (root / "docs" / "deep" / "data.bin").write_bytes(os.urandom(70_000))
    (root / "empty").write_bytes(b"")
    return root


@pytest.fixture
def iso(tmp_path: Path) -> tuple[Path, Path]:
    """(the ISO, its source tree), Rock Ridge so names and case are kept."""
    require_tool("genisoimage")
    tree = make_tree(tmp_path / "tree")
    out = tmp_path / "disc.iso"
    trees.genisoimage(tree, out, "-R", "-V", LABEL)
    return out, tree


def test_mount_loop_device_shows_the_tree(iso, mount) -> None:
    image, tree = iso
    with loop_device(image) as dev, mount(dev) as mnt:
        assert listing(mnt) == listing(tree)
        listed = json.loads(run_cli("list", "--json").stdout)
        assert {"image": dev, "mountpoint": str(mnt)}.items() <= next(
            m for m in listed if m["mountpoint"] == str(mnt)).items()


def test_block_device_is_probed_by_content_whatever_its_name(iso, mount, tmp_path) -> None:
    """A udev-style link whose name ends in a descriptor extension still mounts as a device."""
    image, tree = iso
    with loop_device(image) as dev:
        link = tmp_path / "by-label" / "Disc.cue"
        link.parent.mkdir()
        link.symlink_to(dev)
        info = json.loads(run_cli("info", link, "--json").stdout)
        assert info["label"] == LABEL and info["size"] == image.stat().st_size
        with mount(link) as mnt:
            assert listing(mnt) == listing(tree)


def test_empty_device_is_one_line_no_medium(tmp_path) -> None:
    empty = tmp_path / "empty.img"
    empty.write_bytes(b"")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    with loop_device(empty) as dev:
        proc = run_cli(dev, mnt)
        assert proc.returncode == 2
        assert one_line_error(proc) == f"{dev}: no medium (empty drive or unused device)"
        assert not is_mounted(mnt)


def test_unreadable_device_is_one_line(iso, tmp_path) -> None:
    """Block 16 fails (as on an audio CD read cooked, or a damaged disc): refused up front."""
    image, _ = iso
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    with faulty_file(image, tmp_path / "faulty", "--bad", f"{16 * 2048}:{17 * 2048}") as bad:
        with loop_device(bad) as dev:
            for args in ((dev, mnt), ("info", dev), ("ls", dev)):
                proc = run_cli(*args)
                assert proc.returncode == 2, proc.stderr
                assert one_line_error(proc) == (f"{dev}: cannot read block 16 (Input/output error): "
                                                "an audio CD, a blank or a damaged disc?")
            assert not is_mounted(mnt)
            # Not listed as holding media we read; --all shows why.
            assert dev not in [d["device"] for d in _drives_json()["drives"]]
            drive = next(d for d in _drives_json("--all")["drives"] if d["device"] == dev)
            assert drive["content"]["readable"] is False
            assert drive["content"]["error"].startswith("cannot read block 16")


def _drives_json(*args: str) -> dict:
    proc = run_cli("drives", "--json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _settle_udev() -> None:
    if os.path.isdir("/run/udev/data") and subprocess.run(["udevadm", "--version"],
                                                          capture_output=True).returncode == 0:
        subprocess.run(["udevadm", "settle", "--timeout=10"], capture_output=True)


def test_drives_lists_a_loop_device_holding_an_iso(iso, mount) -> None:
    image, _ = iso
    with loop_device(image) as dev:
        _settle_udev()
        report = _drives_json()
        found = [d for d in report["drives"] if d["device"] == dev]
        assert len(found) == 1, report
        drive = found[0]
        assert drive["kind"] == "loop"
        assert drive["size"] == image.stat().st_size
        assert drive["backing_file"] == str(image.resolve())
        assert drive["content"]["readable"] is True
        assert drive["content"]["label"] == LABEL
        assert drive["mounted"] == []
        if report["udev_database"]:
            # udevd probed the device itself (blkid): its answer must agree with ours
            assert drive["udev"].get("ID_FS_TYPE") == "iso9660"
            assert drive["udev"].get("ID_FS_LABEL") == LABEL
        else:
            assert drive["udev"] == {}

        with mount(dev) as mnt:
            drive = next(d for d in _drives_json()["drives"] if d["device"] == dev)
            assert drive["mounted"] == [{"mountpoint": str(mnt), "image": dev}]
            text = run_cli("drives")
            assert text.returncode == 0, text.stderr
            row = next(line for line in text.stdout.splitlines() if line.startswith(dev + " "))
            assert LABEL in row and str(mnt) in row and "loop" in row
            if not os.path.isdir("/run/udev/data"):
                # the one line that says what is missing, on stderr; the table on stdout
                assert one_line_error(text) == f"warning: no udev database (/run/udev/data missing): " \
                    f"{NO_UDEV_NOTE}; devices from /sys, contents from mount-image's own reader"


def test_drives_lists_the_device_an_image_file_lives_on(iso, mount, tmp_path) -> None:
    """A stick (an ext2 filesystem on a loop device) holding the .iso: the device is listed with
    the mount, though mount-image cannot read the stick itself."""
    image, tree = iso
    stick = ext2_stick(tmp_path, lambda folder: (folder / "disc.iso").write_bytes(image.read_bytes()))
    on_stick = tmp_path / "stick"
    on_stick.mkdir()
    with loop_device(stick) as dev:
        subprocess.run(["mount", "-o", "ro", dev, str(on_stick)], check=True, capture_output=True)
        try:
            with mount(on_stick / "disc.iso") as mnt:
                assert listing(mnt) == listing(tree)
                drive = next(d for d in _drives_json()["drives"] if d["device"] == dev)
                assert drive["mounted"] == [{"mountpoint": str(mnt),
                                             "image": str(on_stick / "disc.iso")}]
                assert drive["content"]["readable"] is False
        finally:
            subprocess.run(["umount", str(on_stick)], capture_output=True)


def test_drives_without_pyudev_is_one_line_exit_2() -> None:
    """pyudev is optional: without it, one line naming what to install."""
    code = ("import sys; sys.modules['pyudev'] = None\n"
            "from mount_image.cli.main import main\n"
            "sys.exit(main(['drives']))")
    for args in ("['drives']", "['drives', '--json']", "['drives', '--watch']"):
        proc = subprocess.run([sys.executable, "-c", code.replace("['drives']", args)],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2
        assert one_line_error(proc) == ("drives: needs the Python package pyudev (pip install "
                                        "'mount-image[drives]', or apt install python3-pyudev)")
        assert proc.stdout == ""
