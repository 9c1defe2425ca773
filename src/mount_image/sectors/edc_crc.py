"""The EDC of a raw CD-ROM sector (ECMA-130 2nd ed. 1996, §14.3-14.5 and Annex A): a CRC-32.

The polynomial is (x^16+x^15+x^2+1)(x^16+x^2+x+1), bits taken LSB first (reflected form
0xD8018001), the register starts at zero and is not inverted at the end; the EDC is stored
little-endian. Mode 1 covers bytes 0..2063 (stored at 2064), Mode 2 Form 1 bytes 16..2071
(stored at 2072), Mode 2 Form 2 bytes 16..2347 (stored at 2348; zero means "not computed").
Running the CRC over the covered bytes and the stored EDC leaves zero when they agree.

This module is the one-byte-at-a-time reference; edc_engines.py runs the same CRC over many
sectors at once.
"""

from __future__ import annotations

EDC_POLY = 0xD8018001           # (x^16+x^15+x^2+1)(x^16+x^2+x+1), reflected (LSB-first)


def _edc_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (EDC_POLY if c & 1 else 0)
        table.append(c)
    return table


EDC_TABLE = _edc_table()


def compute_edc(data: bytes | bytearray | memoryview, edc: int = 0) -> int:
    """The EDC (ECMA-130 Annex A) of ``data``, continuing from ``edc``; table-driven, per byte.

    For one sector or less; the bulk functions below are the fast path."""
    table = EDC_TABLE
    for byte in bytes(data):
        edc = (edc >> 8) ^ table[(edc ^ byte) & 0xFF]
    return edc
