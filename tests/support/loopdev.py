"""Loop devices as test block devices: bound with ``losetup -f --show``, always released.

Release checks that the device still reads our file before detaching it: a device the kernel
already auto-cleared may have been bound again by someone else in between.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import Callable, Iterator

import pytest

from conftest import IN_CI, require_tool, wait_until


def ext2_stick(folder: Path, fill: Callable[[Path], object]) -> Path:
    """A 4 MiB ext2 image, as a USB stick would hold, made by ``mke2fs -d`` from a folder that
    ``fill`` writes into; its path (``folder/stick.img``)."""
    require_tool("mke2fs")
    tree = folder / "stick-tree"
    tree.mkdir()
    fill(tree)
    stick = folder / "stick.img"
    subprocess.run(["mke2fs", "-q", "-t", "ext2", "-d", str(tree), str(stick), "4M"],
                   check=True, capture_output=True)
    return stick


def require_root() -> None:
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("loop device tests need root (.ci/run runs as root)")
        pytest.skip("loop devices need root")


def backing_file(device: str) -> str | None:
    try:
        return Path(f"/sys/block/{os.path.basename(device)}/loop/backing_file").read_text().strip()
    except OSError:
        return None


def detach(device: str, path: str | os.PathLike) -> None:
    """Detach ``device`` if it still reads ``path`` (it may be auto-cleared and reused)."""
    if backing_file(device) == os.path.realpath(path):
        subprocess.run(["losetup", "-d", device], capture_output=True)


def wait_detached(device: str, path: str | os.PathLike, timeout: float = 10) -> bool:
    return wait_until(lambda: backing_file(device) != os.path.realpath(path), timeout)


@contextlib.contextmanager
def loop_device(path: str | os.PathLike, read_only: bool = True) -> Iterator[str]:
    """``/dev/loopN`` reading ``path``; detached on the way out, whatever happened."""
    require_root()
    require_tool("losetup")
    args = ["losetup", "-f", "--show", *(["-r"] if read_only else []), str(path)]
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"losetup failed: {proc.stderr.strip()}")
    device = proc.stdout.strip()
    try:
        yield device
    finally:
        detach(device, path)
