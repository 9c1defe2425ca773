"""CD-TEXT packs (Red Book / MMC-3 Annex J): 18-byte packs -> (("TITLE", "..."), ...) tuples.

A pack (MMC-3 Annex J.2)::

    byte 0      pack type: 0x80 TITLE .. 0x8F size information
    byte 1      track number of the first character in this pack (0 = the disc); bit 7 extension
    byte 2      sequence number (0-255, counting all packs of the block)
    byte 3      bit 7: double-byte characters; bits 6-4: block number (language 0-7);
                bits 3-0: characters of the current string already in earlier packs
    bytes 4-15  12 bytes of text
    bytes 16-17 CRC-16/CCITT (x^16 + x^12 + x^5 + 1, register 0) of bytes 0-15, inverted, big-endian

Text packs of one type and block, in sequence order, carry NUL-terminated strings (a double NUL
for double-byte text) one after the other: the disc's, then track 1's, 2's... starting at the
first pack's track number. A string of just TAB (TAB TAB double-byte) means "the same as the
track before". Pack 0x8F (three packs, 36 bytes) is the block's size information: its character
code (0x00 ISO 8859-1, 0x01 ASCII, 0x80 MS-JIS, 0x81 Korean, 0x82 Mandarin), first and last
track, the pack counts per type, the last sequence number and language code of each block.

Where packs come from: a ``.cdt`` file (the raw packs, as cdrdao and CloneCD write them, maybe
after the 4-byte header of a READ TOC format 5 reply), NRG CDTX chunks, CloneCD [CDText] entries
(16 bytes each: the CRC is not kept) and cue CDTEXTFILE. Bad packs (CRC, truncated, repeated
sequence numbers, a string running on without end) are dropped with a log line; decoding never
raises.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..binary import make_struct

log = logging.getLogger(__name__)

PACK_SIZE = 18
PACK_SIZE_NO_CRC = 16
TEXT_SIZE = 12
MAX_PACKS = 8 * 256              # 8 blocks of at most 256 packs (the sequence number is one byte)
MAX_TRACK = 99
MAX_STRING = 160 * TEXT_SIZE     # a string longer than this is a continuation loop, not text
SIZE_INFO = 0x8F
TAB = 0x09

PACK = make_struct(">BBBB12sH", PACK_SIZE, "CD-TEXT pack")
"""CD-TEXT pack (MMC-3 Annex J.2): type, track, sequence, block/character position, text, CRC."""

# Pack types holding text, with the cue-sheet keyword of each (MMC-3 Annex J, Table J.1).
TEXT_TYPES = {0x80: "TITLE", 0x81: "PERFORMER", 0x82: "SONGWRITER", 0x83: "COMPOSER",
              0x84: "ARRANGER", 0x85: "MESSAGE", 0x86: "DISC_ID", 0x87: "GENRE", 0x8E: "UPC_EAN"}
# 0x88/0x89 (TOC), 0x8A-0x8C (reserved) and 0x8D (closed information) carry nothing shown.
CHARACTER_CODES = {0x00: "latin-1", 0x01: "ascii", 0x80: "shift_jis", 0x81: "euc_kr", 0x82: "gb2312"}
# Size information bytes 28-35: the language code of blocks 0-7 (EBU Tech 3258 codes, which
# MMC-3 Annex J uses); the common ones by their ISO 639-1 names.
LANGUAGE_CODES_AT = 28
LANGUAGES = {0x08: "de", 0x09: "en", 0x0A: "es", 0x0F: "fr", 0x15: "it", 0x1D: "nl", 0x56: "ru",
             0x65: "ko", 0x69: "ja", 0x75: "zh"}


@dataclass(frozen=True, slots=True)
class CdTextPack:
    """CD-TEXT pack (MMC-3 Annex J.2), 18 bytes (16 when the container dropped the CRC)."""

    pack_type: int
    track: int
    sequence: int
    double_byte: bool
    block: int
    position: int
    text: bytes


@dataclass(frozen=True, slots=True)
class CdText:
    """Decoded text of one block: the disc's fields and each track's, in pack-type order."""

    disc: tuple[tuple[str, str], ...] = ()
    tracks: dict[int, tuple[tuple[str, str], ...]] | None = None

    def track(self, number: int) -> tuple[tuple[str, str], ...]:
        return (self.tracks or {}).get(number, ())


def crc16(data: bytes) -> int:
    """CRC-16/CCITT (polynomial 0x1021, register 0), inverted, as a pack stores it."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc ^ 0xFFFF


def split_packs(data: bytes, where: str, crc: bool = True) -> list[CdTextPack]:
    """The packs in ``data`` (18 bytes each, or 16 with ``crc`` false); a leading 4-byte READ TOC
    header is skipped. Packs with a bad CRC or a type outside 0x80-0x8F are dropped and logged."""
    size = PACK_SIZE if crc else PACK_SIZE_NO_CRC
    if crc and len(data) % PACK_SIZE == 4 and data[4:5] and 0x80 <= data[4] <= 0x8F:
        data = data[4:]            # MMC READ TOC/PMA/ATIP format 5 reply: data length + 2 reserved
    if len(data) % size and data[len(data) - len(data) % size:].strip(b"\0"):  # cdrdao pads a NUL
        log.warning("%s: CD-TEXT of %d bytes is not whole %d-byte packs; the last %d bytes are ignored",
                    where, len(data), size, len(data) % size)
    packs, bad = [], 0
    for at in range(0, min(len(data) - len(data) % size, MAX_PACKS * size), size):
        raw = data[at:at + size]
        if crc:
            kind, track, sequence, flags, text, stored = PACK.unpack(raw)
            if crc16(raw[:16]) != stored:
                bad += 1
                continue
        else:
            kind, track, sequence, flags, text, _ = PACK.unpack(raw + b"\0\0")
        if not 0x80 <= kind <= 0x8F:
            bad += 1
            continue
        packs.append(CdTextPack(kind, track & 0x7F, sequence, bool(flags & 0x80), (flags >> 4) & 7,
                                flags & 0x0F, text))
    if bad:
        log.warning("%s: %d CD-TEXT pack%s with a bad CRC or type dropped", where, bad, "s" * (bad != 1))
    return packs


def decode(data: bytes, where: str, crc: bool = True) -> CdText:
    """The text of raw packs; an empty CdText when nothing usable is there."""
    return decode_packs(split_packs(data, where, crc), where)


def decode_packs(packs: list[CdTextPack], where: str) -> CdText:
    """The first block's fields as they are (``("TITLE", ...)``), then those of each further
    block (another language) with its language before the key: ``("ja.TITLE", ...)``. A cue
    sheet has room for one language, the xattrs and ``info`` for all."""
    blocks = sorted({p.block for p in packs})  # block 0 when present: the first language
    if not blocks:
        return CdText()
    first = _decode_block([p for p in packs if p.block == blocks[0]], where)
    disc = list(first.disc)
    tracks = {n: list(fields) for n, fields in (first.tracks or {}).items()}
    for block in blocks[1:]:
        mine = [p for p in packs if p.block == block]
        language = _language(mine, block, where)
        text = _decode_block(mine, where)
        disc += [(f"{language}.{key}", value) for key, value in text.disc]
        for n, fields in (text.tracks or {}).items():
            tracks.setdefault(n, []).extend((f"{language}.{key}", value) for key, value in fields)
    return CdText(tuple(disc), {n: tuple(v) for n, v in sorted(tracks.items())})


def _language(packs: list[CdTextPack], block: int, where: str) -> str:
    """The block's language from its size information, as LANGUAGES names it, or "blockN"."""
    info = b"".join(p.text for p in _in_sequence([p for p in packs if p.pack_type == SIZE_INFO], where))
    at = LANGUAGE_CODES_AT + block
    code = info[at] if len(info) > at else None
    return LANGUAGES.get(code, f"block{block}") if code is not None else f"block{block}"


def _decode_block(mine: list[CdTextPack], where: str) -> CdText:
    """The fields of one block's packs."""
    encoding = _encoding(mine, where)
    disc: list[tuple[str, str]] = []
    tracks: dict[int, list[tuple[str, str]]] = {}
    for kind, key in TEXT_TYPES.items():
        typed = _in_sequence([p for p in mine if p.pack_type == kind], where)
        if not typed:
            continue
        for track, value in _strings(typed, key, encoding, where):
            if track == 0:
                disc.append(("UPC_EAN" if kind == 0x8E else key, value))
            else:
                tracks.setdefault(track, []).append(("ISRC" if kind == 0x8E else key, value))
    return CdText(tuple(disc), {n: tuple(v) for n, v in sorted(tracks.items())})


def _encoding(packs: list[CdTextPack], where: str) -> str:
    info = _in_sequence([p for p in packs if p.pack_type == SIZE_INFO], where)
    if not info:
        return "latin-1"
    code = info[0].text[0]
    if code not in CHARACTER_CODES:
        log.warning("%s: CD-TEXT character code %#04x unknown; read as ISO 8859-1", where, code)
    return CHARACTER_CODES.get(code, "latin-1")


def _in_sequence(packs: list[CdTextPack], where: str) -> list[CdTextPack]:
    """Packs by sequence number, each number once (a repeated one would loop the text)."""
    seen: dict[int, CdTextPack] = {}
    repeated: list[int] = []
    for pack in packs:
        if pack.sequence in seen:
            repeated.append(pack.sequence)
            continue
        seen[pack.sequence] = pack
    if repeated:
        log.warning("%s: CD-TEXT pack sequence number %d repeated (%d repeats dropped)",
                    where, repeated[0], len(repeated))
    return [seen[n] for n in sorted(seen)]


def _strings(packs: list[CdTextPack], key: str, encoding: str, where: str) -> list[tuple[int, str]]:
    """(track, text) of each string in the packs of one type, TAB resolved to the one before.

    Packs whose sequence numbers follow each other are read as one run; after a gap (a pack
    dropped for its CRC) the next run starts mid-string when its first pack says so (character
    position > 0): that partial string is skipped, not shown cut."""
    double = packs[0].double_byte
    unit = 2 if double else 1
    if key == "GENRE":                   # 2-byte genre code before the text (MMC-3 Table J.3)
        data = b"".join(p.text for p in packs)
        code, data = int.from_bytes(data[:2], "big"), data[2:]
        text = _cut(data, unit)[0]
        value = _text(text or b"", encoding) or (str(code) if code else "")
        return [(packs[0].track, value)] if value else []
    runs: list[list[CdTextPack]] = []
    for pack in packs:
        if runs and pack.sequence == runs[-1][-1].sequence + 1:
            runs[-1].append(pack)
        else:
            runs.append([pack])
    out: list[tuple[int, str]] = []
    previous = ""
    for run in runs:
        data = b"".join(p.text for p in run)
        track, position = run[0].track, 0
        if run[0].position:
            _, position = _cut(data, unit)   # the tail of a string whose start was lost
            track += 1
        while position < len(data) and track <= MAX_TRACK:
            start = position
            raw, position = _cut(data, unit, position)
            if raw is None:
                if data[start:].strip(b"\0") and run is runs[-1]:
                    log.warning("%s: CD-TEXT %s of track %d has no end; dropped", where, key, track)
                break
            value = previous if raw in (b"\t", b"\t\t") else _text(raw, encoding)
            if value and all(n != track for n, _ in out):
                out.append((track, value))
            previous = value
            track += 1
    return out


def _cut(data: bytes, unit: int, start: int = 0) -> tuple[bytes | None, int]:
    """The string at ``start`` up to its NUL (NUL NUL for double-byte) and where the next begins;
    None when there is no terminator within MAX_STRING."""
    end = start
    limit = min(len(data), start + MAX_STRING)
    while end + unit <= limit:
        if data[end:end + unit] == b"\0" * unit:
            return data[start:end], end + unit
        end += unit
    return None, len(data)


def _text(raw: bytes, encoding: str) -> str:
    return raw.decode(encoding, errors="replace").strip()
