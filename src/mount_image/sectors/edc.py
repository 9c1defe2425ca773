"""Raw CD-ROM sectors with their EDC and ECC (ECMA-130 2nd ed. 1996, §14 and Annex A): encode
user data into raw 2352-byte sectors and check raw sectors, for ``verify`` and for writing raw
images.

The codes live apart, one module per spec concept: edc_crc.py (the EDC CRC-32), ecc_pq.py (the
P/Q Reed-Solomon parity, one sector at a time) and edc_engines.py (the bulk engines, numpy or
pure Python, that run both over many sectors at once). Their public names used by callers
(compute_edc, EDC_TABLE, EDC_POLY, set_backend, backend, ...) are importable from here too.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..disc.msf import LEAD_IN, Msf, header_msf
from .ecc_pq import GF_POLY, P_PARITY, Q_PARITY, SECTOR_SIZE, ecc_fill_one, gf_mul
from .ecc_pq import ecc_ok as _ecc_ok
from .edc_crc import EDC_POLY, EDC_TABLE, compute_edc
from .edc_engines import backend, runs, set_backend
from .edc_engines import engine as _engine

__all__ = ["SECTOR_SIZE", "SYNC", "MODE1_USER_SIZE", "FORM1_USER_SIZE", "FORM2_USER_SIZE", "EDC_POLY",
           "EDC_TABLE", "GF_POLY", "P_PARITY", "Q_PARITY", "SUBMODE_FORM2", "FORM1_SUBHEADER",
           "FORM2_SUBHEADER", "compute_edc", "gf_mul", "set_backend", "backend", "encode_mode1_run",
           "encode_mode2_form1_run", "encode_mode2_form2_run", "encode_mode1", "encode_mode2_form1",
           "encode_mode2_form2", "SectorCheck", "check_sector", "check_sectors"]

SYNC = b"\x00" + b"\xff" * 10 + b"\x00"
MODE1_USER_SIZE = 2048
FORM1_USER_SIZE = 2048
FORM2_USER_SIZE = 2324
SUBMODE_FORM2 = 0x20            # CD-ROM XA subheader submode bit 5: Form 2
FORM1_SUBHEADER = b"\x00\x00\x08\x00"   # file 0, channel 0, submode Data, coding 0
FORM2_SUBHEADER = b"\x00\x00\x20\x00"   # submode Form 2
# What each EDC covers (start, length), ECMA-130 §14.3-14.5: its 4 bytes follow the span.
MODE1_EDC_SPAN = (0, 2064)      # sync, header and user data
FORM1_EDC_SPAN = (16, 2056)     # subheader (twice) and user data
FORM2_EDC_SPAN = (16, 2332)     # subheader (twice) and 2324 bytes of user data


# ---------------------------------------------------------------------------------------------
# Encoding

def _subheader(subheader: bytes) -> bytes:
    if len(subheader) == 4:
        return subheader * 2
    if len(subheader) == 8:
        return bytes(subheader)
    raise ValueError(f"an XA subheader has 4 or 8 bytes, got {len(subheader)}")


def _encode_run(user: bytes, size: int, first_lba: int, mode: int, subheader: bytes,
                edc_span: tuple[int, int] | None, ecc: bool) -> bytes:
    count = len(user) // size
    if len(user) % size:
        raise ValueError(f"user data must be whole {size}-byte blocks, got {len(user)} bytes")
    engine = _engine()
    at_user = 16 + len(subheader)
    out = []
    for first, n in runs(count):
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
    return _encode_run(user, MODE1_USER_SIZE, first_lba, 1, b"", MODE1_EDC_SPAN, ecc=True)


def encode_mode2_form1_run(user: bytes, first_lba: int, subheader: bytes = FORM1_SUBHEADER) -> bytes:
    """Raw Mode 2 Form 1 sectors (ECMA-130 §14.5 + CD-ROM XA) for consecutive 2048-byte blocks."""
    return _encode_run(user, FORM1_USER_SIZE, first_lba, 2, _subheader(subheader), FORM1_EDC_SPAN, ecc=True)


def encode_mode2_form2_run(user: bytes, first_lba: int, subheader: bytes = FORM2_SUBHEADER,
                           edc: bool = True) -> bytes:
    """Raw Mode 2 Form 2 sectors for consecutive 2324-byte blocks; the EDC is optional (zero)."""
    return _encode_run(user, FORM2_USER_SIZE, first_lba, 2, _subheader(subheader),
                       FORM2_EDC_SPAN if edc else None, ecc=False)


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
        ecc_fill_one(sector, zero_header=mode == 2)
    return bytes(sector)


def encode_mode1(user2048: bytes, lba: int) -> bytes:
    """One raw Mode 1 sector: sync, BCD MSF header of ``lba`` + 150, mode 1, data, EDC over
    0..2063, 8 zero bytes, P and Q parity over bytes 12..2075 with the header included."""
    return _encode_one(user2048, MODE1_USER_SIZE, lba, 1, b"", MODE1_EDC_SPAN, ecc=True)


def encode_mode2_form1(user2048: bytes, lba: int, subheader: bytes = FORM1_SUBHEADER) -> bytes:
    """One raw Mode 2 Form 1 sector; EDC over 16..2071, ECC with the header taken as zero."""
    return _encode_one(user2048, FORM1_USER_SIZE, lba, 2, _subheader(subheader), FORM1_EDC_SPAN, ecc=True)


def encode_mode2_form2(user2324: bytes, lba: int, subheader: bytes = FORM2_SUBHEADER,
                       edc: bool = True) -> bytes:
    """One raw Mode 2 Form 2 sector; EDC over 16..2347 (or zero when ``edc`` is false), no ECC."""
    return _encode_one(user2324, FORM2_USER_SIZE, lba, 2, _subheader(subheader),
                       FORM2_EDC_SPAN if edc else None, ecc=False)


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


def _and_edc(span: tuple[int, int]) -> tuple[int, int]:
    """An EDC span with the 4 stored EDC bytes after it: the CRC over both is zero when right."""
    start, length = span
    return start, length + 4


def _with_edc(raw: bytes, span: tuple[int, int]) -> bytes:
    start, length = _and_edc(span)
    return raw[start:start + length]


def check_sector(raw2352: bytes) -> SectorCheck:
    """Sync, header address, mode/form, EDC and ECC (P and Q) of one raw 2352-byte sector."""
    raw = bytes(raw2352)
    if len(raw) != SECTOR_SIZE:
        raise ValueError(f"a raw sector has {SECTOR_SIZE} bytes, got {len(raw)}")
    mode, form = _kind(raw, 0)
    edc_ok = ecc_ok = None
    reserved_ok = True
    if mode == 1:
        edc_ok = compute_edc(_with_edc(raw, MODE1_EDC_SPAN)) == 0  # CRC over data + EDC: zero
        ecc_ok = _ecc_ok(raw, zero_header=False)
        reserved_ok = raw[2068:2076] == bytes(8)
    elif form == 1:
        edc_ok = compute_edc(_with_edc(raw, FORM1_EDC_SPAN)) == 0
        ecc_ok = _ecc_ok(raw, zero_header=True)
    elif form == 2 and raw[2348:2352] != bytes(4):
        edc_ok = compute_edc(_with_edc(raw, FORM2_EDC_SPAN)) == 0
    return SectorCheck(raw[:12] == SYNC, _decode_msf(raw[12:15]), mode, form, edc_ok, ecc_ok, reserved_ok)


def check_sectors(buf: bytes | bytearray | memoryview, first_lba: int | None = None,
                  ecc: bool = True) -> list[int]:
    """Indices (from 0) of the bad sectors among whole raw sectors laid end to end in ``buf``.

    Bad: sync wrong, header not the address ``first_lba + index`` (when given), unknown mode, or
    EDC, ECC (unless ``ecc`` is false) or Mode 1's 8 zero bytes wrong. Call ``check_sector`` on
    each for the details."""
    data = memoryview(buf).cast("B")    # runs are slices of it, not copies
    if len(data) % SECTOR_SIZE:
        raise ValueError(f"{len(data)} bytes is not a whole number of {SECTOR_SIZE}-byte sectors")
    count = len(data) // SECTOR_SIZE
    bad: list[int] = []
    for first, n in runs(count):
        chunk = data[first * SECTOR_SIZE:(first + n) * SECTOR_SIZE]
        lba = None if first_lba is None else first_lba + first
        bad.extend(first + i for i in _check_run(chunk, n, lba, ecc))
    return bad


_BCD = [(v // 10) << 4 | v % 10 for v in range(100)]
# (EDC span with the stored EDC, ECC header zeroed or None for no ECC) per (mode[, form])
_CHECKS = {1: (_and_edc(MODE1_EDC_SPAN), False), (2, 1): (_and_edc(FORM1_EDC_SPAN), True),
           (2, 2): (_and_edc(FORM2_EDC_SPAN), None)}


def _mismatches(column: bytes | memoryview, expected: bytes) -> list[int]:
    column = bytes(column)             # a strided memoryview: compared as bytes, with memcmp
    if column == expected:
        return []
    return [i for i, (got, want) in enumerate(zip(column, expected)) if got != want]


def _check_run(chunk: memoryview, n: int, first_lba: int | None, ecc: bool) -> list[int]:
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
    if bytes(chunk[15::SECTOR_SIZE]) == b"\x01" * n:
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
