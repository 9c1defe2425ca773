"""Desktop notifications (org.freedesktop.Notifications, Desktop Notifications Specification 1.2)
without a D-Bus library: through ``gdbus`` (GLib, on every GNOME, Cinnamon, Budgie, MATE and
Xfce desktop), else ``busctl`` (systemd), else ``notify-send``; silently nothing when none of them
exists or no notification server answers.

Only ``gdbus`` can also wait for the server's ActionInvoked signal, so the "Unmount" button is
offered through it alone, and only when the server lists "actions" in GetCapabilities.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import time
from typing import Callable

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
APP_NAME = "mount-image"
ICON = "media-optical"
ACTION_UNMOUNT = "unmount"
CALL_TIMEOUT = 5          # seconds: a busy or hung notification server must not hold up `open`
WAIT_LIMIT = 24 * 3600    # seconds the Unmount button is listened for at most
EXPIRE_MS = -1            # the server's default display time
POLL = 2.0                # seconds between checks that the mount is still there


def _gvariant_string(text: str) -> str:
    """A GVariant text-format string literal (gdbus parses its arguments in that format)."""
    clean = "".join(ch for ch in text if ch >= " " or ch == "\n")
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _gdbus(*args: str, timeout: float = CALL_TIMEOUT) -> str | None:
    gdbus = shutil.which("gdbus")
    if gdbus is None or not _have_bus():
        return None
    cmd = [gdbus, "call", "--session", "--dest", BUS_NAME, "--object-path", OBJECT_PATH,
           "--timeout", str(int(timeout)), "--method", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 1)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout if proc.returncode == 0 else None


def _have_bus() -> bool:
    """A session bus named in the environment, or at its usual place ($XDG_RUNTIME_DIR/bus, as
    systemd --user starts it): without one every tool would only fail, slowly."""
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return bool(runtime) and os.path.exists(os.path.join(runtime, "bus"))


def _body(text: str) -> str:
    """Servers with "body-markup" read the body as a subset of HTML: a label or path holding
    "&" or "<" must not be taken for markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def capabilities() -> list[str]:
    """The server's capabilities (["actions", "body", ...]); empty when no server answers."""
    out = _gdbus(f"{BUS_NAME}.GetCapabilities")
    return re.findall(r"'([^']*)'", out) if out else []


def _notify_gdbus(summary: str, body: str, actions: bool) -> int | None:
    action_list = f'["{ACTION_UNMOUNT}", "Unmount"]' if actions else "[]"
    out = _gdbus(f"{BUS_NAME}.Notify", _gvariant_string(APP_NAME), "uint32 0",
                 _gvariant_string(ICON), _gvariant_string(summary), _gvariant_string(_body(body)),
                 f"@as {action_list}", '@a{sv} {"desktop-entry": <"mount-image">}',
                 f"int32 {EXPIRE_MS}")
    match = re.search(r"\(uint32 (\d+),\)", out or "")
    return int(match.group(1)) if match else None


def _notify_fallback(summary: str, body: str) -> bool:
    """busctl (systemd), then notify-send (libnotify): a plain notification without buttons."""
    busctl = shutil.which("busctl")
    if busctl and _have_bus():
        cmd = [busctl, "--user", f"--timeout={CALL_TIMEOUT}", "call", "--", BUS_NAME, OBJECT_PATH,
               BUS_NAME, "Notify", "susssasa{sv}i", APP_NAME, "0", ICON, summary, _body(body), "0", "0",
               str(EXPIRE_MS)]
        if _run_quietly(cmd):
            return True
    notify_send = shutil.which("notify-send")
    if notify_send:
        return _run_quietly([notify_send, "--app-name", APP_NAME, "--icon", ICON, summary, _body(body)])
    return False


def _run_quietly(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=CALL_TIMEOUT + 1).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def notify(summary: str, body: str) -> None:
    """A notification without buttons (errors, closing); nothing happens without a server."""
    if _notify_gdbus(summary, body, actions=False) is None:
        _notify_fallback(summary, body)


_SIGNAL = re.compile(r"\.(ActionInvoked|NotificationClosed) \(uint32 (\d+), (?:'([^']*)'|uint32 \d+)\)")


def notify_with_unmount(summary: str, body: str, unmount: Callable[[], object],
                        still_mounted: Callable[[], bool]) -> None:
    """A notification with an Unmount button when the server has actions; a detached child
    process waits for the button (so `open` returns at once) and calls ``unmount``."""
    if "actions" not in capabilities():
        notify(summary, body)
        return
    if os.fork() != 0:
        return
    # The child: leave the caller's session and terminal (and its pipes, which a caller that
    # reads our output until EOF would otherwise wait on) before listening.
    try:
        os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
        _wait_for_unmount(summary, body, unmount, still_mounted)
    finally:
        os._exit(0)


def _wait_for_unmount(summary: str, body: str, unmount: Callable[[], object],
                      still_mounted: Callable[[], bool]) -> None:
    gdbus = shutil.which("gdbus")
    if gdbus is None:
        return
    # The monitor starts before Notify so no signal is missed; stdbuf makes its output line
    # buffered (gdbus writes through stdio, fully buffered on a pipe).
    cmd = [gdbus, "monitor", "--session", "--dest", BUS_NAME, "--object-path", OBJECT_PATH]
    stdbuf = shutil.which("stdbuf")
    if stdbuf:
        cmd = [stdbuf, "-oL", *cmd]
    monitor = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert monitor.stdout is not None
    try:
        # Its first line ("The name ... is owned by ...") says its match rule is in place.
        ready, _, _ = select.select([monitor.stdout], [], [], CALL_TIMEOUT)
        pending = os.read(monitor.stdout.fileno(), 65536).decode(errors="replace") if ready else ""
        notification = _notify_gdbus(summary, body, actions=True)
        if notification is None:
            return
        deadline = time.monotonic() + WAIT_LIMIT
        while time.monotonic() < deadline and still_mounted():
            # A poll every few seconds: the mount may go away (close, eject) with no signal.
            ready, _, _ = select.select([monitor.stdout], [], [], POLL)
            if not ready:
                continue
            chunk = os.read(monitor.stdout.fileno(), 65536).decode(errors="replace")
            if not chunk:
                return  # the bus went away
            pending += chunk
            *lines, pending = pending.split("\n")
            for line in lines:
                match = _SIGNAL.search(line)
                if not match or int(match.group(2)) != notification:
                    continue
                if match.group(1) == "ActionInvoked" and match.group(3) == ACTION_UNMOUNT:
                    unmount()
                    return
                if match.group(1) == "NotificationClosed":
                    return
    finally:
        monitor.kill()
        monitor.wait()

