"""``mount-image dump SOURCE OUT.iso``: copy a disc (a drive, any block device, or an image in
any container) as its cooked 2048-byte blocks, with progress and a final verification.

The copy is written to ``OUT.iso.part`` next to OUT and renamed only once the written file's
SHA-256, re-read from the disk (its cached pages dropped first), equals the SHA-256 of what was
read from the source during the copy. A read error stops the copy and names the sector.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import stat
import sys
import time
from dataclasses import dataclass
from typing import TextIO

from ..disc.model import Disc, Track, TrackKind
from ..disc.probe import open_image
from ..errors import CorruptDataError, ImageFormatError
from ..sectors.blocks import BlockDevice
from .messages import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, error

BLOCK = 2048
CHUNK_BLOCKS = 2048               # 4 MiB per read: large requests keep a drive streaming
VERIFY_CHUNK = 8 << 20
# Progress: on a terminal one line rewritten every TERMINAL_SECONDS; in a log, a line at each
# tenth of the way (at most one a second) or every LINE_SECONDS, whichever comes first.
TERMINAL_SECONDS = 0.2
LINE_SECONDS = 5.0
LINE_MIN_SECONDS = 1.0


@dataclass(slots=True)
class Progress:
    total: int
    out: TextIO
    terminal: bool
    started: float = 0.0
    shown_at: float = 0.0
    shown_any: bool = False
    tenth: int = 0

    def __post_init__(self) -> None:
        self.started = self.shown_at = time.monotonic()

    def line(self, done: int, what: str = "copied") -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = done / elapsed
        pct = 100.0 * done / self.total if self.total else 100.0
        left = f", {int((self.total - done) / rate)} s left" if rate > 0 and done < self.total else ""
        return (f"dump: {what} {done / 2**20:.1f} of {self.total / 2**20:.1f} MiB ({pct:.0f}%), "
                f"{rate / 2**20:.1f} MiB/s{left}")

    def restart(self) -> None:
        """A second pass (the verification) over the same total, on the same line."""
        self.started = self.shown_at = time.monotonic()
        self.tenth = 0

    def update(self, done: int, what: str = "copied") -> None:
        now = time.monotonic()
        since = now - self.shown_at
        tenth = 10 * done // self.total if self.total else 10
        if self.terminal:
            due = since >= TERMINAL_SECONDS
        else:
            due = since >= LINE_SECONDS or (tenth > self.tenth and since >= LINE_MIN_SECONDS)
        if not due or done >= self.total:   # the end is said by the final line
            return
        self.shown_at, self.tenth = now, tenth
        self._show(self.line(done, what))

    def _show(self, text: str) -> None:
        if self.terminal:
            self.out.write("\r\x1b[K" + text)
        else:
            self.out.write(text + "\n")
        self.out.flush()
        self.shown_any = True

    def finish(self, text: str) -> None:
        if self.terminal and self.shown_any:
            self.out.write("\r\x1b[K")
        self.out.write(text + "\n")
        self.out.flush()


def choose_track(disc: Disc, number: int | None) -> Track:
    """The data track to dump: ``--track N``, else the disc's first data track (a device or a
    plain image has just the one)."""
    if number is not None:
        for track in disc.tracks:
            if track.number == number:
                if track.kind is not TrackKind.DATA:
                    raise ImageFormatError(disc.path, None, f"track {number} is an audio track; "
                                           "the tracks view (--view tracks) has it as .wav")
                return track
        raise ImageFormatError(disc.path, None, f"no track {number}")
    track = next((t for t in disc.tracks if t.kind is TrackKind.DATA), None)
    if track is None:
        raise ImageFormatError(disc.path, None, "no data track to dump")
    return track


def dump_size(track: Track, device: BlockDevice) -> int:
    """Bytes to copy: a cooked track as stored (a trailing partial block included, unpadded),
    else whole blocks."""
    if track.sector_size == BLOCK:
        return min(device.size, track.source.size - track.offset)
    return device.size


def _read(device: BlockDevice, offset: int, size: int) -> bytes:
    """``size`` cooked bytes; on a read error, find the first sector that fails and name it."""
    try:
        return device.read_bytes(offset, size)
    except OSError as exc:
        first_error = exc
    read_one = _direct_sector_reader(device) or (lambda at: device.read_bytes(at, BLOCK))
    try:
        for at in range(offset, offset + size, BLOCK):
            try:
                read_one(at)
            except OSError as exc:
                raise CorruptDataError(f"read error at sector {at // BLOCK} (byte {at}): "
                                f"{exc.strerror or exc}") from None
        try:  # every sector read fine on its own: one more try of the whole run
            return device.read_bytes(offset, size)
        except OSError as exc:
            first_error = exc
    finally:
        close = getattr(read_one, "close", None)
        if close:
            close()
    raise CorruptDataError(f"read error in sectors {offset // BLOCK}-{(offset + size - 1) // BLOCK} "
                    f"(byte {offset}): {first_error.strerror or first_error}")


class _DirectSectorReader:
    """Reads one 2048-byte block of a block device with O_DIRECT, past the page cache.

    A buffered read fails for a whole page-cache folio (up to megabytes on recent kernels), so
    the sector a buffered retry names may be a good one near the bad one; a direct read asks
    the device for exactly that sector, as the drive reports it.
    """

    def __init__(self, fd: int, base: int) -> None:
        import mmap
        self.fd, self.base = fd, base
        self.buffer = mmap.mmap(-1, BLOCK)      # page-aligned, as O_DIRECT wants

    def __call__(self, at: int) -> None:
        os.preadv(self.fd, [self.buffer], self.base + at)

    def close(self) -> None:
        self.buffer.close()
        os.close(self.fd)


def _direct_sector_reader(device: BlockDevice) -> _DirectSectorReader | None:
    """For a cooked track on a block device, a direct reader; else None (buffered retries)."""
    track = device.track
    if (track.sector_size != BLOCK or not getattr(track.source, "is_block_device", False)
            or not hasattr(os, "O_DIRECT") or track.offset % 4096):
        return None
    try:
        fd = os.open(track.source.name, os.O_RDONLY | os.O_DIRECT | os.O_CLOEXEC)
    except OSError:
        return None
    return _DirectSectorReader(fd, track.offset)


@dataclass(slots=True)
class Copied:
    sha256: str
    size: int
    cut: str | None = None      # why the copy ends before the device does


def copy(device: BlockDevice, size: int, out_fd: int, progress: Progress,
         tail_from: int | None = None) -> Copied:
    """Copy ``size`` cooked bytes to ``out_fd``, hashing what was read.

    ``tail_from``: where the filesystem ends on a device that goes on past it. A read error
    past that point ends the copy there instead of failing it: the last blocks of a disc written
    track-at-once (its run-out blocks) are counted by the drive but cannot be read.
    """
    digest = hashlib.sha256()
    at_tail = None
    done = 0
    chunk = CHUNK_BLOCKS * BLOCK
    while done < size:
        end = min(done + chunk, size)
        if tail_from is not None and done < tail_from < end:
            end = tail_from                       # a run boundary at the filesystem's end
        if done == tail_from:
            at_tail = digest.copy()
        try:
            data = _read(device, done, end - done)
        except CorruptDataError as exc:
            if at_tail is None:
                raise
            os.ftruncate(out_fd, tail_from)
            return Copied(at_tail.hexdigest(), tail_from,
                          f"{exc}, past the end of the filesystem (block {tail_from // BLOCK})")
        digest.update(data)
        view = memoryview(data)
        while view:
            written = os.write(out_fd, view)
            view = view[written:]
        done += len(data)
        progress.update(done)
    return Copied(digest.hexdigest(), size)


def filesystem_end(source: str, size: int) -> int | None:
    """Where the ISO 9660 volume on a device ends (its volume space size, which counts earlier
    sessions too), when that is before the end of the device; else None."""
    from ..errors import MountImageError
    from .opening import open_view
    from .options import MountOptions
    try:
        opened = open_view(source, MountOptions())
    except (MountImageError, OSError):
        return None
    try:
        iso = (opened.fs.info().get("iso9660") if opened.fs else None) or {}
    except (MountImageError, OSError):
        return None
    finally:
        opened.close()
    blocks, block_size = iso.get("volume_blocks"), iso.get("block_size") or BLOCK
    if not blocks or block_size != BLOCK:
        return None
    end = blocks * BLOCK
    return end if 0 < end < size else None


def hash_written(fd: int, size: int, progress: Progress | None = None) -> str:
    """SHA-256 of the file as it is on the disk: written back and dropped from the page cache
    first, so the re-read is not answered from memory where the device allows it."""
    os.fsync(fd)
    if hasattr(os, "posix_fadvise"):
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    digest = hashlib.sha256()
    offset = 0
    while offset < size:
        data = os.pread(fd, min(VERIFY_CHUNK, size - offset), offset)
        if not data:
            break
        digest.update(data)
        offset += len(data)
        if progress:
            progress.update(offset, "verified")
    return digest.hexdigest()


def _check_out(source: str, out: str, force: bool) -> str | None:
    """Why OUT cannot be written, or None."""
    try:
        st = os.stat(out)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        return f"{out}: {exc.strerror or exc}"
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            return f"{out}: exists and is not a regular file; not replaced"
        try:
            if os.path.samefile(source, out):
                return f"{out}: is the source itself"
        except OSError:
            pass
        if not force:
            return f"{out}: already exists (--force replaces it)"
    parent = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(parent):
        return f"{out}: folder {parent} does not exist"
    return None


def dump(source: str, out: str, *, force: bool = False, track_number: int | None = None,
         stderr: TextIO | None = None, verify: bool = True) -> int:
    stderr = stderr or sys.stderr
    problem = _check_out(source, out, force)
    if problem:
        error(problem)
        return EXIT_USAGE
    disc = open_image(source)         # ImageFormatError -> main prints it, exit 2
    part = out + ".part"
    fd = -1
    try:
        track = choose_track(disc, track_number)
        device = BlockDevice(track)
        size = dump_size(track, device)
        terminal = stderr.isatty()
        progress = Progress(size, stderr, terminal)
        try:
            fd = os.open(part, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            error(f"{part}: {exc.strerror or exc}")
            return EXIT_USAGE
        tail_from = None
        if getattr(track.source, "is_block_device", False) and track.sector_size == BLOCK:
            tail_from = filesystem_end(source, size)
        copied = copy(device, size, fd, progress, tail_from)
        read_sha, size = copied.sha256, copied.size
        written = os.fstat(fd).st_size
        if written != size:
            raise CorruptDataError(f"{part}: {written} bytes written, {size} expected")
        if copied.cut:
            progress.finish(f"dump: the copy ends with the filesystem: {copied.cut}")
        if verify:
            progress.restart()
            progress.total = size
            disk_sha = hash_written(fd, size, progress)
            if disk_sha != read_sha:
                raise CorruptDataError(f"{part}: verification failed: the written file's SHA-256 "
                                f"{disk_sha} differs from what was read ({read_sha})")
        os.close(fd)
        fd = -1
        os.replace(part, out)
        state = "verified" if verify else "not verified"
        progress.finish(f"dump: {out}: {size} bytes ({size // BLOCK} blocks of {BLOCK}"
                        f"{' + a partial block' if size % BLOCK else ''}) from {source}, "
                        f"sha256 {read_sha}, {state}")
        return EXIT_OK
    except CorruptDataError as exc:  # a read error or a failed verification: exit 1
        if stderr.isatty():
            stderr.write("\r\x1b[K")
        error(f"{source}: {exc}" if not str(exc).startswith(source) else str(exc))
        return EXIT_FAILURE
    except OSError as exc:  # writing: disk full, I/O error on the output
        error(f"{out}: {exc.strerror or exc}")
        return EXIT_FAILURE
    finally:
        if fd >= 0:
            os.close(fd)
        if os.path.exists(part):
            os.unlink(part)
        disc.close()


def cmd_dump(args: argparse.Namespace) -> int:
    return dump(args.source, args.out, force=args.force, track_number=args.track,
                verify=not args.no_verify)

