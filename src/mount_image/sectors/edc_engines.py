"""Bulk EDC/ECC engines (ECMA-130 Annex A): check or fill many raw 2352-byte sectors at once.

Each engine works on ``n`` whole sectors laid end to end in one buffer. With numpy (optional) the
CRC runs slicing-by-16 with 16-bit tables across all sectors of a run and the Reed-Solomon
syndromes run as SWAR arithmetic on 64-bit words; without it, a column engine does the same with ``bytes.translate``
and big-integer XOR over one byte position of every sector at a time. Neither loops over single
bytes in Python. ``engine()`` gives the chosen one (``set_backend``, or the
MOUNT_IMAGE_EDC_BACKEND environment variable: auto, numpy, python).
"""

from __future__ import annotations

import os

from ..binary import optional_numpy
from .ecc_pq import (DIV_1_ALPHA, ECC_START, GF_POLY, MUL_ALPHA, P_DATA, P_OFFSETS, P_PARITY, P_SIZE,
                     P_VECTORS, Q_DATA, Q_OFFSETS, Q_PARITY, Q_SIZE, Q_VECTORS, SECTOR_SIZE)
from .edc_crc import EDC_TABLE

MAX_EDC_SPAN = SECTOR_SIZE - 16 # Form 2: bytes 16..2351 with the stored EDC
CRC_BLOCK = 16                  # bytes the numpy CRC takes per step (see _NumpyEngine._crc_run)
RUN = 2048                      # sectors handled together by the bulk functions (4.8 MB)


def runs(count: int):  # noqa: ANN201
    """(first, n) of each run of at most RUN sectors among ``count``."""
    for first in range(0, count, RUN):
        yield first, min(RUN, count - first)


class _PythonEngine:
    """Column engine: one byte position of every sector at once (``buf[pos::2352]``)."""

    name = "python"

    def __init__(self) -> None:
        # _edc_cols[k][d]: byte k of the CRC of (byte, then d zero bytes), as a translate table.
        rows = [EDC_TABLE]
        for _ in range(MAX_EDC_SPAN - 1):
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
            column = buf[ECC_START + off::SECTOR_SIZE]
            b ^= fb(column, "big")
            a ^= fb(column.translate(MUL_ALPHA[data + 1 - i]), "big")
        return a, b

    def ecc_bad(self, buf: bytes, n: int, zero_header: bool) -> list[int]:
        bad = 0
        for vectors, data in ((P_OFFSETS, P_DATA), (Q_OFFSETS, Q_DATA)):
            for offsets in vectors:
                a, b = self._rs_sums(buf, offsets, data, zero_header)
                bad |= a | b
        return _nonzero(bad, n)

    def ecc_fill(self, buf: bytearray, n: int, zero_header: bool) -> None:
        for vectors, data in ((P_OFFSETS, P_DATA), (Q_OFFSETS, Q_DATA)):
            snapshot = bytes(buf)  # Q covers the P parity just written
            for offsets in vectors:
                a, b = self._rs_sums(snapshot, offsets[:data], data, zero_header)
                p0 = (a ^ b).to_bytes(n, "big").translate(DIV_1_ALPHA)
                p1 = (int.from_bytes(p0, "big") ^ b).to_bytes(n, "big")
                buf[ECC_START + offsets[data]::SECTOR_SIZE] = p0
                buf[ECC_START + offsets[data + 1]::SECTOR_SIZE] = p1


def _nonzero(flags: int, n: int) -> list[int]:
    """Indices of the non-zero bytes of a big-endian n-byte integer."""
    if not flags:
        return []
    raw = flags.to_bytes(n, "big")
    return [i for i, byte in enumerate(raw) if byte]


class _NumpyEngine:
    """CRC slicing-by-16 across sectors; Reed-Solomon syndromes as SWAR on uint64 words."""

    name = "numpy"

    def __init__(self, np) -> None:  # noqa: ANN001 - the numpy module
        self.np = np
        self._crc = self._crc_tables(np)
        self._div = np.frombuffer(DIV_1_ALPHA, dtype=np.uint8)
        # (row, vector) of the 4 header bytes among the Q diagonals' data bytes
        self._q_header = [(i, m) for m, offsets in enumerate(Q_OFFSETS)
                          for i, off in enumerate(offsets[:Q_DATA]) if off < 4]
        self._words = {q: self._vector_words(np, q) for q in (False, True)}
        self._m7 = np.uint64(0x7F7F7F7F7F7F7F7F)
        self._m1 = np.uint64(0x0101010101010101)
        self._poly = np.uint64(GF_POLY & 0xFF)

    def _sectors(self, buf) -> object:  # noqa: ANN001
        np = self.np
        return np.frombuffer(buf, dtype=np.uint8).reshape(-1, SECTOR_SIZE)

    @staticmethod
    def _crc_tables(np):  # noqa: ANN001, ANN205
        """tables[j][x]: the EDC register after a CRC_BLOCK-byte block that is zero but for the
        16-bit little-endian chunk j, which is x, starting from a zero register (2 MiB)."""
        t0 = np.array(EDC_TABLE, dtype=np.uint32)
        x = np.arange(1 << 16, dtype=np.uint32)
        zero, low, high = np.zeros_like(x), x & np.uint32(0xFF), x >> np.uint32(8)
        tables = []
        for j in range(CRC_BLOCK // 2):
            register = np.zeros_like(x)
            for pos in range(CRC_BLOCK):
                byte = low if pos == 2 * j else high if pos == 2 * j + 1 else zero
                register = (register >> np.uint32(8)) ^ t0[(register ^ byte) & np.uint32(0xFF)]
            tables.append(register)
        return tables

    def _crc_run(self, sectors, start: int, length: int):  # noqa: ANN001, ANN202
        """The EDC register after bytes [start, start + length) of every sector.

        The CRC is linear and starts from zero, so zero bytes put in front change nothing: the
        span is padded to whole CRC_BLOCK-byte blocks. Each block moves the register to
        T0[lo16(c ^ w)] ^ T1[hi16(c ^ w)] ^ (T2..T7 of the block's other chunks), w its first
        32 bits; the part that does not depend on the register is looked up for all blocks at
        once, so the per-block loop (a numpy call per step, across all sectors) has 7 steps
        for 16 bytes where byte-wise slicing-by-4 had 14 for 4.
        """
        np = self.np
        n = sectors.shape[0]
        pad = -length % CRC_BLOCK
        blocks = (pad + length) // CRC_BLOCK
        message = np.zeros((n, pad + length), dtype=np.uint8)
        message[:, pad:] = sectors[:, start:start + length]
        chunks = message.view("<u2").reshape(n, blocks, CRC_BLOCK // 2)
        tables = self._crc
        rest = tables[2].take(chunks[:, :, 2])
        for j in range(3, CRC_BLOCK // 2):
            rest ^= tables[j].take(chunks[:, :, j])
        rest = np.ascontiguousarray(rest.T)                    # (blocks, n)
        first = np.ascontiguousarray(message.view("<u4").reshape(n, blocks, CRC_BLOCK // 4)[:, :, 0].T)
        t_low, t_high = tables[0], tables[1]
        c = np.zeros(n, dtype=np.uint32)
        low = np.empty(n, dtype=np.uint32)
        index = np.empty(n, dtype=np.intp)
        for b in range(blocks):
            c ^= first[b]
            np.bitwise_and(c, 0xFFFF, out=index)
            np.take(t_low, index, out=low)
            np.right_shift(c, 16, out=index)
            np.take(t_high, index, out=c)
            c ^= low
            c ^= rest[b]
        return c

    def edc_bad(self, buf: bytes, n: int, start: int, length: int) -> list[int]:
        c = self._crc_run(self._sectors(buf), start, length)
        return self.np.nonzero(c)[0].tolist()

    def edc_fill(self, buf: bytearray, n: int, start: int, length: int) -> None:
        sectors = self._sectors(buf)
        c = self._crc_run(sectors, start, length)
        sectors[:, start + length:start + length + 4] = c.astype("<u4").view(self.np.uint8).reshape(n, 4)

    @staticmethod
    def _vector_words(np, q: bool):  # noqa: ANN001, ANN205
        """(rows, lanes) word index into the ECC region (bytes 12..2351 as 1170 16-bit words):
        row i holds word i of every P (or Q) vector pair, data rows then the 2 parity rows.

        Vectors 2k and 2k+1 are the two bytes of the same words (ECMA-130 Annex A), so whole
        words are gathered. Rows are padded to a multiple of 8 bytes (4 words) for the uint64
        arithmetic with word 0; the padding lanes are never looked at.
        """
        offsets = Q_OFFSETS if q else P_OFFSETS
        pairs = len(offsets) // 2
        lanes = -(-pairs // 4) * 4
        index = np.zeros((len(offsets[0]), lanes), dtype=np.intp)
        for k in range(pairs):
            index[:, k] = [off // 2 for off in offsets[2 * k]]
        return index

    def _vectors(self, sectors, zero_header: bool, q: bool, parity: bool):  # noqa: ANN001, ANN202
        """The P (or Q) vectors of every sector as (n, rows, width) uint8, padded to 8 bytes;
        bytes past the vectors' width are padding (garbage, not zero)."""
        np = self.np
        index = self._words[q] if parity else self._words[q][:Q_DATA if q else P_DATA]
        words = sectors[:, ECC_START:SECTOR_SIZE].view("<u2")
        out = words.take(index, axis=1).view(np.uint8)
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
        carry = np.empty_like(a)
        one, seven = np.uint64(1), np.uint64(7)
        for i in range(words.shape[1]):
            # a *= alpha in every byte: shift left, and reduce the bytes that overflowed
            np.right_shift(a, seven, out=carry)
            carry &= self._m1
            carry *= self._poly
            a &= self._m7
            a <<= one
            a ^= carry
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
            width = Q_VECTORS if q else P_VECTORS    # the bytes past it are padding lanes
            bad |= ((a | b).view(np.uint8)[:, :width] != 0).any(axis=1)
        return np.nonzero(bad)[0].tolist()

    def ecc_fill(self, buf: bytearray, n: int, zero_header: bool) -> None:
        np = self.np
        sectors = self._sectors(buf)
        for q, width, base in ((False, P_VECTORS, P_PARITY), (True, Q_VECTORS, Q_PARITY)):
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
    return engine().name  # type: ignore[attr-defined]


def engine():  # noqa: ANN201
    """The bulk engine chosen by set_backend (numpy when importable under "auto")."""
    name = _backend
    if name in ("auto", "numpy"):
        if "numpy" not in _ENGINES:  # optional: several times faster (see bench/edc_speed.py)
            numpy = optional_numpy()
            _ENGINES["numpy"] = None if numpy is None else _NumpyEngine(numpy)
        if _ENGINES["numpy"] is None and name == "numpy":
            raise ImportError("the numpy EDC/ECC engine was asked for, and numpy is not installed")
        if _ENGINES["numpy"] is not None:
            return _ENGINES["numpy"]
    if "python" not in _ENGINES:
        _ENGINES["python"] = _PythonEngine()
    return _ENGINES["python"]


