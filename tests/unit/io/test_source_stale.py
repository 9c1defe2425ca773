"""io/source.py stale images: deleted, replaced, rewritten or shrunk files fail reads with EIO.

Real files in a temporary folder and the real inotify watcher; the callback is awaited rather
than slept for, since inotify delivers on the watcher thread.
"""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path
from typing import Callable

import pytest

from mount_image.io import source as source_module
from mount_image.io import watch as watch_module
from mount_image.io.source import FileSource

DATA = bytes(range(256)) * 64   # 16 KiB


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "disc.iso"
    path.write_bytes(DATA)
    return path


def _watched(path: Path) -> tuple[FileSource, threading.Event, list[str]]:
    src = FileSource(str(path))
    fired = threading.Event()
    reasons: list[str] = []

    def on_stale(source: FileSource, reason: str) -> None:
        reasons.append(reason)
        fired.set()

    src.watch(on_stale)
    assert src.pread(0, 4) == DATA[:4]
    return src, fired, reasons


def _assert_eio(src: FileSource) -> None:
    with pytest.raises(OSError) as info:
        src.pread(0, 4)
    assert info.value.errno == errno.EIO
    assert "image is stale" in str(info.value)


def _rewrite(path: Path) -> None:
    with open(path, "r+b") as f:   # same inode, new bytes: what `cp new.iso disc.iso` does
        f.write(b"\xff" * 16)


def _replace(path: Path) -> None:
    new = path.with_name("new.iso")
    new.write_bytes(DATA)          # identical bytes, but another file: still stale
    os.replace(new, path)


CHANGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "deleted": (os.unlink, "deleted"),
    "replaced": (_replace, "replaced"),
    "rewritten": (_rewrite, "modified"),
    "truncated": (lambda p: os.truncate(p, 2048), "modified"),
    "renamed": (lambda p: os.rename(p, p.with_name("moved.iso")), "deleted"),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_inotify_marks_stale(image: Path, change: str, caplog: pytest.LogCaptureFixture) -> None:
    act, word = CHANGES[change]
    src, fired, reasons = _watched(image)
    try:
        act(image)
        assert fired.wait(5), "the watcher did not notice"
        assert word in reasons[0]
        _assert_eio(src)
        _assert_eio(src)
        assert len(reasons) == 1
        assert caplog.text.count("image is stale") == 1   # logged once, however often it is read
    finally:
        src.close()


def test_poll_without_inotify(image: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No inotify: the periodic check (one stat per STALE_CHECK_SECONDS) still catches it."""
    monkeypatch.setattr(watch_module, "watch", lambda path, check: False)
    monkeypatch.setattr(source_module, "STALE_CHECK_SECONDS", 0.05)
    src, fired, reasons = _watched(image)
    try:
        os.unlink(image)
        deadline = threading.Event()
        deadline.wait(0.1)
        _assert_eio(src)
        assert reasons == ["it was deleted"]
    finally:
        src.close()


def test_shrunk_read_is_eio_not_short_data(image: Path) -> None:
    """A read inside the size seen at open that comes back short is never handed up as data."""
    src = FileSource(str(image))
    try:
        os.truncate(image, 4096)
        with pytest.raises(OSError) as info:
            src.pread(8192, 4096)
        assert info.value.errno == errno.EIO
        assert src.stale == "it shrank while mounted"
    finally:
        src.close()


def test_shrunk_read_into_is_eio(image: Path) -> None:
    """The same for pread_into (the daemon's read path): EIO, and the image marked stale."""
    src = FileSource(str(image))
    try:
        os.truncate(image, 4096)
        with pytest.raises(OSError) as info:
            src.pread_into(2048, memoryview(bytearray(8192)))
        assert info.value.errno == errno.EIO
        assert src.stale == "it shrank while mounted"
        with pytest.raises(OSError):                 # and every later read
            src.pread_into(0, memoryview(bytearray(16)))
    finally:
        src.close()


def test_unchanged_file_keeps_reading(image: Path, tmp_path: Path) -> None:
    """Other files in the same folder coming and going wake the watcher but change nothing."""
    src, fired, reasons = _watched(image)
    try:
        other = tmp_path / "other.txt"
        other.write_text("x")
        other.unlink()
        os.utime(tmp_path)
        assert not fired.wait(0.3)
        assert src.check() is None
        assert src.pread(100, 10) == DATA[100:110]
    finally:
        src.close()


def test_unwatched_source_costs_no_stat(image: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """info, ls and extract never watch: their reads do not stat the path."""
    src = FileSource(str(image))
    calls = []
    monkeypatch.setattr(source_module.os, "stat", lambda *a, **k: calls.append(a))
    try:
        for _ in range(100):
            src.pread(0, 2048)
        assert calls == []
    finally:
        src.close()


def test_block_device_that_changes_size(tmp_path: Path) -> None:
    """A loop device whose backing file shrinks (losetup -c re-reads its size), as a drive
    whose medium was swapped: stale, not a short or wrong read."""
    import subprocess

    from conftest import require_tool

    require_tool("losetup")
    backing = tmp_path / "disk.img"
    backing.write_bytes(DATA * 8)    # 128 KiB
    device = subprocess.run(["losetup", "-f", "--show", str(backing)], capture_output=True,
                            text=True, check=True).stdout.strip()
    try:
        src, fired, reasons = _watched(Path(device))
        try:
            assert src.is_block_device and src.size == len(DATA) * 8
            os.truncate(backing, len(DATA) * 4)
            subprocess.run(["losetup", "-c", device], check=True)
            assert src.check() == "its device changed size (medium removed?)"
            _assert_eio(src)
            assert reasons == ["its device changed size (medium removed?)"]
        finally:
            src.close()
    finally:
        subprocess.run(["losetup", "-d", device], capture_output=True)
