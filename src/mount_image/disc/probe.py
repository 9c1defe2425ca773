"""open_image: find the container parser for a path and build its Disc."""

from __future__ import annotations

import importlib
import os
import stat

from ..errors import ImageFormatError
from ..io.source import FileSource
from .model import Disc
from .plain import open_plain


# Descriptor files, by extension (any case): module and parse function in disc/.
DESCRIPTORS: dict[str, tuple[str, str]] = {
    "cue": ("cue", "parse_cue"),
    "toc": ("toc", "parse_toc"),
    "nrg": ("nrg", "parse_nrg"),
    "ccd": ("ccd", "parse_ccd"),
    "mds": ("mds", "parse_mds"),
}


def open_image(path: str) -> Disc:
    """Open ``path`` read-only and build its Disc, or raise ImageFormatError naming the file.

    A descriptor (.cue, .toc, .nrg, .ccd, .mds, any case) goes to its parser; a file starting
    with raw 2352-byte data sectors is a descriptor-less raw image, whatever its extension;
    anything else is a plain 2048-byte image. A block device (a disc in a drive, a loop device, a
    USB stick holding an image written with dd) is never a descriptor, whatever its name (udev
    links such as /dev/disk/by-label/NAME may contain dots): it is probed by content only.
    """
    suffix = path.lower().rpartition(".")[2]
    if suffix in DESCRIPTORS and not _is_block_device(path):
        module_name, function_name = DESCRIPTORS[suffix]
        # Imported here: the CLI must start fast, and a mount needs one parser only.
        module = importlib.import_module(f".{module_name}", __package__)
        return getattr(module, function_name)(path)
    source = FileSource(path)
    try:
        from .raw import open_raw, raw_mode

        device = _is_block_device(path)
        if device:
            _check_readable(path, source)
        if raw_mode(source) is not None:
            return open_raw(path, source)
        return open_plain(path, source, device=device)
    except BaseException:
        source.close()
        raise


def _is_block_device(path: str) -> bool:
    try:
        return stat.S_ISBLK(os.stat(path).st_mode)
    except OSError:
        return False  # the parser or FileSource names the problem


# Where the filesystems on discs start: after the 16-block system area (ECMA-119 §6.2.1), ISO
# 9660's volume descriptors, and UDF's volume recognition sequence at the same byte 32768.
FIRST_DESCRIPTOR = 16
COOKED = 2048


def _check_readable(path: str, source: FileSource) -> None:
    """A device whose first blocks cannot be read (an audio CD read cooked, a damaged or blank
    disc) is refused here, with the block, rather than by an I/O error deep in a parser."""
    if source.size <= FIRST_DESCRIPTOR * COOKED:
        return  # empty (no medium) or tiny: open_plain and the filesystem say what is wrong
    try:
        source.pread(FIRST_DESCRIPTOR * COOKED, COOKED)
    except OSError as exc:
        raise ImageFormatError(path, None, f"cannot read block {FIRST_DESCRIPTOR} "
                               f"({exc.strerror or exc}): an audio CD, a blank or a damaged "
                               "disc?") from None
