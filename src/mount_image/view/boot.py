"""``boot/`` in the tracks view: each El Torito boot image of the disc as a file.

``01-x86-noemul.img``, ``02-efi.img``, ``03-x86-floppy-1.44m.img``, ... in catalog order; how
long each one is, is decided in fs/iso9660/eltorito.py. The catalog is read from the disc's
first data track (where mastering tools put it); a disc without El Torito has no ``boot/``.
"""

from __future__ import annotations

import logging

from ..disc.model import Disc, TrackKind
from ..errors import MountImageError
from ..fs.iso9660.eltorito import BootImage, boot_images, read_boot_image
from ..fs.iso9660.volume import read_volume_set
from ..sectors.blocks import BlockDevice

log = logging.getLogger("mount_image.view")

BOOT_FOLDER = "boot"


class BootFile:
    """The bytes of one boot image (the Content protocol of view/tracks.py)."""

    def __init__(self, device: BlockDevice, image: BootImage) -> None:
        self.device = device
        self.image = image
        self.size = image.size

    def read(self, offset: int, size: int) -> bytes:
        return read_boot_image(self.device, self.image, offset, size)


def boot_files(disc: Disc) -> list[BootFile]:
    """The boot images of the disc's first data track; empty when it has none or its volume
    descriptors or catalog cannot be read (logged: the tracks view still mounts)."""
    track = next((t for t in disc.tracks if t.kind is TrackKind.DATA), None)
    if track is None:
        return []
    try:
        device = BlockDevice(track)
        volumes = read_volume_set(device)
        if volumes.boot_record is None:
            return []
        images = boot_images(device, volumes.boot_record, volumes.primary.root_directory_record)
    except (MountImageError, ValueError) as exc:
        log.info("%s: no boot/ folder: %s", disc.path, exc)
        return []
    return [BootFile(device, image) for image in images if image.size]
