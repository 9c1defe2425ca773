"""The daemon's life: signals unmount cleanly, -o debug traces requests, logs go to syslog when
detached and to stderr with -f, systemd hears READY=1 and STOPPING=1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import IN_CI, is_mounted, mounted, run_cli
from daemon_support import (README, SAMPLE, datagram_socket, foreground, receive_until,
                            wait_for)


def _pid_of(mountpoint: Path) -> int:
    found = json.loads(run_cli("list", "--json").stdout)
    return next(m["pid"] for m in found if m["mountpoint"] == str(mountpoint))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:   # a zombie has exited already
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP],
                         ids=["SIGTERM", "SIGINT", "SIGHUP"])
def test_signal_in_foreground_unmounts_and_exits_0(tmp_path: Path, sig: signal.Signals) -> None:
    mnt = tmp_path / "mnt"
    with foreground(SAMPLE, mnt) as proc:
        assert (mnt / "README.txt").read_bytes().startswith(README)
        proc.send_signal(sig)
        assert proc.wait(10) == 0
        assert not is_mounted(mnt)
        assert os.listdir(mnt) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_to_detached_daemon_unmounts(tmp_path: Path, sig: signal.Signals) -> None:
    mnt = tmp_path / "mnt"
    with mounted(SAMPLE, mnt):
        pid = _pid_of(mnt)
        assert (mnt / "README.txt").read_bytes().startswith(README)
        os.kill(pid, sig)
        wait_for(lambda: not is_mounted(mnt), what="the unmount")
        wait_for(lambda: not _alive(pid), what="the daemon to exit")
        assert all(m["mountpoint"] != str(mnt) for m in json.loads(run_cli("list", "--json").stdout))


def test_detached_mount_says_nothing_on_the_terminal(tmp_path: Path) -> None:
    """Even with -o debug: the detached daemon logs to /dev/log, or with none (a container,
    as here) nowhere, quietly; never to the terminal it left."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    proc = run_cli(SAMPLE, mnt, "-o", "debug")
    try:
        assert proc.returncode == 0, proc.stderr
        assert (mnt / "README.txt").read_bytes().startswith(README)
        assert proc.stderr == ""
    finally:
        run_cli("unmount", mnt)


def test_debug_traces_requests_on_stderr(tmp_path: Path) -> None:
    mnt, log = tmp_path / "mnt", tmp_path / "stderr"
    with foreground(SAMPLE, mnt, "-o", "debug", stderr=log) as proc:
        data = (mnt / "README.txt").read_bytes()
        assert not (mnt / "missing").exists()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    text = log.read_text()
    assert f"mount-image: INFO: mounted {SAMPLE} on {mnt} (files view)" in text
    assert "mount-image: DEBUG: open /README.txt 32768 -> fh " in text
    assert f"mount-image: DEBUG: read /README.txt 4096@0 -> {len(data)} bytes" in text
    assert "mount-image: DEBUG: getattr /missing -> ENOENT" in text
    assert f"mount-image: INFO: unmounted {mnt}" in text


def test_without_debug_no_trace(tmp_path: Path) -> None:
    mnt, log = tmp_path / "mnt", tmp_path / "stderr"
    with foreground(SAMPLE, mnt, stderr=log) as proc:
        (mnt / "README.txt").read_bytes()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    assert "DEBUG" not in log.read_text()
    assert "INFO: mounted" in log.read_text()


DAEMON_WITH_SYSLOG = (
    "import sys\n"
    "import mount_image.cli.daemon as daemon\n"
    "daemon.SYSLOG_SOCKET = sys.argv[1]\n"
    "from mount_image.cli.main import main\n"
    "sys.exit(main(sys.argv[2:]))\n"
)


def test_detached_daemon_logs_to_syslog(tmp_path: Path) -> None:
    """The detached daemon's log lines arrive as syslog datagrams (facility daemon) on the
    syslog socket; the socket path is pointed at one this test listens on."""
    mnt, image = tmp_path / "mnt", tmp_path / "disc.iso"
    mnt.mkdir()
    image.write_bytes(SAMPLE.read_bytes())
    with datagram_socket(tmp_path / "log") as sock:
        proc = subprocess.run([sys.executable, "-c", DAEMON_WITH_SYSLOG, str(tmp_path / "log"),
                               str(image), str(mnt), "-o", "debug"],
                              capture_output=True, text=True, timeout=60)
        try:
            assert proc.returncode == 0, proc.stderr
            pid = _pid_of(mnt)
            got = receive_until(sock, b"mounted")
            # <30>: facility daemon (3) * 8 + info (6)
            assert f"<30>mount-image[{pid}]: mounted {image} on {mnt} (files view)".encode() in got
            (mnt / "README.txt").read_bytes()
            got = receive_until(sock, b"read /README.txt")
            assert got[-1].startswith(f"<31>mount-image[{pid}]: read /README.txt 4096@0 -> ".encode())
        finally:
            run_cli("unmount", mnt)
        got = receive_until(sock, b"unmounted")
        assert f"<30>mount-image[{pid}]: unmounted {mnt}".encode() in got


def test_notify_socket_hears_ready_and_stopping(tmp_path: Path) -> None:
    """NOTIFY_SOCKET set (as systemd does for Type=notify): READY=1 once the mount answers."""
    mnt = tmp_path / "mnt"
    with datagram_socket(tmp_path / "notify") as sock:
        env = dict(os.environ, NOTIFY_SOCKET=str(tmp_path / "notify"))
        with foreground(SAMPLE, mnt, env=env) as proc:
            ready = receive_until(sock, b"READY=1")[-1]
            assert ready == f"READY=1\nSTATUS={SAMPLE} mounted on {mnt}".encode()
            assert is_mounted(mnt)
            assert (mnt / "README.txt").read_bytes().startswith(README)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(10) == 0
        assert receive_until(sock, b"STOPPING=1")[-1] == f"STOPPING=1\nSTATUS=unmounted {mnt}".encode()


def test_mounts_on_libfuse2_when_asked(tmp_path: Path) -> None:
    """FUSE_LIBRARY_NAME=fuse picks libfuse2 (README, "FUSE binding"): libfuse3-only options
    are left out and reads go through the same path."""
    import ctypes.util
    if ctypes.util.find_library("fuse") is None:
        if IN_CI:
            pytest.fail("libfuse2 is missing (scripts/install.sh --test installs fuseiso, which needs it)")
        pytest.skip("libfuse2 is not installed")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    proc = run_cli(SAMPLE, mnt, env={**os.environ, "FUSE_LIBRARY_NAME": "fuse"})
    try:
        assert proc.returncode == 0, proc.stderr
        assert (mnt / "README.txt").read_bytes().startswith(README)
        assert sorted(p.name for p in (mnt / "docs").iterdir()) == \
            ["A long file name with spaces.txt", "readme-link"]
    finally:
        run_cli("unmount", mnt)
    assert not is_mounted(mnt)
