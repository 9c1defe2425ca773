"""Every ISO 9660 on-disk structure we read, declared once (ECMA-119 2nd edition, 1987).

Also the System Use Sharing Protocol (SUSP 1.12), Rock Ridge (RRIP 1.12), El Torito 1.0 and
zisofs structures, since they live inside ISO 9660 records and sectors; what El Torito boot
images hold (FAT boot sector, MBR); Apple's and Amiga's System Use entries; and the Apple
partition map / HFS / HFS+ headers a hybrid disc carries beside ISO 9660. Layout code is pure:
bytes in, object out. Both-endian fields are read from their little-endian half.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from ...binary import FixedStructure, check_length, make_struct, parse_with
from ...errors import CorruptDataError

SECTOR = 2048
FIRST_DESCRIPTOR_SECTOR = 16            # ECMA-119 §6.2.1: the system area is sectors 0-15
STANDARD_ID = b"CD001"

VD_BOOT_RECORD = 0
VD_PRIMARY = 1
VD_SUPPLEMENTARY = 2
VD_PARTITION = 3
VD_TERMINATOR = 255

# Directory record file flags (ECMA-119 §9.1.6).
FLAG_HIDDEN = 0x01          # "existence" bit
FLAG_DIRECTORY = 0x02
FLAG_ASSOCIATED = 0x04
FLAG_RECORD = 0x08
FLAG_PROTECTION = 0x10
FLAG_MULTI_EXTENT = 0x80

# Joliet escape sequences in the SVD (Joliet specification 1995, §2): UCS-2 levels 1-3.
JOLIET_ESCAPES = {b"%/@": 1, b"%/C": 2, b"%/E": 3}


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MICROSECOND = dt.timedelta(microseconds=1)


def _datetime_ns(year: int, month: int, day: int, hour: int, minute: int, second: int,
                 centi: int, gmt_offset_quarters: int) -> int:
    """Nanoseconds since the epoch, or 0 for an unset or impossible date (never raises)."""
    if gmt_offset_quarters > 127:
        gmt_offset_quarters -= 256
    if not -48 <= gmt_offset_quarters <= 52:
        gmt_offset_quarters = 0  # out of range: the spec's limit; read the time as GMT
    try:
        tz = dt.timezone(dt.timedelta(minutes=15 * gmt_offset_quarters))
        when = dt.datetime(year, month, day, hour, minute, second, centi * 10000, tzinfo=tz)
    except ValueError:
        return 0
    return (when - _EPOCH) // _MICROSECOND * 1000  # exact, also before 1970


_DIR_DATETIME = make_struct("<6Bb", 7, "directory record date")


def parse_dir_datetime(buf: bytes | memoryview, offset: int = 0) -> int:
    """Recording Date and Time of a directory record (ECMA-119 §9.1.5), as epoch nanoseconds."""
    check_length(buf, offset, _DIR_DATETIME.size, "directory record date")
    return dir_datetime(bytes(buf[offset:offset + 7]))


@functools.lru_cache(maxsize=4096)  # the files of a disc share few distinct dates
def dir_datetime(raw: bytes) -> int:
    """The same from exactly the 7 bytes (the fast path of Rock Ridge TF entries)."""
    y, mo, d, h, mi, s, off = _DIR_DATETIME.unpack(raw)
    if mo == 0 and d == 0:
        return 0
    return _datetime_ns(1900 + y, mo, d, h, mi, s, 0, off & 0xFF)


def parse_dec_datetime(buf: bytes | memoryview, offset: int = 0) -> int:
    """Digits date-time of a volume descriptor (ECMA-119 §8.4.26.1), as epoch nanoseconds; 0 unset."""
    check_length(buf, offset, 17, "volume descriptor date")
    return dec_datetime(bytes(buf[offset:offset + 17]))


@functools.lru_cache(maxsize=1024)
def dec_datetime(raw: bytes) -> int:
    """The same from exactly the 17 bytes."""
    digits = raw[:16]
    if not digits.isdigit() or digits == b"0" * 16:
        return 0
    n = [int(digits[a:b]) for a, b in ((0, 4), (4, 6), (6, 8), (8, 10), (10, 12), (12, 14), (14, 16))]
    return _datetime_ns(*n, raw[16])


def format_dec_datetime(buf: bytes | memoryview, offset: int = 0) -> str | None:
    """The same date as ISO 8601 text for ``info`` (None when unset)."""
    ns = parse_dec_datetime(buf, offset)
    if not ns:
        return None
    quarters = buf[offset + 16]
    quarters = quarters - 256 if quarters > 127 else quarters
    tz = dt.timezone(dt.timedelta(minutes=15 * quarters)) if -48 <= quarters <= 52 else dt.timezone.utc
    return dt.datetime.fromtimestamp(ns / 1e9, tz).isoformat()


@dataclass(frozen=True, slots=True)
class VolumeDescriptorHeader(FixedStructure):
    """Volume Descriptor header: type, standard identifier, version (ECMA-119 §8.1)."""

    type: int
    standard_identifier: bytes
    version: int

    SIZE = 7
    _S = make_struct("<B5sB", 7, "Volume Descriptor header")


@dataclass(frozen=True, slots=True)
class VolumeDescriptor(FixedStructure):
    """Primary (ECMA-119 §8.4) or Supplementary/Enhanced (ECMA-119 §8.5) Volume Descriptor.

    Both share one layout; in a primary descriptor ``volume_flags`` and ``escape_sequences``
    are unused bytes.
    """

    type: int
    standard_identifier: bytes
    version: int
    volume_flags: int
    system_identifier: bytes
    volume_identifier: bytes
    volume_space_size: int
    escape_sequences: bytes
    volume_set_size: int
    volume_sequence_number: int
    logical_block_size: int
    path_table_size: int
    location_of_type_l_path_table: int
    location_of_optional_type_l_path_table: int
    root_directory_record: bytes
    volume_set_identifier: bytes
    publisher_identifier: bytes
    data_preparer_identifier: bytes
    application_identifier: bytes
    copyright_file_identifier: bytes
    abstract_file_identifier: bytes
    bibliographic_file_identifier: bytes
    volume_creation_date: bytes
    volume_modification_date: bytes
    volume_expiration_date: bytes
    volume_effective_date: bytes
    file_structure_version: int

    SIZE = 2048
    _S = make_struct(
        "<B5sBB32s32s8xI4x32sH2xH2xH2xI4xII8x34s128s128s128s128s37s37s37s17s17s17s17sB1166x",
        2048, "Volume Descriptor")


@dataclass(frozen=True, slots=True)
class BootRecord(FixedStructure):
    """Boot Record volume descriptor (ECMA-119 §8.2) as El Torito 1.0 §2.0 fills it."""

    type: int
    standard_identifier: bytes
    version: int
    boot_system_identifier: bytes
    boot_identifier: bytes
    boot_catalog_pointer: int          # El Torito: absolute sector of the boot catalog

    SIZE = 2048
    _S = make_struct("<B5sB32s32sI1973x", 2048, "Boot Record")
    EL_TORITO_ID = b"EL TORITO SPECIFICATION"


@dataclass(slots=True)  # not frozen: its __init__ runs per file listed (see Stat)
class DirectoryRecord:
    """Directory Record (ECMA-119 §9.1); ``file_identifier`` and ``system_use`` follow the fixed part."""

    length_of_directory_record: int
    extended_attribute_record_length: int
    location_of_extent: int
    data_length: int
    recording_date: bytes
    file_flags: int
    file_unit_size: int
    interleave_gap_size: int
    volume_sequence_number: int
    length_of_file_identifier: int
    file_identifier: bytes
    system_use: bytes

    FIXED_SIZE = 33
    _S = make_struct("<BBI4xI4x7sBBBH2xB", 33, "Directory Record")

    @classmethod
    def parse(cls, buf: bytes | memoryview, offset: int = 0) -> DirectoryRecord:
        """Parse one record; its length must hold the fixed part and the identifier."""
        fields = parse_with(cls._S, buf, offset, "Directory Record")
        length, len_fi = fields[0], fields[-1]
        check_length(buf, offset, length, "Directory Record")
        ident_end = cls.FIXED_SIZE + len_fi
        if length < ident_end:
            raise CorruptDataError(
                f"Directory Record at offset {offset:#x}: length {length} cannot hold a "
                f"{len_fi}-byte identifier")
        # A padding byte follows an even-length identifier (§9.1.12).
        su_start = ident_end + (1 - len_fi % 2)
        ident = bytes(buf[offset + cls.FIXED_SIZE:offset + ident_end])
        system_use = bytes(buf[offset + su_start:offset + length]) if su_start < length else b""
        return cls(*fields, ident, system_use)

    @property
    def recording_time_ns(self) -> int:
        return dir_datetime(self.recording_date)


# ---- SUSP 1.12 and RRIP 1.12 ---------------------------------------------------------------

# System Use Entry header (SUSP 1.12 §4): signature (2 bytes), length (1, header included),
# version (1). susp.py reads these four bytes by hand: it is the hottest loop of a listing.
SUSP_ENTRY_HEADER_SIZE = 4


@dataclass(frozen=True, slots=True)
class ContinuationArea(FixedStructure):
    """CE entry: where the System Use area continues (SUSP 1.12 §5.1)."""

    block_location: int
    offset: int
    length: int

    _S = make_struct("<I4xI4xI4x", 24, "SUSP CE entry")


@dataclass(frozen=True, slots=True)
class SharingProtocolIndicator(FixedStructure):
    """SP entry: SUSP is in use and how many bytes to skip in each System Use area (SUSP 1.12 §5.3)."""

    check_bytes: bytes
    len_skp: int

    _S = make_struct("<2sB", 3, "SUSP SP entry")
    CHECK = b"\xbe\xef"


@dataclass(frozen=True, slots=True)
class ExtensionReference:
    """ER entry: which extension the SUSP entries belong to (SUSP 1.12 §5.5)."""

    ext_ver: int
    ext_id: bytes
    ext_des: bytes
    ext_src: bytes

    _S = make_struct("<BBBB", 4, "ER entry")

    @classmethod
    def parse(cls, data: bytes) -> ExtensionReference:
        len_id, len_des, len_src, ver = parse_with(cls._S, data, 0, "SUSP ER entry")
        check_length(data, 4, len_id + len_des + len_src, "SUSP ER entry")
        a, b = 4 + len_id, 4 + len_id + len_des
        return cls(ver, data[4:a], data[a:b], data[b:b + len_src])


RRIP_IDS = (b"RRIP_1991A", b"IEEE_P1282", b"IEEE_1282")


@dataclass(frozen=True, slots=True)
class PosixAttributes:
    """PX entry: mode, links, uid, gid and (RRIP 1.12 only) file serial number (RRIP 1.12 §4.1.1)."""

    file_mode: int
    links: int
    user_id: int
    group_id: int
    serial_number: int | None

    _S = make_struct("<I4xI4xI4xI4x", 32, "PX entry")
    _SERIAL = make_struct("<I4x", 8, "PX serial number")

    @classmethod
    def parse(cls, data: bytes) -> PosixAttributes:
        mode, links, uid, gid = parse_with(cls._S, data, 0, "RRIP PX entry")
        serial = cls._SERIAL.unpack_from(data, 32)[0] if len(data) >= 40 else None
        return cls(mode, links, uid, gid, serial)


@dataclass(frozen=True, slots=True)
class DeviceNumber(FixedStructure):
    """PN entry: device number of a block or character device (RRIP 1.12 §4.1.2)."""

    dev_t_high: int
    dev_t_low: int

    _S = make_struct("<I4xI4x", 16, "RRIP PN entry")


# SL component flags (RRIP 1.12 §4.1.3.1) and NM flags (§4.1.4).
SL_CONTINUE, SL_CURRENT, SL_PARENT, SL_ROOT = 0x01, 0x02, 0x04, 0x08
NM_CONTINUE, NM_CURRENT, NM_PARENT = 0x01, 0x02, 0x04

SL_COMPONENT = make_struct("<BB", 2, "SL component header")  # flags, length (RRIP 1.12 §4.1.3.1)

# TF flags (RRIP 1.12 §4.1.6): which timestamps follow, in this order; LONG_FORM = 17-byte dates.
TF_CREATION, TF_MODIFY, TF_ACCESS, TF_ATTRIBUTES = 0x01, 0x02, 0x04, 0x08
TF_BACKUP, TF_EXPIRATION, TF_EFFECTIVE, TF_LONG_FORM = 0x10, 0x20, 0x40, 0x80

LOCATION = make_struct("<I4x", 8, "CL/PL location")          # CL, PL (RRIP 1.12 §4.1.5.1-2)


@dataclass(frozen=True, slots=True)
class ZisofsEntry(FixedStructure):
    """ZF entry: a zisofs-compressed file (zisofs, as in the Linux kernel's fs/isofs/rock.c and mkzftree)."""

    algorithm: bytes
    header_size_div4: int
    log2_block_size: int
    uncompressed_size: int

    _S = make_struct("<2sBBI4x", 12, "RRIP ZF entry")


@dataclass(frozen=True, slots=True)
class ZisofsHeader(FixedStructure):
    """The 16-byte header at the start of a zisofs file's data (mkzftree format)."""

    magic: bytes
    uncompressed_size: int
    header_size_div4: int
    log2_block_size: int

    SIZE = 16
    MAGIC = b"\x37\xe4\x53\x96\xc9\xdb\xd6\x07"
    _S = make_struct("<8sIBB2x", 16, "zisofs header")


ZISOFS_POINTER = make_struct("<I", 4, "zisofs block pointer")


# ---- El Torito 1.0 --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ValidationEntry(FixedStructure):
    """Boot catalog Validation Entry (El Torito 1.0 §2.1)."""

    header_id: int
    platform_id: int
    id_string: bytes
    checksum: int
    key: bytes

    SIZE = 32
    _S = make_struct("<BB2x24sH2s", 32, "El Torito Validation Entry")


@dataclass(frozen=True, slots=True)
class SectionEntry(FixedStructure):
    """Initial/Default Entry (El Torito 1.0 §2.2) and Section Entry (§2.4): one bootable image."""

    boot_indicator: int
    boot_media_type: int
    load_segment: int
    system_type: int
    sector_count: int          # 512-byte virtual sectors to load
    load_rba: int
    selection_criteria: bytes

    SIZE = 32
    _S = make_struct("<BBHBxHI20s", 32, "El Torito Section Entry")


@dataclass(frozen=True, slots=True)
class SectionHeader(FixedStructure):
    """Section Header Entry (El Torito 1.0 §2.3): 0x90 more headers follow, 0x91 the last one."""

    header_indicator: int
    platform_id: int
    section_entries: int
    id_string: bytes

    SIZE = 32
    _S = make_struct("<BBH28s", 32, "El Torito Section Header")


@dataclass(frozen=True, slots=True)
class SectionEntryExtension(FixedStructure):
    """Section Entry Extension (El Torito 1.0 §2.5): more selection criteria for the entry before.

    Byte 1 bit 5 set: another extension follows.
    """

    extension_indicator: int
    flags: int
    selection_criteria: bytes

    SIZE = 32
    INDICATOR = 0x44
    MORE = 0x20
    _S = make_struct("<BB30s", 32, "El Torito Section Entry Extension")


# Section Entry byte 1 (El Torito 1.0 §2.4): bits 0-3 the emulation; bit 5 says an extension
# record follows (eltorito.py skips extensions whatever it says: writers forget to set it).
MEDIA_TYPE_MASK = 0x0F


@dataclass(frozen=True, slots=True)
class FatBootSector(FixedStructure):
    """The BIOS Parameter Block of a FAT boot sector (Microsoft "FAT: General Overview of
    On-Disk Format" 1.03, §3.1-3.2): read to size an EFI no-emulation image that is not a file
    of the ISO 9660 tree. The 0x55AA signature is at byte 510."""

    jump: bytes
    oem_name: bytes
    bytes_per_sector: int
    sectors_per_cluster: int
    reserved_sectors: int
    number_of_fats: int
    root_entries: int
    total_sectors_16: int
    media: int
    sectors_per_fat_16: int
    sectors_per_track: int
    number_of_heads: int
    hidden_sectors: int
    total_sectors_32: int

    SIZE = 36
    SIGNATURE_OFFSET = 510
    SIGNATURE = b"\x55\xaa"
    _S = make_struct("<3s8sHBHBHHBHHHII", 36, "FAT boot sector")


@dataclass(frozen=True, slots=True)
class MbrPartitionEntry(FixedStructure):
    """One of the four partition entries of a master boot record, at byte 446 + 16 n
    (El Torito 1.0 §3.3: a hard disk emulation image starts with an MBR holding one partition;
    the entry layout is the IBM PC one the spec refers to). CHS fields are kept raw."""

    boot_indicator: int
    chs_first: bytes
    partition_type: int
    chs_last: bytes
    lba_first: int
    sector_count: int

    SIZE = 16
    TABLE_OFFSET = 446
    _S = make_struct("<B3sB3sII", 16, "MBR partition entry")


# ---- Apple partition map, HFS and HFS+ (detected only: a hybrid disc says so in `info`) -------

@dataclass(frozen=True, slots=True)
class DriverDescriptorRecord(FixedStructure):
    """Block 0 of an Apple-partitioned disc (Inside Macintosh: Devices, "Driver Descriptor
    Record"): signature "ER", the block size of the partition map and the device's blocks."""

    sb_sig: bytes
    sb_blk_size: int
    sb_blk_count: int

    SIZE = 8
    SIGNATURE = b"ER"
    _S = make_struct(">2sHI", 8, "Apple Driver Descriptor Record")


@dataclass(frozen=True, slots=True)
class PartitionMapEntry(FixedStructure):
    """An Apple partition map entry, one per block from block 1 (Inside Macintosh: Devices,
    "Partition Map Entry"): signature "PM", entries in the map, start and size in blocks, name
    and type ("Apple_HFS", "Apple_partition_map", ...)."""

    pm_sig: bytes
    pm_map_blk_cnt: int
    pm_py_part_start: int
    pm_part_blk_cnt: int
    pm_part_name: bytes
    pm_par_type: bytes

    SIZE = 80
    SIGNATURE = b"PM"
    _S = make_struct(">2s2xIII32s32s", 80, "Apple Partition Map Entry")


@dataclass(frozen=True, slots=True)
class HfsMasterDirectoryBlock(FixedStructure):
    """The first fields of an HFS Master Directory Block, at byte 1024 of the volume (Inside
    Macintosh: Files, 2-60 "Master Directory Blocks"), up to the volume name; then, at byte
    0x7C of the block, drEmbedSigWord ("H+" when an HFS+ volume is wrapped inside)."""

    dr_sig_word: bytes
    dr_cr_date: int
    dr_ls_mod: int
    dr_atrb: int
    dr_nm_fls: int
    dr_vbm_st: int
    dr_alloc_ptr: int
    dr_nm_al_blks: int
    dr_al_blk_siz: int
    dr_clp_siz: int
    dr_al_bl_st: int
    dr_nxt_cnid: int
    dr_free_bks: int
    dr_vn: bytes                 # Pascal string: length byte, then up to 27 characters

    SIZE = 64
    OFFSET = 1024
    SIGNATURE = b"BD"
    EMBED_SIG_OFFSET = 0x7C
    _S = make_struct(">2sIIHHHHHIIHIH28s", 64, "HFS Master Directory Block")


@dataclass(frozen=True, slots=True)
class HfsPlusVolumeHeader(FixedStructure):
    """The first fields of an HFS+ / HFSX volume header, at byte 1024 of the volume (Apple
    Technical Note TN1150, "Volume Header"): signature "H+" or "HX", version 4 or 5."""

    signature: bytes
    version: int
    attributes: int
    last_mounted_version: bytes
    journal_info_block: int
    create_date: int
    modify_date: int
    backup_date: int
    checked_date: int
    file_count: int
    folder_count: int
    block_size: int
    total_blocks: int
    free_blocks: int

    SIZE = 52
    OFFSET = 1024
    SIGNATURES = {b"H+": "hfsplus", b"HX": "hfsx"}
    _S = make_struct(">2sHI4sIIIIIIIIII", 52, "HFS+ Volume Header")


# ---- Apple ISO 9660 extensions and Amiga "AS" ----------------------------------------------

@dataclass(frozen=True, slots=True)
class AppleHfsSystemUse(FixedStructure):
    """Apple's ISO 9660 extension, HFS form: "AA", length 14, system use id 2, then the Finder
    file type, creator and Finder flags, all big-endian (Apple, "ISO 9660 Macintosh
    extensions", as genisoimage -apple writes it). ProDOS (id 1) entries are not read."""

    signature: bytes
    length: int
    system_use_id: int
    file_type: bytes
    creator: bytes
    finder_flags: int

    SIZE = 14
    SIGNATURE = b"AA"
    ID_PRODOS, ID_HFS = 1, 2
    _S = make_struct(">2sBB4s4sH", 14, "Apple AA system use entry")


@dataclass(frozen=True, slots=True)
class AppleOldSystemUse(FixedStructure):
    """The older Apple form: "BA", system use id, no length byte; ids 2-5 carry type and creator
    (3 and 5 a bundle bit, 4 and 5 a 128-byte icon after them), id 6 type, creator and Finder
    flags (the same facts as Aaru's reader, whose ids these are)."""

    signature: bytes
    system_use_id: int
    file_type: bytes
    creator: bytes

    SIZE = 11
    SIGNATURE = b"BA"
    SIZES = {2: 11, 3: 11, 4: 139, 5: 139, 6: 13}
    ID_HFS = 6
    _S = make_struct(">2sB4s4s", 11, "Apple BA system use entry")


APPLE_FINDER_FLAGS = make_struct(">H", 2, "Apple Finder flags")

# Apple's FinderInfo as macOS and Netatalk store it (com.apple.FinderInfo, Inside Macintosh:
# Toolbox Essentials "FInfo" + "FXInfo"): type, creator, flags, location (v, h), folder, then
# 16 bytes of extended info (zero here).
FINDER_INFO = make_struct(">4s4sHhhH16x", 32, "Apple FinderInfo")


@dataclass(frozen=True, slots=True)
class AmigaProtection(FixedStructure):
    """The 4 protection bytes of an "AS" entry (Rock Ridge Amiga Specific, makecd 2.4,
    1996): the AmigaDOS 32-bit protection value, most significant byte first: user flags,
    reserved, multi-user (group/other), and owner HSPARWED (RWED set = denied)."""

    user: int
    reserved: int
    multiuser: int
    protection: int

    SIZE = 4
    _S = make_struct(">BBBB", 4, "Amiga AS protection")


# "AS" flags (Rock Ridge Amiga Specific): protection present, comment present, the comment
# continues in the next AS entry. The comment field is LEN_COMMENT (itself included) + text.
AS_PROTECTION, AS_COMMENT, AS_COMMENT_CONTINUE = 0x01, 0x02, 0x04


# ---- CD-ROM XA --------------------------------------------------------------------------------

# XA attribute bits (CD-ROM XA "System Use" of a directory record; libcdio include/cdio/xa.h
# XA_ATTR_*): the form of the file's sectors, then CD-DA and directory.
XA_ATTR_MODE2FORM1 = 0x0800
XA_ATTR_MODE2FORM2 = 0x1000
XA_ATTR_INTERLEAVED = 0x2000
XA_ATTR_CDDA = 0x4000
XA_ATTR_DIRECTORY = 0x8000


@dataclass(frozen=True, slots=True)
class XaSystemUse(FixedStructure):
    """The 14-byte CD-ROM XA System Use entry after a directory record's identifier padding.

    Field order as libcdio's ``iso9660_xa_t`` (include/cdio/xa.h, "Note structure is
    big-endian"): group id (2), user id (2), attributes (2), signature "XA", file number (1),
    reserved (5). Windows' CDFS (Windows-driver-samples filesys/cdfs) copies the attributes and
    the file number from it into the RIFF header of xa.py; ``raw_attributes`` gives the two
    attribute bytes as stored.
    """

    group_id: int
    user_id: int
    attributes: int
    signature: bytes
    file_number: int

    SIZE = 14
    SIGNATURE = b"XA"
    _S = make_struct(">HHH2sB5x", 14, "CD-ROM XA system use")

    @property
    def raw_attributes(self) -> bytes:
        return self.attributes.to_bytes(2, "big")

    @property
    def is_form2(self) -> bool:
        """Form 2 or interleaved sectors: the file reads as raw sectors (RIFF CDXA)."""
        return bool(self.attributes & (XA_ATTR_MODE2FORM2 | XA_ATTR_INTERLEAVED))


# The 44-byte RIFF "CDXA" header Windows' CDFS puts before the raw sectors of a Form 2 file
# (Windows-driver-samples filesys/cdfs: RIFF_HEADER in cdstruc.h, CdXAFileHeader in cddata.c):
# "RIFF", size - 8, "CDXA", "fmt ", 16, owner id (4), attributes (2, as stored), "XA",
# file number, reserved (7), "data", size - 44. All little-endian; see xa.py.
CDXA_RIFF_HEADER = make_struct("<4sI4s4sI4s2s2sB7s4sI", 44, "RIFF CDXA header")
