"""open_image: find the container parser for a path and build its Disc."""

from __future__ import annotations

from ..io.source import FileSource
from .model import Disc
from .plain import open_plain


def open_image(path: str) -> Disc:
    """Open ``path`` read-only and build its Disc, or raise ImageFormatError naming the file.

    A ``.cue`` (any case) is a cue sheet; a file starting with raw 2352-byte data sectors is a
    descriptor-less raw image, whatever its extension; anything else is a plain 2048-byte image.
    """
    if path.lower().endswith(".cue"):
        from .cue import parse_cue  # imported here: the CLI must start fast

        return parse_cue(path)
    source = FileSource(path)
    try:
        from .raw import open_raw, raw_mode

        if raw_mode(source) is not None:
            return open_raw(path, source)
        return open_plain(path, source)
    except BaseException:
        source.close()
        raise
