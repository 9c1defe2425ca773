"""Directory extents: the records of one directory and the names ISO 9660 gives them (ECMA-119 §6.8, §9.1)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ...errors import CorruptDataError
from ...sectors.blocks import BlockDevice
from ..base import MAX_DIRECTORY_BYTES, MAX_DIRECTORY_ENTRIES
from .layout import SECTOR, DirectoryRecord

SELF_ID, PARENT_ID = b"\x00", b"\x01"


@dataclass(slots=True)
class PlacedRecord:
    """A directory record and its byte position in the volume (the source of inode numbers)."""

    record: DirectoryRecord
    position: int


def read_directory(device: BlockDevice, lba: int, length: int,
                   log: Callable[[str], None]) -> list[PlacedRecord]:
    """Every record of the directory extent at ``lba`` (records never cross a sector, §6.8.1.1).

    The whole extent is read with one request. A record that does not fit its sector ends that
    sector with a log line; an extent outside the image is CorruptDataError (EIO for the
    directory).
    """
    if length <= 0:
        return []
    if length > MAX_DIRECTORY_BYTES:
        raise CorruptDataError(f"directory at sector {lba} claims {length} bytes")
    data = device.read_bytes(lba * SECTOR, length)
    records: list[PlacedRecord] = []
    for sector_start in range(0, length, SECTOR):
        sector_end = min(sector_start + SECTOR, length)
        pos = sector_start
        while pos < sector_end:
            size = data[pos]
            if size == 0:
                break  # the rest of this sector is padding
            if pos + size > sector_end:
                log(f"directory at sector {lba}: record at {pos} runs past its sector")
                break
            try:
                record = DirectoryRecord.parse(data[pos:pos + size])
            except CorruptDataError as exc:
                log(f"directory at sector {lba}: {exc}")
                break
            records.append(PlacedRecord(record, lba * SECTOR + pos))
            if len(records) >= MAX_DIRECTORY_ENTRIES:
                log(f"directory at sector {lba}: more than {MAX_DIRECTORY_ENTRIES} records, rest ignored")
                return records
            pos += size
    return records


_VERSION = re.compile(r";\d*$")


def strip_version(name: str) -> str:
    """Drop the file version (';1') and the dot that separates an empty extension (§7.5.1)."""
    name = _VERSION.sub("", name)
    if name.endswith(".") and len(name) > 1:
        name = name[:-1]
    return name


def map_iso_name(raw: bytes, mapping: str, is_dir: bool) -> str:
    """An ISO 9660 identifier as the kernel's ``map=`` option shows it.

    ``normal``: lower-case, ";1" dropped; ``off``: as stored.
    """
    name = raw.decode("latin-1")
    if mapping == "off":
        return name
    if not is_dir:
        # As Linux isofs_name_translate(): drop ".;1" or ";1"; any other ';' becomes '.', so
        # FILE.TXT;1 and FILE.TXT;2 stay two names.
        if name.endswith(".;1"):
            name = name[:-3]
        elif name.endswith(";1"):
            name = name[:-2]
        name = name.replace(";", ".")
    return name.lower()
