"""open_filesystem: find the filesystem on a block device (ISO 9660 now; UDF and others later)."""

from __future__ import annotations

from ..errors import CorruptDataError
from ..sectors.blocks import BlockDevice
from .iso9660.filesystem import Iso9660FileSystem, IsoOptions


def open_filesystem(device: BlockDevice, iso: IsoOptions = IsoOptions()) -> Iso9660FileSystem:
    """The filesystem the files view shows; CorruptDataError says why none was found."""
    try:
        return Iso9660FileSystem(device, iso)
    except CorruptDataError:
        raise
    except (ValueError, IndexError) as exc:  # a layout bug must still read as "damaged", not crash
        raise CorruptDataError(f"unreadable volume descriptors: {exc}") from exc
