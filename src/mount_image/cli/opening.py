"""From an image path to a view: container -> block device -> filesystem -> files view, or the
disc's tracks as files (the tracks view)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from ..disc.model import Disc, Track
from ..disc.probe import open_image
from ..errors import CorruptDataError, ImageFormatError, MountImageError, UnsupportedError
from ..fs.base import FileSystem
from ..fs.iso9660.sessions import find_sessions
from ..fs.probe import open_filesystem
from ..sectors.blocks import BlockDevice
from ..sectors.discblocks import DiscBlockDevice
from ..sectors.layout import is_cdi_disc_label
from ..view.files import FilesView
from .options import MountOptions

if TYPE_CHECKING:
    from ..view.tracks import TracksView


@dataclass(slots=True)
class Opened:
    disc: Disc
    fs: FileSystem | None      # None in the tracks view of a disc with no readable data track
    view: Union[FilesView, "TracksView"]
    session: SessionChoice | None = None

    def close(self) -> None:
        self.disc.close()


@dataclass(frozen=True, slots=True)
class SessionChoice:
    """Where the files view's filesystem starts: session ``number`` (1-based; 0 when sbsector=
    named the block) at disc ``start``, in ``track``; ``all`` lists (number, start) of every
    session that holds data."""

    number: int
    start: int
    track: Track
    all: tuple[tuple[int, int], ...]


def choose_session(disc: Disc, options: MountOptions) -> SessionChoice | None:
    """The session the files view shows: ``session=N``, else the last one with a data track.

    A disc's sessions come from its container (cue REM SESSION, CCD, MDS, NRG); a plain image of
    one track may hold ISO 9660 sessions of its own (fs/iso9660/sessions.py).
    ``sbsector=N`` names the first block outright, as with the kernel's isofs.
    """
    candidates = [(s.number, t.start, t) for s in disc.sessions if (t := s.first_data_track())]
    if not candidates:
        return None
    if len(disc.sessions) == 1 and len(disc.tracks) == 1:
        track = candidates[0][2]
        starts = find_sessions(BlockDevice(track))
        if len(starts) > 1:
            candidates = [(i + 1, track.start + start, track) for i, start in enumerate(starts)]
    every = tuple((number, start) for number, start, _ in candidates)
    if options.sbsector is not None:
        track = next((t for _, _, t in reversed(candidates) if t.start <= options.sbsector),
                     candidates[0][2])
        return SessionChoice(0, options.sbsector, track, every)
    if options.session is None:
        number, start, track = candidates[-1]
    else:
        chosen = [c for c in candidates if c[0] == options.session]
        if not chosen:
            have = ", ".join(str(c[0]) for c in candidates)
            raise ImageFormatError(disc.path, None, f"no session {options.session}: the sessions "
                                                    f"with data are {have}")
        number, start, track = chosen[0]
    return SessionChoice(number, start, track, every)


def open_session_fs(disc: Disc, choice: SessionChoice, options: MountOptions) -> tuple[FileSystem, int]:
    """The filesystem of the chosen session, and the disc LBA of its block 0.

    The filesystem reads the whole disc by disc LBA (block 0 = LBA 0), so a Video CD's files in
    later tracks and a later session's references to earlier ones resolve. A filesystem made for
    its track rather than the disc (a data track that is not at LBA 0, whose root directory lies
    before the track's own start, or which cannot be read by disc LBA at all) is read relative to
    its track instead, as a drive-less reader of that track would.
    """
    device = DiscBlockDevice(disc.tracks)
    track_first = choice.start == choice.track.start > 0
    try:
        fs = open_filesystem(device, options.iso, fs=options.fs, start=choice.start)
        extents = getattr(fs.root(), "extents", None)
        absolute = not (track_first and extents and extents[0][0] < choice.start)
        problem: MountImageError | None = None
    except MountImageError as exc:
        if not track_first:
            raise
        absolute, problem = False, exc
    if not absolute:
        relative = DiscBlockDevice.single(BlockDevice(choice.track))
        try:
            fs = open_filesystem(relative, options.iso, fs=options.fs, start=0)
            fs.listdir(fs.root())
            return fs, choice.track.start
        except MountImageError:
            if problem is not None:
                raise problem from None
    fs.listdir(fs.root())  # the root must be readable before we call the image good
    return fs, 0


def _holds_cdi_label(choice: SessionChoice) -> bool:
    """True when the session's sector 16 is a Green Book CD-i disc label, not ISO 9660."""
    try:
        return is_cdi_disc_label(BlockDevice(choice.track).read(choice.start - choice.track.start + 16, 1))
    except (MountImageError, OSError):
        return False


def _tracks_view(disc: Disc, options: MountOptions) -> "TracksView":
    from ..view.tracks import TracksView  # loaded (with its EDC/ECC encoder) only when shown

    try:
        mtime_ns = os.stat(disc.path).st_mtime_ns
    except OSError:
        mtime_ns = 0
    return TracksView(disc, options.owner, mtime_ns)


def open_view(path: str, options: MountOptions) -> Opened:
    """Everything a mount needs, checked: any problem is an ImageFormatError naming the file.

    The files view is the default; a disc with no data track (an audio CD) or whose data is a
    CD-i filesystem falls back to the tracks view unless ``view=files`` was asked for explicitly.
    """
    disc = open_image(path)
    try:
        choice = choose_session(disc, options)
        if options.view == "tracks" or (options.view is None and choice is None):
            fs = None
            if choice is not None:  # described by `info`; the tracks view does not need it
                try:
                    fs, _ = open_session_fs(disc, choice, options)
                except (MountImageError, OSError):
                    fs = None
            return Opened(disc, fs, _tracks_view(disc, options), choice)
        if choice is None:
            raise ImageFormatError(path, None, "no data track, so no files view; "
                                               "the tracks view (-o view=tracks) shows its audio")
        try:
            fs, _ = open_session_fs(disc, choice, options)
        except CorruptDataError:
            if not _holds_cdi_label(choice):
                raise
            if options.view is None:  # like an audio CD: the tracks view shows what we can read
                return Opened(disc, None, _tracks_view(disc, options), choice)
            raise ImageFormatError(path, None, f"track {choice.track.number} holds a CD-i "
                                               "filesystem, which mount-image does not read; the "
                                               "tracks view (-o view=tracks) shows the track") from None
        return Opened(disc, fs, FilesView(fs, options.owner), choice)
    except OSError as exc:  # the image or device failed a read while we looked at it
        disc.close()
        raise ImageFormatError(path, None, f"read error: {exc.strerror or exc}") from None
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
