"""Directories: the File Identifier Descriptors of a directory's bytes (ECMA-167 4/14.4, 4/8.6),
and symbolic link targets from path components (4/14.16; UDF 2.60 §2.3.12)."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import CorruptDataError
from ..base import MAX_DIRECTORY_ENTRIES, MAX_SYMLINK_BYTES
from .dstring import decode_cs0
from .layout import TAG_FID, check_tag
from .layout_files import (FID_DELETED, FID_DIRECTORY, FID_HIDDEN, FID_PARENT, PC_CURRENT, PC_NAME,
                           PC_PARENT, PC_ROOT, PC_ROOT_ALIAS, FileIdentifierDescriptor,
                           PathComponent)


@dataclass(slots=True)            # not frozen: one per name listed (see layout.FileEntry)
class DirectoryItem:
    """One name of a directory: decoded, with its flags and where its ICB is."""

    name: str
    ref: int
    lbn: int
    is_dir: bool
    hidden: bool


def parse_directory(data: bytes, what: str, unhide: bool = False) -> list[DirectoryItem]:
    """Every live name in a directory's bytes; deleted and parent entries left out, hidden ones
    too unless ``unhide``. A FID whose tag or lengths are damaged makes the directory damaged:
    FIDs have no resynchronisation point, so what follows it cannot be trusted."""
    items: list[DirectoryItem] = []
    offset = 0
    view = memoryview(data)
    while offset + 38 <= len(data):
        if data[offset] == 0 and data[offset + 1] == 0 and not any(view[offset:offset + 16]):
            break  # zero padding at the end of the last block
        if len(items) >= MAX_DIRECTORY_ENTRIES:
            raise CorruptDataError(f"{what}: more than {MAX_DIRECTORY_ENTRIES} entries")
        check_tag(view, offset, TAG_FID, None, what + f": file identifier descriptor at byte {offset}")
        fid = FileIdentifierDescriptor.parse(view, offset)
        offset += fid.size
        chars = fid.file_characteristics
        if chars & (FID_DELETED | FID_PARENT) or (chars & FID_HIDDEN and not unhide):
            continue
        if fid.icb_length == 0:
            continue  # a name with no ICB (an unused FID kept for reuse)
        items.append(DirectoryItem(decode_cs0(fid.file_identifier), fid.icb_ref, fid.icb_lbn,
                                   bool(chars & FID_DIRECTORY), bool(chars & FID_HIDDEN)))
    return items


def symlink_target(data: bytes, what: str) -> str:
    """A symbolic link's target from its path components: root, '..', '.', names, joined by '/'."""
    parts: list[str] = []
    absolute = False
    offset = 0
    while offset < len(data):
        pc = PathComponent.parse(data, offset)
        ident = data[offset + 4:offset + 4 + pc.length_of_component_identifier]
        if len(ident) != pc.length_of_component_identifier:
            raise CorruptDataError(f"{what}: path component at byte {offset} runs past the link")
        offset += 4 + pc.length_of_component_identifier
        kind = pc.component_type
        if kind == PC_ROOT or (kind == PC_ROOT_ALIAS and not ident):
            parts, absolute = [], True
        elif kind == PC_PARENT:
            parts.append("..")
        elif kind == PC_CURRENT:
            parts.append(".")
        elif kind == PC_NAME:
            name = decode_cs0(ident)
            if not name or "/" in name:
                raise CorruptDataError(f"{what}: unusable path component {name!r}")
            parts.append(name)
        else:
            raise CorruptDataError(f"{what}: path component type {kind}")
    target = ("/" if absolute else "") + "/".join(parts)
    if len(target.encode("utf-8", "surrogateescape")) > MAX_SYMLINK_BYTES:
        raise CorruptDataError(f"{what}: target longer than {MAX_SYMLINK_BYTES} bytes")
    return target
