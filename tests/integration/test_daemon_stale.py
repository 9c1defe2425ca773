"""A mounted image deleted, replaced or rewritten: reads through the mount fail with EIO (also
for pages the kernel had cached), the daemon logs it once, and `list` marks the mount stale."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
from pathlib import Path
from typing import Callable

import pytest

from conftest import run_cli
from daemon_support import README, SAMPLE, foreground, wait_for


def _rewrite(image: Path) -> None:
    # `cp other.iso disc.iso` keeps the inode and rewrites the bytes in place.
    with open(image, "r+b") as f:
        f.seek(0x8000)
        f.write(b"\0" * 2048)


def _replace(image: Path) -> None:
    shutil.copyfile(SAMPLE, image.with_name("new.iso"))
    os.replace(image.with_name("new.iso"), image)   # the same bytes, but another file


CHANGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "deleted": (os.unlink, "it was deleted"),
    "replaced": (_replace, "another file replaced it"),
    "rewritten": (_rewrite, "it was modified"),
}


def _read_fails_with_eio(path: Path) -> None:
    with pytest.raises(OSError) as info:
        path.read_bytes()
    assert info.value.errno == errno.EIO


def _read_errno(path: Path) -> int:
    try:
        path.read_bytes()
    except OSError as exc:
        return exc.errno
    return 0


def _our_entry(mnt: Path) -> dict:
    return next(m for m in json.loads(run_cli("list", "--json").stdout) if m["mountpoint"] == str(mnt))


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_stale_image_reads_fail_with_eio(tmp_path: Path, change: str) -> None:
    act, reason = CHANGES[change]
    image, mnt, log = tmp_path / "disc.iso", tmp_path / "mnt", tmp_path / "stderr"
    shutil.copyfile(SAMPLE, image)
    with foreground(image, mnt, stderr=log) as proc:
        readme = mnt / "README.txt"
        assert readme.read_bytes().startswith(README)       # now in the kernel's page cache
        assert _our_entry(mnt)["stale"] is False
        act(image)
        wait_for(lambda: "image is stale" in log.read_text(), what="the daemon to notice")
        # The kernel's cached pages are dropped from a thread just after the log line (not from
        # inside the request that noticed): give it that moment, then every read is EIO.
        wait_for(lambda: _read_errno(readme) == errno.EIO, timeout=5, what="cached pages dropped")
        _read_fails_with_eio(readme)                         # cached before: dropped, not served
        _read_fails_with_eio(mnt / "docs" / "A long file name with spaces.txt")
        _read_fails_with_eio(readme)
        entry = _our_entry(mnt)
        assert entry["stale"] is True
        assert entry["stale_reason"].startswith(f"{image}: ")
        listed = run_cli("list").stdout.splitlines()
        assert any(line.startswith(f"{image}\t{mnt}\tfiles\tstale: {image}: ") for line in listed), listed
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0                            # a stale mount still stops cleanly
    lines = [line for line in log.read_text().splitlines() if "image is stale" in line]
    assert lines == [f"mount-image: ERROR: {image}: image is stale, {reason}; "
                     "reads now fail with EIO until it is unmounted"]


def test_list_marks_stale_before_the_daemon_reads(tmp_path: Path) -> None:
    """`list` checks the image files itself, so it is right even before any read."""
    image, mnt = tmp_path / "disc.iso", tmp_path / "mnt"
    shutil.copyfile(SAMPLE, image)
    with foreground(image, mnt):
        wait_for(lambda: any(m["mountpoint"] == str(mnt) for m in json.loads(run_cli("list", "--json").stdout)),
                 what="the state file")
        image.rename(tmp_path / "elsewhere.iso")
        entry = _our_entry(mnt)
        assert entry["stale"] is True
        assert entry["stale_reason"] in (f"{image}: deleted", f"{image}: it was deleted")


def test_unrelated_changes_in_the_folder_change_nothing(tmp_path: Path) -> None:
    image, mnt = tmp_path / "disc.iso", tmp_path / "mnt"
    shutil.copyfile(SAMPLE, image)
    with foreground(image, mnt):
        (tmp_path / "other.iso").write_bytes(b"x" * 4096)
        os.unlink(tmp_path / "other.iso")
        assert (mnt / "README.txt").read_bytes().startswith(README)
        assert _our_entry(mnt)["stale"] is False
