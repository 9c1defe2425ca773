"""Partitions: from (partition reference, logical block) to an absolute block of the device.

Type 1 (ECMA-167 3/10.7.2), virtual with a VAT (UDF 2.60 §2.2.8, §2.2.11; the UDF 1.50 form
with its trailing regid too), sparable with sparing tables (§2.2.9, §2.2.12) and the metadata
partition (§2.2.10) read through its metadata file, or its mirror when the main copy is damaged.
"""

from __future__ import annotations

import array
import logging
from dataclasses import dataclass

from ...errors import CorruptDataError
from .icb import Icb, data_map, read_icb
from .layout import (TAG_SPARING, UDF_METADATA, UDF_SPARABLE, UDF_SPARING_ID, UDF_VAT150_ID,
                     UDF_VIRTUAL, LogicalVolumeDescriptor, MetadataPartitionMap,
                     PartitionDescriptor, PartitionMapHeader, SparablePartitionMap, SparingTable,
                     Type1PartitionMap, Type2PartitionMap, Vat150Trailer, VatHeader,
                     VirtualPartitionMap, parse_tag)
from .layout_files import FT_METADATA, FT_METADATA_MIRROR, FT_UNSPECIFIED, FT_VAT
from .volume import Device

log = logging.getLogger("mount_image.udf")

MAX_PARTITION_MAPS = 16
MAX_VAT_BYTES = 64 << 20            # 16M entries: far past any disc's file count
MAX_SPARING_TABLE_BYTES = 1 << 20
VAT_SEARCH_BLOCKS = 8               # the VAT ICB is the last recorded block, or a few before it
UNMAPPED = 0xFFFFFFFF


@dataclass(slots=True)
class Physical:
    """A type 1 partition (or the physical side of a sparable one)."""

    number: int
    start: int
    length: int
    access: int
    spared: dict[int, int] | None = None    # packet's first block -> its spare block
    packet_length: int = 0
    kind: str = "physical"

    def runs(self, lbn: int, count: int, copy: int = 0) -> list[tuple[int, int]]:
        if lbn < 0 or count < 0 or lbn + count > self.length:
            raise CorruptDataError(f"blocks {lbn}-{lbn + count - 1} lie outside partition "
                                   f"{self.number} ({self.length} blocks)")
        if not self.spared:
            return [(self.start + lbn, count)]
        out: list[tuple[int, int]] = []
        pl = self.packet_length
        while count > 0:
            packet = lbn - lbn % pl
            take = min(count, packet + pl - lbn)
            spare = self.spared.get(packet)
            out.append((spare + lbn - packet if spare is not None else self.start + lbn, take))
            lbn += take
            count -= take
        return out

    def candidates(self, lbn: int) -> list[int]:
        return [self.runs(lbn, 1)[0][0]]


@dataclass(slots=True)
class Virtual:
    """A virtual partition: VAT entry n is where virtual block n is in the physical partition."""

    physical: Physical
    vat: array.array
    number: int
    kind: str = "virtual"

    def block(self, lbn: int) -> int:
        if not 0 <= lbn < len(self.vat) or self.vat[lbn] == UNMAPPED:
            raise CorruptDataError(f"virtual block {lbn} has no VAT entry ({len(self.vat)} entries)")
        return self.physical.runs(self.vat[lbn], 1)[0][0]

    def runs(self, lbn: int, count: int, copy: int = 0) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for i in range(count):
            b = self.block(lbn + i)
            if out and out[-1][0] + out[-1][1] == b:
                out[-1] = (out[-1][0], out[-1][1] + 1)
            else:
                out.append((b, 1))
        return out

    def candidates(self, lbn: int) -> list[int]:
        return [self.block(lbn)]


@dataclass(slots=True)
class Metadata:
    """A metadata partition: block n is the n-th block of the metadata file (or its mirror)."""

    physical: Physical
    copies: list[list[tuple[int, int]]]    # per copy: (first absolute block, blocks) runs
    number: int
    kind: str = "metadata"

    def _runs_in(self, copy: list[tuple[int, int]], lbn: int, count: int) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        pos = 0
        for first, n in copy:
            if count == 0:
                break
            if lbn < pos + n:
                take = min(count, pos + n - lbn)
                out.append((first + lbn - pos, take))
                lbn += take
                count -= take
            pos += n
        if count:
            raise CorruptDataError(f"metadata block {lbn} lies past the metadata file ({pos} blocks)")
        return out

    def runs(self, lbn: int, count: int, copy: int = 0) -> list[tuple[int, int]]:
        return self._runs_in(self.copies[min(copy, len(self.copies) - 1)], lbn, count)

    def candidates(self, lbn: int) -> list[int]:
        found = []
        for copy in self.copies:
            try:
                found.append(self._runs_in(copy, lbn, 1)[0][0])
            except CorruptDataError:
                continue
        return found


class LogicalVolume:
    """The partition maps of a logical volume, in reference order, over the device."""

    def __init__(self, device: Device, block_size: int, lvd: LogicalVolumeDescriptor,
                 partitions: dict[int, PartitionDescriptor]) -> None:
        self.device = device
        self.block_size = block_size
        self.device_blocks = device.size // block_size
        self.maps: list[Physical | Virtual | Metadata | None] = []
        self.kinds: list[str] = []
        self.vat_header: VatHeader | None = None
        pending: list[tuple[int, str, Type2PartitionMap]] = []
        raw = lvd.partition_maps
        offset = 0
        for ref in range(min(lvd.number_of_partition_maps, MAX_PARTITION_MAPS)):
            head = PartitionMapHeader.parse(raw, offset)
            if head.partition_map_length < 2:
                raise CorruptDataError(f"partition map {ref}: length {head.partition_map_length}")
            if head.partition_map_type == 1:
                pmap = Type1PartitionMap.parse(raw, offset)
                self.maps.append(self._physical(partitions, pmap.partition_number))
                self.kinds.append("type1")
            elif head.partition_map_type == 2:
                pmap2 = Type2PartitionMap.parse(raw, offset)
                name = pmap2.partition_type_identifier.name
                self.maps.append(None)
                self.kinds.append(name)
                pending.append((ref, name, pmap2))
            else:
                raise CorruptDataError(f"partition map {ref}: type {head.partition_map_type}")
            offset += head.partition_map_length
        for ref, name, pmap2 in pending:  # these build on the physical maps
            use = pmap2.partition_mapping_use
            if name == UDF_SPARABLE:
                sp = SparablePartitionMap.parse(use)
                self.maps[ref] = self._sparable(partitions, sp)
                self.kinds[ref] = "sparable"
            elif name == UDF_VIRTUAL:
                vp = VirtualPartitionMap.parse(use)
                self.maps[ref] = self._virtual(partitions, vp.partition_number)
                self.kinds[ref] = "virtual"
            elif name == UDF_METADATA:
                mp = MetadataPartitionMap.parse(use)
                self.maps[ref] = self._metadata(partitions, mp)
                self.kinds[ref] = "metadata"
            else:
                log.warning("UDF: partition map %d of type %r is not supported; its files are not shown",
                            ref, name)

    # ---- building the maps ---------------------------------------------------------------

    def _physical(self, partitions: dict[int, PartitionDescriptor], number: int) -> Physical:
        pd = partitions.get(number)
        if pd is None:
            raise CorruptDataError(f"partition {number} has no partition descriptor")
        if pd.partition_starting_location >= self.device_blocks:
            raise CorruptDataError(f"partition {number} starts at block {pd.partition_starting_location}, "
                                   f"past the image ({self.device_blocks} blocks of {self.block_size})")
        # A partition longer than the image (a truncated or still open disc) is cut to it.
        length = min(pd.partition_length, self.device_blocks - pd.partition_starting_location)
        return Physical(number, pd.partition_starting_location, length, pd.access_type)

    def _physical_ref(self, number: int) -> int:
        for ref, m in enumerate(self.maps):
            if isinstance(m, Physical) and m.number == number:
                return ref
        raise CorruptDataError(f"no type 1 partition map for partition {number}")

    def _sparable(self, partitions: dict[int, PartitionDescriptor], sp: SparablePartitionMap) -> Physical:
        phys = self._physical(partitions, sp.partition_number)
        pl = sp.packet_length or 32
        table: SparingTable | None = None
        size = min(sp.size_of_each_sparing_table, MAX_SPARING_TABLE_BYTES)
        for loc in sp.locations_of_sparing_tables:
            nblocks = (size + self.block_size - 1) // self.block_size
            if not size or loc + nblocks > self.device_blocks:
                continue
            raw = self.device.read_bytes(loc * self.block_size, nblocks * self.block_size)
            try:
                parse_tag(raw, 0, TAG_SPARING, None, f"sparing table at block {loc}")
                candidate = SparingTable.parse(raw)
            except CorruptDataError as exc:
                log.warning("UDF: %s", exc)
                continue
            if candidate.identifier.name != UDF_SPARING_ID:
                log.warning("UDF: sparing table at block %d names itself %r", loc, candidate.identifier.name)
                continue
            if table is None or candidate.sequence_number > table.sequence_number:
                table = candidate
        if table is None:
            log.warning("UDF: no readable sparing table; reading packets at their original place")
        spared = {orig: mapped for orig, mapped in (table.entries if table else ())
                  if mapped + pl <= self.device_blocks}
        return Physical(phys.number, phys.start, phys.length, phys.access, spared, pl, "sparable")

    def _virtual(self, partitions: dict[int, PartitionDescriptor], number: int) -> Virtual:
        ref = self._physical_ref(number)
        phys = self.maps[ref]
        assert isinstance(phys, Physical)
        last = self.device_blocks - 1
        problems = []
        for block in range(last, max(phys.start, last - VAT_SEARCH_BLOCKS) - 1, -1):
            try:
                icb = read_icb(self, ref, block - phys.start, "VAT")
            except CorruptDataError as exc:
                problems.append(str(exc))
                continue
            ftype = icb.entry.icb_tag.file_type
            if ftype not in (FT_VAT, FT_UNSPECIFIED):
                continue
            try:
                vat = self._vat_entries(icb, ftype)
            except CorruptDataError as exc:
                problems.append(str(exc))
                continue
            return Virtual(phys, vat, number)
        raise CorruptDataError(f"no virtual allocation table in the last {VAT_SEARCH_BLOCKS + 1} "
                               f"blocks of the image" + (f" ({problems[0]})" if problems else ""))

    def _vat_entries(self, icb: Icb, ftype: int) -> array.array:
        data = data_map(self, icb, MAX_VAT_BYTES).read(self.device.read_bytes, 0, MAX_VAT_BYTES, "VAT")
        if ftype == FT_VAT:  # UDF 2.00+: a header, then the entries
            head = VatHeader.parse(data)
            if head.length_of_header < 152 or head.length_of_header > len(data):
                raise CorruptDataError(f"VAT header length {head.length_of_header}")
            self.vat_header = head
            body = data[head.length_of_header:]
        else:  # UDF 1.50: the entries, then a regid trailer
            if len(data) < 36:
                raise CorruptDataError("VAT shorter than its trailer")
            trailer = Vat150Trailer.parse(data, len(data) - 36)
            if trailer.identifier != UDF_VAT150_ID:
                raise CorruptDataError(f"block is no VAT ({trailer.identifier!r})")
            body = data[:-36]
        entries = array.array("I")
        entries.frombytes(body[:len(body) & ~3])
        if entries.itemsize != 4:
            raise AssertionError("array 'I' is not 32 bits here")
        if array.array("I", [1]).tobytes() != b"\x01\x00\x00\x00":
            entries.byteswap()
        return entries

    def _metadata(self, partitions: dict[int, PartitionDescriptor], mp: MetadataPartitionMap) -> Metadata:
        ref = self._physical_ref(mp.partition_number)
        phys = self.maps[ref]
        assert isinstance(phys, Physical)
        copies = []
        problems = []
        for which, loc, ftype in (("metadata file", mp.metadata_file_location, FT_METADATA),
                                  ("metadata mirror file", mp.metadata_mirror_file_location,
                                   FT_METADATA_MIRROR)):
            if loc == UNMAPPED:
                continue
            try:
                icb = read_icb(self, ref, loc, which)
                if icb.entry.icb_tag.file_type != ftype:
                    raise CorruptDataError(f"{which} at block {loc} has file type {icb.entry.icb_tag.file_type}")
                runs = self._file_runs(icb)
            except CorruptDataError as exc:
                log.warning("UDF: %s", exc)
                problems.append(str(exc))
                continue
            copies.append(runs)
        if not copies:
            raise CorruptDataError("metadata partition: neither the metadata file nor its mirror "
                                   f"is readable ({'; '.join(problems)})")
        return Metadata(phys, copies, mp.partition_number)

    def _file_runs(self, icb: Icb) -> list[tuple[int, int]]:
        bs = self.block_size
        dm = data_map(self, icb)
        if dm.embedded is not None:
            raise CorruptDataError("metadata file has its data in its ICB")
        runs = []
        for _start, length, where in dm.pieces:
            if where < 0 or where % bs:
                raise CorruptDataError("metadata file has an unrecorded extent")
            runs.append((where // bs, (length + bs - 1) // bs))
        return runs

    # ---- the Space protocol of icb.py ----------------------------------------------------

    def _map(self, ref: int) -> Physical | Virtual | Metadata:
        if not 0 <= ref < len(self.maps) or self.maps[ref] is None:
            raise CorruptDataError(f"partition reference {ref} names no readable partition map")
        m = self.maps[ref]
        assert m is not None
        return m

    def candidates(self, ref: int, lbn: int) -> list[int]:
        return self._map(ref).candidates(lbn)

    def copies(self, ref: int) -> int:
        """How many copies partition ``ref`` keeps of each block (2: a metadata mirror)."""
        m = self._map(ref)
        return len(m.copies) if isinstance(m, Metadata) else 1

    def runs(self, ref: int, lbn: int, count: int, copy: int = 0) -> list[tuple[int, int]]:
        runs = self._map(ref).runs(lbn, count, copy)
        for block, n in runs:
            if block + n > self.device_blocks:
                raise CorruptDataError(f"blocks {block}-{block + n - 1} lie past the end of the image "
                                       f"({self.device_blocks} blocks)")
        return runs

    def read_blocks(self, block: int, count: int) -> bytes:
        return self.device.read_bytes(block * self.block_size, count * self.block_size)

    def read(self, ref: int, lbn: int, size: int) -> bytes:
        """``size`` bytes from block ``lbn`` of partition ``ref``, across its runs."""
        bs = self.block_size
        parts = [self.read_blocks(b, n) for b, n in self.runs(ref, lbn, (size + bs - 1) // bs)]
        return b"".join(parts)[:size]
