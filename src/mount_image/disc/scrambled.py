"""Scrambled raw sectors (ECMA-130 2nd ed. 1996, Annex B): a ByteSource that undoes the scrambler.

On the disc, bytes 12..2351 of every data sector (all but the 12-byte sync) are XORed with the
output of a 15-bit shift register, polynomial x^15 + x + 1, preset to 0x0001 at the first bit
of byte 12; the output bit is the register's low bit, taken LSB first into each byte. A drive
undoes this when it reads; some dumpers (CloneCD's ``DataTracksScrambled=1``, raw "scrambled"
reads) store the sectors as they are on the disc. XOR with the same 2340-byte sequence
descrambles them (XOR is its own inverse), so the same function also scrambles for test writers.

The filter sits below the parsers' tracks, like the decompressing filters of io/: every reader
above it (blocks, the raw disc.bin, verify) sees ordinary sectors. Only the byte ranges of data
tracks are descrambled; audio is never scrambled. The XOR runs over whole reads at once (numpy
when importable, else one big-integer XOR), never a loop over bytes.
"""

from __future__ import annotations

from ..binary import optional_numpy
from ..io.source import ByteSource

SECTOR = 2352
SYNC_SIZE = 12                   # the sync pattern is not scrambled (ECMA-130 Annex B)
SCRAMBLED_SIZE = SECTOR - SYNC_SIZE


def _sequence() -> bytes:
    """The 2340 scrambler bytes: LFSR x^15 + x + 1 from 0x0001, low bit out, LSB first."""
    register, out = 0x0001, bytearray()
    for _ in range(SCRAMBLED_SIZE):
        byte = 0
        for bit in range(8):
            byte |= (register & 1) << bit
            feedback = (register ^ (register >> 1)) & 1      # taps x^0 and x^1 of x^15 + x + 1
            register = (register >> 1) | (feedback << 14)
        out.append(byte)
    return bytes(out)


SCRAMBLE_TABLE = _sequence()
SECTOR_KEY = bytes(SYNC_SIZE) + SCRAMBLE_TABLE   # what one whole 2352-byte sector is XORed with


def xor_sectors(data: bytes, phase: int = 0) -> bytes:
    """``data`` XORed with the sector key repeated, the first byte at ``phase`` of its sector.

    Scrambles and descrambles alike. ``data`` holds consecutive 2352-byte sectors (any run,
    cut anywhere)."""
    if not data:
        return b""
    count = -(-(phase + len(data)) // SECTOR)
    numpy = optional_numpy()  # 1.5 GB/s here against 0.26 GB/s for the big-integer XOR
    if numpy is None:
        key = (SECTOR_KEY * count)[phase:phase + len(data)]
        mixed = int.from_bytes(data, "little") ^ int.from_bytes(key, "little")
        return mixed.to_bytes(len(data), "little")
    # whole sectors as rows, each XORed with the key row (broadcast): no key copy per sector
    rows = numpy.zeros(count * SECTOR, dtype=numpy.uint8)
    rows[phase:phase + len(data)] = numpy.frombuffer(data, dtype=numpy.uint8)
    rows.reshape(count, SECTOR)[:] ^= numpy.frombuffer(SECTOR_KEY, dtype=numpy.uint8)
    return rows[phase:phase + len(data)].tobytes()


class DescrambledSource:
    """``source`` with the scrambler undone over ``ranges``: (byte offset, byte end) pairs, each
    a run of whole 2352-byte sectors starting at a sector boundary. Other bytes pass through."""

    def __init__(self, source: ByteSource, ranges: list[tuple[int, int]]) -> None:
        self._source = source
        self._ranges = sorted(ranges)
        self.name = source.name
        self.size = source.size

    def pread(self, offset: int, size: int) -> bytes:
        data = self._source.pread(offset, size)
        end = offset + len(data)
        for first, last in self._ranges:
            lo, hi = max(first, offset), min(last, end)
            if lo >= hi:
                continue
            piece = xor_sectors(data[lo - offset:hi - offset], (lo - first) % SECTOR)
            data = data[:lo - offset] + piece + data[hi - offset:]
        return data

    def close(self) -> None:
        self._source.close()
