"""open_filesystem: find the filesystem of a session on a block device (UDF, ISO 9660).

A bridge disc carries both (the same files twice): UDF is shown, as operating systems do, and
its info() reports the ISO 9660 side too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..errors import CorruptDataError
from ..sectors.blocks import BlockDevice
from .iso9660.filesystem import Iso9660FileSystem, IsoOptions
from .udf.recognition import has_udf

if TYPE_CHECKING:
    from .udf.filesystem import UdfFileSystem

log = logging.getLogger("mount_image.probe")

FILESYSTEMS = ("iso9660", "udf")
ISO_STANDARD_ID = b"CD001"


def open_filesystem(device: BlockDevice, iso: IsoOptions = IsoOptions(), *,
                    fs: str | None = None, start: int = 0) -> "Iso9660FileSystem | UdfFileSystem":
    """The filesystem the files view shows; CorruptDataError says why none was found.

    ``start`` is the first 2048-byte block of the session (ISO 9660 volume descriptors and the
    UDF recognition sequence at start + 16, UDF anchors at start + 256 and at the end);
    ``fs`` forces one filesystem by name.
    """
    if fs not in (None, *FILESYSTEMS):
        raise CorruptDataError(f"no {fs} filesystem reader (known: {', '.join(FILESYSTEMS)})")
    udf_here = _guard(lambda: has_udf(device, start), False)
    iso_here = _has_iso(device, start)
    if fs == "udf" or (fs is None and udf_here):
        if not udf_here:
            raise CorruptDataError("no UDF filesystem: no BEA01/NSR02/NSR03 volume recognition sequence")
        companion = None
        if iso_here and fs is None:
            companion = _guard(lambda: _open_iso(device, iso, start), None)
        from .udf.filesystem import UdfFileSystem  # only on UDF discs: its layouts take time to load
        try:
            return _opening(lambda: UdfFileSystem(device, start, iso.unhide, companion))
        except CorruptDataError as exc:
            if companion is None:
                raise
            log.warning("UDF side of a bridge disc unreadable (%s); showing its ISO 9660 side", exc)
            return companion
    if fs == "iso9660" and not iso_here:
        raise CorruptDataError("no ISO 9660 filesystem: no CD001 volume descriptor at sector "
                               f"{start + 16}")
    return _open_iso(device, iso, start)


def _open_iso(device: BlockDevice, iso: IsoOptions, start: int) -> Iso9660FileSystem:
    return _opening(lambda: Iso9660FileSystem(device, iso, first_sector=start + 16))


def _opening(make):
    try:
        return make()
    except CorruptDataError:
        raise
    except (ValueError, IndexError) as exc:  # a layout bug must still read as "damaged", not crash
        raise CorruptDataError(f"unreadable volume descriptors: {exc}") from exc


def _guard(make, default):
    try:
        return make()
    except (CorruptDataError, ValueError, IndexError):
        return default


def _has_iso(device: BlockDevice, start: int) -> bool:
    offset = (start + 16) * 2048
    if offset + 6 > device.size:
        return False
    try:
        return device.read_bytes(offset + 1, 5) == ISO_STANDARD_ID
    except CorruptDataError:
        return False
