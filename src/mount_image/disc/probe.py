"""open_image: find the container parser for a path and build its Disc."""

from __future__ import annotations

from ..io.source import FileSource
from .model import Disc
from .plain import open_plain


def open_image(path: str) -> Disc:
    """Open ``path`` read-only and build its Disc, or raise ImageFormatError naming the file."""
    source = FileSource(path)
    try:
        return open_plain(path, source)
    except BaseException:
        source.close()
        raise
