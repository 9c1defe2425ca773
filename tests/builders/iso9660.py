"""Test-side ISO 9660 image builder, written from the specs and independent of ``mount_image``.

Specs: ECMA-119 2nd edition (1987) §8.3 terminator, §8.4 PVD, §8.5 SVD, §9.1 directory record,
§9.4 path table; SUSP 1.12 (SP, CE, ST, ER); RRIP 1.12 (PX, PN, SL, NM, CL, PL, RE, TF); Joliet
(SVD escape sequences, UCS-2 names); zisofs as written by mkzftree (ZF entry, 16-byte header,
block pointer table, one zlib stream per block).

Everything is explicit so tests can build broken images as easily as valid ones: the builder
hands out sector addresses as soon as something is added (``alloc``), directory records are plain
bytes (``dir_record`` takes any extent, size, flags, name and System Use bytes, even a wrong
length), and ``put`` writes any bytes at any sector (CE areas, loops, garbage).

    iso = IsoBuilder(rock_ridge=True)
    docs = iso.mkdir(iso.root, "DOCS", su=rr("docs", 0o40755))
    iso.add_file(docs, "A.TXT;1", b"hello", su=rr("a.txt"))
    image = iso.build()
"""

from __future__ import annotations

import struct
import time
import zlib
from typing import Sequence

SECTOR = 2048
FIRST_DESCRIPTOR = 16                       # ECMA-119 §6.2.1: sectors 0-15 are the system area

# File flags of a directory record (ECMA-119 §9.1.6).
HIDDEN, DIRECTORY, ASSOCIATED, RECORD, PROTECTION, MULTI_EXTENT = 0x01, 0x02, 0x04, 0x08, 0x10, 0x80

# Volume descriptor types (ECMA-119 §8.1.1).
VD_BOOT, VD_PRIMARY, VD_SUPPLEMENTARY, VD_PARTITION, VD_TERMINATOR = 0, 1, 2, 3, 255

# SL component flags (RRIP 1.12 §4.1.3.1), NM flags (§4.1.4), TF flags (§4.1.6).
SL_CONTINUE, SL_CURRENT, SL_PARENT, SL_ROOT = 0x01, 0x02, 0x04, 0x08
NM_CONTINUE, NM_CURRENT, NM_PARENT = 0x01, 0x02, 0x04
TF_CREATION, TF_MODIFY, TF_ACCESS, TF_ATTRIBUTES = 0x01, 0x02, 0x04, 0x08
TF_LONG_FORM = 0x80

ZISOFS_MAGIC = bytes.fromhex("37E45396C9DBD607")
DEFAULT_TIME = 1704164645                   # 2024-01-02 03:04:05 UTC: reproducible images


def both16(n: int) -> bytes:
    """A both-byte-order 16-bit number (ECMA-119 §7.2.3)."""
    return struct.pack("<H", n) + struct.pack(">H", n)


def both32(n: int) -> bytes:
    """A both-byte-order 32-bit number (ECMA-119 §7.3.3)."""
    return struct.pack("<I", n) + struct.pack(">I", n)


def _text(value: str | bytes, encoding: str = "ascii") -> bytes:
    return value.encode(encoding) if isinstance(value, str) else value


def _pad(value: bytes, size: int, fill: bytes = b" ") -> bytes:
    if len(value) > size:
        raise ValueError(f"{value!r} is longer than {size} bytes")
    return value + (fill * size)[:size - len(value)]


def dir_datetime(when: int = DEFAULT_TIME, gmt_offset_quarters: int = 0) -> bytes:
    """Recording Date and Time, 7 bytes (ECMA-119 §9.1.5), from Unix seconds (UTC)."""
    t = time.gmtime(when)
    return bytes([t.tm_year - 1900, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                  gmt_offset_quarters & 0xFF])


def dec_datetime(when: int | None = DEFAULT_TIME) -> bytes:
    """Volume descriptor date, 16 digits + GMT offset (ECMA-119 §8.4.26.1); None = unset."""
    if when is None:
        return b"0" * 16 + b"\0"
    return time.strftime("%Y%m%d%H%M%S00", time.gmtime(when)).encode() + b"\0"


# ---- directory records and volume descriptors (ECMA-119) -------------------------------------

def dir_record(extent: int, size: int, name: str | bytes = b"\0", flags: int = 0,
               su: bytes = b"", *, when: int = DEFAULT_TIME, ext_attr_length: int = 0,
               unit_size: int = 0, gap: int = 0, volume_sequence: int = 1,
               length: int | None = None) -> bytes:
    """A Directory Record (ECMA-119 §9.1). ``name`` b"\\0" is ".", b"\\1" is "..".

    The System Use field ``su`` gets a padding byte when it would leave the record odd-sized
    (§9.1.1 and SUSP 1.12 §4); ``length`` forces the LEN_DR byte (for broken records).
    """
    ident = _text(name)
    record = (bytes([0, ext_attr_length]) + both32(extent) + both32(size) + dir_datetime(when)
              + bytes([flags, unit_size, gap]) + both16(volume_sequence) + bytes([len(ident)])
              + ident + (b"\0" if len(ident) % 2 == 0 else b"") + su)
    if length is None:
        record += b"\0" * (len(record) % 2)
        if len(record) > 255:
            raise ValueError(f"directory record of {len(record)} bytes: move entries to a CE area")
        length = len(record)
    return bytes([length & 0xFF]) + record[1:]


def volume_descriptor(vd_type: int, body: bytes = b"", version: int = 1) -> bytes:
    """One 2048-byte volume descriptor: type, "CD001", version, then ``body`` (ECMA-119 §8.1)."""
    return _pad(bytes([vd_type]) + b"CD001" + bytes([version]) + body, SECTOR, b"\0")


def terminator() -> bytes:
    """Volume Descriptor Set Terminator (ECMA-119 §8.3)."""
    return volume_descriptor(VD_TERMINATOR)


def primary_descriptor(root: bytes, volume_space_size: int, path_table: tuple[int, int, int]
                       = (0, 0, 0), *, volume_id: str = "TEST", system_id: str = "LINUX",
                       joliet_level: int = 0, block_size: int = SECTOR,
                       when: int | None = DEFAULT_TIME) -> bytes:
    """Primary (ECMA-119 §8.4) or, with ``joliet_level``, Joliet Supplementary (§8.5) descriptor.

    ``root`` is the 34-byte root directory record; ``path_table`` is (size, L location,
    M location). Joliet identifiers are UCS-2 big-endian, escape sequence %/@, %/C or %/E.
    """
    enc, fill = ("utf-16-be", b"\0 ") if joliet_level else ("ascii", b" ")

    def ident(value: str, size: int) -> bytes:
        return _pad(value.encode(enc), size, fill)

    escapes = {0: b"", 1: b"%/@", 2: b"%/C", 3: b"%/E"}[joliet_level]
    size, l_table, m_table = path_table
    dates = dec_datetime(when) * 2 + dec_datetime(None) + dec_datetime(when)
    body = (b"\0" + ident(system_id, 32) + ident(volume_id, 32) + b"\0" * 8
            + both32(volume_space_size) + _pad(escapes, 32, b"\0") + both16(1) + both16(1)
            + both16(block_size) + both32(size) + struct.pack("<II", l_table, 0)
            + struct.pack(">II", m_table, 0) + _pad(root, 34, b"\0")
            + ident("", 128) * 4 + ident("", 37) * 3 + dates + b"\1\0")
    assert len(body) == 883 - 7, len(body)          # BP 8 to 883 (ECMA-119 §8.4.31-32)
    return volume_descriptor(VD_SUPPLEMENTARY if joliet_level else VD_PRIMARY, body)


def path_table(rows: list[tuple[bytes, int, int]], big_endian: bool) -> bytes:
    """Path Table (ECMA-119 §9.4) from (identifier, extent, parent number) rows, L or M type."""
    order = ">" if big_endian else "<"
    out = b""
    for ident, extent, parent in rows:
        out += (bytes([len(ident), 0]) + struct.pack(order + "IH", extent, parent) + ident
                + b"\0" * (len(ident) % 2))
    return out


# ---- SUSP 1.12 ------------------------------------------------------------------------------

def susp_entry(sig: str | bytes, data: bytes = b"", version: int = 1,
               length: int | None = None) -> bytes:
    """System Use Entry: signature, LEN, version, data (SUSP 1.12 §4); ``length`` forces LEN."""
    sig = _text(sig)
    return sig + bytes([(4 + len(data) if length is None else length) & 0xFF, version]) + data


def sp(len_skp: int = 0) -> bytes:
    """SP: SUSP in use, check bytes BE EF, bytes to skip (SUSP 1.12 §5.3)."""
    return susp_entry("SP", b"\xbe\xef" + bytes([len_skp]))


def ce(lba: int, offset: int, length: int) -> bytes:
    """CE: the System Use area continues at block ``lba``, ``offset``, ``length`` (SUSP §5.1)."""
    return susp_entry("CE", both32(lba) + both32(offset) + both32(length))


def st() -> bytes:
    """ST: end of the System Use entries (SUSP 1.12 §5.4)."""
    return susp_entry("ST")


def pd(length: int = 4) -> bytes:
    """PD: padding (SUSP 1.12 §5.2)."""
    return susp_entry("PD", b"\0" * (length - 4))


def er(ext_id: bytes, ext_des: bytes, ext_src: bytes, ext_ver: int = 1) -> bytes:
    """ER: extension reference (SUSP 1.12 §5.5)."""
    return susp_entry("ER", bytes([len(ext_id), len(ext_des), len(ext_src), ext_ver])
                      + ext_id + ext_des + ext_src)


def er_rrip(version: str = "1.10") -> bytes:
    """The ER entry Rock Ridge writes: RRIP 1.12 (IEEE_P1282) or 1.09/1.10 (RRIP_1991A)."""
    if version == "1.12":
        return er(b"IEEE_P1282",
                  b"THE IEEE P1282 PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS",
                  b"PLEASE CONTACT THE IEEE STANDARDS DEPARTMENT, PISCATAWAY, NJ, USA FOR THE "
                  b"P1282 SPECIFICATION")
    return er(b"RRIP_1991A",
              b"THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM "
              b"SEMANTICS",
              b"PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER "
              b"IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.")


# ---- RRIP 1.12 and zisofs entries -------------------------------------------------------------

def px(mode: int = 0o100444, nlink: int = 1, uid: int = 0, gid: int = 0,
       serial: int | None = None) -> bytes:
    """PX: POSIX attributes (RRIP 1.12 §4.1.1): 44 bytes with a file ``serial`` number, else the
    36-byte RRIP 1.10 form (readers treat equal serials as hard links, so give distinct ones)."""
    data = both32(mode) + both32(nlink) + both32(uid) + both32(gid)
    return susp_entry("PX", data + (b"" if serial is None else both32(serial)))


def pn(high: int, low: int) -> bytes:
    """PN: device number (RRIP 1.12 §4.1.2)."""
    return susp_entry("PN", both32(high) + both32(low))


def sl_components(components: list[tuple[int, bytes]], flags: int = 0) -> bytes:
    """SL from raw (component flags, content) pairs (RRIP 1.12 §4.1.3)."""
    body = b"".join(bytes([f, len(c)]) + c for f, c in components)
    return susp_entry("SL", bytes([flags]) + body)


def sl(target: str) -> bytes:
    """SL: a symbolic link to ``target`` ("/" -> ROOT, "." -> CURRENT, ".." -> PARENT)."""
    parts: list[tuple[int, bytes]] = [(SL_ROOT, b"")] if target.startswith("/") else []
    special = {".": SL_CURRENT, "..": SL_PARENT}
    for part in target.strip("/").split("/") if target.strip("/") else []:
        parts.append((special[part], b"") if part in special else (0, part.encode()))
    return sl_components(parts)


def nm(name: str | bytes, flags: int = 0) -> bytes:
    """NM: alternate (POSIX) name (RRIP 1.12 §4.1.4)."""
    return susp_entry("NM", bytes([flags]) + _text(name, "utf-8"))


def cl(lba: int) -> bytes:
    """CL: where a relocated child directory really is (RRIP 1.12 §4.1.5.1)."""
    return susp_entry("CL", both32(lba))


def pl(lba: int) -> bytes:
    """PL: the real parent of a relocated directory, in its ".." record (RRIP 1.12 §4.1.5.2)."""
    return susp_entry("PL", both32(lba))


def re() -> bytes:
    """RE: this directory record is a relocated directory (RRIP 1.12 §4.1.5.3)."""
    return susp_entry("RE")


def tf(modify: int | None = DEFAULT_TIME, access: int | None = DEFAULT_TIME,
       attributes: int | None = DEFAULT_TIME, creation: int | None = None,
       long_form: bool = False) -> bytes:
    """TF: time stamps in the order creation, modify, access, attributes (RRIP 1.12 §4.1.6)."""
    flags, body = TF_LONG_FORM if long_form else 0, b""
    for bit, when in ((TF_CREATION, creation), (TF_MODIFY, modify), (TF_ACCESS, access),
                      (TF_ATTRIBUTES, attributes)):
        if when is not None:
            flags |= bit
            body += dec_datetime(when) if long_form else dir_datetime(when)
    return susp_entry("TF", bytes([flags]) + body)


def rr(name: str, mode: int = 0o100444, nlink: int = 1, when: int = DEFAULT_TIME,
       serial: int | None = None) -> bytes:
    """The usual Rock Ridge System Use of one record: PX, TF, NM."""
    return px(mode, nlink, serial=serial) + tf(when, when, when) + nm(name)


def zf(size: int, log2_block: int = 15, algorithm: bytes = b"pz", header_div4: int = 4) -> bytes:
    """ZF: the file is zisofs-compressed; ``size`` is the uncompressed size (as mkzftree writes)."""
    return susp_entry("ZF", algorithm + bytes([header_div4, log2_block]) + both32(size))


def zisofs_header(size: int, log2_block: int = 15, header_div4: int = 4) -> bytes:
    """The 16-byte zisofs file header: magic, size (LE 32), header size / 4, log2 block size."""
    return ZISOFS_MAGIC + struct.pack("<IBB2x", size, header_div4, log2_block)


def zisofs_compress(data: bytes, log2_block: int = 15, empty_zero_blocks: bool = False) -> bytes:
    """A zisofs file: header, (blocks + 1) LE 32-bit pointers, one zlib stream per block.

    With ``empty_zero_blocks`` an all-zero block is stored as a zero-length block.
    """
    bs = 1 << log2_block
    chunks = [data[i:i + bs] for i in range(0, len(data), bs)]
    blocks = [b"" if empty_zero_blocks and not c.strip(b"\0") else zlib.compress(c, 9)
              for c in chunks]
    pointer = 16 + 4 * (len(blocks) + 1)
    pointers = [pointer]
    for block in blocks:
        pointer += len(block)
        pointers.append(pointer)
    return (zisofs_header(len(data), log2_block) + struct.pack(f"<{len(pointers)}I", *pointers)
            + b"".join(blocks))


def joliet_name(name: str, version: bool = True) -> bytes:
    """A Joliet identifier: UCS-2 big-endian, files with ";1"."""
    return (name + (";1" if version else "")).encode("utf-16-be")


# ---- the image -----------------------------------------------------------------------------

class Dir:
    """A directory the builder lays out; ``records`` (bytes) are packed after "." and ".."."""

    def __init__(self, lba: int, sectors: int, parent: Dir | None, ident: bytes) -> None:
        self.lba, self.sectors, self.ident = lba, sectors, ident
        self.parent = parent or self
        self.records: list[bytes] = []
        self.subdirs: list[Dir] = []
        self.dot_su = b""               # System Use of "." (SP and ER live here at the root)
        self.dotdot_su = b""

    @property
    def size(self) -> int:
        return self.sectors * SECTOR

    def add(self, record: bytes) -> None:
        self.records.append(record)

    def render(self) -> bytes:
        """Records in order; one that does not fit the sector's rest starts the next (§6.8.1.1)."""
        out = bytearray()
        dots = [dir_record(self.lba, self.size, b"\0", DIRECTORY, self.dot_su),
                dir_record(self.parent.lba, self.parent.size, b"\1", DIRECTORY, self.dotdot_su)]
        for record in dots + self.records:
            room = SECTOR - len(out) % SECTOR
            if len(record) > room:
                out += b"\0" * room
            out += record
        if len(out) > self.size:
            raise ValueError(f"directory {self.ident!r} needs {-(-len(out) // SECTOR)} sectors")
        return bytes(out)


class IsoBuilder:
    """Lays out an image sector by sector: descriptors at 16, then whatever is added, in order."""

    def __init__(self, *, rock_ridge: bool = False, joliet: bool = False, volume_id: str = "TEST",
                 extra_descriptors: Sequence[bytes] = (), terminator: bool = True,
                 root_sectors: int = 1) -> None:
        self.volume_id, self.rock_ridge = volume_id, rock_ridge
        self.extra_descriptors, self.with_terminator = list(extra_descriptors), terminator
        self.data = bytearray()
        self.next_lba = (FIRST_DESCRIPTOR + 1 + joliet + len(self.extra_descriptors)
                         + terminator)
        self.root = self._new_dir(None, b"\0", root_sectors)
        self.joliet_root = self._new_dir(None, b"\0", root_sectors) if joliet else None
        if rock_ridge:
            er_lba = self.put(self.alloc(SECTOR), er_rrip())
            self.root.dot_su = sp() + px(0o40755, 2) + ce(er_lba, 0, len(er_rrip()))
            self.root.dotdot_su = px(0o40755, 2)

    def alloc(self, nbytes: int) -> int:
        """Reserve whole sectors for ``nbytes`` and return the first one's LBA."""
        lba = self.next_lba
        self.next_lba += -(-nbytes // SECTOR)
        return lba

    def put(self, lba: int, data: bytes, offset: int = 0) -> int:
        """Write ``data`` at sector ``lba`` + ``offset``, anywhere (the image grows as needed)."""
        start = lba * SECTOR + offset
        if len(self.data) < start + len(data):
            self.data += b"\0" * (start + len(data) - len(self.data))
        self.data[start:start + len(data)] = data
        return lba

    def _new_dir(self, parent: Dir | None, ident: bytes, sectors: int) -> Dir:
        d = Dir(self.alloc(sectors * SECTOR), sectors, parent, ident)
        if parent is not None:
            parent.subdirs.append(d)
        return d

    def mkdir(self, parent: Dir, name: str | bytes, *, su: bytes = b"", sectors: int = 1,
              flags: int = DIRECTORY) -> Dir:
        """A subdirectory with its own extent, its record in ``parent`` and a path table row."""
        d = self._new_dir(parent, _text(name), sectors)
        parent.add(dir_record(d.lba, d.size, name, flags, su))
        if self.rock_ridge and not self._in_joliet(parent):
            d.dot_su, d.dotdot_su = px(0o40755, 2), px(0o40755, 2)
        return d

    def _in_joliet(self, d: Dir) -> bool:
        while d.parent is not d:
            d = d.parent
        return d is self.joliet_root

    def add_file(self, parent: Dir, name: str | bytes, data: bytes = b"", *, su: bytes = b"",
                 flags: int = 0, size: int | None = None) -> int:
        """Store ``data`` in fresh sectors and add its record (``size`` overrides the length)."""
        lba = self.put(self.alloc(len(data)), data) if data else self.next_lba
        parent.add(dir_record(lba, len(data) if size is None else size, name, flags, su))
        return lba

    def _path_table(self, root: Dir) -> list[tuple[bytes, int, int]]:
        """Rows in ECMA-119 §6.9.1 order: by level, parent number, identifier."""
        rows, level, number = [(b"\0", root.lba, 1)], [(root, 1)], 1
        while level:
            below = []
            for d, num in level:
                for child in sorted(d.subdirs, key=lambda c: c.ident):
                    number += 1
                    rows.append((child.ident, child.lba, num))
                    below.append((child, number))
            level = below
        return rows

    def build(self, *, volume_space_size: int | None = None, root_record: bytes | None = None
              ) -> bytes:
        """The image bytes. ``root_record`` replaces the PVD's root directory record."""
        img = bytearray(self.data)
        lba = max(self.next_lba, -(-len(img) // SECTOR))     # path tables go after everything
        trees = [(self.root, 0)] + ([(self.joliet_root, 3)] if self.joliet_root else [])
        descriptors = []
        for root, joliet_level in trees:
            rows = self._path_table(root)
            tables = [path_table(rows, False), path_table(rows, True)]
            where = []
            for table in tables:
                where.append(lba)
                start = lba * SECTOR
                img[len(img):] = b"\0" * max(0, start + SECTOR - len(img))
                img[start:start + len(table)] = table
                lba += -(-len(table) // SECTOR) or 1
            descriptors.append((root, joliet_level, (len(tables[0]), *where)))
        img[len(img):] = b"\0" * (lba * SECTOR - len(img))
        pending = [self.root] + ([self.joliet_root] if self.joliet_root else [])
        while pending:
            d = pending.pop()
            body = d.render()
            img[d.lba * SECTOR:d.lba * SECTOR + len(body)] = body
            pending.extend(d.subdirs)
        space = len(img) // SECTOR if volume_space_size is None else volume_space_size
        vds = []
        for root, joliet_level, table in descriptors:
            rec = dir_record(root.lba, root.size, b"\0", DIRECTORY)
            if root is self.root and root_record is not None:
                rec = root_record
            vds.append(primary_descriptor(rec, space, table, volume_id=self.volume_id,
                                          joliet_level=joliet_level))
        vds += self.extra_descriptors + ([terminator()] if self.with_terminator else [])
        for i, vd in enumerate(vds):
            img[(FIRST_DESCRIPTOR + i) * SECTOR:(FIRST_DESCRIPTOR + i + 1) * SECTOR] = vd
        return bytes(img)


# ---- El Torito 1.0 ----------------------------------------------------------------------------

EL_TORITO_ID = b"EL TORITO SPECIFICATION"


def boot_record(catalog_lba: int) -> bytes:
    """Boot Record volume descriptor (ECMA-119 §8.2) as El Torito 1.0 §2.0 fills it: boot system
    identifier, an unused boot identifier, then the catalog's sector (little-endian)."""
    return volume_descriptor(VD_BOOT, _pad(EL_TORITO_ID, 32, b"\0") + bytes(32)
                             + struct.pack("<I", catalog_lba))


def validation_entry(platform: int = 0, id_string: bytes = b"", key: bytes = b"\x55\xaa") -> bytes:
    """Validation Entry (El Torito 1.0 §2.1): its 16-bit words sum to zero."""
    body = bytes([1, platform, 0, 0]) + _pad(id_string, 24, b"\0")
    words = sum(struct.unpack("<14H", body)) + struct.unpack("<H", key)[0]
    return body + struct.pack("<H", -words & 0xFFFF) + key


def boot_catalog_entry(rba: int, count: int = 4, media: int = 0, indicator: int = 0x88,
                       segment: int = 0, system_type: int = 0, criteria: bytes = b"") -> bytes:
    """Initial/Default Entry (§2.2) or Section Entry (§2.4); ``criteria`` is byte 12 onwards
    (selection criteria type, then the criteria)."""
    return (struct.pack("<BBHBxHI", indicator, media, segment, system_type, count, rba)
            + _pad(criteria, 20, b"\0"))


def section_header(count: int, platform: int = 0xEF, final: bool = True, id_string: bytes = b"") -> bytes:
    """Section Header Entry (§2.3): 0x90 more headers follow, 0x91 the last one."""
    return struct.pack("<BBH", 0x91 if final else 0x90, platform, count) + _pad(id_string, 28, b"\0")


def section_extension(criteria: bytes, more: bool = False) -> bytes:
    """Section Entry Extension (§2.5): 0x44, bit 5 of byte 1 when another one follows."""
    return bytes([0x44, 0x20 if more else 0]) + _pad(criteria, 30, b"\0")


# ---- Apple ISO 9660 extensions and Rock Ridge Amiga Specific -----------------------------------

def apple_aa(file_type: bytes, creator: bytes, flags: int = 0, ident: int = 2) -> bytes:
    """Apple's "AA" entry, HFS form (as genisoimage -apple writes it): "AA", 14, id 2, type,
    creator, Finder flags (big-endian)."""
    return b"AA" + bytes([14, ident]) + file_type + creator + struct.pack(">H", flags)


def apple_ba(ident: int, file_type: bytes, creator: bytes, flags: int = 0, icon: bytes = b"") -> bytes:
    """Apple's older "BA" entry: "BA", id, type, creator; id 6 adds Finder flags, ids 4 and 5 a
    128-byte icon."""
    tail = struct.pack(">H", flags) if ident == 6 else _pad(icon, 128, b"\0") if ident in (4, 5) else b""
    return b"BA" + bytes([ident]) + file_type + creator + tail


def amiga_as(protection: int | None = None, comment: bytes | None = None,
             continues: bool = False) -> bytes:
    """"AS" entry (Rock Ridge Amiga Specific): flags (1 protection, 2 comment, 4 the comment
    goes on in the next AS), the 32-bit protection big-endian, LEN_COMMENT (itself included)
    and the comment."""
    flags = (1 if protection is not None else 0) | (2 if comment is not None else 0) | (4 if continues else 0)
    body = bytes([flags])
    if protection is not None:
        body += struct.pack(">I", protection)
    if comment is not None:
        body += bytes([len(comment) + 1]) + comment
    return susp_entry("AS", body)
