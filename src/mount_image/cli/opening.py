"""From an image path to a view: container -> block device -> filesystem -> files view."""

from __future__ import annotations

from dataclasses import dataclass

from ..disc.model import Disc
from ..disc.probe import open_image
from ..errors import CorruptDataError, ImageFormatError, UnsupportedError
from ..fs.iso9660.filesystem import Iso9660FileSystem
from ..fs.probe import open_filesystem
from ..sectors.blocks import BlockDevice
from ..view.files import FilesView
from .options import MountOptions


@dataclass(slots=True)
class Opened:
    disc: Disc
    fs: Iso9660FileSystem
    view: FilesView

    def close(self) -> None:
        self.disc.close()


def open_view(path: str, options: MountOptions) -> Opened:
    """Everything a mount needs, checked: any problem is an ImageFormatError naming the file."""
    disc = open_image(path)
    try:
        track = next((s.first_data_track() for s in reversed(disc.sessions) if s.first_data_track()), None)
        if track is None:
            raise ImageFormatError(path, None, "no data track; audio CDs are shown by the tracks "
                                               "view, which is not built yet")
        fs = open_filesystem(BlockDevice(track), options.iso)
        fs.listdir(fs.root())  # the root must be readable before we call the image good
        return Opened(disc, fs, FilesView(fs, options.owner))
    except CorruptDataError as exc:
        disc.close()
        message = str(exc).removeprefix(f"{path}: ")  # the block layer names the file already
        raise ImageFormatError(path, None, message) from None
    except UnsupportedError as exc:
        disc.close()
        raise ImageFormatError(path, None, str(exc)) from None
    except BaseException:
        disc.close()
        raise
