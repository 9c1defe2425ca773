"""cli/sdnotify.py: datagrams to a real socket at a path and in the abstract namespace."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from mount_image.cli import sdnotify


def _listen(address: str | bytes) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(5)
    return sock


def test_path_socket(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = str(tmp_path / "notify")
    with _listen(path) as sock:
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        assert sdnotify.ready("mounted /a.iso on /mnt")
        assert sock.recv(4096) == b"READY=1\nSTATUS=mounted /a.iso on /mnt"
        assert sdnotify.stopping("unmounting /mnt")
        assert sock.recv(4096) == b"STOPPING=1\nSTATUS=unmounting /mnt"


def test_abstract_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"mount-image-test-{os.getpid()}"
    with _listen(b"\0" + name.encode()) as sock:
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert sdnotify.notify("READY=1")
        assert sock.recv(4096) == b"READY=1"


def test_unset_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sdnotify.ready("x") is False


def test_missing_socket_never_raises(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                     caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone"))
    assert sdnotify.ready("x") is False
    assert "cannot notify the service manager" in caplog.text


@pytest.mark.parametrize(("value", "address"), [
    ("/run/systemd/notify", "/run/systemd/notify"),
    ("@abc", b"\0abc"),
    ("", None),
    ("relative/path", None),
])
def test_socket_address(value: str, address: str | bytes | None) -> None:
    assert sdnotify.socket_address(value) == address
