"""UDF volume structure, declared once (ECMA-167 3rd edition part 3, OSTA UDF 2.60): volume
recognition, descriptor tags, the volume descriptors, partition maps, sparing tables and the VAT,
and the small parts (extent_ad, regid, charspec, timestamp) the file structure shares; the file
structure of part 4 (file set, ICBs, allocation descriptors, FIDs, extended attributes) is in
layout_files.py.

Part/section numbers are ECMA-167's ("3/10.2" = part 3, §10.2); UDF-only structures cite the
OSTA UDF 2.60 section. Layout code is pure: bytes in, object out. All fields are little-endian.
"""

from __future__ import annotations

import binascii
import datetime as dt
import functools
from dataclasses import dataclass
from typing import ClassVar

from ...binary import FixedStructure, check_length, make_struct, parse_with, u16le, u32le
from ...errors import CorruptDataError

ANCHOR_BLOCK = 256                      # 3/8.4.2.1: anchors at 256, N-256 and N

# ---- descriptor tag (ECMA-167 3/7.2) -------------------------------------------------------
TAG_PVD = 1
TAG_AVDP = 2
TAG_VDP = 3
TAG_IUVD = 4
TAG_PD = 5
TAG_LVD = 6
TAG_USD = 7
TAG_TD = 8
TAG_LVID = 9
TAG_FSD = 256
TAG_FID = 257
TAG_AED = 258
TAG_IE = 259
TAG_TE = 260
TAG_FE = 261
TAG_EAHD = 262
TAG_USE = 263
TAG_SBD = 264
TAG_PIE = 265
TAG_EFE = 266
TAG_SPARING = 0                         # UDF 2.60 §2.2.12: the sparing table's tag identifier

_TAG = make_struct("<HHBBHHHI", 16, "descriptor tag")


def crc_itu(data: bytes | memoryview) -> int:
    """CRC of a descriptor (ECMA-167 1/7.2.6): CRC-ITU-T x^16 + x^12 + x^5 + 1, initial 0,
    not reflected: the same CRC as binascii.crc_hqx, which computes it in C."""
    return binascii.crc_hqx(data, 0)


@dataclass(frozen=True, slots=True)
class Tag(FixedStructure):
    """Descriptor Tag (ECMA-167 3/7.2): identifier, checksum, CRC over the descriptor body."""

    _S: ClassVar = _TAG
    SIZE: ClassVar = 16
    tag_identifier: int
    descriptor_version: int
    tag_checksum: int
    reserved: int
    tag_serial_number: int
    descriptor_crc: int
    descriptor_crc_length: int
    tag_location: int

    @staticmethod
    def checksum(buf: bytes | memoryview, offset: int = 0) -> int:
        """3/7.2.3: the byte sum modulo 256 of the tag's bytes 0-3 and 5-15."""
        raw = bytes(buf[offset:offset + 16])
        return (sum(raw) - raw[4]) & 0xFF


def parse_tag(buf: bytes | memoryview, offset: int, expected: int | tuple[int, ...] | None,
              location: int | None, what: str, check_crc: bool = True) -> Tag:
    """The tag at ``offset``, checked: identifier, checksum, CRC (its stated length must fit in
    ``buf``) and, when ``location`` is given, the recorded location (3/7.2.8)."""
    check_tag(buf, offset, expected, location, what, check_crc)
    return Tag.parse(buf, offset)


def check_tag(buf: bytes | memoryview, offset: int, expected: int | tuple[int, ...] | None,
              location: int | None, what: str, check_crc: bool = True) -> int:
    """``parse_tag``'s checks without building the Tag (it runs once per file listed);
    returns the tag identifier."""
    if offset < 0 or offset + 16 > len(buf):
        check_length(buf, offset, 16, "descriptor tag")
    ident, _ver, checksum, _r, _serial, crc, crc_len, tag_location = _TAG.unpack_from(buf, offset)
    head = buf[offset:offset + 16]
    if (sum(head) - head[4]) & 0xFF != checksum:
        raise CorruptDataError(f"{what}: tag checksum mismatch")
    if expected is not None and ident != expected and (
            isinstance(expected, int) or ident not in expected):
        wanted = (expected,) if isinstance(expected, int) else expected
        raise CorruptDataError(f"{what}: tag identifier {ident}, expected "
                               f"{' or '.join(map(str, wanted))}")
    if location is not None and tag_location != location & 0xFFFFFFFF:
        raise CorruptDataError(f"{what}: tag says block {tag_location}, found at block {location}")
    if check_crc and crc_len:
        start = offset + 16
        if start + crc_len > len(buf):
            raise CorruptDataError(f"{what}: CRC length {crc_len} runs past the descriptor")
        if binascii.crc_hqx(buf[start:start + crc_len], 0) != crc:
            raise CorruptDataError(f"{what}: descriptor CRC mismatch")
    return ident


# ---- small parts: extent_ad, regid, charspec, timestamp ------------------------------------
_EXTENT_AD = make_struct("<II", 8, "extent_ad")


@dataclass(frozen=True, slots=True)
class ExtentAd(FixedStructure):
    """extent_ad (ECMA-167 3/7.1): a byte length and an absolute block."""

    _S: ClassVar = _EXTENT_AD
    extent_length: int
    extent_location: int


_REGID = make_struct("<B23s8s", 32, "regid")


@dataclass(frozen=True, slots=True)
class EntityId(FixedStructure):
    """Entity identifier, regid (ECMA-167 1/7.4; UDF 2.60 §2.1.5): flags, identifier, suffix."""

    _S: ClassVar = _REGID
    flags: int
    identifier: bytes
    identifier_suffix: bytes

    @property
    def name(self) -> str:
        return self.identifier.rstrip(b"\x00 ").decode("latin-1")

    @property
    def udf_revision(self) -> int:
        """The UDF revision in a domain identifier's suffix (UDF 2.60 §2.1.5.3), e.g. 0x0201."""
        return u16le(self.identifier_suffix, 0)


_CHARSPEC = make_struct("<B63s", 64, "charspec")


@dataclass(frozen=True, slots=True)
class CharSpec(FixedStructure):
    """charspec (ECMA-167 1/7.2.1); UDF 2.60 §2.1.2 requires CS0 "OSTA Compressed Unicode"."""

    _S: ClassVar = _CHARSPEC
    character_set_type: int
    character_set_information: bytes


_TIMESTAMP = make_struct("<HhBBBBBBBB", 12, "timestamp")
TZ_UNSPECIFIED = -2047
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True, slots=True)
class Timestamp(FixedStructure):
    """timestamp (ECMA-167 1/7.3): type and time zone, then the date down to microseconds."""

    _S: ClassVar = _TIMESTAMP
    type_and_timezone: int
    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    centiseconds: int
    hundreds_of_microseconds: int
    microseconds: int

    @property
    def tz_minutes(self) -> int | None:
        """Offset from UTC in minutes (type 1, 1/7.3.1), None when unspecified or not local."""
        if self.type_and_timezone >> 12 != 1:
            return None
        tz = self.type_and_timezone & 0xFFF
        if tz & 0x800:
            tz -= 0x1000
        return None if tz == TZ_UNSPECIFIED or not -1440 <= tz <= 1440 else tz

    def to_datetime(self) -> dt.datetime | None:
        tz = self.tz_minutes
        try:
            return dt.datetime(self.year, self.month, self.day, self.hour, self.minute, self.second,
                               self.centiseconds * 10000 + self.hundreds_of_microseconds * 100
                               + self.microseconds,
                               tzinfo=dt.timezone(dt.timedelta(minutes=tz or 0)))
        except ValueError:
            return None

    def isoformat(self) -> str:
        when = self.to_datetime()
        return "" if when is None or self.year == 0 else when.isoformat()


@functools.lru_cache(maxsize=4096)  # the files of a disc share few distinct dates
def raw_timestamp_ns(raw: bytes) -> int:
    """A 12-byte timestamp (ECMA-167 1/7.3) as epoch nanoseconds; 0 when it is not a date."""
    when = Timestamp.parse(raw).to_datetime()
    if when is None:
        return 0
    return (when - _EPOCH) // dt.timedelta(microseconds=1) * 1000


def timestamp_ns(buf: bytes | memoryview, offset: int) -> int:
    """The timestamp at ``offset`` as epoch nanoseconds (fast path for file entries)."""
    check_length(buf, offset, 12, "timestamp")
    return raw_timestamp_ns(bytes(buf[offset:offset + 12]))


# ---- volume descriptors (ECMA-167 part 3) --------------------------------------------------
_AVDP = make_struct("<16s8s8s480s", 512, "anchor volume descriptor pointer")


@dataclass(frozen=True, slots=True)
class AnchorVolumeDescriptorPointer:
    """Anchor Volume Descriptor Pointer (ECMA-167 3/10.2): the main and reserve VDS extents."""

    main_vds: ExtentAd
    reserve_vds: ExtentAd

    @classmethod
    def parse(cls, buf: bytes | memoryview, offset: int = 0) -> AnchorVolumeDescriptorPointer:
        _tag, main, reserve, _ = parse_with(_AVDP, buf, offset, _AVDP.what)
        return cls(ExtentAd.parse(main), ExtentAd.parse(reserve))


_VDP = make_struct("<16sI8s", 28, "volume descriptor pointer")


def parse_vdp_next(buf: bytes | memoryview, offset: int = 0) -> ExtentAd:
    """Volume Descriptor Pointer (ECMA-167 3/10.3): the next extent of the sequence."""
    _tag, _vdsn, nxt = parse_with(_VDP, buf, offset, _VDP.what)
    return ExtentAd.parse(nxt)


_PVD = make_struct("<16sII32sHHHHII128s64s64s8s8s32s12s32s64sIH22s", 512,
                   "primary volume descriptor")


@dataclass(frozen=True, slots=True)
class PrimaryVolumeDescriptor:
    """Primary Volume Descriptor (ECMA-167 3/10.1)."""

    volume_descriptor_sequence_number: int
    volume_identifier: bytes             # dstring 32
    volume_set_identifier: bytes         # dstring 128
    application_identifier: EntityId
    recording_date_and_time: Timestamp
    implementation_identifier: EntityId

    @classmethod
    def parse(cls, buf: bytes | memoryview, offset: int = 0) -> PrimaryVolumeDescriptor:
        f = parse_with(_PVD, buf, offset, _PVD.what)
        return cls(f[1], f[3], f[10], EntityId.parse(f[15]), Timestamp.parse(f[16]), EntityId.parse(f[17]))


_PD = make_struct("<16sIHH32s128sIII32s128s156s", 512, "partition descriptor")
PD_ACCESS = {0: "unspecified", 1: "read-only", 2: "write-once", 3: "rewritable", 4: "overwritable"}


@dataclass(frozen=True, slots=True)
class PartitionDescriptor:
    """Partition Descriptor (ECMA-167 3/10.5): a partition's number, first block and length."""

    volume_descriptor_sequence_number: int
    partition_flags: int
    partition_number: int
    partition_contents: EntityId
    access_type: int
    partition_starting_location: int
    partition_length: int

    @classmethod
    def parse(cls, buf: bytes | memoryview, offset: int = 0) -> PartitionDescriptor:
        f = parse_with(_PD, buf, offset, _PD.what)
        return cls(f[1], f[2], f[3], EntityId.parse(f[4]), f[6], f[7], f[8])


_LVD = make_struct("<16sI64s128sI32s16sII32s128s8s", 440, "logical volume descriptor")


@dataclass(frozen=True, slots=True)
class LogicalVolumeDescriptor:
    """Logical Volume Descriptor (ECMA-167 3/10.6): block size, FSD location, partition maps."""

    volume_descriptor_sequence_number: int
    logical_volume_identifier: bytes     # dstring 128
    logical_block_size: int
    domain_identifier: EntityId
    logical_volume_contents_use: bytes   # long_ad of the File Set Descriptor (UDF 2.60 §2.2.4.1)
    map_table_length: int
    number_of_partition_maps: int
    implementation_identifier: EntityId
    integrity_sequence_extent: ExtentAd
    partition_maps: bytes

    MAX_MAP_TABLE: ClassVar = 64 * 64     # more maps than any writer uses; bounds the walk

    @classmethod
    def parse(cls, buf: bytes | memoryview, offset: int = 0) -> LogicalVolumeDescriptor:
        f = parse_with(_LVD, buf, offset, _LVD.what)
        table_len = f[7]
        if table_len > cls.MAX_MAP_TABLE:
            raise CorruptDataError(f"logical volume descriptor: partition map table of {table_len} bytes")
        check_length(buf, offset + 440, table_len, "logical volume descriptor partition maps")
        maps = bytes(buf[offset + 440:offset + 440 + table_len])
        return cls(f[1], f[3], f[4], EntityId.parse(f[5]), f[6], table_len, f[8],
                   EntityId.parse(f[9]), ExtentAd.parse(f[11]), maps)


# ---- partition maps (ECMA-167 3/10.7; UDF 2.60 §2.2.8-2.2.10) ------------------------------
_PMAP_HEADER = make_struct("<BB", 2, "partition map header")
_PMAP1 = make_struct("<BBHH", 6, "type 1 partition map")
_PMAP2 = make_struct("<BBH32s28s", 64, "type 2 partition map")
_VIRTUAL_USE = make_struct("<HH24s", 28, "virtual partition map")
_SPARABLE_USE = make_struct("<HHHBBI16s", 28, "sparable partition map")
_METADATA_USE = make_struct("<HHIIIIHB5s", 28, "metadata partition map")

UDF_VIRTUAL = "*UDF Virtual Partition"
UDF_SPARABLE = "*UDF Sparable Partition"
UDF_METADATA = "*UDF Metadata Partition"


@dataclass(frozen=True, slots=True)
class PartitionMapHeader(FixedStructure):
    """Partition map type and length, the first two bytes of every map (ECMA-167 3/10.7.1)."""

    _S: ClassVar = _PMAP_HEADER
    partition_map_type: int
    partition_map_length: int


@dataclass(frozen=True, slots=True)
class Type1PartitionMap(FixedStructure):
    """Type 1 Partition Map (ECMA-167 3/10.7.2): a partition by its number."""

    _S: ClassVar = _PMAP1
    partition_map_type: int
    partition_map_length: int
    volume_sequence_number: int
    partition_number: int


@dataclass(frozen=True, slots=True)
class Type2PartitionMap(FixedStructure):
    """Type 2 Partition Map (ECMA-167 3/10.7.3): an identifier saying what the 28 bytes mean."""

    _S: ClassVar = _PMAP2
    partition_map_type: int
    partition_map_length: int
    reserved: int
    partition_type_identifier_raw: bytes
    partition_mapping_use: bytes

    @property
    def partition_type_identifier(self) -> EntityId:
        return EntityId.parse(self.partition_type_identifier_raw)


@dataclass(frozen=True, slots=True)
class VirtualPartitionMap(FixedStructure):
    """Virtual Partition Map (UDF 2.60 §2.2.8): a VAT over a physical partition."""

    _S: ClassVar = _VIRTUAL_USE
    volume_sequence_number: int
    partition_number: int
    reserved: bytes


@dataclass(frozen=True, slots=True)
class SparablePartitionMap(FixedStructure):
    """Sparable Partition Map (UDF 2.60 §2.2.9): packet length and where the sparing tables are."""

    _S: ClassVar = _SPARABLE_USE
    volume_sequence_number: int
    partition_number: int
    packet_length: int
    number_of_sparing_tables: int
    reserved: int
    size_of_each_sparing_table: int
    locations_raw: bytes

    @property
    def locations_of_sparing_tables(self) -> list[int]:
        n = min(self.number_of_sparing_tables, 4)
        return [u32le(self.locations_raw, 4 * i) for i in range(n)]


@dataclass(frozen=True, slots=True)
class MetadataPartitionMap(FixedStructure):
    """Metadata Partition Map (UDF 2.60 §2.2.10): the metadata file, its mirror and bitmap."""

    _S: ClassVar = _METADATA_USE
    volume_sequence_number: int
    partition_number: int
    metadata_file_location: int
    metadata_mirror_file_location: int
    metadata_bitmap_file_location: int
    allocation_unit_size: int
    alignment_unit_size: int
    flags: int                             # bit 0: duplicate metadata flag
    reserved: bytes


# ---- sparing table, VAT (UDF 2.60 §2.2.11, §2.2.12) ----------------------------------------
_SPARING_HEAD = make_struct("<16s32sHHI", 56, "sparing table")
_SPARING_ENTRY = make_struct("<II", 8, "sparing map entry")
SPARING_AVAILABLE = 0xFFFFFFF0
SPARING_DEFECTIVE = 0xFFFFFFF1
UDF_SPARING_ID = "*UDF Sparing Table"


@dataclass(frozen=True, slots=True)
class SparingTable:
    """Sparing Table (UDF 2.60 §2.2.12): packets moved from their original to a spare place."""

    identifier: EntityId
    reallocation_table_length: int
    sequence_number: int
    entries: tuple[tuple[int, int], ...]   # (original location, mapped location), in use only

    MAX_ENTRIES: ClassVar = 65535

    @classmethod
    def parse(cls, buf: bytes | memoryview, offset: int = 0) -> SparingTable:
        _tag, ident, count, _r, seq = parse_with(_SPARING_HEAD, buf, offset, _SPARING_HEAD.what)
        check_length(buf, offset + 56, count * 8, "sparing table map entries")
        entries = []
        for i in range(count):
            orig, mapped = _SPARING_ENTRY.unpack_from(buf, offset + 56 + 8 * i)
            if orig < SPARING_AVAILABLE:
                entries.append((orig, mapped))
        return cls(EntityId.parse(ident), count, seq, tuple(entries))


_VAT200 = make_struct("<HH128sIIIHHHH", 152, "virtual allocation table header")
_VAT150_TRAILER = make_struct("<32sI", 36, "virtual allocation table 1.50 trailer")
UDF_VAT150_ID = "*UDF Virtual Alloc Tbl"


@dataclass(frozen=True, slots=True)
class VatHeader(FixedStructure):
    """Virtual Allocation Table header, UDF 2.00 and later (UDF 2.60 §2.2.11, file type 248)."""

    _S: ClassVar = _VAT200
    length_of_header: int
    length_of_implementation_use: int
    logical_volume_identifier: bytes
    previous_vat_icb_location: int
    number_of_files: int
    number_of_directories: int
    minimum_udf_read_revision: int
    minimum_udf_write_revision: int
    maximum_udf_write_revision: int
    reserved: int


@dataclass(frozen=True, slots=True)
class Vat150Trailer(FixedStructure):
    """The 36 bytes that end a UDF 1.50 VAT (UDF 1.50 §2.2.10): its regid, previous VAT ICB."""

    _S: ClassVar = _VAT150_TRAILER
    entity_identifier_raw: bytes
    previous_vat_icb_location: int

    @property
    def identifier(self) -> str:
        return EntityId.parse(self.entity_identifier_raw).name
