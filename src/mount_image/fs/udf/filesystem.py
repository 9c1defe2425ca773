"""UdfFileSystem: where file entries become files (ECMA-167 part 4, OSTA UDF 1.02-2.60).

Opening reads the anchor, the volume descriptor sequence, the partition maps (and the VAT,
sparing table or metadata file they need), the File Set Descriptor and the root's file entry.
Each directory is read when first listed and kept in a bounded LRU, as the ISO 9660 reader does.
"""

from __future__ import annotations

import logging
import os
import stat as st
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence, TypeVar

from ...errors import CorruptDataError
from ..base import MAX_DEPTH, MAX_DIRECTORY_BYTES, MAX_SYMLINK_BYTES, LruCache, Stat, usable_name
from .directory import DirectoryItem, parse_directory, symlink_target
from .dstring import decode_dstring
from .icb import DataMap, Icb, data_map, prefetch, read_icb, read_tagged
from .layout import PD_ACCESS, TAG_FSD
from .layout_files import (EA_DEVICE_SPECIFICATION, FT_BLOCK, FT_CHAR, FT_DIRECTORY, FT_FIFO,
                           FT_FILE, FT_REALTIME, FT_SOCKET, FT_STREAM_DIRECTORY, FT_SYMLINK,
                           FT_UNSPECIFIED, ICB_FLAG_SETGID, ICB_FLAG_SETUID, ICB_FLAG_STICKY,
                           DeviceSpecification, ExtendedAttribute, FileSetDescriptor, LongAd)
from .partitions import LogicalVolume
from .volume import UdfVolume, read_volume

T = TypeVar("T")
log = logging.getLogger("mount_image.udf")

DIRECTORY_CACHE_ENTRIES = 150_000     # as the ISO 9660 reader: about 120 MB at most
NOT_STORED = 0xFFFFFFFF               # uid/gid "not stored" (UDF 2.60 §3.3.3.1)
MAX_STREAM_BYTES = 64 << 10           # one named stream shown as an xattr (the kernel's limit)
MAX_STREAMS = 256
PREFETCH_ITEMS = 1024                 # file entries of one directory read ahead at a time

_FILE_TYPES = {
    FT_UNSPECIFIED: st.S_IFREG, FT_FILE: st.S_IFREG, FT_REALTIME: st.S_IFREG,
    FT_DIRECTORY: st.S_IFDIR, FT_SYMLINK: st.S_IFLNK, FT_BLOCK: st.S_IFBLK, FT_CHAR: st.S_IFCHR,
    FT_FIFO: st.S_IFIFO, FT_SOCKET: st.S_IFSOCK,
}


@dataclass(slots=True, eq=False)
class UdfEntry:
    """One file or directory: its attributes and where its ICB is."""

    name: str
    stat: Stat
    ref: int
    lbn: int
    symlink: str | None = None
    parent: UdfEntry | None = None      # directories keep it to refuse loops
    streams: bool = False               # an EFE with a stream directory: xattrs() reads it
    depth: int = 0


@dataclass(slots=True)
class _Listing:
    entries: list[UdfEntry] = field(default_factory=list)
    by_name: dict[str, UdfEntry] = field(default_factory=dict)
    damaged: dict[str, CorruptDataError] = field(default_factory=dict)
    error: CorruptDataError | None = None


class UdfFileSystem:
    """The UDF reader; answers the FileSystem protocol of fs/base.py.

    ``companion`` is the ISO 9660 side of a bridge disc, if any: only its kinds and info are
    reported, so ``mount-image info`` lists both filesystems.
    """

    shown = "udf"

    def __init__(self, device: Any, start: int = 0, unhide: bool = False,
                 companion: Any = None) -> None:
        self.device = device
        self.unhide = unhide
        self.companion = companion
        self.volume: UdfVolume = read_volume(device, start)
        self.block_size = self.volume.block_size
        self.total_blocks = device.size // self.block_size
        lvd = self.volume.lvd
        self.space = LogicalVolume(device, self.block_size, lvd, self.volume.descriptors.partitions)
        self.fsd = self._file_set(lvd.logical_volume_contents_use)
        self.label = decode_dstring(lvd.logical_volume_identifier)
        self.kinds = ("udf",) + tuple(getattr(companion, "kinds", ()))
        self._cache: LruCache[tuple[int, int], _Listing] = LruCache(
            DIRECTORY_CACHE_ENTRIES, weigh=lambda listing: len(listing.entries) + 1)
        self._maps: LruCache[tuple[int, int], DataMap] = LruCache(1024)
        self._xattrs: LruCache[tuple[int, int], dict[str, bytes]] = LruCache(1024)
        root = self.fsd.root_directory_icb
        try:
            icb = read_icb(self.space, root.partition_reference_number, root.logical_block_number,
                           "root directory")
        except CorruptDataError as exc:
            raise CorruptDataError(f"UDF root directory: {exc}") from exc
        if icb.entry.icb_tag.file_type != FT_DIRECTORY:
            raise CorruptDataError(f"UDF root directory ICB has file type {icb.entry.icb_tag.file_type}")
        self._root = UdfEntry("", self._stat(icb, st.S_IFDIR), icb.ref, icb.lbn, streams=_has_streams(icb))

    def _file_set(self, contents_use: bytes) -> FileSetDescriptor:
        """The File Set Descriptor the LVD points to (4/14.1; UDF 2.60 §2.2.4.1)."""
        where = LongAd.parse(contents_use)
        try:
            raw, _ident, _pos = read_tagged(self.space, where.partition_reference_number,
                                            where.logical_block_number, TAG_FSD, "file set descriptor")
        except CorruptDataError as exc:
            raise CorruptDataError(f"UDF file set descriptor: {exc}") from exc
        return FileSetDescriptor.parse(raw)

    # ---- the FileSystem protocol -----------------------------------------------------------

    def root(self) -> UdfEntry:
        return self._root

    def listdir(self, directory: UdfEntry) -> Sequence[UdfEntry]:
        return self._listing(directory).entries

    def lookup(self, directory: UdfEntry, name: str) -> UdfEntry | None:
        listing = self._listing(directory)
        found = listing.by_name.get(name)
        if found is None and name in listing.damaged:
            raise listing.damaged[name]
        return found

    def read(self, entry: UdfEntry, offset: int, size: int) -> bytes:
        return self._read_file(entry, offset, size, b"", lambda dm, what: dm.read(
            self.device.read_bytes, offset, size, what))

    def read_into(self, entry: UdfEntry, offset: int, dest: memoryview) -> int:
        return self._read_file(entry, offset, len(dest), 0, lambda dm, what: dm.read_into(
            self.device.read_into, offset, dest, what))

    def _read_file(self, entry: UdfEntry, offset: int, size: int, nothing: T,
                   read: Callable[[DataMap, str], T]) -> T:
        """``read(data map, what)`` for ``size`` bytes of a file from ``offset``; ``nothing``
        past its end or for no bytes. Damage is logged here once for both ways of reading."""
        if entry.stat.is_dir:
            raise IsADirectoryError(21, "is a directory")
        if offset >= entry.stat.size or size <= 0:
            return nothing
        what = f"file {entry.name!r}"
        try:
            dm = self._file_map(entry)
            return read(dm, what)
        except CorruptDataError as exc:
            log.warning("UDF %s: %s", what, exc)
            raise

    def readlink(self, entry: UdfEntry) -> str:
        if entry.symlink is None:
            raise OSError(22, "not a symbolic link")
        return entry.symlink

    def byte_ranges(self, entry: UdfEntry) -> list[tuple[int, int]]:
        dm = self._file_map(entry)
        return [(where, length) for _start, length, where in dm.pieces if where >= 0]

    def xattrs(self, entry: UdfEntry) -> dict[str, bytes]:
        if not entry.streams:
            return {}  # no stream directory: `ls -l` asks this of every file
        return self._xattrs.get_or_compute((entry.ref, entry.lbn), lambda: self._streams(entry))

    def info(self) -> dict:
        vol = self.volume
        pvd = vol.descriptors.pvd
        lvd = vol.lvd
        revision = lvd.domain_identifier.udf_revision
        udf = {
            "revision": f"{revision >> 8:x}.{revision & 0xFF:02x}" if revision else None,
            "volume_id": decode_dstring(pvd.volume_identifier) if pvd else "",
            "volume_set_id": decode_dstring(pvd.volume_set_identifier) if pvd else "",
            "logical_volume_id": self.label,
            "file_set_id": decode_dstring(self.fsd.file_set_identifier),
            "recorded": pvd.recording_date_and_time.isoformat() if pvd else "",
            "application": pvd.application_identifier.name if pvd else "",
            "implementation": lvd.implementation_identifier.name,
            "block_size": self.block_size,
            "volume_blocks": self.total_blocks,
            "recognition": vol.recognition,
            "anchor_block": vol.anchor_block,
            "reserve_sequence_used": vol.used_reserve,
            "partitions": [self._describe_map(ref) for ref in range(len(self.space.maps))],
        }
        if self.space.vat_header is not None:
            udf["vat"] = {"files": self.space.vat_header.number_of_files,
                          "directories": self.space.vat_header.number_of_directories}
        info: dict = {"iso9660": None, "joliet": None, "rockridge": None, "eltorito": []}
        if self.companion is not None:
            info.update(self.companion.info())
        info["udf"] = udf
        return info

    def _describe_map(self, ref: int) -> dict:
        m = self.space.maps[ref]
        kind = self.space.kinds[ref]
        if m is None:
            return {"type": kind, "supported": False}
        out: dict = {"type": kind, "partition_number": m.number}
        phys = getattr(m, "physical", m)
        out.update(start=phys.start, blocks=phys.length, access=PD_ACCESS.get(phys.access, str(phys.access)))
        if kind == "sparable":
            out["spared_packets"] = len(phys.spared or {})
        if kind == "virtual":
            out["vat_entries"] = len(m.vat)  # type: ignore[union-attr]
        if kind == "metadata":
            out["copies"] = len(m.copies)  # type: ignore[union-attr]
        return out

    # ---- directories -----------------------------------------------------------------------

    def _listing(self, directory: UdfEntry) -> _Listing:
        if not directory.stat.is_dir:
            raise NotADirectoryError(20, "not a directory")
        listing = self._cache.get_or_compute((directory.ref, directory.lbn),
                                             lambda: self._parse_listing(directory))
        if listing.error is not None:
            raise listing.error
        return listing

    def _parse_listing(self, directory: UdfEntry) -> _Listing:
        listing = _Listing()
        what = f"directory {directory.name or '/'!r} (block {directory.lbn} of partition {directory.ref})"
        try:
            items = self._directory_items(directory, what)
        except CorruptDataError as exc:
            log.warning("UDF %s", exc)
            listing.error = CorruptDataError(f"UDF {exc}" if what in str(exc) else f"UDF {what}: {exc}")
            return listing
        prefetched: dict[int, bytes] = {}
        for n, item in enumerate(items):
            if n % PREFETCH_ITEMS == 0:
                prefetched = prefetch(self.space, [(i.ref, i.lbn) for i in items[n:n + PREFETCH_ITEMS]])
            name = usable_name(item.name)
            if not name:
                log.warning("UDF %s: skipping a name that cannot be decoded", what)
                continue
            if name in listing.by_name or name in listing.damaged:
                continue  # the first of repeated names wins
            try:
                entry = self._make_entry(item, name, directory, prefetched)
            except CorruptDataError as exc:
                log.warning("UDF %s: %r: %s", what, name, exc)
                listing.damaged[name] = CorruptDataError(f"UDF file {name!r}: {exc}")
                continue
            if entry is None:
                continue
            listing.by_name[name] = entry
            listing.entries.append(entry)
        return listing

    def _directory_items(self, directory: UdfEntry, what: str) -> list[DirectoryItem]:
        """The directory's names; a metadata partition's mirror is read when the main copy
        of the directory's blocks is damaged (UDF 2.60 §2.2.13.1)."""
        icb = read_icb(self.space, directory.ref, directory.lbn, "directory")
        error: CorruptDataError | None = None
        for copy in range(self.space.copies(directory.ref)):
            try:
                data = data_map(self.space, icb, MAX_DIRECTORY_BYTES, copy).read(
                    self.device.read_bytes, 0, MAX_DIRECTORY_BYTES, what)
                return parse_directory(data, what, self.unhide)
            except CorruptDataError as exc:
                if copy:
                    log.warning("UDF %s: the mirror copy is damaged too", what)
                error = error or exc
        assert error is not None
        raise error

    def _make_entry(self, item: DirectoryItem, name: str, parent: UdfEntry,
                    prefetched: dict[int, bytes] | None = None) -> UdfEntry | None:
        icb = read_icb(self.space, item.ref, item.lbn, "file entry", prefetched)
        ftype = icb.entry.icb_tag.file_type
        file_type = _FILE_TYPES.get(ftype)
        if file_type is None:
            log.info("UDF: %r has file type %d; not shown", name, ftype)
            return None
        if file_type == st.S_IFDIR:
            if parent.depth + 1 > MAX_DEPTH or _is_ancestor(parent, icb.ref, icb.lbn):
                log.warning("UDF directory %r loops back to an ancestor; not shown", name)
                return None
            return UdfEntry(name, self._stat(icb, file_type), icb.ref, icb.lbn, parent=parent,
                            depth=parent.depth + 1, streams=_has_streams(icb))
        symlink = None
        if file_type == st.S_IFLNK:
            raw = data_map(self.space, icb, MAX_SYMLINK_BYTES * 2).read(
                self.device.read_bytes, 0, MAX_SYMLINK_BYTES * 2, f"symbolic link {name!r}")
            symlink = symlink_target(raw, f"symbolic link {name!r}")
        return UdfEntry(name, self._stat(icb, file_type, symlink), icb.ref, icb.lbn, symlink,
                        streams=_has_streams(icb))

    def _stat(self, icb: Icb, file_type: int, symlink: str | None = None) -> Stat:
        fe = icb.entry
        p = fe.permissions
        # 4/14.9.5: five bits per class (execute, write, read, change attribute, delete); the
        # low three are POSIX's x, w, r.
        perm = ((p >> 10) & 7) << 6 | ((p >> 5) & 7) << 3 | (p & 7)
        flags = fe.icb_tag.flags
        perm |= (st.S_ISUID if flags & ICB_FLAG_SETUID else 0) | (st.S_ISGID if flags & ICB_FLAG_SETGID else 0) \
            | (st.S_ISVTX if flags & ICB_FLAG_STICKY else 0)
        size = fe.information_length
        rdev = 0
        if file_type == st.S_IFLNK:
            size = len((symlink or "").encode("utf-8", "surrogateescape"))
        elif file_type in (st.S_IFBLK, st.S_IFCHR):
            size, rdev = 0, self._device_number(icb)
        elif file_type in (st.S_IFIFO, st.S_IFSOCK):
            size = 0
        mtime = fe.modification_ns
        return Stat(
            ino=icb.position, file_type=file_type, size=size, mtime_ns=mtime,
            atime_ns=fe.access_ns or mtime, ctime_ns=fe.attribute_ns or mtime,
            nlink=max(1, fe.file_link_count), perm=perm,
            uid=None if fe.uid == NOT_STORED else fe.uid,
            gid=None if fe.gid == NOT_STORED else fe.gid, rdev=rdev)

    def _device_number(self, icb: Icb) -> int:
        """Major and minor from the Device Specification extended attribute (4/14.10.7)."""
        fe = icb.entry
        area = icb.raw[fe.ea_offset:fe.ea_offset + fe.length_of_extended_attributes]
        offset = 24  # after the Extended Attribute Header Descriptor (4/14.10.1)
        for _ in range(64):
            if offset + 12 > len(area):
                break
            ea = ExtendedAttribute.parse(area, offset)
            if ea.attribute_length < 12 or offset + ea.attribute_length > len(area):
                break
            if ea.attribute_type == EA_DEVICE_SPECIFICATION:
                spec = DeviceSpecification.parse(area, offset + 12)
                return os.makedev(spec.major_device_identification & 0xFFF,
                                  spec.minor_device_identification & 0xFFFFF)
            offset += ea.attribute_length
        return 0

    # ---- file data and named streams --------------------------------------------------------

    def _file_map(self, entry: UdfEntry) -> DataMap:
        """The entry's data map, kept in the LRU of recently read files."""
        return self._maps.get_or_compute((entry.ref, entry.lbn), lambda: self._data_map(entry))

    def _data_map(self, entry: UdfEntry) -> DataMap:
        icb = read_icb(self.space, entry.ref, entry.lbn)
        return data_map(self.space, icb)

    def _streams(self, entry: UdfEntry) -> dict[str, bytes]:
        """Named streams (ECMA-167 4/9.2; UDF 2.60 §3.3.5) as ``user.<name>`` attributes."""
        try:
            icb = read_icb(self.space, entry.ref, entry.lbn)
            sd = icb.entry.stream_directory_icb
            if sd is None or sd.extent_length == 0:
                return {}
            sicb = read_icb(self.space, sd.partition_reference_number, sd.logical_block_number,
                            "stream directory")
            if sicb.entry.icb_tag.file_type != FT_STREAM_DIRECTORY:
                raise CorruptDataError(f"stream directory has file type {sicb.entry.icb_tag.file_type}")
            what = f"stream directory of {entry.name!r}"
            data = data_map(self.space, sicb, MAX_DIRECTORY_BYTES).read(
                self.device.read_bytes, 0, MAX_DIRECTORY_BYTES, what)
            found: dict[str, bytes] = {}
            for item in parse_directory(data, what, unhide=True)[:MAX_STREAMS]:
                stream = read_icb(self.space, item.ref, item.lbn, "named stream")
                dm = data_map(self.space, stream)
                if dm.size > MAX_STREAM_BYTES:
                    log.info("UDF %r: named stream %r (%d bytes) is too large for an xattr",
                             entry.name, item.name, dm.size)
                    continue
                found["user." + item.name] = dm.read(self.device.read_bytes, 0, dm.size, what)
            return found
        except CorruptDataError as exc:
            log.warning("UDF %r: named streams unreadable: %s", entry.name, exc)
            return {}


def _has_streams(icb: Icb) -> bool:
    sd = icb.entry.stream_directory_icb
    return sd is not None and sd.extent_length > 0


def _is_ancestor(directory: UdfEntry | None, ref: int, lbn: int) -> bool:
    while directory is not None:
        if (directory.ref, directory.lbn) == (ref, lbn):
            return True
        directory = directory.parent
    return False
