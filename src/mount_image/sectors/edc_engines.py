"""Bulk EDC/ECC engines (ECMA-130 Annex A): check or fill many raw 2352-byte sectors at once.

Each engine works on ``n`` whole sectors laid end to end in one buffer. With numpy (optional) the
CRC runs slicing-by-16 with 16-bit tables across all sectors of a run and the Reed-Solomon
syndromes run by Horner over rows of P/Q bytes gathered GROUP sectors side by side; without it,
a column engine does the same with ``bytes.translate`` and big-integer XOR over one byte
position of every sector at a time. Neither loops over single
bytes in Python. ``engine()`` gives the chosen one (``set_backend``, or the
MOUNT_IMAGE_EDC_BACKEND environment variable: auto, numpy, python).
"""

from __future__ import annotations

import os
import threading

from ..binary import optional_numpy
from .ecc_pq import (DIV_1_ALPHA, ECC_START, GF_POLY, MUL_ALPHA, P_DATA, P_OFFSETS, P_PARITY, P_SIZE,
                     P_VECTORS, Q_DATA, Q_OFFSETS, Q_PARITY, Q_SIZE, Q_VECTORS, SECTOR_SIZE)
from .edc_crc import EDC_TABLE

MAX_EDC_SPAN = SECTOR_SIZE - 16 # Form 2: bytes 16..2351 with the stored EDC
CRC_BLOCK = 16                  # bytes the numpy CRC takes per step (see _NumpyEngine._crc_run)
RUN = 2048                      # sectors handled together by the bulk functions (4.8 MB)
GROUP = 16                      # sectors side by side in one row of gathered P/Q words


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
        accs = self._edc_accumulators(bytes(buf), start, length)  # translate needs bytes
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
        buf = bytes(buf)  # a memoryview from check_sectors: translate needs bytes
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
    """CRC slicing-by-16 across sectors; Reed-Solomon syndromes by Horner on gathered rows."""

    name = "numpy"

    def __init__(self, np) -> None:  # noqa: ANN001 - the numpy module
        self.np = np
        self._crc = self._crc_tables(np)
        self._div = np.frombuffer(DIV_1_ALPHA, dtype=np.uint8)
        self._index: dict[tuple[bool, int], object] = {}
        self._local = threading.local()
        # numpy scalars made once: a Python int argument is converted again on every call
        self._u32_16, self._u32_ffff = np.uint32(16), np.uint32(0xFFFF)
        self._i8_7, self._u8_poly = np.int8(7), np.uint8(GF_POLY & 0xFF)

    def _sectors(self, buf) -> object:  # noqa: ANN001
        np = self.np
        return np.frombuffer(buf, dtype=np.uint8).reshape(-1, SECTOR_SIZE)

    @staticmethod
    def _crc_tables(np):  # noqa: ANN001, ANN205
        """tables[j][x]: the EDC register after a CRC_BLOCK-byte block that is zero but for the
        16-bit little-endian chunk j, which is x, starting from a zero register (2 MiB).

        The last chunk's table is the CRC of its two bytes; each chunk before it is followed by
        two more zero bytes, one zero-byte step (c >> 8 ^ t0[c & 0xFF]) each."""
        t0 = np.array(EDC_TABLE, dtype=np.uint32)
        x = np.arange(1 << 16, dtype=np.uint32)
        eight, low_byte = np.uint32(8), np.uint32(0xFF)

        def step(register, byte):  # noqa: ANN001, ANN202
            return (register >> eight) ^ t0[(register ^ byte) & low_byte]
        tables = [step(step(np.zeros_like(x), x & low_byte), x >> eight)]
        for _ in range(CRC_BLOCK // 2 - 1):
            tables.append(step(step(tables[-1], 0), 0))
        return tables[::-1]

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
        # np.take with out= and the default mode="raise" writes to a copy first; the indices
        # are in range by construction (16-bit chunks into 64K tables), so "wrap" is free.
        index = np.empty((n, blocks), dtype=np.intp)
        looked = np.empty((n, blocks), dtype=np.uint32)
        rest = np.zeros((n, blocks), dtype=np.uint32)
        for j in range(2, CRC_BLOCK // 2):
            np.copyto(index, chunks[:, :, j])
            np.take(tables[j], index, out=looked, mode="wrap")
            rest ^= looked
        rest = np.ascontiguousarray(rest.T)                    # (blocks, n)
        first = np.ascontiguousarray(message.view("<u4").reshape(n, blocks, CRC_BLOCK // 4)[:, :, 0].T)
        t_low, t_high, mask, shift = tables[0], tables[1], self._u32_ffff, self._u32_16
        c = np.zeros(n, dtype=np.uint32)
        low = np.empty(n, dtype=np.uint32)
        index_low = np.empty(n, dtype=np.intp)
        index_high = np.empty(n, dtype=np.intp)
        for b in range(blocks):
            c ^= first[b]
            np.bitwise_and(c, mask, out=index_low)
            np.right_shift(c, shift, out=index_high)
            np.take(t_low, index_low, out=low, mode="wrap")
            np.take(t_high, index_high, out=c, mode="wrap")
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

    def _work(self, name: str, shape: tuple[int, ...], dtype):  # noqa: ANN001, ANN202
        """A scratch array kept per thread and reused: a fresh multi-megabyte array per call
        costs its page faults again every time (as much as the gather that fills it)."""
        cache = self._local.__dict__
        array = cache.get(name)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = cache[name] = self.np.empty(shape, dtype=dtype)
        return array

    def _q_index(self, parity: bool, group: int):  # noqa: ANN202
        """(rows, group * 26) index into ``group`` sectors seen as one row of 16-bit words: row
        i holds word i of every Q diagonal pair of each sector, sector after sector; the 43
        data rows, then the 2 parity rows when ``parity``. Diagonals 2k and 2k+1 are the two
        bytes of the same words (ECMA-130 Annex A), so whole words are gathered."""
        key = (parity, group)
        if key not in self._index:
            np = self.np
            rows = Q_DATA + 2 if parity else Q_DATA
            pairs = np.array([Q_OFFSETS[2 * k][:rows] for k in range(Q_VECTORS // 2)]).T // 2
            words = ECC_START // 2 + pairs[:, None, :] + (SECTOR_SIZE // 2) * np.arange(group)[:, None]
            self._index[key] = words.reshape(rows, group * (Q_VECTORS // 2))
        return self._index[key]

    def _gather(self, part, q: bool, parity: bool, group: int):  # noqa: ANN001, ANN202
        """The P (or Q) vectors of ``part`` (whole groups of ``group`` sectors) as
        (groups, rows, width) uint8: row i holds byte i of every vector of each sector of a
        group, sector after sector, data rows then (when ``parity``) the 2 parity rows. The
        width is rounded up to whole uint64 words; the padding bytes are never looked at.

        P row i is bytes 86i..86i+85 of the ECC region, so P is gathered by copying 86-byte
        items; a Q diagonal takes one word of each P row, so Q goes through a word index.
        """
        np = self.np
        groups = part.shape[0] // group
        vectors = Q_VECTORS if q else P_VECTORS
        rows = (Q_DATA if q else P_DATA) + (2 if parity else 0)
        width = group * vectors
        out = self._work(f"gather{q:d}", (groups, rows, -(-width // 8) * 8), np.uint8)
        if q:
            words = part.view("<u2").reshape(groups, group * SECTOR_SIZE // 2)
            index = self._q_index(parity, group)
            words.take(index, axis=1, out=out[:, :, :width].view("<u2"), mode="wrap")
        else:
            region = part[:, ECC_START:ECC_START + rows * P_VECTORS].view(f"V{P_VECTORS}")
            self.np.copyto(out[:, :, :width].view(f"V{P_VECTORS}"),
                           region.reshape(groups, group, rows).transpose(0, 2, 1))
        return out

    def _syndromes(self, sectors, zero_header: bool, q: bool, parity: bool):  # noqa: ANN001, ANN202
        """(sum alpha^(rows-1-i) x_i, sum x_i) of every P (or Q) vector of every sector, as two
        (n, vectors) uint8 arrays; over the data rows only unless ``parity``."""
        np = self.np
        n = sectors.shape[0]
        vectors = Q_VECTORS if q else P_VECTORS
        a_all = np.empty((n, vectors), dtype=np.uint8)
        b_all = np.empty((n, vectors), dtype=np.uint8)
        whole = n - n % GROUP
        for first, count, group in ((0, whole, GROUP), (whole, n - whole, n - whole)):
            if not count:
                continue
            gathered = self._gather(sectors[first:first + count], q, parity, group)
            if zero_header:  # Mode 2 codes the ECC with the 4 header bytes taken as zero
                starts = vectors * np.arange(group)
                # ECC words 0 and 1: word 0 of P pairs 0 and 1; word 0 of Q pair 0, word 1 of pair 25
                for row, at in ((0, 0), (0, 1), (1, vectors - 2), (1, vectors - 1)) if q else \
                        ((0, 0), (0, 1), (0, 2), (0, 3)):
                    gathered[:, row, starts + at] = 0
            a, b = self._rs_sums(gathered.view("<u8"))
            width = group * vectors
            a_all[first:first + count] = a.view(np.uint8)[:, :width].reshape(count, vectors)
            b_all[first:first + count] = b.view(np.uint8)[:, :width].reshape(count, vectors)
        return a_all, b_all

    def _rs_sums(self, rows):  # noqa: ANN001, ANN202
        """(sum alpha^(rows-1-i) x_i, sum x_i) of each vector: Horner over the rows of
        (groups, rows, lanes) uint64 words, 8 vector bytes per lane; a row is one contiguous
        stretch of a group, so each numpy call runs a long inner loop."""
        np = self.np
        a = rows[:, 0].copy()
        b = a.copy()
        a_bytes, a_signed = a.view(np.uint8), a.view(np.int8)
        carry = np.empty_like(a_signed)
        seven, poly = self._i8_7, self._u8_poly
        for i in range(1, rows.shape[1]):
            self._times_alpha(a_bytes, a_signed, carry, seven, poly)
            row = rows[:, i]
            a ^= row
            b ^= row
        return a, b

    def _times_alpha(self, a_bytes, a_signed, carry, seven, poly) -> None:  # noqa: ANN001
        """Every byte times alpha in GF(2^8): doubled (wrapping), then the field polynomial
        xored in where the top bit fell off. The arithmetic shift of the signed view makes
        that mask (0xFF or 0) in one call, and byte-wise add doubles without a carry."""
        np = self.np
        np.right_shift(a_signed, seven, out=carry)
        carry_bytes = carry.view(np.uint8)
        carry_bytes &= poly
        np.add(a_bytes, a_bytes, out=a_bytes)
        a_bytes ^= carry_bytes

    def ecc_bad(self, buf: bytes, n: int, zero_header: bool) -> list[int]:
        np = self.np
        sectors = self._sectors(buf)
        bad = np.zeros(n, dtype=bool)
        for q in (False, True):
            a, b = self._syndromes(sectors, zero_header, q, parity=True)
            a |= b
            bad |= a.any(axis=1)
        return np.nonzero(bad)[0].tolist()

    def ecc_fill(self, buf: bytearray, n: int, zero_header: bool) -> None:
        np = self.np
        sectors = self._sectors(buf)
        for q, width, base in ((False, P_VECTORS, P_PARITY), (True, Q_VECTORS, Q_PARITY)):
            a, b = self._syndromes(sectors, zero_header, q, parity=False)
            carry = np.empty_like(a, dtype=np.int8)
            for _ in range(2):  # sum alpha^(data-1-i) x_i -> sum alpha^(data+1-i) x_i
                self._times_alpha(a, a.view(np.int8), carry, self._i8_7, self._u8_poly)
            a ^= b
            p0 = np.take(self._div, a, mode="wrap")
            sectors[:, base:base + width] = p0
            p0 ^= b
            sectors[:, base + width:base + 2 * width] = p0


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


