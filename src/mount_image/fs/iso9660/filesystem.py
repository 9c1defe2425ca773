"""Iso9660FileSystem: where directory records become files (ISO 9660 + Rock Ridge / Joliet / zisofs).

Opening reads the volume descriptors and the root's first sector only; each directory is read
when first listed and kept in a bounded LRU, so mount time does not grow with the file count.
"""

from __future__ import annotations

import logging
import re
import stat as st
from dataclasses import dataclass, field
from typing import Sequence

from ...errors import CorruptDataError
from ...sectors.blocks import BlockDevice
from ..base import MAX_DEPTH, LruCache, Stat, copy_into, usable_name
from . import susp
from .amiga import AmigaAttributes, parse_amiga
from .apple import (FINDER_INFO_XATTR, RESOURCE_FORK_XATTR, FinderInfo, find_finder_info,
                    resource_fork_xattr)
from .directory import PARENT_ID, SELF_ID, PlacedRecord, map_iso_name, read_directory, strip_version
from .eltorito import BootEntry, BootImage, boot_images
from .hfs_detect import AppleLayout, detect_apple
from .joliet import decode_joliet_label, decode_joliet_name
from .layout import (FLAG_ASSOCIATED, FLAG_DIRECTORY, FLAG_HIDDEN, FLAG_MULTI_EXTENT, RRIP_IDS,
                     SECTOR, DirectoryRecord, ExtensionReference, SharingProtocolIndicator,
                     ZisofsEntry, format_dec_datetime)
from .rockridge import RockRidge, parse_rock_ridge
from .volume import VolumeSet, read_volume_set
from .xa import XaSystemUse, cdxa_header, cdxa_size, find_xa, read_cdxa, sector_count
from .zisofs import ZisofsFile

log = logging.getLogger("mount_image.iso9660")

# Directory entries kept parsed: about 0.8 KB each with their attributes, so 150k entries stay
# near 120 MB. The kernel caches entries and attributes itself (READDIRPLUS, long timeouts), so a
# directory evicted here is parsed again only when a path through it is opened.
DIRECTORY_CACHE_ENTRIES = 150_000
RR_MOVED_NAMES = ("rr_moved", ".rr_moved")
ASSOCIATED_SUFFIX = ".rsrc"           # an associated file shown by `unhide` beside its data file
SERIAL_INO_BASE = 1 << 44             # above every byte position of a 2^32-sector volume


@dataclass(frozen=True, slots=True)
class IsoOptions:
    """The kernel isofs options that change what the tree shows."""

    rock: bool = True
    joliet: bool = True
    mapping: str = "normal"          # map=normal|off
    unhide: bool = False


@dataclass(slots=True, eq=False)
class IsoEntry:
    """One file or directory: its attributes and where its bytes are."""

    name: str
    stat: Stat
    extents: tuple[tuple[int, int], ...] = ()       # (sector, bytes) in file order
    symlink: str | None = None
    zisofs: ZisofsEntry | None = None
    xa: XaSystemUse | None = None                   # set: a Form 2 file shown as RIFF CDXA (xa.py)
    parent: IsoEntry | None = None                  # directories keep it to refuse loops
    depth: int = 0
    extras: Extras | None = None                    # Apple / Amiga attributes (xattrs)


@dataclass(slots=True)
class Extras:
    """What Apple's and Amiga's System Use entries and an associated file add to a file."""

    finder: FinderInfo | None = None
    fork: tuple[tuple[int, int], ...] = ()          # the associated file's extents (resource fork)
    amiga: AmigaAttributes | None = None


@dataclass(slots=True)
class _Listing:
    entries: list[IsoEntry] = field(default_factory=list)
    by_name: dict[str, IsoEntry] = field(default_factory=dict)
    error: CorruptDataError | None = None


class Iso9660FileSystem:
    """The ISO 9660 reader; answers the FileSystem protocol of fs/base.py."""

    block_size = SECTOR

    def __init__(self, device: BlockDevice, options: IsoOptions = IsoOptions(),
                 first_sector: int = 16) -> None:
        self.device = device
        self.options = options
        self.volumes: VolumeSet = read_volume_set(device, first_sector)
        pvd = self.volumes.primary
        self.total_blocks = pvd.volume_space_size
        root_record = _root_record(pvd.root_directory_record)
        self._check_root(root_record, "primary")
        self.susp_skip, self.rock_ridge, self.extensions = self._detect_rock_ridge(root_record)
        joliet = self.volumes.joliet
        if self.rock_ridge and options.rock:
            self.shown, self._use_rr, self._joliet_tree = "rockridge", True, False
        elif joliet is not None and options.joliet:
            root_record = _root_record(joliet.root_directory_record)
            self._check_root(root_record, "Joliet")
            self.shown, self._use_rr, self._joliet_tree = "joliet", False, True
        else:
            self.shown, self._use_rr, self._joliet_tree = "iso9660", False, False
        # A hybrid disc's HFS / HFS+ volume is named (not read: the files view is ISO 9660).
        self.apple: AppleLayout | None = detect_apple(device)
        hfs_kinds = tuple(dict.fromkeys(v.kind for v in self.apple.volumes)) if self.apple else ()
        self.kinds = tuple(k for k, present in (("iso9660", True), ("joliet", joliet is not None),
                                               ("rockridge", self.rock_ridge)) if present) + hfs_kinds
        if self._joliet_tree and joliet is not None:
            self.label = decode_joliet_label(joliet.volume_identifier)
        else:
            self.label = pvd.volume_identifier.decode("latin-1").rstrip(" \x00")
        self._cache: LruCache[tuple[int, int], _Listing] = LruCache(
            DIRECTORY_CACHE_ENTRIES, weigh=lambda listing: len(listing.entries) + 1)
        self._zisofs: LruCache[int, ZisofsFile] = LruCache(256)
        self._root = self._root_entry(root_record)

    # ---- opening ---------------------------------------------------------------------------

    def _check_root(self, record: DirectoryRecord, which: str) -> None:
        end = record.location_of_extent * SECTOR + record.data_length
        if not record.file_flags & FLAG_DIRECTORY and record.data_length == 0:
            raise CorruptDataError(f"{which} root directory record is empty")
        if record.location_of_extent == 0 or end > self.device.size:
            raise CorruptDataError(
                f"{which} root directory at sector {record.location_of_extent} "
                f"({record.data_length} bytes) lies outside the image ({self.device.block_count} sectors)")

    def _detect_rock_ridge(self, root: DirectoryRecord) -> tuple[int, bool, list[str]]:
        """SUSP is in use when the root's '.' record starts with SP (SUSP 1.12 §5.3); Rock Ridge
        when an ER names RRIP, or, for writers that omit ER (RRIP 1.09), when RR entries appear."""
        first = self.device.read_bytes(root.location_of_extent * SECTOR, min(SECTOR, root.data_length))
        try:
            dot = DirectoryRecord.parse(first[:first[0]]) if first and first[0] else None
        except CorruptDataError:
            return 0, False, []
        if dot is None or dot.system_use[:2] != b"SP" or len(dot.system_use) < 7:
            return 0, False, []
        sp = SharingProtocolIndicator.parse(dot.system_use[4:7])
        if sp.check_bytes != SharingProtocolIndicator.CHECK:
            return 0, False, []
        extensions: list[str] = []
        rr_entries = False
        for sig, _v, data in susp.iter_entries(dot.system_use, 0, self._read_area, log.warning):
            if sig == b"ER":
                try:
                    extensions.append(ExtensionReference.parse(data).ext_id.decode("latin-1"))
                except CorruptDataError as exc:
                    log.warning("ignoring malformed SUSP ER entry: %s", exc)
            elif sig in (b"RR", b"PX", b"NM", b"TF", b"SL"):
                rr_entries = True
        is_rr = any(e.encode("latin-1") in RRIP_IDS for e in extensions) or (not extensions and rr_entries)
        return sp.len_skp, is_rr, extensions

    def _root_entry(self, record: DirectoryRecord) -> IsoEntry:
        rr = None
        if self._use_rr:
            # The root's own attributes sit in its '.' record (the PVD copy has no System Use).
            records = read_directory(self.device, record.location_of_extent,
                                     min(SECTOR, record.data_length), log.warning)
            if records and records[0].record.file_identifier == SELF_ID:
                rr = self._rock(records[0].record, records[0].position)
        stat = self._stat(record, rr, st.S_IFDIR, record.data_length, record.location_of_extent * SECTOR)
        return IsoEntry("", stat, ((record.location_of_extent, record.data_length),))

    # ---- the FileSystem protocol -----------------------------------------------------------

    def root(self) -> IsoEntry:
        return self._root

    def listdir(self, directory: IsoEntry) -> Sequence[IsoEntry]:
        return self._listing(directory).entries

    def lookup(self, directory: IsoEntry, name: str) -> IsoEntry | None:
        return self._listing(directory).by_name.get(name)

    def read(self, entry: IsoEntry, offset: int, size: int) -> bytes:
        if entry.stat.is_dir:
            raise IsADirectoryError(21, "is a directory")
        if entry.zisofs is not None:
            return self._zisofs_file(entry).read(offset, size)
        if entry.xa is not None:
            lba, length = entry.extents[0]
            sectors = sector_count(length)
            return read_cdxa(cdxa_header(entry.xa, sectors), self.device.read_raw, lba, sectors,
                             offset, size)
        end = min(offset + size, entry.stat.size)
        if offset >= end:
            return b""
        if len(entry.extents) == 1:  # the common case: one request to the image
            lba = entry.extents[0][0]
            return self.device.read_bytes(lba * SECTOR + offset, end - offset)
        return self._read_extents(entry.extents, offset, end - offset)

    def read_into(self, entry: IsoEntry, offset: int, dest: memoryview) -> int:
        # A plain file in one extent (nearly every file) goes from the device straight into
        # dest; zisofs, CD-XA and multi-extent files are assembled by read() and copied.
        if (len(entry.extents) != 1 or entry.zisofs is not None or entry.xa is not None
                or entry.stat.is_dir):
            return copy_into(dest, self.read(entry, offset, len(dest)))
        size = min(offset + len(dest), entry.stat.size) - offset
        if size <= 0:
            return 0
        self.device.read_into(entry.extents[0][0] * SECTOR + offset, dest[:size])
        return size

    def readlink(self, entry: IsoEntry) -> str:
        if entry.symlink is None:
            raise OSError(22, "not a symbolic link")
        if not entry.symlink:
            raise CorruptDataError(f"symbolic link {entry.name!r} has no usable target")
        return entry.symlink

    def byte_ranges(self, entry: IsoEntry) -> list[tuple[int, int]]:
        return [(lba * SECTOR, length) for lba, length in entry.extents]

    def xattrs(self, entry: IsoEntry) -> dict[str, bytes]:
        extras = entry.extras
        if extras is None:
            return {}
        out: dict[str, bytes] = {}
        if extras.finder is not None:
            out[FINDER_INFO_XATTR] = extras.finder.xattr()
        if extras.fork:
            size = sum(length for _, length in extras.fork)
            fork = resource_fork_xattr(size, lambda off, n: self._read_extents(extras.fork, off, n))
            if fork is None:
                log.info("%s: resource fork of %d bytes is too large for an xattr (shown with unhide)",
                         entry.name, size)
            else:
                out[RESOURCE_FORK_XATTR] = fork
        if extras.amiga is not None:
            out.update(extras.amiga.xattrs())
        return out

    def info(self) -> dict:
        pvd = self.volumes.primary
        text = lambda b: b.decode("latin-1").rstrip(" \x00")  # noqa: E731
        joliet = self.volumes.joliet
        return {
            "iso9660": {
                "level": self._guess_level(),
                "volume_id": text(pvd.volume_identifier),
                "system_id": text(pvd.system_identifier),
                "volume_set_id": text(pvd.volume_set_identifier),
                "publisher": text(pvd.publisher_identifier),
                "preparer": text(pvd.data_preparer_identifier),
                "application": text(pvd.application_identifier),
                "created": format_dec_datetime(pvd.volume_creation_date),
                "modified": format_dec_datetime(pvd.volume_modification_date),
                "block_size": pvd.logical_block_size,
                "volume_blocks": pvd.volume_space_size,
            },
            "joliet": None if joliet is None else {
                "level": self.volumes.joliet_level,
                "volume_id": decode_joliet_label(joliet.volume_identifier),
            },
            "rockridge": {"extensions": self.extensions} if self.rock_ridge else None,
            "eltorito": [image.as_dict() for image in self.boot_images()],
            "hfs": self.apple.as_dict() if self.apple else None,
        }

    def boot_entries(self) -> list[BootEntry]:
        return [image.entry for image in self.boot_images()]

    def boot_images(self) -> list[BootImage]:
        """The El Torito boot images, each with the length ``boot/`` shows (eltorito.py)."""
        if self.volumes.boot_record is None:
            return []
        try:
            return boot_images(self.device, self.volumes.boot_record,
                               self.volumes.primary.root_directory_record)
        except CorruptDataError as exc:
            log.warning("El Torito: %s", exc)
            return []

    # ---- directories -----------------------------------------------------------------------

    def _listing(self, directory: IsoEntry) -> _Listing:
        if not directory.stat.is_dir:
            raise NotADirectoryError(20, "not a directory")
        lba, length = directory.extents[0]
        listing = self._cache.get_or_compute((lba, length), lambda: self._parse_listing(directory))
        if listing.error is not None:
            raise listing.error
        return listing

    def _parse_listing(self, directory: IsoEntry) -> _Listing:
        listing = _Listing()
        lba, length = directory.extents[0]
        try:
            records = read_directory(self.device, lba, length, log.warning)
        except CorruptDataError as exc:
            listing.error = CorruptDataError(f"directory at sector {lba}: {exc}")
            return listing
        groups = _group_extents(records)
        # Associated files (resource forks) precede their data file and share its identifier.
        forks = {g[0].record.file_identifier: tuple((p.record.location_of_extent, p.record.data_length)
                                                    for p in g)
                 for g in groups if g[0].record.file_flags & FLAG_ASSOCIATED}
        for group in groups:
            try:
                entry = self._make_entry(group, directory, forks)
            except CorruptDataError as exc:
                log.warning("directory at sector %d: skipping a record: %s", lba, exc)
                continue
            if entry is None or entry.name in listing.by_name:
                continue  # the first of repeated names wins, as on every other reader
            listing.by_name[entry.name] = entry
            listing.entries.append(entry)
        return listing

    def _make_entry(self, group: list[PlacedRecord], parent: IsoEntry,
                    forks: dict[bytes, tuple[tuple[int, int], ...]] | None = None) -> IsoEntry | None:
        first, last = group[0], group[-1]
        record = last.record
        ident = record.file_identifier
        if ident in (SELF_ID, PARENT_ID):
            return None
        if first.record.file_flags & (FLAG_HIDDEN | FLAG_ASSOCIATED) and not self.options.unhide:
            return None
        rr = self._rock(first.record, first.position) if self._use_rr else None
        if rr is not None and rr.relocated:
            return None  # shown where its CL placeholder stands
        is_dir = bool(record.file_flags & FLAG_DIRECTORY)
        extents = tuple((p.record.location_of_extent, p.record.data_length) for p in group)
        if rr is not None and rr.child_link is not None:
            # A placeholder for a relocated deep directory: show the real one here.
            is_dir, extents, rr = True, *self._relocated(rr.child_link, rr)
        name = self._name(ident, rr, is_dir)
        if not name:
            return None
        associated = bool(first.record.file_flags & FLAG_ASSOCIATED)
        if associated and not is_dir and forks and ident in forks:
            name = usable_name(name + ASSOCIATED_SUFFIX)  # `unhide`: beside, not over, its data file
        if is_dir:
            lba = extents[0][0]
            if parent.depth + 1 > MAX_DEPTH or _is_ancestor(parent, lba):
                log.warning("directory %r at sector %d loops back to an ancestor; not shown", name, lba)
                return None
            if parent.depth == 0 and self._use_rr and name in RR_MOVED_NAMES and self._only_relocated(extents[0]):
                return None
            stat = self._stat(record, rr, st.S_IFDIR, extents[0][1], lba * SECTOR)
            return IsoEntry(name, stat, extents[:1], parent=parent, depth=parent.depth + 1)
        size = sum(length for _, length in extents)
        file_type = st.S_IFREG
        if rr is not None and rr.mode is not None and st.S_IFMT(rr.mode) and not st.S_ISDIR(rr.mode):
            file_type = st.S_IFMT(rr.mode)
        zisofs = rr.zisofs if rr is not None and file_type == st.S_IFREG else None
        symlink = rr.symlink if file_type == st.S_IFLNK and rr is not None else None
        if file_type == st.S_IFLNK:
            size = len((symlink or "").encode("utf-8", "surrogateescape"))
        elif zisofs is not None:
            size = zisofs.uncompressed_size
        elif file_type != st.S_IFREG:
            size = 0
        xa = None
        if file_type == st.S_IFREG and len(extents) == 1 and self.device.has_raw:
            # CD-ROM XA Form 2 (or interleaved) sectors: the raw sectors behind a RIFF CDXA
            # header, as Windows shows them; Form 1 files stay plain data.
            xa = find_xa(first.record.system_use, self.susp_skip)
            if xa is not None and xa.is_form2:
                size = cdxa_size(sector_count(extents[0][1]))
            else:
                xa = None
        ino = extents[0][0] * SECTOR if file_type == st.S_IFREG and record.data_length and \
            extents[0][0] else first.position
        stat = self._stat(record, rr, file_type, size, ino)
        extras = None
        su = first.record.system_use
        # Checked inline: this runs for every file listed, and almost none has any of these.
        if not associated and ((su and (b"AA" in su or b"BA" in su)) or (rr is not None and rr.amiga)
                               or (forks and ident in forks)):
            extras = self._extras(first.record, rr, (forks or {}).get(ident))
        return IsoEntry(name, stat, extents, symlink=symlink, zisofs=zisofs, xa=xa, extras=extras)

    def _extras(self, record: DirectoryRecord, rr: RockRidge | None,
                fork: tuple[tuple[int, int], ...] | None) -> Extras | None:
        """Finder info (Apple's entry), resource fork (the associated file), Amiga attributes."""
        finder = find_finder_info(record.system_use) if record.system_use else None
        amiga = None
        if rr is not None and rr.amiga:
            try:
                amiga = parse_amiga(rr.amiga)
            except CorruptDataError as exc:
                log.warning("record %r: ignoring Amiga AS entries: %s", record.file_identifier, exc)
        if finder is None and amiga is None and not fork:
            return None
        return Extras(finder, fork or (), amiga)

    def _relocated(self, lba: int, placeholder: RockRidge) -> tuple[tuple[tuple[int, int], ...], RockRidge]:
        """The extent and attributes of the directory a CL entry points to (its '.' record)."""
        if not 0 < lba < self.device.block_count:
            raise CorruptDataError(f"relocated directory at sector {lba} is outside the image")
        records = read_directory(self.device, lba, SECTOR, log.warning)
        if not records or records[0].record.file_identifier != SELF_ID:
            raise CorruptDataError(f"relocated directory at sector {lba} has no '.' record")
        dot = records[0]
        rr = self._rock(dot.record, dot.position) or RockRidge()
        rr.name = placeholder.name
        return ((lba, dot.record.data_length),), rr

    def _only_relocated(self, extent: tuple[int, int]) -> bool:
        """True when every entry of this directory is a relocated one (RE): an RR_MOVED holder."""
        try:
            records = read_directory(self.device, extent[0], extent[1], log.warning)
        except CorruptDataError:
            return False
        for placed in records:
            if placed.record.file_identifier in (SELF_ID, PARENT_ID):
                continue
            rr = self._rock(placed.record, placed.position)
            if rr is None or not rr.relocated:
                return False
        return True

    # ---- names and attributes --------------------------------------------------------------

    def _name(self, ident: bytes, rr: RockRidge | None, is_dir: bool) -> str:
        if rr is not None and rr.name is not None:
            name = rr.name
        elif self._joliet_tree:
            name = decode_joliet_name(ident)
            if self.options.mapping != "off" and not is_dir:
                name = strip_version(name)
        else:
            name = map_iso_name(ident, self.options.mapping, is_dir)
        return usable_name(name)

    def _stat(self, record: DirectoryRecord, rr: RockRidge | None, file_type: int, size: int,
              ino: int) -> Stat:
        if rr is None or rr.mtime_ns is None:
            mtime = record.recording_time_ns
        else:
            mtime = rr.mtime_ns
        if rr is None:
            return Stat(ino=ino, file_type=file_type, size=size, mtime_ns=mtime, atime_ns=mtime,
                        ctime_ns=mtime, nlink=1)
        if rr.serial and rr.nlink and rr.nlink > 1 and file_type != st.S_IFDIR:
            ino = SERIAL_INO_BASE + rr.serial  # hard links: one inode, as the writer recorded
        return Stat(
            ino=ino, file_type=file_type, size=size, mtime_ns=mtime,
            atime_ns=rr.atime_ns if rr.atime_ns is not None else mtime,
            ctime_ns=rr.ctime_ns if rr.ctime_ns is not None else mtime,
            nlink=max(1, rr.nlink or 1),
            perm=None if rr.mode is None else st.S_IMODE(rr.mode),
            uid=rr.uid, gid=rr.gid, rdev=rr.rdev or 0,
        )

    def _rock(self, record: DirectoryRecord, position: int) -> RockRidge | None:
        def warn(msg: str) -> None:
            log.warning("record at %#x: %s", position, msg)
        entries = susp.iter_entries(record.system_use, self.susp_skip, self._read_area, warn)
        return parse_rock_ridge(entries, warn)

    def _read_area(self, block: int, offset: int, length: int) -> bytes:
        return self.device.read_bytes(block * SECTOR + offset, length)

    # ---- file data -------------------------------------------------------------------------

    def _read_extents(self, extents: tuple[tuple[int, int], ...], offset: int, size: int) -> bytes:
        parts = []
        pos = 0
        end = offset + size
        for lba, length in extents:
            if offset < pos + length and end > pos:
                a, b = max(offset, pos), min(end, pos + length)
                parts.append(self.device.read_bytes(lba * SECTOR + a - pos, b - a))
            pos += length
            if pos >= end:
                break
        return b"".join(parts)

    def _zisofs_file(self, entry: IsoEntry) -> ZisofsFile:
        stored = sum(length for _, length in entry.extents)
        zf = entry.zisofs
        assert zf is not None
        return self._zisofs.get_or_compute(
            entry.stat.ino,
            lambda: ZisofsFile(entry.stat.ino, zf, stored,
                               lambda off, size: self._read_extents(entry.extents, off, size)))

    def _guess_level(self) -> int:
        """ISO 9660 does not record its interchange level; infer it from the root directory."""
        if self.volumes.primary.file_structure_version == 2:
            return 4
        primary_root = _root_record(self.volumes.primary.root_directory_record)
        lba, length = primary_root.location_of_extent, primary_root.data_length
        try:
            records = read_directory(self.device, lba, length, log.warning)
        except CorruptDataError:
            return 1
        level = 1
        for placed in records:
            r = placed.record
            if r.file_flags & FLAG_MULTI_EXTENT:
                return 3
            if r.file_identifier not in (SELF_ID, PARENT_ID) and not _LEVEL1.match(r.file_identifier):
                level = 2
        return level


_LEVEL1 = re.compile(rb"^[A-Z0-9_]{1,8}(\.[A-Z0-9_]{0,3})?(;\d+)?$|^[A-Z0-9_]{1,8}$")


def _root_record(raw: bytes) -> DirectoryRecord:
    """The 34-byte root record of a volume descriptor (ECMA-119 §8.4.18). Some writers put a
    larger length byte there (libarchive's test_read_format_iso_3 says 68); the field holds 34
    bytes whatever it says, so read it as 34."""
    if raw and raw[0] > len(raw):
        raw = bytes([len(raw)]) + raw[1:]
    return DirectoryRecord.parse(raw)


def _group_extents(records: list[PlacedRecord]) -> list[list[PlacedRecord]]:
    """Join the records of a multi-extent file (ECMA-119 §6.5.1, flag bit 7) into one group."""
    groups: list[list[PlacedRecord]] = []
    current: list[PlacedRecord] = []
    for placed in records:
        if current and placed.record.file_identifier != current[0].record.file_identifier:
            groups.append(current)  # a multi-extent file whose last record is missing
            current = []
        current.append(placed)
        if not placed.record.file_flags & FLAG_MULTI_EXTENT:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def _is_ancestor(directory: IsoEntry | None, lba: int) -> bool:
    while directory is not None:
        if directory.extents and directory.extents[0][0] == lba:
            return True
        directory = directory.parent
    return False
