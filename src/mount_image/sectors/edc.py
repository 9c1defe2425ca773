"""EDC and ECC of raw CD-ROM sectors (ECMA-130 2nd ed. 1996, §14 and Annex A), for ``verify``
and for writing raw images.

- EDC: a 32-bit CRC with the polynomial (x^16+x^15+x^2+1)(x^16+x^2+x+1), bits taken LSB first
  (reflected form 0xD8018001), register starting at zero, no final inversion; stored
  little-endian. Mode 1 covers bytes 0..2063 (stored at 2064), Mode 2 Form 1 bytes 16..2071
  (stored at 2072), Mode 2 Form 2 bytes 16..2347 (stored at 2348; zero means "not computed").
- ECC: a Reed-Solomon product code over GF(2^8) (field polynomial x^8+x^4+x^3+x^2+1, alpha = 2)
  over bytes 12..2075 seen as 1032 16-bit words, MSB and LSB bytes coded apart: 86 P vectors of
  24 bytes + 2 parity (stored at 2076), then 52 Q diagonals of 43 bytes + 2 parity (stored at
  2248) that also cover the P parity. Parity check matrix of a vector x_0..x_{n+1}:
  sum x_i = 0 and sum alpha^(n+1-i) x_i = 0. Mode 2 computes the ECC with the 4 header bytes
  taken as zero, so a Form 1 sector's ECC does not depend on its address.

Speed: the bulk functions work on many sectors at once. With numpy (optional) the CRC runs
slicing-by-4 across all sectors of a run and the Reed-Solomon syndromes run as SWAR arithmetic on
64-bit words; without it, a column engine does the same with ``bytes.translate`` and big-integer
XOR over one byte position of every sector at a time. Neither loops over single bytes in Python.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..disc.msf import LEAD_IN, Msf, header_msf

SECTOR_SIZE = 2352
SYNC = b"\x00" + b"\xff" * 10 + b"\x00"
MODE1_USER_SIZE = 2048
FORM1_USER_SIZE = 2048
FORM2_USER_SIZE = 2324

EDC_POLY = 0xD8018001           # (x^16+x^15+x^2+1)(x^16+x^2+x+1), reflected (LSB-first)
GF_POLY = 0x11D                 # x^8+x^4+x^3+x^2+1
SUBMODE_FORM2 = 0x20            # CD-ROM XA subheader submode bit 5: Form 2
FORM1_SUBHEADER = b"\x00\x00\x08\x00"   # file 0, channel 0, submode Data, coding 0
FORM2_SUBHEADER = b"\x00\x00\x20\x00"   # submode Form 2

_ECC_START = 12                 # the ECC region starts at the header
_P_DATA, _P_VECTORS = 24, 86    # ECMA-130 Annex A: P vectors, 24 bytes + 2 parity each
_Q_DATA, _Q_VECTORS = 43, 52    # Q diagonals, 43 bytes + 2 parity each
_P_SIZE = _P_DATA * _P_VECTORS  # 2064: bytes 12..2075
_Q_SIZE = _Q_DATA * _Q_VECTORS  # 2236: bytes 12..2247 (data + P parity)
P_PARITY = _ECC_START + _P_SIZE         # 2076
Q_PARITY = _ECC_START + _Q_SIZE         # 2248
_MAX_EDC_SPAN = SECTOR_SIZE - 16        # Form 2: bytes 16..2351 with the stored EDC
_RUN = 2048                     # sectors handled together by the bulk functions (4.8 MB)

# ---------------------------------------------------------------------------------------------
# Tables (pure Python, small)

def _edc_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (EDC_POLY if c & 1 else 0)
        table.append(c)
    return table


EDC_TABLE = _edc_table()

_GF_EXP = [1]
while len(_GF_EXP) < 255:
    _GF_EXP.append(_GF_EXP[-1] << 1 ^ (GF_POLY if _GF_EXP[-1] & 0x80 else 0))
_GF_EXP += _GF_EXP  # alpha^(i + j) without a modulo
_GF_LOG = {value: i for i, value in enumerate(_GF_EXP[:255])}


def gf_mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _GF_EXP[_GF_LOG[a] + _GF_LOG[b]]


# MUL_ALPHA[k]: a bytes.translate table multiplying by alpha^k; DIV_1_ALPHA divides by 1 + alpha.
_MUL_ALPHA = [bytes(gf_mul(x, _GF_EXP[k]) for x in range(256)) for k in range(_Q_DATA + 2)]
_DIV_1_ALPHA = bytes(gf_mul(x, _GF_EXP[255 - _GF_LOG[3]]) for x in range(256))

# Byte offsets inside the ECC region (from byte 12) of each vector, data then parity.
_P_OFFSETS = [[j + _P_VECTORS * i for i in range(_P_DATA + 2)] for j in range(_P_VECTORS)]
_Q_OFFSETS = [
    [((m >> 1) * 86 + (m & 1) + 88 * i) % _Q_SIZE for i in range(_Q_DATA)]
    + [_Q_SIZE + m, _Q_SIZE + _Q_VECTORS + m]
    for m in range(_Q_VECTORS)
]


def compute_edc(data: bytes | bytearray | memoryview, edc: int = 0) -> int:
    """The EDC (ECMA-130 Annex A) of ``data``, continuing from ``edc``; table-driven, per byte.

    For one sector or less; the bulk functions below are the fast path."""
    table = EDC_TABLE
    for byte in bytes(data):
        edc = (edc >> 8) ^ table[(edc ^ byte) & 0xFF]
    return edc


# ---------------------------------------------------------------------------------------------
# One sector at a time, straight from the spec's vector definitions (check_sector and the
# single-sector encoders use this; it also cross-checks the bulk engines in the tests).

def _xtime(value: int, mask7: int, mask1: int) -> int:
    """Every byte of a big integer multiplied by alpha in GF(2^8), all at once."""
    return ((value & mask7) << 1) ^ (((value >> 7) & mask1) * (GF_POLY & 0xFF))


def _p_rows(region: bytes) -> list[bytes]:
    """Rows of the P vectors: row i holds byte i of each of the 86 vectors."""
    return [region[_P_VECTORS * i:_P_VECTORS * (i + 1)] for i in range(len(region) // _P_VECTORS)]


def _q_rows(region: bytes) -> list[bytes]:
    """Rows of the Q diagonals: byte i of diagonal w (MSB, LSB) is word i of P row (w + i) mod 26."""
    rows = []
    for i in range(_Q_DATA):
        msb, lsb = region[2 * i:_Q_SIZE:86], region[2 * i + 1:_Q_SIZE:86]
        shift = i % 26
        row = bytearray(_Q_VECTORS)
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
    p0 = (a ^ b).to_bytes(width, "big").translate(_DIV_1_ALPHA)
    p1 = (int.from_bytes(p0, "big") ^ b).to_bytes(width, "big")
    return p0, p1


def _ecc_region(sector: bytes | bytearray, zero_header: bool) -> bytes:
    region = bytes(sector[_ECC_START:_ECC_START + _Q_SIZE + 2 * _Q_VECTORS])
    return bytes(4) + region[4:] if zero_header else region


def _ecc_ok(sector: bytes, zero_header: bool) -> bool:
    region = _ecc_region(sector, zero_header)
    p_rows = _p_rows(region[:_Q_SIZE])
    q_rows = _q_rows(region) + [region[_Q_SIZE:_Q_SIZE + _Q_VECTORS], region[_Q_SIZE + _Q_VECTORS:]]
    return all(a == 0 and b == 0 for a, b in (_rs_horner(p_rows), _rs_horner(q_rows)))


def _ecc_fill_one(sector: bytearray, zero_header: bool) -> None:
    p0, p1 = _rs_parity(_p_rows(_ecc_region(sector, zero_header)[:_P_SIZE]))
    sector[P_PARITY:Q_PARITY] = p0 + p1
    q0, q1 = _rs_parity(_q_rows(_ecc_region(sector, zero_header)))
    sector[Q_PARITY:SECTOR_SIZE] = q0 + q1


# ---------------------------------------------------------------------------------------------
# Engines: each works on ``n`` whole 2352-byte sectors laid end to end in one buffer.

class _PythonEngine:
    """Column engine: one byte position of every sector at once (``buf[pos::2352]``)."""

    name = "python"

    def __init__(self) -> None:
        # _edc_cols[k][d]: byte k of the CRC of (byte, then d zero bytes), as a translate table.
        rows = [EDC_TABLE]
        for _ in range(_MAX_EDC_SPAN - 1):
            prev = rows[-1]
            rows.append([(c >> 8) ^ EDC_TABLE[c & 0xFF] for c in prev])
        self._edc_cols = [[bytes((c >> (8 * k)) & 0xFF for c in row) for row in rows] for k in range(4)]

    def _edc_accumulators(self, buf: bytes, start: int, length: int) -> list[int]:
        fb = int.from_bytes
        accs = [0, 0, 0, 0]
        cols = self._edc_cols
        for pos in range(start, start + length):
            column = buf[pos::SECTOR_SIZE]
            d = start + length - 1 - pos
            for k in range(4):
                accs[k] ^= fb(column.translate(cols[k][d]), "big")
        return accs

    def edc_bad(self, buf: bytes, n: int, start: int, length: int) -> list[int]:
        accs = self._edc_accumulators(buf, start, length)
        return _nonzero(accs[0] | accs[1] | accs[2] | accs[3], n)

    def edc_fill(self, buf: bytearray, n: int, start: int, length: int) -> None:
        accs = self._edc_accumulators(bytes(buf), start, length)
        for k in range(4):
            buf[start + length + k::SECTOR_SIZE] = accs[k].to_bytes(n, "big")

    @staticmethod
    def _rs_sums(buf: bytes, offsets: list[int], data: int, zero_header: bool) -> tuple[int, int]:
        """(sum alpha^(data+1-i) x_i, sum x_i) over the listed bytes of every sector."""
        fb = int.from_bytes
        a = b = 0
        for i, off in enumerate(offsets):
            if zero_header and off < 4:
                continue
            column = buf[_ECC_START + off::SECTOR_SIZE]
            b ^= fb(column, "big")
            a ^= fb(column.translate(_MUL_ALPHA[data + 1 - i]), "big")
        return a, b

    def ecc_bad(self, buf: bytes, n: int, zero_header: bool) -> list[int]:
        bad = 0
        for vectors, data in ((_P_OFFSETS, _P_DATA), (_Q_OFFSETS, _Q_DATA)):
            for offsets in vectors:
                a, b = self._rs_sums(buf, offsets, data, zero_header)
                bad |= a | b
        return _nonzero(bad, n)

    def ecc_fill(self, buf: bytearray, n: int, zero_header: bool) -> None:
        for vectors, data in ((_P_OFFSETS, _P_DATA), (_Q_OFFSETS, _Q_DATA)):
            snapshot = bytes(buf)  # Q covers the P parity just written
            for offsets in vectors:
                a, b = self._rs_sums(snapshot, offsets[:data], data, zero_header)
                p0 = (a ^ b).to_bytes(n, "big").translate(_DIV_1_ALPHA)
                p1 = (int.from_bytes(p0, "big") ^ b).to_bytes(n, "big")
                buf[_ECC_START + offsets[data]::SECTOR_SIZE] = p0
                buf[_ECC_START + offsets[data + 1]::SECTOR_SIZE] = p1


def _nonzero(flags: int, n: int) -> list[int]:
    """Indices of the non-zero bytes of a big-endian n-byte integer."""
    if not flags:
        return []
    raw = flags.to_bytes(n, "big")
    return [i for i, byte in enumerate(raw) if byte]


class _NumpyEngine:
    """CRC slicing-by-4 across sectors; Reed-Solomon syndromes as SWAR on uint64 words."""

    name = "numpy"

    def __init__(self, np) -> None:  # noqa: ANN001 - the numpy module
        self.np = np
        t0 = np.array(EDC_TABLE, dtype=np.uint32)
        self._crc = [t0]
        for _ in range(3):
            prev = self._crc[-1]
            self._crc.append((prev >> np.uint32(8)) ^ t0[prev & np.uint32(0xFF)])
        self._div = np.frombuffer(_DIV_1_ALPHA, dtype=np.uint8)
        # (row, vector) of the 4 header bytes among the Q diagonals' data bytes
        self._q_header = [(i, m) for m, offsets in enumerate(_Q_OFFSETS)
                          for i, off in enumerate(offsets[:_Q_DATA]) if off < 4]
        self._m7 = np.uint64(0x7F7F7F7F7F7F7F7F)
        self._m1 = np.uint64(0x0101010101010101)
        self._poly = np.uint64(GF_POLY & 0xFF)

    def _sectors(self, buf) -> object:  # noqa: ANN001
        np = self.np
        return np.frombuffer(buf, dtype=np.uint8).reshape(-1, SECTOR_SIZE)

    def _crc_run(self, sectors, start: int, length: int):  # noqa: ANN001, ANN202
        np = self.np
        words = np.ascontiguousarray(sectors[:, start:start + length]).view("<u4")
        words = np.ascontiguousarray(words.T)
        t0, t1, t2, t3 = self._crc
        c = np.zeros(sectors.shape[0], dtype=np.uint32)
        m, s8, s16, s24 = np.uint32(0xFF), np.uint32(8), np.uint32(16), np.uint32(24)
        for row in words:
            c ^= row
            c = t3[c & m] ^ t2[(c >> s8) & m] ^ t1[(c >> s16) & m] ^ t0[c >> s24]
        return c

    def edc_bad(self, buf: bytes, n: int, start: int, length: int) -> list[int]:
        c = self._crc_run(self._sectors(buf), start, length)
        return self.np.nonzero(c)[0].tolist()

    def edc_fill(self, buf: bytearray, n: int, start: int, length: int) -> None:
        sectors = self._sectors(buf)
        c = self._crc_run(sectors, start, length)
        sectors[:, start + length:start + length + 4] = c.astype("<u4").view(self.np.uint8).reshape(n, 4)

    def _vectors(self, sectors, zero_header: bool, q: bool, parity: bool):  # noqa: ANN001, ANN202
        """The P (or Q) vectors of every sector as (n, rows, width) uint8, padded to 8 bytes."""
        np = self.np
        n = sectors.shape[0]
        region = sectors[:, _ECC_START:_ECC_START + _Q_SIZE + (2 * _Q_VECTORS if q else 0)]
        data, width = (_Q_DATA, _Q_VECTORS) if q else (_P_DATA, _P_VECTORS)
        out = np.zeros((n, data + (2 if parity else 0), 56 if q else 88), dtype=np.uint8)
        if q:
            # In the 26 x 43 word matrix of the P vectors, Q diagonal w takes word i of row
            # (w + i) mod 26 (word 44i + 43w mod 1118, ECMA-130 Annex A): row i of the Q data is
            # word column i, rotated up by i.
            matrix = np.ascontiguousarray(region[:, :_Q_SIZE]).view("<u2").reshape(n, 26, 43)
            twice = np.concatenate([matrix, matrix], axis=1)
            out16 = out.view("<u2")
            for i in range(_Q_DATA):
                out16[:, i, :26] = twice[:, i % 26:i % 26 + 26, i]
        else:
            out[:, :data, :width] = region[:, :_P_SIZE].reshape(n, _P_DATA, _P_VECTORS)
        if parity:
            base = _Q_SIZE if q else _P_SIZE
            out[:, -2:, :width] = region[:, base:base + 2 * width].reshape(n, 2, width)
        if zero_header:
            if q:
                for row, column in self._q_header:
                    out[:, row, column] = 0
            else:
                out[:, 0, :4] = 0
        return out

    def _rs_sums(self, vectors):  # noqa: ANN001, ANN202
        """(sum alpha^(rows-1-i) x_i, sum x_i) of each vector, via Horner on 8 bytes at a time."""
        np = self.np
        words = vectors.view("<u8")
        a = np.zeros(words[:, 0].shape, dtype=np.uint64)
        b = np.zeros_like(a)
        one, seven = np.uint64(1), np.uint64(7)
        for i in range(words.shape[1]):
            a = ((a & self._m7) << one) ^ (((a >> seven) & self._m1) * self._poly)  # a *= alpha
            row = words[:, i]
            a ^= row
            b ^= row
        return a, b

    def ecc_bad(self, buf: bytes, n: int, zero_header: bool) -> list[int]:
        np = self.np
        sectors = self._sectors(buf)
        bad = np.zeros(n, dtype=bool)
        for q in (False, True):
            a, b = self._rs_sums(self._vectors(sectors, zero_header, q, parity=True))
            bad |= ((a | b) != 0).any(axis=1)
        return np.nonzero(bad)[0].tolist()

    def ecc_fill(self, buf: bytearray, n: int, zero_header: bool) -> None:
        np = self.np
        sectors = self._sectors(buf)
        for q, width, base in ((False, _P_VECTORS, P_PARITY), (True, _Q_VECTORS, Q_PARITY)):
            a, b = self._rs_sums(self._vectors(sectors, zero_header, q, parity=False))
            for _ in range(2):  # sum alpha^(data-1-i) x_i -> sum alpha^(data+1-i) x_i
                a = ((a & self._m7) << np.uint64(1)) ^ (((a >> np.uint64(7)) & self._m1) * self._poly)
            a8 = (a ^ b).view(np.uint8)[:, :width]
            p0 = self._div[a8]
            p1 = p0 ^ b.view(np.uint8)[:, :width]
            sectors[:, base:base + width] = p0
            sectors[:, base + width:base + 2 * width] = p1


_ENGINES: dict[str, object] = {}
_backend = os.environ.get("MOUNT_IMAGE_EDC_BACKEND", "auto")


def set_backend(name: str) -> str:
    """Choose "numpy", "python" or "auto" (numpy when importable); returns the previous choice."""
    global _backend
    if name not in ("auto", "numpy", "python"):
        raise ValueError(f"unknown EDC backend {name!r}")
    previous, _backend = _backend, name
    return previous


def backend() -> str:
    """The name of the engine the bulk functions use now."""
    return _engine().name  # type: ignore[attr-defined]


def _engine():  # noqa: ANN202
    name = _backend
    if name in ("auto", "numpy"):
        if "numpy" not in _ENGINES:
            try:
                import numpy  # optional: several times faster for verify (see bench/edc_speed.py)
            except ImportError:
                if name == "numpy":
                    raise
                _ENGINES["numpy"] = None
            else:
                _ENGINES["numpy"] = _NumpyEngine(numpy)
        if _ENGINES["numpy"] is not None:
            return _ENGINES["numpy"]
    if "python" not in _ENGINES:
        _ENGINES["python"] = _PythonEngine()
    return _ENGINES["python"]


# ---------------------------------------------------------------------------------------------
# Encoding

def _subheader(subheader: bytes) -> bytes:
    if len(subheader) == 4:
        return subheader * 2
    if len(subheader) == 8:
        return bytes(subheader)
    raise ValueError(f"an XA subheader has 4 or 8 bytes, got {len(subheader)}")


def _runs(count: int):  # noqa: ANN202
    for first in range(0, count, _RUN):
        yield first, min(_RUN, count - first)


def _encode_run(user: bytes, size: int, first_lba: int, mode: int, subheader: bytes,
                edc_span: tuple[int, int] | None, ecc: bool) -> bytes:
    count = len(user) // size
    if len(user) % size:
        raise ValueError(f"user data must be whole {size}-byte blocks, got {len(user)} bytes")
    engine = _engine()
    at_user = 16 + len(subheader)
    out = []
    for first, n in _runs(count):
        buf = bytearray(n * SECTOR_SIZE)
        for i in range(n):
            at, src = i * SECTOR_SIZE, (first + i) * size
            buf[at:at + at_user] = SYNC + header_msf(first_lba + first + i) + bytes((mode,)) + subheader
            buf[at + at_user:at + at_user + size] = user[src:src + size]
        if edc_span is not None:
            engine.edc_fill(buf, n, *edc_span)
        if ecc:
            engine.ecc_fill(buf, n, zero_header=mode == 2)
        out.append(bytes(buf))
    return b"".join(out)


def encode_mode1_run(user: bytes, first_lba: int) -> bytes:
    """Raw Mode 1 sectors (ECMA-130 §14.3) for consecutive 2048-byte blocks from ``first_lba``."""
    return _encode_run(user, MODE1_USER_SIZE, first_lba, 1, b"", (0, 2064), ecc=True)


def encode_mode2_form1_run(user: bytes, first_lba: int, subheader: bytes = FORM1_SUBHEADER) -> bytes:
    """Raw Mode 2 Form 1 sectors (ECMA-130 §14.5 + CD-ROM XA) for consecutive 2048-byte blocks."""
    return _encode_run(user, FORM1_USER_SIZE, first_lba, 2, _subheader(subheader), (16, 2056), ecc=True)


def encode_mode2_form2_run(user: bytes, first_lba: int, subheader: bytes = FORM2_SUBHEADER,
                           edc: bool = True) -> bytes:
    """Raw Mode 2 Form 2 sectors for consecutive 2324-byte blocks; the EDC is optional (zero)."""
    return _encode_run(user, FORM2_USER_SIZE, first_lba, 2, _subheader(subheader),
                       (16, 2332) if edc else None, ecc=False)


def _encode_one(user: bytes, size: int, lba: int, mode: int, subheader: bytes,
                edc_span: tuple[int, int] | None, ecc: bool) -> bytes:
    if len(user) != size:
        raise ValueError(f"user data of this sector form is {size} bytes, got {len(user)}")
    sector = bytearray(SYNC + header_msf(lba) + bytes((mode,)) + subheader + bytes(user))
    sector += bytes(SECTOR_SIZE - len(sector))
    if edc_span is not None:
        start, length = edc_span
        edc = compute_edc(sector[start:start + length])
        sector[start + length:start + length + 4] = edc.to_bytes(4, "little")
    if ecc:
        _ecc_fill_one(sector, zero_header=mode == 2)
    return bytes(sector)


def encode_mode1(user2048: bytes, lba: int) -> bytes:
    """One raw Mode 1 sector: sync, BCD MSF header of ``lba`` + 150, mode 1, data, EDC over
    0..2063, 8 zero bytes, P and Q parity over bytes 12..2075 with the header included."""
    return _encode_one(user2048, MODE1_USER_SIZE, lba, 1, b"", (0, 2064), ecc=True)


def encode_mode2_form1(user2048: bytes, lba: int, subheader: bytes = FORM1_SUBHEADER) -> bytes:
    """One raw Mode 2 Form 1 sector; EDC over 16..2071, ECC with the header taken as zero."""
    return _encode_one(user2048, FORM1_USER_SIZE, lba, 2, _subheader(subheader), (16, 2056), ecc=True)


def encode_mode2_form2(user2324: bytes, lba: int, subheader: bytes = FORM2_SUBHEADER,
                       edc: bool = True) -> bytes:
    """One raw Mode 2 Form 2 sector; EDC over 16..2347 (or zero when ``edc`` is false), no ECC."""
    return _encode_one(user2324, FORM2_USER_SIZE, lba, 2, _subheader(subheader),
                       (16, 2332) if edc else None, ecc=False)


# ---------------------------------------------------------------------------------------------
# Checking

@dataclass(frozen=True, slots=True)
class SectorCheck:
    """What ``check_sector`` found. ``edc_ok``/``ecc_ok`` are None where the sector carries none
    (Mode 0, Mode 2 without an XA subheader, Form 2 without EDC, Form 2 has no ECC)."""

    sync_ok: bool
    msf: Msf | None             # None when the header bytes are not valid BCD
    mode: int
    form: int | None            # 1 or 2 for Mode 2 with an XA subheader
    edc_ok: bool | None
    ecc_ok: bool | None
    reserved_ok: bool = True    # Mode 1: the 8 bytes after the EDC are zero

    @property
    def lba(self) -> int | None:
        return None if self.msf is None else self.msf.frames - LEAD_IN

    @property
    def ok(self) -> bool:
        return (self.sync_ok and self.msf is not None and self.mode in (0, 1, 2)
                and self.edc_ok is not False and self.ecc_ok is not False and self.reserved_ok)


def _decode_msf(header: bytes) -> Msf | None:
    digits = []
    for byte in header[:3]:
        hi, lo = byte >> 4, byte & 0x0F
        if hi > 9 or lo > 9:
            return None
        digits.append(hi * 10 + lo)
    try:
        return Msf(*digits)
    except ValueError:
        return None


def _kind(raw: bytes | memoryview, at: int) -> tuple[int, int | None]:
    """(mode, form) of the sector at ``at``; form None unless Mode 2 with an XA subheader."""
    mode = raw[at + 15]
    if mode != 2 or raw[at + 16:at + 20] != raw[at + 20:at + 24]:
        return mode, None
    return mode, 2 if raw[at + 18] & SUBMODE_FORM2 else 1


def check_sector(raw2352: bytes) -> SectorCheck:
    """Sync, header address, mode/form, EDC and ECC (P and Q) of one raw 2352-byte sector."""
    raw = bytes(raw2352)
    if len(raw) != SECTOR_SIZE:
        raise ValueError(f"a raw sector has {SECTOR_SIZE} bytes, got {len(raw)}")
    mode, form = _kind(raw, 0)
    edc_ok = ecc_ok = None
    reserved_ok = True
    if mode == 1:
        edc_ok = compute_edc(raw[:2068]) == 0  # the CRC over data + stored EDC leaves zero
        ecc_ok = _ecc_ok(raw, zero_header=False)
        reserved_ok = raw[2068:2076] == bytes(8)
    elif form == 1:
        edc_ok = compute_edc(raw[16:2076]) == 0
        ecc_ok = _ecc_ok(raw, zero_header=True)
    elif form == 2 and raw[2348:2352] != bytes(4):
        edc_ok = compute_edc(raw[16:2352]) == 0
    return SectorCheck(raw[:12] == SYNC, _decode_msf(raw[12:15]), mode, form, edc_ok, ecc_ok, reserved_ok)


def check_sectors(buf: bytes | bytearray | memoryview, first_lba: int | None = None,
                  ecc: bool = True) -> list[int]:
    """Indices (from 0) of the bad sectors among whole raw sectors laid end to end in ``buf``.

    Bad: sync wrong, header not the address ``first_lba + index`` (when given), unknown mode, or
    EDC, ECC (unless ``ecc`` is false) or Mode 1's 8 zero bytes wrong. Call ``check_sector`` on
    each for the details."""
    data = buf if isinstance(buf, bytes) else bytes(buf)
    if len(data) % SECTOR_SIZE:
        raise ValueError(f"{len(data)} bytes is not a whole number of {SECTOR_SIZE}-byte sectors")
    count = len(data) // SECTOR_SIZE
    bad: list[int] = []
    for first, n in _runs(count):
        chunk = data[first * SECTOR_SIZE:(first + n) * SECTOR_SIZE]
        lba = None if first_lba is None else first_lba + first
        bad.extend(first + i for i in _check_run(chunk, n, lba, ecc))
    return bad


_BCD = [(v // 10) << 4 | v % 10 for v in range(100)]
# (EDC span with the stored EDC, ECC header zeroed or None for no ECC) per (mode[, form])
_CHECKS = {1: ((0, 2068), False), (2, 1): ((16, 2060), True), (2, 2): ((16, 2336), None)}


def _mismatches(column: bytes, expected: bytes) -> list[int]:
    if column == expected:
        return []
    return [i for i, (got, want) in enumerate(zip(column, expected)) if got != want]


def _check_run(chunk: bytes, n: int, first_lba: int | None, ecc: bool) -> list[int]:
    engine = _engine()
    bad: set[int] = set()
    # Sync, header and the mode byte are checked a byte position at a time across the run.
    for pos in range(12):
        bad.update(_mismatches(chunk[pos::SECTOR_SIZE], SYNC[pos:pos + 1] * n))
    if first_lba is not None:
        frames = range(first_lba + LEAD_IN, first_lba + LEAD_IN + n)
        if frames[0] < 0 or frames[-1] >= 100 * 4500:
            raise ValueError(f"LBA {first_lba}..{first_lba + n - 1} has no BCD MSF header")
        expected = (bytes(_BCD[f // 4500] for f in frames), bytes(_BCD[f // 75 % 60] for f in frames),
                    bytes(_BCD[f % 75] for f in frames))
        for k in range(3):
            bad.update(_mismatches(chunk[12 + k::SECTOR_SIZE], expected[k]))
    groups: dict[object, list[int]] = {1: [], (2, 1): [], (2, 2): []}
    if chunk[15::SECTOR_SIZE] == b"\x01" * n:
        groups[1] = list(range(n))
        for pos in range(2068, 2076):
            bad.update(_mismatches(chunk[pos::SECTOR_SIZE], bytes(n)))
    else:
        zero8 = bytes(8)
        for i in range(n):
            at = i * SECTOR_SIZE
            mode, form = _kind(chunk, at)
            if mode == 1:
                groups[1].append(i)
                if chunk[at + 2068:at + 2076] != zero8:
                    bad.add(i)
            elif form == 1:
                groups[(2, 1)].append(i)
            elif form == 2:
                if chunk[at + 2348:at + 2352] != b"\0\0\0\0":
                    groups[(2, 2)].append(i)
            elif mode not in (0, 2):
                bad.add(i)
    for key, members in groups.items():
        if members:
            sub = chunk if len(members) == n else b"".join(
                chunk[i * SECTOR_SIZE:(i + 1) * SECTOR_SIZE] for i in members)
            (start, length), zero_header = _CHECKS[key]
            found = engine.edc_bad(sub, len(members), start, length)
            if ecc and zero_header is not None:
                found += engine.ecc_bad(sub, len(members), zero_header)
            bad.update(members[j] for j in found)
    return sorted(bad)
