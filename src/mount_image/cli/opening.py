"""From an image path to a view: container -> block device -> filesystem -> files view, or the
disc's tracks as files (the tracks view)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Union

from ..disc.model import Disc, Track
from ..disc.probe import open_image
from ..errors import CorruptDataError, ImageFormatError, MountImageError, UnsupportedError
from ..fs.iso9660.filesystem import Iso9660FileSystem
from ..fs.probe import open_filesystem
from ..sectors.blocks import BlockDevice
from ..view.files import FilesView
from ..view.tracks import TracksView
from .options import MountOptions


@dataclass(slots=True)
class Opened:
    disc: Disc
    fs: Iso9660FileSystem | None      # None in the tracks view of a disc with no readable data track
    view: Union[FilesView, TracksView]

    def close(self) -> None:
        self.disc.close()


def shown_data_track(disc: Disc) -> Track | None:
    """The files view's track: the first data track of the last session that has one."""
    return next((s.first_data_track() for s in reversed(disc.sessions) if s.first_data_track()), None)


def _open_fs(track: Track, options: MountOptions) -> Iso9660FileSystem:
    fs = open_filesystem(BlockDevice(track), options.iso)
    fs.listdir(fs.root())  # the root must be readable before we call the image good
    return fs


def _tracks_view(disc: Disc, options: MountOptions) -> TracksView:
    try:
        mtime_ns = os.stat(disc.path).st_mtime_ns
    except OSError:
        mtime_ns = 0
    return TracksView(disc, options.owner, mtime_ns)


def open_view(path: str, options: MountOptions) -> Opened:
    """Everything a mount needs, checked: any problem is an ImageFormatError naming the file.

    The files view is the default; a disc with no data track (an audio CD) falls back to the
    tracks view unless ``view=files`` was asked for explicitly.
    """
    disc = open_image(path)
    try:
        track = shown_data_track(disc)
        if options.view == "tracks" or (options.view is None and track is None):
            fs = None
            if track is not None:  # described by `info`; the tracks view does not need it
                try:
                    fs = _open_fs(track, options)
                except (MountImageError, OSError):
                    fs = None
            return Opened(disc, fs, _tracks_view(disc, options))
        if track is None:
            raise ImageFormatError(path, None, "no data track, so no files view; "
                                               "the tracks view (-o view=tracks) shows its audio")
        fs = _open_fs(track, options)
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
