"""open_filesystem: find the filesystem on a block device (ISO 9660 now; UDF and others later)."""

from __future__ import annotations

from ..errors import CorruptDataError
from ..sectors.blocks import BlockDevice
from .iso9660.filesystem import Iso9660FileSystem, IsoOptions


def open_filesystem(device: BlockDevice, iso: IsoOptions = IsoOptions(), *,
                    fs: str | None = None, start: int = 0) -> Iso9660FileSystem:
    """The filesystem the files view shows; CorruptDataError says why none was found.

    ``start`` is the first block of the session (its volume descriptors are at start + 16);
    ``fs`` forces one filesystem by name.
    """
    if fs not in (None, "iso9660"):
        raise CorruptDataError(f"no {fs} filesystem reader")
    try:
        return Iso9660FileSystem(device, iso, first_sector=start + 16)
    except CorruptDataError:
        raise
    except (ValueError, IndexError) as exc:  # a layout bug must still read as "damaged", not crash
        raise CorruptDataError(f"unreadable volume descriptors: {exc}") from exc
