"""The tracks view: every track of the disc as a file, ``trackNN.iso`` or ``trackNN.wav``.

- A data track is ``trackNN.iso``: its cooked 2048-byte blocks (sectors.blocks.BlockDevice) from
  INDEX 01 to the first stored sector of the next track (its INDEX 00 when it has a stored gap).
- An audio track is ``trackNN.wav``: a 44-byte RIFF/WAVE header, then the PCM from its INDEX 01
  to the next track's INDEX 01, so a gap stored as the next track's INDEX 00 plays at the end of
  this one, as on a CD player. The last track runs to the end of its data. PREGAP/POSTGAP silence
  that is not stored is not invented. CD-TEXT fields are xattrs ``user.cdtext.title``, ...
  (``user.cdtext.de.title`` for a further language)
- With more than one session the files sit in ``sessionN/`` folders; NN is the track number as
  the disc numbers it.
- ``disc.bin`` + ``disc.cue`` in the root: the whole disc as one raw 2352-byte image with its cue
  sheet (view/rawdisc.py), whatever the container.
- ``boot/`` in the root when the disc boots (El Torito): one file per boot image (view/boot.py).

Every node is built once when the view is made; inode numbers depend only on the disc layout.
"""

from __future__ import annotations

import errno
import logging
import stat as st
from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

from ..disc.model import Disc, Track, TrackKind
from ..errors import UnsupportedError
from ..fs.base import Stat, copy_into
from ..sectors.audio import PcmStream, Segment, WaveFile
from ..sectors.blocks import BlockDevice
from ..sectors.layout import COOKED_BLOCK
from .boot import BOOT_FOLDER, boot_files
from .node import Attributes, OwnerPolicy, apply_policy
from .rawdisc import BIN_NAME, CUE_NAME, raw_disc

log = logging.getLogger("mount_image.view")

ROOT_INO = 1
DISC_BIN_INO = 2
DISC_CUE_INO = 3
SESSION_INO_BASE = 0x100     # sessionN/ is 0x100 + N
TRACK_INO_BASE = 0x1000      # trackNN.* is 0x1000 + NN (track numbers are unique on a disc)
BOOT_INO = 4                 # boot/
BOOT_FILE_INO_BASE = 0x2000  # boot/NN-*.img is 0x2000 + NN (catalog order)


class Content(Protocol):
    size: int

    def read(self, offset: int, size: int) -> bytes: ...


@dataclass(slots=True)
class TrackNode:
    """A file or folder of the tracks view (``name`` and ``stat`` like any filesystem entry)."""

    name: str
    stat: Stat
    children: dict[str, TrackNode] = field(default_factory=dict)
    content: Content | None = None
    xattrs: dict[str, bytes] = field(default_factory=dict)
    track: Track | None = None


class DataImage:
    """A data track's cooked blocks, cut to ``blocks``."""

    def __init__(self, device: BlockDevice, blocks: int) -> None:
        self.device = device
        self.size = max(0, min(blocks, device.block_count)) * COOKED_BLOCK

    def read(self, offset: int, size: int) -> bytes:
        end = min(self.size, offset + size)
        if offset < 0 or offset >= end:
            return b""
        return self.device.read_bytes(offset, end - offset)

    def read_into(self, offset: int, dest: memoryview) -> int:
        end = min(self.size, offset + len(dest))
        if offset < 0 or offset >= end:
            return 0
        self.device.read_into(offset, dest[:end - offset])
        return end - offset


def following(disc: Disc, track: Track) -> Track | None:
    """The next track of the same session, if any."""
    for session in disc.sessions:
        tracks = session.tracks
        for i, t in enumerate(tracks):
            if t is track:
                return tracks[i + 1] if i + 1 < len(tracks) else None
    return None


def gap_offset(track: Track) -> int:
    """Byte offset in its source of a track's first stored sector (its INDEX 00 if stored)."""
    return track.offset - track.pregap_stored * track.sector_size


def own_sectors(track: Track, nxt: Track | None) -> int:
    """Sectors of ``track`` from INDEX 01 to the first stored sector of the next track."""
    sectors = track.sectors
    if nxt is not None and nxt.source is track.source and nxt.pregap_stored:
        gap = gap_offset(nxt)
        if gap >= track.offset:
            sectors = min(sectors, (gap - track.offset) // track.sector_size)
    return max(0, sectors)


def audio_segments(track: Track, nxt: Track | None) -> list[Segment]:
    """Where the PCM of an audio track's WAV is stored: its own sectors from INDEX 01, then the
    next track's stored INDEX 00 gap when the next track is audio too."""
    segments = [Segment(track.source, track.offset, own_sectors(track, nxt), track.sector_size)]
    if nxt is not None and nxt.kind is TrackKind.AUDIO and nxt.pregap_stored:
        segments.append(Segment(nxt.source, gap_offset(nxt), nxt.pregap_stored, nxt.sector_size))
    return segments


def track_file_name(track: Track) -> str:
    return f"track{track.number:02d}.{'wav' if track.kind is TrackKind.AUDIO else 'iso'}"


def cdtext_xattrs(cdtext: Sequence[tuple[str, str]]) -> dict[str, bytes]:
    """``(("TITLE", "Soft"), ...)`` as ``{"user.cdtext.title": b"Soft", ...}`` (UTF-8)."""
    out: dict[str, bytes] = {}
    for key, value in cdtext:
        if key.upper() == "CDTEXTFILE":
            continue
        out.setdefault(f"user.cdtext.{key.lower()}", value.encode("utf-8"))
    return out


def track_content(disc: Disc, track: Track) -> Content:
    """What ``trackNN.*`` holds; UnsupportedError for a data mode the block layer cannot cook."""
    nxt = following(disc, track)
    if track.kind is TrackKind.AUDIO:
        pcm = PcmStream(audio_segments(track, nxt), big_endian=track.file_type == "MOTOROLA",
                        name=track.source.name)
        return WaveFile(pcm)
    return DataImage(BlockDevice(track), own_sectors(track, nxt))


class TracksView:
    """A flat folder of track files (one folder per session when there are several)."""

    name = "tracks"

    def __init__(self, disc: Disc, policy: OwnerPolicy, mtime_ns: int = 0) -> None:
        self.disc = disc
        self.policy = policy.resolved()
        self.mtime_ns = mtime_ns
        self.skipped: list[tuple[Track, str]] = []   # tracks with no file, and why
        self.names: dict[int, str] = {}              # track number -> path in the view
        self.root = self._dir("", ROOT_INO)
        self.root.xattrs = cdtext_xattrs(disc.cdtext)
        several = len(disc.sessions) > 1
        for session in disc.sessions:
            folder = self.root
            if several:
                folder = self._dir(f"session{session.number}", SESSION_INO_BASE + session.number)
                self.root.children[folder.name] = folder
            for track in session.tracks:
                try:
                    content = track_content(disc, track)
                except UnsupportedError as exc:
                    log.warning("%s: track %02d not shown: %s", disc.path, track.number, exc)
                    self.skipped.append((track, str(exc)))
                    continue
                node = TrackNode(track_file_name(track), self._stat(TRACK_INO_BASE + track.number,
                                                                   st.S_IFREG, content.size),
                                 content=content, track=track)
                if track.kind is TrackKind.AUDIO:
                    node.xattrs = cdtext_xattrs(track.cdtext)
                    if track.isrc:
                        node.xattrs["user.isrc"] = track.isrc.encode()
                folder.children[node.name] = node
                self.names[track.number] = f"{folder.name}/{node.name}" if folder.name else node.name
        self._add_raw_disc()
        self._add_boot()
        self.total_bytes = sum(n.stat.size for n in self._files())

    def _add_raw_disc(self) -> None:
        """disc.bin + disc.cue in the root; left out (with a warning) when a track cannot be made
        raw."""
        try:
            image, cue = raw_disc(self.disc)
        except UnsupportedError as exc:
            log.warning("%s: no %s: %s", self.disc.path, BIN_NAME, exc)
            return
        if not image.size:
            return
        for name, ino, content in ((BIN_NAME, DISC_BIN_INO, image), (CUE_NAME, DISC_CUE_INO, cue)):
            self.root.children[name] = TrackNode(name, self._stat(ino, st.S_IFREG, content.size),
                                                 content=content)

    def _add_boot(self) -> None:
        """boot/ with the El Torito boot images, when the disc has any."""
        files = boot_files(self.disc)
        if not files:
            return
        folder = self._dir(BOOT_FOLDER, BOOT_INO)
        for f in files:
            folder.children[f.image.name] = TrackNode(
                f.image.name, self._stat(BOOT_FILE_INO_BASE + f.image.number, st.S_IFREG, f.size),
                content=f)
        self.root.children[BOOT_FOLDER] = folder

    def _stat(self, ino: int, file_type: int, size: int) -> Stat:
        t = self.mtime_ns
        return Stat(ino=ino, file_type=file_type, size=size, mtime_ns=t, atime_ns=t, ctime_ns=t,
                    nlink=2 if file_type == st.S_IFDIR else 1)

    def _dir(self, name: str, ino: int) -> TrackNode:
        return TrackNode(name, self._stat(ino, st.S_IFDIR, 0))

    def _files(self):
        stack = [self.root]
        while stack:
            node = stack.pop()
            for child in node.children.values():
                if child.stat.is_dir:
                    stack.append(child)
                else:
                    yield child

    # ---- the view protocol the FUSE adapter and the CLI use ------------------------------------

    def resolve(self, path: str) -> TrackNode:
        node = self.root
        for part in path.split("/"):
            if not part:
                continue
            if not node.stat.is_dir:
                raise NotADirectoryError(errno.ENOTDIR, "not a directory", path)
            child = node.children.get(part)
            if child is None:
                raise FileNotFoundError(errno.ENOENT, "no such file or directory", path)
            node = child
        return node

    def attributes(self, entry: TrackNode) -> Attributes:
        return apply_policy(entry.stat, self.policy)

    def listdir(self, entry: TrackNode) -> Sequence[TrackNode]:
        if not entry.stat.is_dir:
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", entry.name)
        return list(entry.children.values())

    def read(self, entry: TrackNode, offset: int, size: int) -> bytes:
        if entry.content is None:
            raise IsADirectoryError(errno.EISDIR, "is a directory", entry.name)
        return entry.content.read(offset, size)

    def read_into(self, entry: TrackNode, offset: int, dest: memoryview) -> int:
        content = entry.content
        if isinstance(content, DataImage):   # trackNN.iso: no copy of our own
            return content.read_into(offset, dest)
        return copy_into(dest, self.read(entry, offset, len(dest)))

    def readlink(self, entry: Any) -> str:
        raise OSError(errno.EINVAL, "not a symbolic link", entry.name)

    def xattrs(self, entry: TrackNode) -> dict[str, bytes]:
        return entry.xattrs

    def is_dir(self, entry: TrackNode) -> bool:
        return entry.stat.is_dir

    def statfs(self) -> dict[str, int]:
        return {"f_bsize": COOKED_BLOCK, "f_frsize": COOKED_BLOCK,
                "f_blocks": -(-self.total_bytes // COOKED_BLOCK), "f_bfree": 0, "f_bavail": 0,
                "f_files": 0, "f_ffree": 0, "f_favail": 0, "f_namemax": 255}
