"""`mount-image open` notifications over a real D-Bus session bus (dbus-daemon), answered by a
small org.freedesktop.Notifications server written with GLib's GDBus
(desktop_notification_server.py, run by a system python3 that has PyGObject), which records each Notify call and, when asked,
presses the notification's Unmount button."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from conftest import IN_CI, one_line_error, require_tool, run_cli, wait_until
from test_desktop import XDG_OPEN, is_mounted, make_iso, recorded

SERVER = Path(__file__).with_name("desktop_notification_server.py")


def _gi_python() -> str:
    """A python3 on PATH with PyGObject (the distribution's; the test venv has none)."""
    for folder in os.get_exec_path():
        candidate = os.path.join(folder, "python3")
        if os.access(candidate, os.X_OK) and subprocess.run(
                [candidate, "-c", "import gi"], capture_output=True).returncode == 0:
            return candidate
    if IN_CI:
        pytest.fail("no python3 with PyGObject (python3-gi): scripts/install.sh --test installs it")
    pytest.skip("no python3 with PyGObject (python3-gi)")
    raise AssertionError


@pytest.fixture
def session(tmp_path: Path):
    """A private session bus; ``start(caps, press)`` starts the recording server on it."""
    require_tool("dbus-daemon")
    require_tool("gdbus")
    python = _gi_python()
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address"],
                           stdout=subprocess.PIPE, text=True)
    address = bus.stdout.readline().strip()
    servers: list[subprocess.Popen] = []
    record = tmp_path / "notifications.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOUNT_IMAGE_")}
    env.update(DBUS_SESSION_BUS_ADDRESS=address, XDG_CONFIG_HOME=str(tmp_path / "config"))

    def start(capabilities: str, press: str = "") -> None:
        server = subprocess.Popen([python, str(SERVER), str(record), capabilities, press],
                                  stdout=subprocess.PIPE, text=True, env=env)
        servers.append(server)
        assert server.stdout.readline().strip() == "ready"

    def notifications(count: int) -> list[dict]:
        deadline = time.monotonic() + 10
        while count and time.monotonic() < deadline:
            if record.exists() and len(record.read_text().splitlines()) >= count:
                break
            time.sleep(0.05)
        return [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "xdg-open").write_text(XDG_OPEN.format(record=tmp_path / "xdg-open.log"))
    (bin_dir / "xdg-open").chmod(0o755)
    env["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    discs = tmp_path / "discs"
    yield env, start, notifications, discs
    if discs.exists():
        for folder in discs.iterdir():
            if is_mounted(folder):
                subprocess.run(["fusermount3", "-uz", str(folder)], capture_output=True)
    for process in (*servers, bus):
        process.kill()
        process.wait()


def test_unmount_button_unmounts(session, tmp_path):
    env, start, notifications, discs = session
    start("actions,body", press="unmount")
    iso, payload = make_iso(tmp_path, "boxed", "Boxed Set")
    proc = run_cli("open", iso, "--folder", discs, env=env)
    assert proc.returncode == 0, proc.stderr
    folder = discs / "Boxed Set"
    [note] = notifications(1)
    assert note["app"] == "mount-image"
    assert note["summary"] == "Boxed Set is open"
    assert note["body"] == f"boxed.iso on {folder}"
    assert note["actions"] == ["unmount", "Unmount"]
    assert note["hints"] == {"desktop-entry": "mount-image"}
    # The server pressed Unmount 0.3 s after showing it: the listener left behind by `open`
    # unmounts and removes the folder.
    assert wait_until(lambda: not is_mounted(folder), 15, 0.1), "the Unmount button did not unmount"
    deadline = time.monotonic() + 5
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not folder.exists()
    assert recorded(tmp_path / "xdg-open.log", 1) == [str(folder)]


def test_server_without_actions_gets_a_plain_notification(session, tmp_path):
    env, start, notifications, discs = session
    start("body")
    iso, payload = make_iso(tmp_path, "plain", "PLAIN")
    proc = run_cli("open", iso, "--folder", discs, env=env)
    assert proc.returncode == 0, proc.stderr
    [note] = notifications(1)
    assert (note["summary"], note["actions"]) == ("PLAIN is open", [])
    assert (discs / "PLAIN" / "readme.txt").read_bytes() == payload
    assert run_cli("close", discs / "PLAIN", env=env).returncode == 0
    assert not is_mounted(discs / "PLAIN")


def test_a_refused_image_is_notified(session, tmp_path):
    env, start, notifications, discs = session
    start("actions,body")
    bogus = tmp_path / "holiday.cue"
    bogus.write_text('FILE "missing.bin" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n')
    proc = run_cli("open", bogus, "--folder", discs, env=env)
    assert proc.returncode == 2
    message = one_line_error(proc)
    [note] = notifications(1)
    assert note["summary"] == "Cannot open holiday.cue"
    assert note["body"] == message
    assert note["actions"] == []
    assert not discs.exists() or list(discs.iterdir()) == []


def test_no_notification_when_turned_off(session, tmp_path):
    env, start, notifications, discs = session
    start("actions,body")
    env["MOUNT_IMAGE_NOTIFY"] = "no"
    iso, _ = make_iso(tmp_path, "silent", "SILENT")
    assert run_cli("open", iso, "--folder", discs, env=env).returncode == 0
    assert run_cli("open", tmp_path / "nothing.iso", "--folder", discs, env=env).returncode == 2
    assert run_cli("close", iso, env=env).returncode == 0
    time.sleep(0.3)
    assert notifications(0) == []  # nothing recorded (the record file was never written)



@pytest.mark.parametrize("tool", ["busctl", "notify-send"])
def test_fallbacks_when_gdbus_is_missing(session, tmp_path, tool):
    """Without gdbus, busctl (else notify-send) sends the notification, with no button: nothing
    could wait for it. The body is escaped for servers that read it as markup."""
    sender = require_tool(tool)
    env, start, notifications, discs = session
    start("actions,body,body-markup")
    iso, payload = make_iso(tmp_path, "toons", "Tom & Jerry")
    only = tmp_path / "only"
    only.mkdir()
    for path in (sender, require_tool("fusermount3"), tmp_path / "bin" / "xdg-open"):
        (only / Path(path).name).symlink_to(path)
    env["PATH"] = str(only)
    proc = run_cli("open", iso, "--folder", discs, env=env)
    assert proc.returncode == 0, proc.stderr
    folder = discs / "Tom & Jerry"
    [note] = notifications(1)
    assert note["summary"] == "Tom & Jerry is open"
    assert note["body"] == f"toons.iso on {str(folder).replace('&', '&amp;')}"
    assert note["actions"] == []
    assert (note["app"], note["icon"]) == ("mount-image", "media-optical")
    assert (folder / "readme.txt").read_bytes() == payload
    assert run_cli("close", folder, env=env).returncode == 0
    assert not is_mounted(folder) and not folder.exists()
