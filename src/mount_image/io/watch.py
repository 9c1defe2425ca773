"""One inotify watcher thread per process that wakes image sources when their files change.

A mounted image must never serve bytes from a file that was deleted, replaced or rewritten.
Checking the path on every read would cost a stat per request; instead the folder of each image
and the image itself are watched (inotify(7), through libc with ctypes: no new dependency),
and every event, whatever it is, makes each watched source re-check its path once. Events are
not parsed: they are rare (only changes in the images' folders) and the check is one stat.

Where inotify is unavailable (no libc symbol, watch limit reached) nothing is watched and the
sources fall back to their periodic check (FileSource.pread).
"""

from __future__ import annotations

import ctypes
import logging
import os
import select
import threading
from typing import Callable

log = logging.getLogger("mount_image.io")

# inotify(7) event masks and flags (linux/inotify.h).
IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x002, 0x004, 0x008
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x040, 0x080, 0x100, 0x200
IN_DELETE_SELF, IN_MOVE_SELF, IN_UNMOUNT = 0x400, 0x800, 0x2000
IN_CLOEXEC, IN_NONBLOCK = 0o2000000, 0o4000

# The file itself: written in place, link count or mode changed, its filesystem unmounted.
FILE_EVENTS = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT
# Its folder: a name removed, renamed, or created over (mv new.iso old.iso is IN_MOVED_TO).
FOLDER_EVENTS = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_UNMOUNT


class Watcher:
    """Calls every registered check after any event on the watched files or folders."""

    def __init__(self) -> None:
        self._libc = ctypes.CDLL(None, use_errno=True)
        fd = self._libc.inotify_init1(IN_CLOEXEC | IN_NONBLOCK)
        if fd < 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        self._fd = fd
        self.pid = os.getpid()
        self._checks: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="mount-image-watch", daemon=True)
        self._thread.start()

    def add(self, path: str, check: Callable[[], None]) -> bool:
        """Watch ``path`` and its folder; False if inotify refused (the caller then polls)."""
        folder = os.path.dirname(os.path.abspath(path)) or "/"
        ok = True
        for target, mask in ((path, FILE_EVENTS), (folder, FOLDER_EVENTS)):
            if self._libc.inotify_add_watch(self._fd, os.fsencode(target), mask) < 0:
                ok = False
        if ok:
            with self._lock:
                self._checks.append(check)
        return ok

    def _run(self) -> None:
        while True:
            try:
                select.select([self._fd], [], [])
                while os.read(self._fd, 65536):
                    pass  # drain: what happened does not matter, only that something did
            except BlockingIOError:
                pass
            except OSError as exc:
                log.warning("inotify watcher stopped: %s", exc.strerror or exc)
                return
            with self._lock:
                checks = list(self._checks)
            for check in checks:
                try:
                    check()
                except Exception:  # noqa: BLE001 - a check must not stop the watcher
                    log.exception("image check failed")


_watcher: Watcher | None = None
_watcher_lock = threading.Lock()


def watch(path: str, check: Callable[[], None]) -> bool:
    """Run ``check`` whenever ``path`` or its folder changes; False when inotify is unavailable."""
    global _watcher
    with _watcher_lock:
        if _watcher is None or _watcher.pid != os.getpid():  # threads do not survive fork()
            try:
                _watcher = Watcher()
            except (OSError, AttributeError) as exc:
                log.debug("no inotify (%s): images are checked every few seconds instead", exc)
                return False
    return _watcher.add(path, check)
