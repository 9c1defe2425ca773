"""Plain images: a file of cooked 2048-byte sectors (.iso and friends), one data track.

A block device holding a filesystem of 2048-byte blocks (a data disc in a drive read through the
kernel's cooked interface, a loop device, a USB stick an ISO was written to) is one too.
"""

from __future__ import annotations

from ..errors import ImageFormatError
from ..io.source import ByteSource
from .model import Disc, Session, Track, TrackKind, TrackMode

SECTOR_SIZE = 2048


def open_plain(path: str, source: ByteSource, device: bool = False) -> Disc:
    """A Disc with one session holding one MODE1/2048 track that covers the whole file.

    ``device``: ``path`` is a block device, which only changes what an empty one is called (an
    optical drive with no disc, or an unbound loop device, has size 0).
    """
    if source.size == 0:
        raise ImageFormatError(path, None, "no medium (empty drive or unused device)" if device
                               else "empty file")
    # A trailing partial sector is kept readable: some tools pad badly, and the filesystem layer
    # bounds-checks every extent anyway.
    sectors = -(-source.size // SECTOR_SIZE)
    track = Track(
        number=1,
        session=1,
        kind=TrackKind.DATA,
        mode=TrackMode.MODE1_2048,
        start=0,
        sectors=sectors,
        source=source,
        offset=0,
        sector_size=SECTOR_SIZE,
    )
    return Disc(path=path, container="iso", sessions=(Session(1, (track,)),), sources=(source,))
