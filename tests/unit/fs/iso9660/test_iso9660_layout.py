"""fs/iso9660/layout.py: every structure parsed from bytes built from the specs, the length checks
that name the structure, and the two date forms of ECMA-119 (§9.1.5 and §8.4.26.1)."""

from __future__ import annotations

import calendar
import struct

import pytest

from builders import iso9660 as b
from mount_image.errors import CorruptDataError
from mount_image.fs.iso9660 import layout as L

T0 = b.DEFAULT_TIME                  # 2024-01-02 03:04:05 UTC
NS = 1_000_000_000


# ---- too-short buffers: one case per structure ---------------------------------------------

SHORT_CASES = [
    (L.VolumeDescriptorHeader.parse, bytes(6), 0, "Volume Descriptor header at offset 0x0"),
    (L.VolumeDescriptorHeader.parse, bytes(2050), 2044, "Volume Descriptor header at offset 0x7fc"),
    (L.VolumeDescriptor.parse, bytes(2047), 0, "Volume Descriptor at offset 0x0: needs 2048 bytes"),
    (L.VolumeDescriptor.parse, bytes(4096), 2049, "Volume Descriptor at offset 0x801"),
    (L.BootRecord.parse, bytes(100), 0, "Boot Record at offset 0x0: needs 2048 bytes, only 100"),
    (L.DirectoryRecord.parse, bytes(32), 0, "Directory Record at offset 0x0: needs 33 bytes"),
    (L.DirectoryRecord.parse, bytes(40), 10, "Directory Record at offset 0xa"),
    (L.ValidationEntry.parse, bytes(31), 0, "El Torito Validation Entry at offset 0x0"),
    (L.SectionEntry.parse, bytes(64), 40, "El Torito Section Entry at offset 0x28"),
    (L.SectionHeader.parse, bytes(20), 0, "El Torito Section Header at offset 0x0"),
    (L.ZisofsHeader.parse, bytes(15), 0, "zisofs header at offset 0x0: needs 16 bytes"),
]


@pytest.mark.parametrize(("parse", "buf", "offset", "fragment"), SHORT_CASES,
                         ids=[f"{c[3].split(' at ')[0]}@{c[2]}" for c in SHORT_CASES])
def test_too_short_buffer_names_the_structure(parse, buf: bytes, offset: int, fragment: str) -> None:
    with pytest.raises(CorruptDataError) as exc:
        parse(buf, offset)
    assert fragment in str(exc.value)


ENTRY_SHORT_CASES = [
    (L.ContinuationArea.parse, bytes(23), "SUSP CE entry"),
    (L.SharingProtocolIndicator.parse, b"\xbe\xef", "SUSP SP entry"),
    (L.ExtensionReference.parse, b"\x0a\x00\x00", "SUSP ER entry"),
    (L.ExtensionReference.parse, b"\x0a\x02\x02\x01" + b"RRIP_1991A" + b"x", "SUSP ER entry"),
    (L.PosixAttributes.parse, bytes(31), "RRIP PX entry"),
    (L.DeviceNumber.parse, bytes(15), "RRIP PN entry"),
    (L.ZisofsEntry.parse, b"pz\x04\x0f\x00", "RRIP ZF entry"),
]


@pytest.mark.parametrize(("parse", "data", "fragment"), ENTRY_SHORT_CASES,
                         ids=["CE", "SP", "ER-header", "ER-texts", "PX", "PN", "ZF"])
def test_too_short_susp_entry_names_the_entry(parse, data: bytes, fragment: str) -> None:
    with pytest.raises(CorruptDataError) as exc:
        parse(data)
    assert fragment in str(exc.value)


# ---- volume descriptors (ECMA-119 §8) ------------------------------------------------------

ROOT = b.dir_record(20, 2048, b"\0", b.DIRECTORY)


def test_volume_descriptor_header() -> None:
    h = L.VolumeDescriptorHeader.parse(b"\xffCD001\x01" + bytes(100))
    assert (h.type, h.standard_identifier, h.version) == (255, b"CD001", 1)


def test_primary_volume_descriptor_fields() -> None:
    raw = b.primary_descriptor(ROOT, 1234, (10, 18, 19), volume_id="MYVOL", system_id="LINUX")
    pvd = L.VolumeDescriptor.parse(b"\0" * 5 + raw, 5)
    assert pvd.type == L.VD_PRIMARY
    assert pvd.standard_identifier == L.STANDARD_ID
    assert pvd.version == 1
    assert pvd.system_identifier == b"LINUX".ljust(32)
    assert pvd.volume_identifier == b"MYVOL".ljust(32)
    assert pvd.volume_space_size == 1234
    assert pvd.volume_set_size == 1 and pvd.volume_sequence_number == 1
    assert pvd.logical_block_size == 2048
    assert pvd.path_table_size == 10
    assert pvd.location_of_type_l_path_table == 18
    assert pvd.location_of_optional_type_l_path_table == 0
    assert pvd.root_directory_record == ROOT
    assert pvd.volume_creation_date == b.dec_datetime(T0)
    assert pvd.volume_expiration_date == b.dec_datetime(None)
    assert pvd.file_structure_version == 1
    assert L.parse_dec_datetime(pvd.volume_creation_date) == T0 * NS


def test_both_endian_fields_are_read_from_the_little_endian_half() -> None:
    raw = bytearray(b.primary_descriptor(ROOT, 1234))
    raw[84:88] = struct.pack(">I", 999)            # big-endian half of the volume space size
    raw[130:132] = struct.pack(">H", 512)          # big-endian half of the logical block size
    pvd = L.VolumeDescriptor.parse(bytes(raw))
    assert pvd.volume_space_size == 1234
    assert pvd.logical_block_size == 2048


@pytest.mark.parametrize(("level", "escape"), [(1, b"%/@"), (2, b"%/C"), (3, b"%/E")])
def test_joliet_supplementary_descriptor(level: int, escape: bytes) -> None:
    svd = L.VolumeDescriptor.parse(b.primary_descriptor(ROOT, 10, volume_id="J", joliet_level=level))
    assert svd.type == L.VD_SUPPLEMENTARY
    assert svd.escape_sequences == escape.ljust(32, b"\0")
    assert L.JOLIET_ESCAPES[svd.escape_sequences[:3]] == level
    assert svd.volume_identifier == "J".encode("utf-16-be") + b"\0 " * 15


def test_boot_record() -> None:
    raw = (b"\x00CD001\x01" + L.BootRecord.EL_TORITO_ID.ljust(32, b"\0") + bytes(32)
           + struct.pack("<I", 33)).ljust(2048, b"\0")
    assert raw[0x47:0x4B] == struct.pack("<I", 33)             # El Torito 1.0 §2.0 offset 0x47
    br = L.BootRecord.parse(raw)
    assert br.type == L.VD_BOOT_RECORD
    assert br.boot_system_identifier.rstrip(b"\0") == L.BootRecord.EL_TORITO_ID
    assert br.boot_catalog_pointer == 33


# ---- directory records (ECMA-119 §9.1) ------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "su"),
    [(b"README.TXT;1", b""), (b"A.B;1", b""), (b"DOCS", b"NMxx"), (b"X", b"PX" + bytes(6)),
     (b"\0", b""), (b"\1", b"")],
    ids=["even-id", "odd-id", "even-id-su", "odd-id-su", "dot", "dotdot"],
)
def test_directory_record(name: bytes, su: bytes) -> None:
    raw = b.dir_record(123, 4567, name, b.DIRECTORY if name in (b"\0", b"\1") else 0, su)
    rec = L.DirectoryRecord.parse(b"\xff\xff" + raw + b"\xee", 2)
    assert rec.length_of_directory_record == len(raw)
    assert rec.extended_attribute_record_length == 0
    assert rec.location_of_extent == 123
    assert rec.data_length == 4567
    assert rec.recording_date == b.dir_datetime(T0)
    assert rec.recording_time_ns == T0 * NS
    assert rec.length_of_file_identifier == len(name)
    assert rec.file_identifier == name
    assert rec.volume_sequence_number == 1
    # The record may end with one padding byte after the System Use field (§9.1.13).
    assert rec.system_use.rstrip(b"\0") == su.rstrip(b"\0")


def test_directory_record_flags_and_le_half() -> None:
    raw = bytearray(b.dir_record(77, 88, b"F;1", b.HIDDEN | b.MULTI_EXTENT))
    raw[6:10] = b"\xde\xad\xbe\xef"            # big-endian half of the extent location
    raw[14:18] = b"\xde\xad\xbe\xef"           # big-endian half of the data length
    rec = L.DirectoryRecord.parse(bytes(raw))
    assert (rec.location_of_extent, rec.data_length) == (77, 88)
    assert rec.file_flags == L.FLAG_HIDDEN | L.FLAG_MULTI_EXTENT


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b.dir_record(1, 1, b"LONGNAME.TXT", length=40), "length 40 cannot hold a 12-byte identifier"),
        (b.dir_record(1, 1, b"A", su=b"x" * 20)[:40], "Directory Record at offset 0x0: needs 54 bytes, only 40"),
        (b.dir_record(1, 1, b"A", length=200), "needs 200 bytes"),
    ],
    ids=["length-below-identifier", "record-past-buffer", "length-byte-past-buffer"],
)
def test_malformed_directory_record(raw: bytes, fragment: str) -> None:
    with pytest.raises(CorruptDataError) as exc:
        L.DirectoryRecord.parse(raw)
    assert fragment in str(exc.value)


# ---- SUSP / RRIP / zisofs / El Torito structures ------------------------------------------

def _data(entry: bytes) -> bytes:
    return entry[4:entry[2]]


def test_susp_structures() -> None:
    ce = L.ContinuationArea.parse(_data(b.ce(40, 100, 300)))
    assert (ce.block_location, ce.offset, ce.length) == (40, 100, 300)
    sp = L.SharingProtocolIndicator.parse(_data(b.sp(7)))
    assert (sp.check_bytes, sp.len_skp) == (L.SharingProtocolIndicator.CHECK, 7)
    er = L.ExtensionReference.parse(_data(b.er_rrip("1.12")))
    assert er.ext_id == b"IEEE_P1282" and er.ext_id in L.RRIP_IDS
    assert er.ext_ver == 1
    assert er.ext_des.startswith(b"THE IEEE P1282") and er.ext_src.startswith(b"PLEASE CONTACT")


def test_rrip_structures() -> None:
    px = L.PosixAttributes.parse(_data(b.px(0o100644, 3, 1000, 100, serial=42)))
    assert (px.file_mode, px.links, px.user_id, px.group_id, px.serial_number) == (0o100644, 3, 1000, 100, 42)
    assert L.PosixAttributes.parse(_data(b.px(0o40755, 2))).serial_number is None
    pn = L.DeviceNumber.parse(_data(b.pn(8, 1)))
    assert (pn.dev_t_high, pn.dev_t_low) == (8, 1)
    zf = L.ZisofsEntry.parse(_data(b.zf(100000, 16)))
    assert (zf.algorithm, zf.header_size_div4, zf.log2_block_size, zf.uncompressed_size) == (b"pz", 4, 16, 100000)
    assert L.LOCATION.unpack_from(_data(b.cl(555)))[0] == 555


def test_zisofs_header() -> None:
    h = L.ZisofsHeader.parse(b.zisofs_header(123456, 17))
    assert h.magic == L.ZisofsHeader.MAGIC == b.ZISOFS_MAGIC
    assert (h.uncompressed_size, h.header_size_div4, h.log2_block_size) == (123456, 4, 17)


def test_el_torito_entries() -> None:
    validation = struct.pack("<BB2x24sH2s", 1, 0xEF, b"ID", 0x1234, b"\x55\xaa")
    v = L.ValidationEntry.parse(validation)
    assert (v.header_id, v.platform_id, v.checksum, v.key) == (1, 0xEF, 0x1234, b"\x55\xaa")
    assert v.id_string == b"ID".ljust(24, b"\0")
    entry = struct.pack("<BBHBxHI20s", 0x88, 2, 0x7C0, 6, 4, 99, b"")
    e = L.SectionEntry.parse(bytes(32) + entry, 32)
    assert (e.boot_indicator, e.boot_media_type, e.load_segment, e.system_type, e.sector_count,
            e.load_rba) == (0x88, 2, 0x7C0, 6, 4, 99)
    h = L.SectionHeader.parse(struct.pack("<BBH28s", 0x91, 0xEF, 3, b"UEFI"))
    assert (h.header_indicator, h.platform_id, h.section_entries) == (0x91, 0xEF, 3)


# ---- dates ---------------------------------------------------------------------------------

def _utc(*fields: int) -> int:
    """Epoch nanoseconds of a UTC date (year, month, day, hour, minute, second)."""
    return calendar.timegm((*fields, 0, 0, 0)) * NS


def _dir_date(year: int, month: int, day: int, hour: int, minute: int, second: int,
              quarters: int = 0) -> bytes:
    return bytes([year - 1900, month, day, hour, minute, second, quarters & 0xFF])


@pytest.mark.parametrize(
    ("raw", "ns"),
    [
        (_dir_date(2024, 1, 2, 3, 4, 5), T0 * NS),
        (_dir_date(2024, 1, 2, 4, 4, 5, +4), T0 * NS),            # UTC+1
        (_dir_date(2024, 1, 1, 22, 4, 5, -20), T0 * NS),          # UTC-5
        (_dir_date(2024, 1, 2, 16, 4, 5, +52), T0 * NS),          # UTC+13, the spec's limit
        (_dir_date(2024, 1, 1, 15, 4, 5, -48), T0 * NS),          # UTC-12, the spec's limit
        (_dir_date(2024, 1, 2, 3, 4, 5, 100), T0 * NS),           # out of range: read as GMT
        (_dir_date(1970, 1, 1, 0, 0, 0), 0),
        (_dir_date(1969, 12, 31, 23, 59, 59), -NS),
        (_dir_date(1900, 1, 1, 0, 0, 0), _utc(1900, 1, 1, 0, 0, 0)),
        (_dir_date(2155, 12, 31, 23, 59, 59), _utc(2155, 12, 31, 23, 59, 59)),
        (_dir_date(2024, 2, 29, 0, 0, 0), _utc(2024, 2, 29, 0, 0, 0)),
    ],
    ids=["gmt", "plus-1h", "minus-5h", "plus-13h", "minus-12h", "offset-out-of-range", "epoch",
         "before-epoch", "year-1900", "year-2155", "leap-day"],
)
def test_dir_datetime(raw: bytes, ns: int) -> None:
    assert L.parse_dir_datetime(raw) == ns
    assert L.dir_datetime(raw) == ns
    assert L.parse_dir_datetime(b"\xaa" * 3 + raw, 3) == ns


@pytest.mark.parametrize(
    "raw",
    [bytes(7), _dir_date(2024, 13, 1, 0, 0, 0), _dir_date(2024, 0, 5, 0, 0, 0),
     _dir_date(2024, 2, 30, 0, 0, 0), _dir_date(2023, 2, 29, 0, 0, 0),
     _dir_date(2024, 1, 32, 0, 0, 0), _dir_date(2024, 1, 1, 24, 0, 0),
     _dir_date(2024, 1, 1, 0, 60, 0), _dir_date(2024, 1, 1, 0, 0, 61)],
    ids=["unset", "month-13", "month-0", "feb-30", "feb-29-non-leap", "day-32", "hour-24",
         "minute-60", "second-61"],
)
def test_dir_datetime_unset_or_impossible_is_zero(raw: bytes) -> None:
    assert L.parse_dir_datetime(raw) == 0


def test_dir_datetime_too_short() -> None:
    with pytest.raises(CorruptDataError, match="directory record date at offset 0x2"):
        L.parse_dir_datetime(bytes(8), 2)


def _dec(text: str, quarters: int = 0) -> bytes:
    assert len(text) == 16
    return text.encode("ascii") + bytes([quarters & 0xFF])


@pytest.mark.parametrize(
    ("raw", "ns"),
    [
        (_dec("2024010203040500"), T0 * NS),
        (_dec("2024010203040525"), T0 * NS + 250_000_000),
        (_dec("2024010204040500", +4), T0 * NS),
        (_dec("2024010122040500", -20), T0 * NS),
        (_dec("2024010203040599", 127), T0 * NS + 990_000_000),     # out of range: GMT
        (_dec("1970010100000000"), 0),
        (_dec("0001010100000000"), _utc(1, 1, 1, 0, 0, 0)),
        (_dec("9999123123595900"), _utc(9999, 12, 31, 23, 59, 59)),
    ],
    ids=["gmt", "hundredths", "plus-1h", "minus-5h", "offset-out-of-range", "epoch", "year-1",
         "year-9999"],
)
def test_dec_datetime(raw: bytes, ns: int) -> None:
    assert L.parse_dec_datetime(raw) == ns
    assert L.dec_datetime(raw) == ns
    assert L.parse_dec_datetime(b"--" + raw, 2) == ns


@pytest.mark.parametrize(
    ("raw", "ns"),
    [
        (_dec("1969123123595950"), -500_000_000),                  # 1969-12-31 23:59:59.50 UTC
        (_dec("1960010100000050"), _utc(1960, 1, 1, 0, 0, 0) + 500_000_000),
    ],
    ids=["half-second-before-epoch", "1960-with-hundredths"],
)
def test_dec_datetime_before_the_epoch_with_hundredths(raw: bytes, ns: int) -> None:
    assert L.parse_dec_datetime(raw) == ns


@pytest.mark.parametrize(
    "raw",
    [_dec("0000000000000000"), _dec("0000000000000000", 4), b" " * 16 + b"\0", b"\0" * 17,
     _dec("2024130203040500"), _dec("2024023000000000"), _dec("0000010100000000"),
     _dec("20240102 3040500"), _dec("2024010225000000")],
    ids=["zeros", "zeros-with-offset", "spaces", "nuls", "month-13", "feb-30", "year-0",
         "space-in-digits", "hour-25"],
)
def test_dec_datetime_unset_or_impossible_is_zero(raw: bytes) -> None:
    assert L.parse_dec_datetime(raw) == 0


def test_dec_datetime_too_short() -> None:
    with pytest.raises(CorruptDataError, match="volume descriptor date at offset 0x0: needs 17"):
        L.parse_dec_datetime(b"2024010203040500")


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (_dec("2024010203040500"), "2024-01-02T03:04:05+00:00"),
        (_dec("2024010204040500", +4), "2024-01-02T04:04:05+01:00"),
        (_dec("2024010122040500", -20), "2024-01-01T22:04:05-05:00"),
        (_dec("2024010203040525"), "2024-01-02T03:04:05.250000+00:00"),
        (_dec("0000000000000000"), None),
        (_dec("2024990203040500"), None),
    ],
    ids=["gmt", "plus-1h", "minus-5h", "hundredths", "unset", "impossible"],
)
def test_format_dec_datetime(raw: bytes, text: str | None) -> None:
    assert L.format_dec_datetime(raw) == text
