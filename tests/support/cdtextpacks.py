"""Test-side CD-TEXT pack writer, from MMC-3 Annex J, independent of src/mount_image/disc/cdtext.py.

    packs = encode({0: {"TITLE": "Album"}, 1: {"TITLE": "Song", "PERFORMER": "Band"}})

For each pack type present, the strings of the disc (track 0) and of tracks 1..last, each ended
by NUL (two for double-byte text), a string equal to the one before written as TAB; cut into
12-byte packs numbered in one sequence, each naming the track of its first character and how
many characters of that string came in earlier packs; then three 0x8F size-information packs.
Every pack ends with its CRC-16/CCITT, inverted.
"""

from __future__ import annotations

TYPES = {"TITLE": 0x80, "PERFORMER": 0x81, "SONGWRITER": 0x82, "COMPOSER": 0x83, "ARRANGER": 0x84,
         "MESSAGE": 0x85, "DISC_ID": 0x86, "UPC_EAN": 0x8E}
CODES = {"latin-1": 0x00, "ascii": 0x01, "shift_jis": 0x80}


def crc(data: bytes) -> bytes:
    value = 0
    for byte in data:
        for bit in range(7, -1, -1):
            top = (value >> 15) ^ ((byte >> bit) & 1)
            value = ((value << 1) & 0xFFFF) ^ (0x1021 if top else 0)
    return (value ^ 0xFFFF).to_bytes(2, "big")


def encode(fields: dict[int, dict[str, str]], encoding: str = "latin-1", block: int = 0,
           tab: bool = True, language: int = 0x09) -> bytes:
    """The packs of one block; its size information gives ``language`` (EBU code, 0x09 English)
    as the block's language code and the block's last sequence number."""
    double = encoding == "shift_jis"
    unit = 2 if double else 1
    last = max(fields)
    packs: list[bytes] = []
    counts = [0] * 16
    for key, kind in TYPES.items():
        if not any(key in f for f in fields.values()):
            continue
        stream, owners = b"", []          # owners[i]: (track, offset in its string) of byte i
        previous = None
        for track in range(0, last + 1):
            text = fields.get(track, {}).get(key, "")
            raw = (b"\t" * unit if tab and previous is not None and text == previous and text
                   else text.encode(encoding)) + b"\0" * unit
            owners += [(track, i) for i in range(len(raw))]
            stream += raw
            previous = text
        stream += b"\0" * (-len(stream) % 12)
        owners += [owners[-1]] * (len(stream) - len(owners))
        for at in range(0, len(stream), 12):
            track, offset = owners[at]
            position = min(15, offset // unit)
            head = bytes((kind, track, len(packs), (0x80 if double else 0) | block << 4 | position))
            packs.append(head + stream[at:at + 12])
            counts[kind - 0x80] += 1
    counts[0xF] = 3
    last_sequence, languages = [0] * 8, [0] * 8
    last_sequence[block], languages[block] = len(packs) + 2, language
    size_info = bytes((CODES[encoding], 1, last, 0)) + bytes(counts) + bytes(last_sequence) + bytes(languages)
    for i in range(3):
        head = bytes((0x8F, i, len(packs), block << 4))
        packs.append(head + size_info[12 * i:12 * i + 12])
    return b"".join(p + crc(p) for p in packs)
