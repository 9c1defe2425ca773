"""The per-mount daemon: forks only after the image opened cleanly, so errors reach the terminal.

The parent waits on a pipe until the child's FUSE session is initialised (the mount is then
ready) or has failed, and exits with the matching status. The detached daemon logs to syslog
(the journal reads /dev/log); with ``-f`` it stays in the foreground and logs to stderr. When
NOTIFY_SOCKET is set (a systemd Type=notify unit) it sends READY=1 once the mount answers and
STOPPING=1 when it ends. SIGTERM, SIGINT and SIGHUP are libfuse's: they end the session, the
mountpoint is unmounted, and the daemon exits 0.
"""

from __future__ import annotations

import ctypes
import logging
import logging.handlers
import os
import socket
import sys
import threading
from typing import Callable

from . import mounts, sdnotify
from .messages import EXIT_FAILURE, EXIT_OK, error
from .opening import Opened
from .options import MountOptions

ATTR_TIMEOUT = 86400.0   # the image never changes while mounted: let the kernel cache
READY = b"\0ready\n"
SYSLOG_SOCKET = "/dev/log"
# fuse_main_real()'s status when its loop ended with an error, which includes being stopped by
# a signal (libfuse 3 stores the signal as the session's error): after a good mount, a clean stop.
FUSE_LOOP_ENDED = 8
# libfuse 3.14 prints this on every multithreaded start; it means nothing to a user.
LIBFUSE_NOISE = (b"Ignoring invalid max threads value",)


def fuse_options(image: str, options: MountOptions) -> dict:
    escaped = image.replace("\\", "\\\\").replace(",", "\\,")
    kwargs: dict = {
        "fsname": escaped, "subtype": mounts.SUBTYPE, "ro": True, "default_permissions": True,
        "kernel_cache": True, "attr_timeout": ATTR_TIMEOUT, "entry_timeout": ATTR_TIMEOUT,
        "negative_timeout": ATTR_TIMEOUT, "use_ino": True,
    }
    from ..fuse.binding import FUSE_MAJOR
    if FUSE_MAJOR >= 3:   # libfuse2 (FUSE_LIBRARY_NAME=fuse) refuses the option
        kwargs["max_threads"] = 16
    kwargs.update(options.fuse)
    # Whatever fstab or mount.fuse3 passed (it appends dev,suid): an image is never a source of
    # device nodes or set-id programs, and never written.
    kwargs.update({"ro": True, "nodev": True, "nosuid": True})
    return kwargs


def check_mountpoint(mountpoint: str) -> str | None:
    if not os.path.exists(mountpoint):
        return f"{mountpoint}: mountpoint does not exist"
    if not os.path.isdir(mountpoint):
        return f"{mountpoint}: mountpoint is not a directory"
    if mounts.is_mountpoint(mountpoint):
        return f"{mountpoint}: something is already mounted there"
    return None


# glibc mallopt parameters (malloc.h).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
KEEP_FREED = 128 << 20      # freed heap kept for the next requests instead of given back
NO_MMAP_BELOW = 32 << 20    # requests of up to a few MiB come from the heap, not a fresh mmap


def keep_read_buffers() -> None:
    """Let freed read buffers be reused instead of mapped afresh for every request.

    Every FUSE read allocates a buffer of up to ~1.2 MiB (the raw sectors) and ~1 MiB (the
    data), from one of the FUSE threads' malloc arenas. glibc serves such sizes with mmap, or
    hands a thread arena's top back to the kernel when it is freed, so each request paid page
    faults and the kernel zeroing the pages: perf showed a third of the daemon's time in
    exc_page_fault and clear_page, and raw BIN reads ran at 0.3x a plain ISO's. With the
    thresholds raised they run at ~0.8x; the daemon's peak memory stays near 50 MB.
    Not glibc (musl): nothing to tune.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, NO_MMAP_BELOW)
    mallopt(M_TRIM_THRESHOLD, KEEP_FREED)


def _serve(opened: Opened, image: str, mountpoint: str, options: MountOptions,
           on_ready: Callable[[], None]) -> None:
    from ..fuse.binding import FUSE  # imported here: loading libfuse is the slow part of start-up
    from ..fuse.operations import ViewOperations

    keep_read_buffers()

    log = logging.getLogger("mount_image.daemon")
    sources = opened.disc.sources
    started = threading.Event()

    def settle() -> None:
        # The stat waits until the kernel has our INIT reply, which also resets the read-ahead;
        # only then is it raised and the mount announced as ready.
        os.stat(mountpoint)
        mounts.raise_read_ahead(mountpoint)
        mounts.write_state(mountpoint, image, opened.view.name, sources)
        log.info("mounted %s on %s (%s view)", image, mountpoint, opened.view.name)
        sdnotify.ready(f"{image} mounted on {mountpoint}")
        started.set()
        on_ready()

    def ready() -> None:
        # Runs inside FUSE's init, before the kernel has the reply: touching the mount here
        # would deadlock, so the rest happens on a thread.
        threading.Thread(target=settle, daemon=True).start()

    def forget(source: object, reason: str) -> None:
        # Reads may be in flight on this thread: the kernel's cache is dropped from another one.
        name = getattr(source, "path", image)
        mounts.mark_stale(mountpoint, f"{name}: {reason}")
        sdnotify.notify(f"STATUS=stale: {name} {reason}; reads fail with EIO")
        threading.Thread(target=operations.drop_cached_data, daemon=True).start()

    operations = ViewOperations(opened.view, ready, trace=options.debug)
    for source in sources:
        watch = getattr(source, "watch", None)
        if watch is not None:
            watch(forget)
    try:
        FUSE(operations, mountpoint, foreground=True, nothreads=False,
             **fuse_options(image, options))
    except RuntimeError as exc:
        if not (started.is_set() and exc.args == (FUSE_LOOP_ENDED,)
                and not mounts.is_mountpoint(mountpoint)):
            raise
    finally:
        mounts.remove_state(mountpoint)
        opened.close()
    log.info("unmounted %s", mountpoint)
    sdnotify.stopping(f"unmounted {mountpoint}")


class _SysLogHandler(logging.handlers.SysLogHandler):
    """Never prints "--- Logging error ---" when syslog goes away: a daemon has nowhere to say it."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        pass


def _syslog_handler() -> logging.Handler:
    """Syslog on /dev/log (journald listens there too); a quiet NullHandler when nothing listens."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as probe:
            probe.connect(SYSLOG_SOCKET)   # SysLogHandler itself ignores a failed connect
    except OSError:
        return logging.NullHandler()
    handler = _SysLogHandler(address=SYSLOG_SOCKET, facility=logging.handlers.SysLogHandler.LOG_DAEMON)
    handler.setFormatter(logging.Formatter("mount-image[%(process)d]: %(message)s"))
    return handler


def _setup_logging(foreground: bool, debug: bool) -> None:
    root = logging.getLogger("mount_image")
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    if foreground:
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("mount-image: %(levelname)s: %(message)s"))
    else:
        handler = _syslog_handler()
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
