"""The ECC of a raw CD-ROM sector (ECMA-130 2nd ed. 1996, §14.3, §14.5 and Annex A): P and Q parity.

A Reed-Solomon product code over GF(2^8) (field polynomial x^8+x^4+x^3+x^2+1, alpha = 2) over
bytes 12..2075 seen as 1032 16-bit words, MSB and LSB bytes coded apart: 86 P vectors of 24 bytes
+ 2 parity (stored at 2076), then 52 Q diagonals of 43 bytes + 2 parity (stored at 2248) that
also cover the P parity. Parity check matrix of a vector x_0..x_{n+1}: sum x_i = 0 and
sum alpha^(n+1-i) x_i = 0. Mode 2 computes the ECC with the 4 header bytes taken as zero, so a
Form 1 sector's ECC does not depend on its address.

Here: the field tables and vector positions the bulk engines (edc_engines.py) share, and the
one-sector encoder and check, written straight from the vector definitions (the single-sector
functions of edc.py use them; they also cross-check the bulk engines in the tests).
"""

from __future__ import annotations

from .layout import RAW_SECTOR as SECTOR_SIZE

GF_POLY = 0x11D                 # x^8+x^4+x^3+x^2+1
ECC_START = 12                  # the ECC region starts at the header
P_DATA, P_VECTORS = 24, 86      # ECMA-130 Annex A: P vectors, 24 bytes + 2 parity each
Q_DATA, Q_VECTORS = 43, 52      # Q diagonals, 43 bytes + 2 parity each
P_SIZE = P_DATA * P_VECTORS     # 2064: bytes 12..2075
Q_SIZE = Q_DATA * Q_VECTORS     # 2236: bytes 12..2247 (data + P parity)
P_PARITY = ECC_START + P_SIZE   # 2076
Q_PARITY = ECC_START + Q_SIZE   # 2248

GF_EXP = [1]
while len(GF_EXP) < 255:
    GF_EXP.append(GF_EXP[-1] << 1 ^ (GF_POLY if GF_EXP[-1] & 0x80 else 0))
GF_EXP += GF_EXP  # alpha^(i + j) without a modulo
GF_LOG = {value: i for i, value in enumerate(GF_EXP[:255])}


def gf_mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return GF_EXP[GF_LOG[a] + GF_LOG[b]]


# MUL_ALPHA[k]: a bytes.translate table multiplying by alpha^k; DIV_1_ALPHA divides by 1 + alpha.
MUL_ALPHA = [bytes(gf_mul(x, GF_EXP[k]) for x in range(256)) for k in range(Q_DATA + 2)]
DIV_1_ALPHA = bytes(gf_mul(x, GF_EXP[255 - GF_LOG[3]]) for x in range(256))

# Byte offsets inside the ECC region (from byte 12) of each vector, data then parity.
P_OFFSETS = [[j + P_VECTORS * i for i in range(P_DATA + 2)] for j in range(P_VECTORS)]
Q_OFFSETS = [
    [((m >> 1) * 86 + (m & 1) + 88 * i) % Q_SIZE for i in range(Q_DATA)]
    + [Q_SIZE + m, Q_SIZE + Q_VECTORS + m]
    for m in range(Q_VECTORS)
]


def _xtime(value: int, mask7: int, mask1: int) -> int:
    """Every byte of a big integer multiplied by alpha in GF(2^8), all at once."""
    return ((value & mask7) << 1) ^ (((value >> 7) & mask1) * (GF_POLY & 0xFF))


def _p_rows(region: bytes) -> list[bytes]:
    """Rows of the P vectors: row i holds byte i of each of the 86 vectors."""
    return [region[P_VECTORS * i:P_VECTORS * (i + 1)] for i in range(len(region) // P_VECTORS)]


def _q_rows(region: bytes) -> list[bytes]:
    """Rows of the Q diagonals: byte i of diagonal w (MSB, LSB) is word i of P row (w + i) mod 26."""
    rows = []
    for i in range(Q_DATA):
        msb, lsb = region[2 * i:Q_SIZE:86], region[2 * i + 1:Q_SIZE:86]
        shift = i % 26
        row = bytearray(Q_VECTORS)
        row[0::2] = msb[shift:] + msb[:shift]
        row[1::2] = lsb[shift:] + lsb[:shift]
        rows.append(bytes(row))
    return rows


def _rs_horner(rows: list[bytes]) -> tuple[int, int]:
    """(sum alpha^(len-1-i) row_i, sum row_i) bytewise, as big integers."""
    width = len(rows[0])
    mask7, mask1 = int.from_bytes(b"\x7f" * width, "big"), int.from_bytes(b"\x01" * width, "big")
    a = b = 0
    for row in rows:
        value = int.from_bytes(row, "big")
        a = _xtime(a, mask7, mask1) ^ value
        b ^= value
    return a, b


def _rs_parity(rows: list[bytes]) -> tuple[bytes, bytes]:
    """The two parity rows that make sum x_i = 0 and sum alpha^(n+1-i) x_i = 0."""
    width = len(rows[0])
    mask7, mask1 = int.from_bytes(b"\x7f" * width, "big"), int.from_bytes(b"\x01" * width, "big")
    a, b = _rs_horner(rows)
    a = _xtime(_xtime(a, mask7, mask1), mask7, mask1)
    p0 = (a ^ b).to_bytes(width, "big").translate(DIV_1_ALPHA)
    p1 = (int.from_bytes(p0, "big") ^ b).to_bytes(width, "big")
    return p0, p1


def _ecc_region(sector: bytes | bytearray, zero_header: bool) -> bytes:
    region = bytes(sector[ECC_START:ECC_START + Q_SIZE + 2 * Q_VECTORS])
    return bytes(4) + region[4:] if zero_header else region


def ecc_ok(sector: bytes, zero_header: bool) -> bool:
    region = _ecc_region(sector, zero_header)
    p_rows = _p_rows(region[:Q_SIZE])
    q_rows = _q_rows(region) + [region[Q_SIZE:Q_SIZE + Q_VECTORS], region[Q_SIZE + Q_VECTORS:]]
    return all(a == 0 and b == 0 for a, b in (_rs_horner(p_rows), _rs_horner(q_rows)))


def ecc_fill_one(sector: bytearray, zero_header: bool) -> None:
    p0, p1 = _rs_parity(_p_rows(_ecc_region(sector, zero_header)[:P_SIZE]))
    sector[P_PARITY:Q_PARITY] = p0 + p1
    q0, q1 = _rs_parity(_q_rows(_ecc_region(sector, zero_header)))
    sector[Q_PARITY:SECTOR_SIZE] = q0 + q1


# ---------------------------------------------------------------------------------------------
