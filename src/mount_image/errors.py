"""The whole exception tree of mount-image; no other module defines exceptions.

POSIX conditions (no such file, not a directory) use the builtin OSError subclasses with errno
set, so the FUSE adapter maps ``exc.errno`` directly.
"""

from __future__ import annotations


class MountImageError(Exception):
    """The root: the CLI catches this one and prints a one-line message."""


class ImageFormatError(MountImageError):
    """A container or descriptor we refuse before mounting.

    ``where`` is a line (``"3"``), an offset (``"0x8000"``) or empty; the message reads
    ``game.cue:3: FILE "a.bin" not found``.
    """

    def __init__(self, path: str, where: str | int | None, msg: str) -> None:
        self.path = path
        self.where = "" if where is None else str(where)
        self.msg = msg
        super().__init__(str(self))

    def __str__(self) -> str:
        place = f"{self.path}:{self.where}" if self.where else self.path
        return f"{place}: {self.msg}"


class CorruptDataError(MountImageError):
    """Damage found while reading: EIO for that file or directory, and one log line."""


class UnsupportedError(MountImageError):
    """Valid input whose feature is not handled yet: says "not supported", not "corrupt"."""

    def __init__(self, feature: str) -> None:
        self.feature = feature
        super().__init__(f"{feature} is not supported")


class UsageError(MountImageError):
    """A command line or mount option we refuse (unknown option, bad value)."""
