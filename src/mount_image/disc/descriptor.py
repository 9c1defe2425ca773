"""Reading descriptor files (.cue, .toc, .ccd, .mds): bounded, and every failure one clear line."""

from __future__ import annotations

import os

from ..errors import ImageFormatError


def read_descriptor(path: str, max_bytes: int, what: str) -> bytes:
    """The whole file, refused when it is missing, a directory or larger than ``max_bytes``."""
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise ImageFormatError(path, None, "no such file") from None
    except IsADirectoryError:
        raise ImageFormatError(path, None, "is a directory, not an image file") from None
    except OSError as exc:
        raise ImageFormatError(path, None, exc.strerror or str(exc)) from None
    if len(data) > max_bytes:
        raise ImageFormatError(path, None, f"{what} larger than {max_bytes} bytes")
    return data


def read_descriptor_text(path: str, max_bytes: int, what: str, fallback: str = "cp1252") -> str:
    """A text descriptor: UTF-8 (with or without BOM), else ``fallback`` (sheets written on
    Windows); binary data is refused as not being this kind of file."""
    data = read_descriptor(path, max_bytes, what)
    if b"\0" in data:
        raise ImageFormatError(path, None, f"not a {what} (binary data)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode(fallback, errors="replace")


def find_in_folder(folder: str, relative: str) -> str | None:
    """The file ``relative`` (parts separated by '/') below ``folder``, each part matched as
    written or else ignoring case (descriptors written on Windows); None when there is none.
    The caller has already refused names that leave the folder."""
    if not relative or relative in (".", ".."):
        return None
    parts = relative.split("/")
    current = folder
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        exact = os.path.join(current, part)
        if os.path.isfile(exact) if last else os.path.isdir(exact):
            current = exact
            continue
        try:
            names = sorted(os.listdir(current or "."))
        except OSError:
            return None
        wanted = part.casefold()
        match = next((n for n in names if n.casefold() == wanted and
                      (os.path.isfile if last else os.path.isdir)(os.path.join(current, n))), None)
        if match is None:
            return None
        current = os.path.join(current, match)
    return current
