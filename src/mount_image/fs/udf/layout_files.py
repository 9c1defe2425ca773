"""UDF file structure, declared once (ECMA-167 3rd edition part 4, OSTA UDF 2.60): file set
descriptor, ICB tag, file entry and extended file entry, allocation descriptors and their
extents, file identifier descriptors, extended attributes, path components. Part/section numbers
are ECMA-167's ("4/14.6" = part 4, §14.6). Layout code is pure: bytes in, object out. All fields
are little-endian.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...binary import FixedStructure, check_length, make_struct, parse_with
from .layout import EntityId, Tag, Timestamp, raw_timestamp_ns

# ---- file set (ECMA-167 4/14.1) ------------------------------------------------------------
_LONG_AD = make_struct("<IIH6s", 16, "long_ad")
_SHORT_AD = make_struct("<II", 8, "short_ad")
_EXT_AD = make_struct("<IIIIH2s", 20, "ext_ad")

EXTENT_RECORDED = 0                    # 4/14.14.1.1: recorded and allocated
EXTENT_NOT_RECORDED = 1                # allocated but not recorded: reads as zeros
EXTENT_NOT_ALLOCATED = 2               # neither: a hole, zeros
EXTENT_NEXT = 3                        # the next extent of allocation descriptors
EXTENT_LENGTH_MASK = 0x3FFFFFFF


# Not frozen, like base.Stat: built once per file listed, and a frozen dataclass sets each
# field through object.__setattr__ (measured: a third of a 100k-file listing). Treated as
# immutable all the same.
@dataclass(slots=True)
class LongAd(FixedStructure):
    """long_ad (ECMA-167 4/14.14.2): length (type in the top two bits), block and partition."""

    _S: ClassVar = _LONG_AD
    extent_length_raw: int
    logical_block_number: int
    partition_reference_number: int
    implementation_use: bytes

    @property
    def extent_type(self) -> int:
        return self.extent_length_raw >> 30

    @property
    def extent_length(self) -> int:
        return self.extent_length_raw & EXTENT_LENGTH_MASK


@dataclass(frozen=True, slots=True)
class ShortAd(FixedStructure):
    """short_ad (ECMA-167 4/14.14.1): length (type in the top two bits) and a block in the
    partition of the ICB that holds it."""

    _S: ClassVar = _SHORT_AD
    extent_length_raw: int
    extent_position: int


@dataclass(frozen=True, slots=True)
class ExtAd(FixedStructure):
    """ext_ad (ECMA-167 4/14.14.3): long_ad with recorded and information lengths."""

    _S: ClassVar = _EXT_AD
    extent_length_raw: int
    recorded_length: int
    information_length: int
    logical_block_number: int
    partition_reference_number: int
    implementation_use: bytes


_FSD = make_struct("<16s12sHHIIII64s128s64s32s32s32s16s32s16s16s32s", 512, "file set descriptor")


@dataclass(frozen=True, slots=True)
class FileSetDescriptor:
    """File Set Descriptor (ECMA-167 4/14.1): the root directory ICB and the file set names."""

    recording_date_and_time: Timestamp
    logical_volume_identifier: bytes     # dstring 128
    file_set_identifier: bytes           # dstring 32
    root_directory_icb: LongAd
    domain_identifier: EntityId
    next_extent: LongAd
    system_stream_directory_icb: LongAd

    @classmethod
    def parse(cls, buf: bytes | memoryview, offset: int = 0) -> FileSetDescriptor:
        f = parse_with(_FSD, buf, offset, _FSD.what)
        return cls(Timestamp.parse(f[1]), f[9], f[11], LongAd.parse(f[14]), EntityId.parse(f[15]),
                   LongAd.parse(f[16]), LongAd.parse(f[17]))


# ---- ICBs (ECMA-167 4/14.6 - 4/14.17) ------------------------------------------------------
_ICB_TAG = make_struct("<IHHHBB6sH", 20, "icb tag")

AD_SHORT = 0
AD_LONG = 1
AD_EXTENDED = 2
AD_IN_ICB = 3
ICB_FLAG_SETUID = 0x40
ICB_FLAG_SETGID = 0x80
ICB_FLAG_STICKY = 0x100

# File types (4/14.6.6; UDF 2.60 §2.3.5.2 adds 248-252).
FT_UNSPECIFIED = 0
FT_INDIRECT = 3
FT_DIRECTORY = 4
FT_FILE = 5
FT_BLOCK = 6
FT_CHAR = 7
FT_EA = 8
FT_FIFO = 9
FT_SOCKET = 10
FT_TERMINAL = 11
FT_SYMLINK = 12
FT_STREAM_DIRECTORY = 13
FT_VAT = 248
FT_REALTIME = 249
FT_METADATA = 250
FT_METADATA_MIRROR = 251
FT_METADATA_BITMAP = 252

STRATEGY_4 = 4
STRATEGY_4096 = 4096


# Not frozen, like base.Stat: built once per file listed, and a frozen dataclass sets each
# field through object.__setattr__ (measured: a third of a 100k-file listing). Treated as
# immutable all the same.
@dataclass(slots=True)
class IcbTag(FixedStructure):
    """ICB Tag (ECMA-167 4/14.6): strategy, file type and flags (allocation descriptor type)."""

    _S: ClassVar = _ICB_TAG
    prior_recorded_number_of_direct_entries: int
    strategy_type: int
    strategy_parameter: int
    maximum_number_of_entries: int
    reserved: int
    file_type: int
    parent_icb_location: bytes
    flags: int

    @property
    def ad_type(self) -> int:
        return self.flags & 7


_FE = make_struct("<16s20sIIIHBBIQQ12s12s12sI16s32sQII", 176, "file entry")
_EFE = make_struct("<16s20sIIIHBBIQQQ12s12s12s12sII16s16s32sQII", 216, "extended file entry")


# Not frozen, like base.Stat: built once per file listed, and a frozen dataclass sets each
# field through object.__setattr__ (measured: a third of a 100k-file listing). Treated as
# immutable all the same.
@dataclass(slots=True)
class FileEntry:
    """File Entry (ECMA-167 4/14.9) or Extended File Entry (4/14.17), the fields we use.

    ``ea_offset`` and ``ad_offset`` are where the extended attributes and the allocation
    descriptors (or the embedded data) start in the descriptor's block.
    """

    icb_tag: IcbTag
    uid: int
    gid: int
    permissions: int
    file_link_count: int
    information_length: int
    access_ns: int
    modification_ns: int
    attribute_ns: int
    creation_ns: int | None
    stream_directory_icb: LongAd | None
    unique_id: int
    length_of_extended_attributes: int
    length_of_allocation_descriptors: int
    ea_offset: int
    ad_offset: int
    extended: bool

    @classmethod
    def parse(cls, buf: bytes | memoryview, offset: int = 0, extended: bool = False) -> FileEntry:
        if extended:
            if offset < 0 or offset + 216 > len(buf):
                check_length(buf, offset, 216, _EFE.what)
            f = _EFE.unpack_from(buf, offset)
            (_tag, icb, uid, gid, perm, links, _rf, _rda, _rl, info, _obj, _lbr, atime, mtime, ctime,
             attr, _cp, _res, _eaicb, stream, _impl, uniq, l_ea, l_ad) = f
            head = 216
            creation = raw_timestamp_ns(ctime)
            stream_icb: LongAd | None = LongAd(*_LONG_AD.unpack(stream)) if any(stream) else None
        else:
            if offset < 0 or offset + 176 > len(buf):
                check_length(buf, offset, 176, _FE.what)
            f = _FE.unpack_from(buf, offset)
            (_tag, icb, uid, gid, perm, links, _rf, _rda, _rl, info, _lbr, atime, mtime, attr, _cp,
             _eaicb, _impl, uniq, l_ea, l_ad) = f
            head = 176
            creation = None
            stream_icb = None
        return cls(IcbTag(*_ICB_TAG.unpack(icb)), uid, gid, perm, links, info, raw_timestamp_ns(atime),
                   raw_timestamp_ns(mtime), raw_timestamp_ns(attr), creation, stream_icb, uniq, l_ea, l_ad, offset + head, offset + head + l_ea, extended)


_IE = make_struct("<16s20s16s", 52, "indirect entry")


def parse_indirect_entry(buf: bytes | memoryview, offset: int = 0) -> LongAd:
    """Indirect Entry (ECMA-167 4/14.7): where the ICB continues (strategy 4096)."""
    _tag, _icb, indirect = parse_with(_IE, buf, offset, _IE.what)
    return LongAd.parse(indirect)


_AED = make_struct("<16sII", 24, "allocation extent descriptor")


@dataclass(frozen=True, slots=True)
class AllocationExtentDescriptor(FixedStructure):
    """Allocation Extent Descriptor (ECMA-167 4/14.5): a continuation block of ADs."""

    _S: ClassVar = _AED
    SIZE: ClassVar = 24
    tag: bytes
    previous_allocation_extent_location: int
    length_of_allocation_descriptors: int


_FID = make_struct("<16sHBBIIH6sH", 38, "file identifier descriptor")
FID_HIDDEN = 0x01           # 4/14.4.3: "existence" bit
FID_DIRECTORY = 0x02
FID_DELETED = 0x04
FID_PARENT = 0x08
FID_METADATA = 0x10


# Not frozen, like base.Stat: built once per file listed, and a frozen dataclass sets each
# field through object.__setattr__ (measured: a third of a 100k-file listing). Treated as
# immutable all the same.
@dataclass(slots=True)
class FileIdentifierDescriptor:
    """File Identifier Descriptor (ECMA-167 4/14.4): one name in a directory and its ICB
    (a long_ad, 4/14.14.2, kept as its three fields: this runs once per file listed)."""

    file_characteristics: int
    icb_length: int                        # extent length of the ICB long_ad (0: no ICB)
    icb_lbn: int
    icb_ref: int
    file_identifier: bytes                 # d-characters, OSTA CS0
    size: int                              # the padded length: where the next FID starts

    @classmethod
    def parse(cls, buf: bytes | memoryview, offset: int = 0) -> FileIdentifierDescriptor:
        _tag, _ver, chars, l_fi, length, lbn, ref, _iu, l_iu = parse_with(_FID, buf, offset, _FID.what)
        name_at = offset + 38 + l_iu
        if name_at + l_fi > len(buf):
            check_length(buf, offset, 38 + l_iu + l_fi, "file identifier descriptor")
        return cls(chars, length & EXTENT_LENGTH_MASK, lbn, ref, bytes(buf[name_at:name_at + l_fi]),
                   (38 + l_iu + l_fi + 3) & ~3)


# ---- extended attributes (ECMA-167 4/14.10) and path components (4/14.16) ------------------
_EA_HEADER = make_struct("<16sII", 24, "extended attribute header descriptor")
_EA = make_struct("<IB3sI", 12, "extended attribute")
_DEVICE_SPEC = make_struct("<III", 12, "device specification")
EA_DEVICE_SPECIFICATION = 12


@dataclass(frozen=True, slots=True)
class ExtendedAttributeHeader(FixedStructure):
    """Extended Attribute Header Descriptor (ECMA-167 4/14.10.1)."""

    _S: ClassVar = _EA_HEADER
    tag: bytes
    implementation_attributes_location: int
    application_attributes_location: int


@dataclass(frozen=True, slots=True)
class ExtendedAttribute(FixedStructure):
    """Generic extended attribute header (ECMA-167 4/14.10.2): type, subtype, total length."""

    _S: ClassVar = _EA
    attribute_type: int
    attribute_subtype: int
    reserved: bytes
    attribute_length: int


@dataclass(frozen=True, slots=True)
class DeviceSpecification(FixedStructure):
    """Device Specification extended attribute body (ECMA-167 4/14.10.7): major and minor."""

    _S: ClassVar = _DEVICE_SPEC
    implementation_use_length: int
    major_device_identification: int
    minor_device_identification: int


_PATH_COMPONENT = make_struct("<BBH", 4, "path component")
PC_ROOT_ALIAS = 1            # 4/14.16.1.1: with no identifier, the root (UDF 2.60 §2.3.12)
PC_ROOT = 2
PC_PARENT = 3
PC_CURRENT = 4
PC_NAME = 5


@dataclass(frozen=True, slots=True)
class PathComponent(FixedStructure):
    """Path Component header (ECMA-167 4/14.16.1); the identifier follows."""

    _S: ClassVar = _PATH_COMPONENT
    component_type: int
    length_of_component_identifier: int
    component_file_version_number: int
