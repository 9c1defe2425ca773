"""systemd's readiness protocol without a dependency: one datagram to $NOTIFY_SOCKET.

sd_notify(3): the service manager sets NOTIFY_SOCKET to a datagram socket, a path, or an
abstract-namespace name written with a leading ``@``. Each message is newline-separated
``KEY=VALUE`` assignments (``READY=1``, ``STATUS=...``, ``STOPPING=1``). With no NOTIFY_SOCKET
(not started by systemd, or not Type=notify) every call is a no-op, as in libsystemd.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger("mount_image.sdnotify")


def socket_address(value: str | None = None) -> str | bytes | None:
    """The address NOTIFY_SOCKET names: a path, or bytes for an abstract ``@name``; None if unset."""
    value = os.environ.get("NOTIFY_SOCKET") if value is None else value
    if not value:
        return None
    if value.startswith("@"):
        return b"\0" + value[1:].encode()   # the abstract namespace: a leading NUL byte
    if value.startswith("/"):
        return value
    return None  # vsock: addresses (systemd 253+) are not used for services


def notify(*assignments: str) -> bool:
    """Send ``KEY=VALUE`` lines as one datagram; True when a manager was told.

    Never raises: a service must not fail because its manager went away.
    """
    address = socket_address()
    if address is None:
        return False
    message = "\n".join(assignments).encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message)
        return True
    except OSError as exc:
        log.warning("cannot notify the service manager at %s: %s",
                    os.environ.get("NOTIFY_SOCKET"), exc.strerror or exc)
        return False


def ready(status: str) -> bool:
    return notify("READY=1", f"STATUS={status}")


def stopping(status: str) -> bool:
    return notify("STOPPING=1", f"STATUS={status}")
