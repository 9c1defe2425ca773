"""Test-side UDF image writer, written from ECMA-167 3rd edition and OSTA UDF 2.60, independent
of ``mount_image`` (nothing here imports it).

It fills what mkudffs leaves empty and what no tool here writes: files in a metadata partition
(with its mirror), in a virtual partition (VAT 2.00), in a sparable partition with a packet moved
to its spare place, symlinks, hard links, devices, hidden and deleted names, named streams,
strategy 4096 successors, allocation descriptor chains (AEDs) and sparse extents, at block sizes
512-4096.

    b = UdfBuilder(block_size=2048, partition="metadata")
    d = b.mkdir(b.root, "docs")
    b.add_file(d, "a.txt", b"hello", streams={"note": b"x"})
    b.add_symlink(b.root, "link", "docs/a.txt")
    image = b.build()

Layout (blocks of ``block_size``): VRS at byte 32768; anchor at 256 and at the last block; main
VDS at 260, reserve at 270, the LVID at 280; the partition from 288. Inside the partition,
metadata (FSD, file entries, directories) and file data get blocks as ``build`` places them.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass, field

VDS_MAIN, VDS_RESERVE, LVID_BLOCK, PART_START = 260, 270, 280, 288
PACKET = 32

# Tag identifiers (ECMA-167 3/7.2.1, 4/7.2.1).
PVD, AVDP, IUVD, PD, LVD, USD, TD, LVID = 1, 2, 4, 5, 6, 7, 8, 9
FSD, FID, AED, IE, FE, EAHD, EFE = 256, 257, 258, 259, 261, 262, 266
# File types (4/14.6.6; UDF 2.60 §2.3.5.2).
T_DIR, T_FILE, T_BLK, T_CHR, T_FIFO, T_SYMLINK, T_STREAMDIR = 4, 5, 6, 7, 9, 12, 13
T_VAT, T_META, T_MIRROR = 248, 250, 251
# FID characteristics (4/14.4.3).
C_HIDDEN, C_DIR, C_DELETED, C_PARENT = 1, 2, 4, 8


def tag(ident: int, body: bytes, location: int, version: int = 3) -> bytes:
    """A descriptor with its 16-byte tag (3/7.2): checksum and CRC-ITU over the body."""
    crc = binascii.crc_hqx(body, 0)
    head = struct.pack("<HHBBHHHI", ident, version, 0, 0, 1, crc, len(body), location)
    checksum = (sum(head) - head[4]) & 0xFF
    return head[:4] + bytes([checksum]) + head[5:] + body


def dstring(text: str, size: int) -> bytes:
    """A dstring (1/7.2.12) in CS0: 8-bit if Latin-1 will do, else 16-bit."""
    raw = cs0(text)
    if not text:
        return bytes(size)
    return raw.ljust(size - 1, b"\0")[:size - 1] + bytes([len(raw)])


def cs0(text: str) -> bytes:
    try:
        return b"\x08" + text.encode("latin-1")
    except UnicodeEncodeError:
        return b"\x10" + text.encode("utf-16-be")


def regid(ident: str, suffix: bytes = b"") -> bytes:
    return struct.pack("<B23s8s", 0, ident.encode(), suffix)


def udf_regid(ident: str, revision: int) -> bytes:
    return regid(ident, struct.pack("<HBB", revision, 0, 0))  # UDF 2.60 §2.1.5.3


def timestamp(year: int = 2017, month: int = 3, day: int = 4, hour: int = 5, minute: int = 6,
              second: int = 7, tz_minutes: int = 60) -> bytes:
    """A timestamp (1/7.3) of type 1 (local time) with its offset from UTC."""
    return struct.pack("<HhBBBBBBBB", (1 << 12) | (tz_minutes & 0xFFF), year, month, day, hour,
                       minute, second, 0, 0, 0)


def long_ad(length: int, lbn: int, ref: int, kind: int = 0) -> bytes:
    return struct.pack("<IIH6s", (kind << 30) | length, lbn, ref, b"")


def short_ad(length: int, lbn: int, kind: int = 0) -> bytes:
    return struct.pack("<II", (kind << 30) | length, lbn)


def fid(name: str, chars: int, lbn: int, ref: int, location: int) -> bytes:
    """File Identifier Descriptor (4/14.4), padded to four bytes."""
    ident = cs0(name) if name else b""
    body = struct.pack("<HBB", 1, chars, len(ident)) + long_ad(1, lbn, ref) + struct.pack("<H", 0) + ident
    raw = tag(FID, body, location)
    return raw + bytes(-len(raw) % 4)


def path_components(target: str) -> bytes:
    """A symlink's path components (4/14.16.1)."""
    out = b""
    if target.startswith("/"):
        out += struct.pack("<BBH", 2, 0, 0)
    for part in target.strip("/").split("/"):
        if part == "..":
            out += struct.pack("<BBH", 3, 0, 0)
        elif part == ".":
            out += struct.pack("<BBH", 4, 0, 0)
        elif part:
            ident = cs0(part)
            out += struct.pack("<BBH", 5, len(ident), 0) + ident
    return out


@dataclass(eq=False)
class Node:
    name: str
    ftype: int
    data: bytes = b""
    mode: int = 0o644
    uid: int | None = 0
    gid: int | None = 0
    children: list = field(default_factory=list)     # (name, node, extra characteristics)
    streams: dict = field(default_factory=dict)
    ea: bytes = b""
    inline: bool = False
    fragments: int = 1
    aed: bool = False
    sparse: int = 0                  # bytes of unrecorded extent put before the data
    successor: bytes | None = None   # strategy 4096: a newer ICB with this content
    links: int = 1
    # filled by build():
    meta: int = -1


class UdfBuilder:
    """Builds a UDF image in memory; ``partition`` is type1, metadata, virtual or sparable."""

    def __init__(self, block_size: int = 2048, partition: str = "type1", efe: bool = True,
                 ad: str = "short", revision: int = 0x0250, label: str = "BUILT",
                 nsr: str = "NSR03") -> None:
        self.bs = block_size
        self.partition = partition
        self.efe = efe
        self.ad = ad
        self.revision = revision
        self.label = label
        self.nsr = nsr
        self.root = Node("", T_DIR, mode=0o755)
        self.spare_packet_of: Node | None = None
        self.unique = 16

    # ---- the tree ----------------------------------------------------------------------

    def mkdir(self, parent: Node, name: str, mode: int = 0o755, **kw) -> Node:
        node = Node(name, T_DIR, mode=mode, **kw)
        parent.children.append((name, node, 0))
        return node

    def add_file(self, parent: Node, name: str, data: bytes, mode: int = 0o644, chars: int = 0,
                 **kw) -> Node:
        node = Node(name, T_FILE, data, mode=mode, **kw)
        parent.children.append((name, node, chars))
        return node

    def add_symlink(self, parent: Node, name: str, target: str) -> Node:
        node = Node(name, T_SYMLINK, path_components(target), mode=0o777, inline=True)
        parent.children.append((name, node, 0))
        return node

    def add_device(self, parent: Node, name: str, kind: str, major: int, minor: int) -> Node:
        ea_body = struct.pack("<IB3sIIII", 12, 1, b"", 24, 0, major, minor)   # 4/14.10.7
        header = tag(EAHD, struct.pack("<II", 24, 24), 0)   # location patched in build()
        node = Node(name, T_CHR if kind == "c" else T_BLK, mode=0o600, ea=header + ea_body)
        parent.children.append((name, node, 0))
        return node

    def link(self, parent: Node, name: str, node: Node) -> None:
        node.links += 1
        parent.children.append((name, node, 0))

    def add_raw_fid(self, parent: Node, name: str, node: Node, chars: int) -> None:
        """A name with any characteristics (hidden, deleted) pointing at ``node``."""
        parent.children.append((name, node, chars))

    # ---- building ----------------------------------------------------------------------

    def build(self) -> bytes:
        bs = self.bs
        nodes: list[Node] = []
        seen: set[int] = set()

        def collect(n: Node) -> None:
            if id(n) in seen:
                return
            seen.add(id(n))
            nodes.append(n)
            for _name, child, _c in n.children:
                collect(child)
        collect(self.root)
        meta_ref = 0 if self.partition in ("type1", "sparable") else 1
        # Metadata space: FSD + terminator, then per node its FE (and successor IE/FE), its
        # directory or stream blocks, AED blocks.
        meta_blocks: dict[int, bytes] = {}
        next_meta = 2
        plan = {}
        for n in nodes:
            n.meta = next_meta
            next_meta += 1
            if n.successor is not None:
                next_meta += 2          # the IE after it and the newer FE
            stream_nodes = []
            for sname, sdata in n.streams.items():
                stream_nodes.append((sname, Node(sname, T_FILE, sdata, inline=True)))
            plan[id(n)] = stream_nodes
            if stream_nodes:
                n.stream_dir = Node("", T_STREAMDIR)
                n.stream_dir.meta = next_meta
                next_meta += 1
                for _sname, sn in stream_nodes:
                    sn.meta = next_meta
                    next_meta += 1
        dir_data: dict[int, bytes] = {}
        dir_start: dict[int, int] = {}
        for n in nodes:
            if n.ftype != T_DIR:
                continue
            # Sizes first: FIDs' lengths do not depend on their addresses.
            size = len(fid("", C_DIR | C_PARENT, 0, 0, 0))
            size += sum(len(fid(name, 0, 0, 0, 0)) for name, _c, _x in n.children)
            dir_start[id(n)] = next_meta
            next_meta += -(-size // bs)
        stream_start: dict[int, int] = {}
        for n in nodes:
            if plan[id(n)]:
                size = len(fid("", C_DIR | C_PARENT, 0, 0, 0)) + sum(
                    len(fid(s, 0, 0, 0, 0)) for s, _ in plan[id(n)])
                stream_start[id(n)] = next_meta
                next_meta += -(-size // bs)
        aed_block: dict[int, int] = {}
        for n in nodes:
            if n.aed:
                aed_block[id(n)] = next_meta
                next_meta += 1
        n_meta = next_meta
        # Physical layout: [metadata space (type1/sparable) or metadata file + mirror copies or
        # virtual blocks][file data].
        phys = 0
        meta_phys: list[int] = []           # meta lbn -> physical lbn (main copy)
        mirror_phys: list[int] = []
        meta_fe_lbn = mirror_fe_lbn = 0
        if meta_ref == 0:
            meta_phys = list(range(n_meta))
            phys = n_meta
        elif self.partition == "metadata":
            meta_fe_lbn, mirror_fe_lbn = 0, 1
            meta_phys = list(range(2, 2 + n_meta))
            mirror_phys = list(range(2 + n_meta, 2 + 2 * n_meta))
            phys = 2 + 2 * n_meta
        else:  # virtual: metadata block i is written at physical block (n_meta - 1 - i), reversed
            meta_phys = [n_meta - 1 - i for i in range(n_meta)]
            phys = n_meta
        if self.partition == "sparable":
            phys = -(-phys // PACKET) * PACKET
        data_lbn: dict[int, list[tuple[int, int, int]]] = {}   # id -> [(lbn, length, kind)]
        for n in nodes:
            if n.ftype not in (T_FILE,) or n.inline or not (n.data or n.sparse):
                continue
            exts = []
            if n.sparse:
                exts.append((0, n.sparse, 1))
            chunks = _split(n.data, n.fragments, bs)
            if self.partition == "sparable" and n is self.spare_packet_of:
                phys = -(-phys // PACKET) * PACKET
            for chunk in chunks:
                exts.append((phys, len(chunk), 0))
                phys += -(-len(chunk) // bs) + (1 if n.fragments > 1 else 0)
            data_lbn[id(n)] = exts
        part_len = phys + 1
        if self.partition == "sparable":
            part_len = -(-part_len // PACKET) * PACKET      # whole packets (UDF 2.60 §2.2.9)
        per = max(1, 2048 // bs)        # whole 2048-byte sectors, as a disc image holds
        if self.partition == "virtual":
            part_len = -(-(PART_START + part_len) // per) * per - PART_START
        if self.partition == "virtual":
            total_blocks = PART_START + part_len      # the VAT is the last recorded block
        elif self.partition == "sparable":
            total_blocks = PART_START + part_len + PACKET + 4 + 257
        else:
            total_blocks = PART_START + part_len + 257
        total_blocks = -(-total_blocks // per) * per
        img = bytearray(total_blocks * bs)

        def put_phys(lbn: int, raw: bytes) -> None:
            at = (PART_START + lbn) * bs
            assert len(raw) <= ((len(raw) + bs - 1) // bs) * bs
            img[at:at + len(raw)] = raw

        def put_meta(mlbn: int, raw: bytes) -> None:
            nblocks = max(1, -(-len(raw) // bs))
            for i in range(nblocks):
                piece = raw[i * bs:(i + 1) * bs]
                put_phys(meta_phys[mlbn + i], piece)
                if mirror_phys:
                    put_phys(mirror_phys[mlbn + i], piece)

        # File data.
        for n in nodes:
            for (lbn, length, kind), chunk in zip([e for e in data_lbn.get(id(n), []) if e[2] == 0],
                                                  _split(n.data, n.fragments, bs)):
                put_phys(lbn, chunk)
        # Directories.
        def dir_bytes(n: Node, parent: Node, start: int, entries) -> bytes:
            out = b""
            loc = lambda: start + len(out) // bs  # noqa: E731
            out += fid("", C_DIR | C_PARENT, parent.meta, meta_ref, loc())
            for name, child, chars in entries:
                c = chars | (C_DIR if child.ftype == T_DIR else 0)
                out += fid(name, c, child.meta, meta_ref, loc())
            return out
        parents = {id(self.root): self.root}
        for n in nodes:
            for _name, child, _c in n.children:
                if child.ftype == T_DIR:
                    parents.setdefault(id(child), n)
        for n in nodes:
            if n.ftype == T_DIR:
                raw = dir_bytes(n, parents[id(n)], dir_start[id(n)], n.children)
                dir_data[id(n)] = raw
                put_meta(dir_start[id(n)], raw)
            if plan[id(n)]:
                raw = dir_bytes(n, n, stream_start[id(n)], [(s, sn, 0) for s, sn in plan[id(n)]])
                put_meta(stream_start[id(n)], raw)
                sd = n.stream_dir
                put_meta(sd.meta, self._fe(sd, sd.meta, meta_ref, data=raw, dir_lbn=stream_start[id(n)]))
                for _s, sn in plan[id(n)]:
                    put_meta(sn.meta, self._fe(sn, sn.meta, meta_ref))
        # File entries.
        for n in nodes:
            kw = {}
            if n.ftype == T_DIR:
                kw = {"data": dir_data[id(n)], "dir_lbn": dir_start[id(n)]}
            elif id(n) in data_lbn:
                kw = {"extents": data_lbn[id(n)]}
            if n.aed:
                kw["aed_lbn"] = aed_block[id(n)]
            stream = (n.stream_dir.meta, meta_ref) if plan[id(n)] else None
            fe, aed = self._fe(n, n.meta, meta_ref, stream=stream, **kw)  if n.aed else \
                (self._fe(n, n.meta, meta_ref, stream=stream, **kw), None)
            put_meta(n.meta, fe)
            if aed is not None:
                put_meta(aed_block[id(n)], aed)
            if n.successor is not None:
                newer = Node(n.name, T_FILE, n.successor, inline=True, links=n.links)
                put_meta(n.meta + 1, tag(IE, bytes(20) + long_ad(bs, n.meta + 2, meta_ref), n.meta + 1))
                put_meta(n.meta + 2, self._fe(newer, n.meta + 2, meta_ref))
        # File set descriptor and its terminator (4/14.1, 4/14.2).
        put_meta(0, self._fsd(meta_ref))
        put_meta(1, tag(8, bytes(496), 1))
        # Partition-specific structures.
        maps, n_maps = self._maps(meta_fe_lbn, mirror_fe_lbn, n_meta)
        if self.partition == "metadata":
            for lbn, ftype, start in ((meta_fe_lbn, T_META, 2), (mirror_fe_lbn, T_MIRROR, 2 + n_meta)):
                node = Node("", ftype, mode=0)
                put_phys(lbn, self._fe(node, lbn, 0, extents=[(start, n_meta * bs, 0)]))
        if self.partition == "virtual":
            vat = struct.pack("<HH128sIIIHHHH", 152, 0, dstring(self.label, 128), 0xFFFFFFFF,
                              len(nodes), 1, 0x0150, 0x0150, self.revision, 0)
            vat += b"".join(struct.pack("<I", p) for p in meta_phys)
            vat_lbn = part_len - 1
            node = Node("", T_VAT, vat, inline=True)
            put_phys(vat_lbn, self._fe(node, vat_lbn, 0))
        if self.partition == "sparable":
            victim = self.spare_packet_of
            spare_at = PART_START + part_len + 2        # absolute: after the partition
            entries = []
            if victim is not None:
                lbn = data_lbn[id(victim)][-1][0]
                packet = lbn - lbn % PACKET
                entries.append((packet, spare_at))
                # The good copy goes to the spare place; the original packet holds garbage.
                good = bytes(img[(PART_START + packet) * bs:(PART_START + packet + PACKET) * bs])
                img[spare_at * bs:(spare_at + PACKET) * bs] = good
                img[(PART_START + packet) * bs:(PART_START + packet + PACKET) * bs] = b"\xde" * (PACKET * bs)
            entries += [(0xFFFFFFF0, 0)] * 3
            body = regid("*UDF Sparing Table", struct.pack("<HBB", 0x0150, 0, 0)) + \
                struct.pack("<HHI", len(entries), 0, 1) + b"".join(struct.pack("<II", *e) for e in entries)
            table_at = spare_at + PACKET + 1
            img[table_at * bs:table_at * bs + 16 + len(body)] = tag(0, body, table_at)
            self.sparing_table_at = table_at
        # Volume structures.
        step = max(2048, bs)
        for i, ident in enumerate((b"BEA01", self.nsr.encode(), b"TEA01")):
            at = 32768 + i * step
            img[at:at + 7] = bytes([0]) + ident + bytes([1])
        last = total_blocks - 1
        for where in (VDS_MAIN, VDS_RESERVE):
            self._vds(img, where, part_len, maps, n_maps)
        # Logical Volume Integrity Descriptor (3/10.10), closed, with the UDF implementation use
        # (UDF 2.60 §2.2.6.4): file and directory counts, revisions.
        n_parts = n_maps
        dirs = sum(n.ftype == T_DIR for n in nodes)
        lvid_iu = regid("*mount-image test") + struct.pack("<IIHHH", len(nodes) - dirs, dirs,
                                                           min(self.revision, 0x0250), self.revision,
                                                           self.revision)
        lvid = tag(LVID, timestamp() + struct.pack("<I", 1) + bytes(8)
                   + struct.pack("<Q24s", self.unique + 1, b"") + struct.pack("<II", n_parts, len(lvid_iu))
                   + struct.pack(f"<{n_parts}I", *[0] * n_parts) + struct.pack(f"<{n_parts}I", *[part_len] * n_parts)
                   + lvid_iu, LVID_BLOCK)
        img[LVID_BLOCK * bs:LVID_BLOCK * bs + len(lvid)] = lvid
        for block in (256, last) if self.partition != "virtual" else (256,):
            body = struct.pack("<II", 16 * bs, VDS_MAIN) + struct.pack("<II", 16 * bs, VDS_RESERVE)
            raw = tag(AVDP, body + bytes(480), block)
            img[block * bs:block * bs + len(raw)] = raw
        self.total_blocks = total_blocks
        self.part_len = part_len
        self.meta_phys = meta_phys
        return bytes(img)

    # ---- descriptors -------------------------------------------------------------------

    def _fe(self, n: Node, location: int, ref: int, data: bytes | None = None, dir_lbn: int = 0,
            extents=None, stream=None, aed_lbn: int | None = None):
        bs = self.bs
        if data is None:
            data = n.data
        if n.ftype == T_DIR or n.ftype == T_STREAMDIR:
            ads = short_ad(len(data), dir_lbn) if ref_is_short(self, ref) else long_ad(len(data), dir_lbn, ref)
            ad_type = 0 if ref_is_short(self, ref) else 1
            size = len(data)
        elif n.inline or n.ftype in (T_CHR, T_BLK, T_FIFO):
            ads, ad_type, size = (data if n.ftype not in (T_CHR, T_BLK, T_FIFO) else b""), 3, len(data)
        else:
            use_long = self.ad == "long" or ref != 0
            ad_type = 1 if use_long else 0
            parts = []
            for lbn, length, kind in (extents or []):
                parts.append(long_ad(length, lbn, 0, kind) if use_long else short_ad(length, lbn, kind))
            size = sum(length for _l, length, _k in (extents or []))
            ads = b"".join(parts)
            if aed_lbn is not None:
                keep = 1
                rest = b"".join(parts[keep:])
                nxt = long_ad(bs, aed_lbn, ref, 3) if use_long else short_ad(bs, aed_lbn, 3)
                ads = b"".join(parts[:keep]) + nxt
                aed = tag(AED, struct.pack("<II", 0, len(rest)) + rest, aed_lbn)
        perm = 0
        for shift, bits in ((10, (n.mode >> 6) & 7), (5, (n.mode >> 3) & 7), (0, n.mode & 7)):
            perm |= bits << shift
        # ICB flags (4/14.6.8): setuid, setgid, sticky after the AD type.
        flags = ad_type | (0x40 if n.mode & 0o4000 else 0) | (0x80 if n.mode & 0o2000 else 0) \
            | (0x100 if n.mode & 0o1000 else 0)
        icb_tag = struct.pack("<IHHHBB6sH", 0, 4096 if n.successor is not None else 4, 0,
                              2 if n.successor is not None else 1, 0, n.ftype, bytes(6), flags)
        uid = 0xFFFFFFFF if n.uid is None else n.uid
        gid = 0xFFFFFFFF if n.gid is None else n.gid
        links = n.links if n.ftype != T_DIR else 1 + sum(c.ftype == T_DIR for _x, c, _y in n.children)
        ea = n.ea
        if ea:
            ea = tag(EAHD, struct.pack("<II", 24, 24), location) + ea[24:]
        recorded = -(-size // bs) if ad_type != 3 else 0
        self.unique += 1
        # UDF 2.60 §2.3.6.5: the metadata files and the VAT carry unique ID 0.
        unique = 0 if n.ftype in (T_META, T_MIRROR, T_VAT) else self.unique
        ts = timestamp()
        if self.efe:
            sd = long_ad(bs, stream[0], stream[1]) if stream else bytes(16)
            body = icb_tag + struct.pack("<IIIHBBIQQQ", uid, gid, perm, links, 0, 0, 0, size, size, recorded)
            body += ts + ts + ts + ts + struct.pack("<II", 1, 0) + bytes(16) + sd
            body += regid("*mount-image test") + struct.pack("<QII", unique, len(ea), len(ads))
            raw = tag(EFE, body + ea + ads, location)
        else:
            body = icb_tag + struct.pack("<IIIHBBIQQ", uid, gid, perm, links, 0, 0, 0, size, recorded)
            body += ts + ts + ts + struct.pack("<I", 1) + bytes(16)
            body += regid("*mount-image test") + struct.pack("<QII", unique, len(ea), len(ads))
            raw = tag(FE, body + ea + ads, location)
        if len(raw) > bs:
            raise ValueError(f"file entry of {n.name!r} needs {len(raw)} bytes, block is {bs}")
        if aed_lbn is not None:
            return raw, aed
        return raw

    def _fsd(self, meta_ref: int) -> bytes:
        cs = bytes([0]) + b"OSTA Compressed Unicode".ljust(63, b"\0")
        body = timestamp() + struct.pack("<HHIIII", 3, 3, 1, 1, 0, 0) + cs + dstring(self.label, 128)
        body += cs + dstring("FILESET", 32) + bytes(32) + bytes(32)
        body += long_ad(self.bs, self.root.meta, meta_ref)
        body += udf_regid("*OSTA UDF Compliant", self.revision) + bytes(16) + bytes(16) + bytes(32)
        return tag(FSD, body, 0)

    def _maps(self, meta_fe: int, mirror_fe: int, n_meta: int) -> tuple[bytes, int]:
        type1 = struct.pack("<BBHH", 1, 6, 1, 0)
        if self.partition == "type1":
            return type1, 1
        if self.partition == "sparable":
            use = struct.pack("<HHHBBI", 1, 0, PACKET, 1, 0, 512) + struct.pack("<IIII", 0, 0, 0, 0)
            # the table location is patched in _vds once it is known
            return struct.pack("<BBH", 2, 64, 0) + regid("*UDF Sparable Partition",
                                                          struct.pack("<HBB", 0x0150, 0, 0)) + use, 1
        if self.partition == "virtual":
            use = struct.pack("<HH24s", 1, 0, b"")
            return type1 + struct.pack("<BBH", 2, 64, 0) + regid(
                "*UDF Virtual Partition", struct.pack("<HBB", 0x0150, 0, 0)) + use, 2
        use = struct.pack("<HHIIIIHB5s", 1, 0, meta_fe, mirror_fe, 0xFFFFFFFF, 32, 1, 0, b"")
        return type1 + struct.pack("<BBH", 2, 64, 0) + regid(
            "*UDF Metadata Partition", struct.pack("<HBB", 0x0250, 0, 0)) + use, 2

    def _vds(self, img: bytearray, start: int, part_len: int, maps: bytes, n_maps: int) -> None:
        bs = self.bs
        if self.partition == "sparable":
            maps = maps[:48] + struct.pack("<I", self.sparing_table_at) + maps[52:]
        cs = bytes([0]) + b"OSTA Compressed Unicode".ljust(63, b"\0")
        pvd = struct.pack("<II", 1, 0) + dstring(self.label, 32) + struct.pack("<HHHHII", 1, 1, 2, 3, 1, 1)
        pvd += dstring("VOLSET", 128) + cs + cs + bytes(16) + regid("*mount-image test app")
        pvd += timestamp() + regid("*mount-image test") + bytes(64) + struct.pack("<IH", 0, 0) + bytes(22)
        pd = struct.pack("<IHH", 2, 1, 0) + regid("+NSR03" if self.nsr == "NSR03" else "+NSR02") + bytes(128)
        pd += struct.pack("<III", 1 if self.partition != "virtual" else 2, PART_START, part_len)
        pd += regid("*mount-image test") + bytes(128) + bytes(156)
        lvd = struct.pack("<I", 3) + cs + dstring(self.label, 128) + struct.pack("<I", bs)
        lvd += udf_regid("*OSTA UDF Compliant", self.revision) + long_ad(bs, 0, 0 if self.partition in (
            "type1", "sparable") else 1)
        lvd += struct.pack("<II", len(maps), n_maps) + regid("*mount-image test") + bytes(128)
        lvd += struct.pack("<II", bs, LVID_BLOCK) + maps
        # Implementation Use VD (3/10.4) with the UDF LV Info (UDF 2.60 §2.2.7.2) and an empty
        # Unallocated Space Descriptor (3/10.8): optional for a reader, expected by udfinfo.
        lv_info = cs + dstring(self.label, 128) + bytes(36 * 3) + regid("*mount-image test") + bytes(128)
        iuvd = struct.pack("<I", 4) + udf_regid("*UDF LV Info", self.revision) + lv_info
        usd = struct.pack("<II", 5, 0)
        descriptors = ((PVD, pvd), (PD, pd), (LVD, lvd), (IUVD, iuvd), (USD, usd), (TD, bytes(496)))
        for i, (ident, body) in enumerate(descriptors):
            raw = tag(ident, body, start + i)
            img[(start + i) * bs:(start + i) * bs + len(raw)] = raw


def ref_is_short(b: UdfBuilder, ref: int) -> bool:
    """Directories and ICB-partition data may use short ADs (they refer to the ICB's partition)."""
    return b.ad == "short"


def _split(data: bytes, n: int, bs: int) -> list[bytes]:
    """``data`` in ``n`` pieces, each but the last a whole number of blocks (4/12.1)."""
    if n <= 1 or len(data) <= bs:
        return [data] if data else []
    blocks = -(-len(data) // bs)
    per = max(1, blocks // n)
    out = []
    pos = 0
    while pos < len(data):
        take = per * bs if len(out) < n - 1 else len(data) - pos
        out.append(data[pos:pos + take])
        pos += take
    return out
