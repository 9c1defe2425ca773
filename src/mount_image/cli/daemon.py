"""The per-mount daemon: forks only after the image opened cleanly, so errors reach the terminal.

The parent waits on a pipe until the child's FUSE session is initialised (the mount is then
ready) or has failed, and exits with the matching status.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import threading
from typing import Callable

from . import mounts
from .messages import EXIT_FAILURE, EXIT_OK, error
from .opening import Opened
from .options import MountOptions

ATTR_TIMEOUT = 86400.0   # the image never changes while mounted: let the kernel cache
READY = b"\0ready\n"
# libfuse 3.14 prints this on every multithreaded start; it means nothing to a user.
LIBFUSE_NOISE = (b"Ignoring invalid max threads value",)


def fuse_options(image: str, options: MountOptions) -> dict:
    escaped = image.replace("\\", "\\\\").replace(",", "\\,")
    kwargs: dict = {
        "fsname": escaped, "subtype": mounts.SUBTYPE, "ro": True, "default_permissions": True,
        "kernel_cache": True, "attr_timeout": ATTR_TIMEOUT, "entry_timeout": ATTR_TIMEOUT,
        "negative_timeout": ATTR_TIMEOUT, "use_ino": True, "max_threads": 16,
    }
    kwargs.update(options.fuse)
    return kwargs


def check_mountpoint(mountpoint: str) -> str | None:
    if not os.path.exists(mountpoint):
        return f"{mountpoint}: mountpoint does not exist"
    if not os.path.isdir(mountpoint):
        return f"{mountpoint}: mountpoint is not a directory"
    if mounts.is_mountpoint(mountpoint):
        return f"{mountpoint}: something is already mounted there"
    return None


def _serve(opened: Opened, image: str, mountpoint: str, options: MountOptions,
           on_ready: Callable[[], None]) -> None:
    from ..fuse.binding import FUSE  # imported here: loading libfuse is the slow part of start-up
    from ..fuse.operations import ViewOperations

    def settle() -> None:
        # The stat waits until the kernel has our INIT reply, which also resets the read-ahead;
        # only then is it raised and the mount announced as ready.
        os.stat(mountpoint)
        mounts.raise_read_ahead(mountpoint)
        mounts.write_state(mountpoint, image, opened.view.name)
        on_ready()

    def ready() -> None:
        # Runs inside FUSE's init, before the kernel has the reply: touching the mount here
        # would deadlock, so the rest happens on a thread.
        threading.Thread(target=settle, daemon=True).start()

    try:
        FUSE(ViewOperations(opened.view, ready), mountpoint, foreground=True,
             nothreads=False, debug=options.debug, **fuse_options(image, options))
    finally:
        mounts.remove_state(mountpoint)
        opened.close()


def _setup_logging(foreground: bool, debug: bool) -> None:
    root = logging.getLogger("mount_image")
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    if foreground:
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("mount-image: %(levelname)s: %(message)s"))
    elif os.path.exists("/dev/log"):
        handler = logging.handlers.SysLogHandler(address="/dev/log")
        handler.setFormatter(logging.Formatter(f"mount-image[{os.getpid()}]: %(message)s"))
    else:
        handler = logging.NullHandler()
    root.handlers[:] = [handler]
    logging.getLogger("mfusepy").setLevel(logging.WARNING)


def run_mount(opened: Opened, image: str, mountpoint: str, options: MountOptions,
              foreground: bool) -> int:
    problem = check_mountpoint(mountpoint)
    mountpoint = os.path.realpath(mountpoint)  # resolved now: the daemon must not stat its own mount
    if problem:
        opened.close()
        error(problem)
        return EXIT_FAILURE
    if foreground:
        _setup_logging(True, options.debug)
        try:
            _serve(opened, image, mountpoint, options, lambda: None)
        except RuntimeError as exc:
            error(f"{mountpoint}: mount failed ({exc})")
            return EXIT_FAILURE
        return EXIT_OK

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the daemon
        os.close(read_end)
        os.setsid()
        _setup_logging(False, options.debug)
        os.dup2(write_end, 2)  # libfuse's own messages go to the parent, which relays them

        def ready() -> None:
            # Detach from the terminal only now: libfuse's own mount errors must still reach it.
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.close(null)
            os.write(write_end, READY)
            os.close(write_end)

        status = 0
        try:
            _serve(opened, image, mountpoint, options, ready)
        except BaseException as exc:  # noqa: BLE001 - the parent prints it; we must exit either way
            try:
                os.write(write_end, f"mount failed ({exc})\n".encode())
            except OSError:
                pass
            status = 1
        os._exit(status)

    os.close(write_end)
    opened.close()  # the daemon has its own copy
    chunks = []
    while chunk := os.read(read_end, 4096):
        chunks.append(chunk)
    os.close(read_end)
    output = b"".join(chunks)
    ok = output.endswith(READY)
    lines = [line for line in output.removesuffix(READY).splitlines()
             if line.strip() and not line.startswith(LIBFUSE_NOISE)]
    if ok:
        for line in lines:
            print(line.decode(errors="replace"), file=sys.stderr)
        return EXIT_OK
    os.waitpid(pid, 0)
    detail = "; ".join(line.decode(errors="replace").strip() for line in lines)
    error(f"{mountpoint}: {detail or 'mount failed'}")
    return EXIT_FAILURE
