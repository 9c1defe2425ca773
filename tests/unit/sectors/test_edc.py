"""sectors/edc.py: EDC and ECC of raw sectors (ECMA-130 §14, Annex A).

The authorities are real images made by other tools: every sector of libcdio's isofs-m1.bin
(302 raw Mode 1 sectors) and of videocd.nrg (vcdimager: 226 Mode 2 Form 1 and 900 Form 2
sectors, stored as 2336 bytes without sync and header) must come out of our encoders byte for
byte, through the single-sector path and through both bulk engines (numpy and pure Python).
"""

from __future__ import annotations

import os

import pytest

from conftest import corpus_file
from mount_image.disc.msf import Msf
from mount_image.sectors import edc

SECTOR = edc.SECTOR_SIZE
BACKENDS = ["python"]
try:
    import numpy  # noqa: F401
    BACKENDS.insert(0, "numpy")
except ImportError:
    pass


@pytest.fixture(params=BACKENDS)
def backend(request):
    previous = edc.set_backend(request.param)
    yield request.param
    edc.set_backend(previous)


@pytest.fixture(scope="module")
def mode1_bin() -> bytes:
    data = corpus_file("libcdio/isofs-m1.bin").read_bytes()
    assert len(data) == 302 * SECTOR
    return data


@pytest.fixture(scope="module")
def vcd_sectors() -> list[bytes]:
    """videocd.nrg's Mode 2 sectors as 2336 bytes each (subheader .. end), from offset 0."""
    data = corpus_file("libcdio/videocd.nrg").read_bytes()
    return [data[i * 2336:(i + 1) * 2336] for i in range(len(data) // 2336)]


def sectors_of(raw: bytes) -> list[bytes]:
    return [raw[i:i + SECTOR] for i in range(0, len(raw), SECTOR)]


def user_data(raw: bytes, offset: int = 16, size: int = 2048) -> bytes:
    return b"".join(s[offset:offset + size] for s in sectors_of(raw))


# --- EDC alone -----------------------------------------------------------------------------

def test_edc_polynomial_is_the_spec_product() -> None:
    def clmul(a: int, b: int) -> int:
        r = 0
        while b:
            if b & 1:
                r ^= a
            a, b = a << 1, b >> 1
        return r
    product = clmul(0x18005, 0x10007)       # (x^16+x^15+x^2+1)(x^16+x^2+x+1)
    assert product == 0x18001801B
    reflected = int(f"{product & 0xFFFFFFFF:032b}"[::-1], 2)
    assert reflected == edc.EDC_POLY == 0xD8018001


def test_edc_known_values() -> None:
    # Zero register, no final inversion: zeros give zero; one bit gives a table entry.
    assert edc.compute_edc(b"") == 0
    assert edc.compute_edc(bytes(2064)) == 0
    assert edc.compute_edc(b"\x01") == edc.EDC_TABLE[1]
    assert edc.EDC_TABLE[0x80] == edc.EDC_POLY
    # Linear over GF(2): the EDC of a XOR b is the XOR of the EDCs (same length).
    a, b = os.urandom(100), os.urandom(100)
    assert edc.compute_edc(bytes(x ^ y for x, y in zip(a, b))) == edc.compute_edc(a) ^ edc.compute_edc(b)


def test_edc_of_real_sectors_and_residual(mode1_bin: bytes) -> None:
    pvd = mode1_bin[16 * SECTOR:17 * SECTOR]     # the Primary Volume Descriptor's sector
    assert pvd[17:22] == b"CD001"
    assert edc.compute_edc(pvd[:2064]) == 0x357F2945 == int.from_bytes(pvd[2064:2068], "little")
    for sector in sectors_of(mode1_bin):
        assert edc.compute_edc(sector[:2064]).to_bytes(4, "little") == sector[2064:2068]
        assert edc.compute_edc(sector[:2068]) == 0   # data followed by its EDC leaves zero


def test_edc_continues_from_a_previous_value() -> None:
    data = os.urandom(3000)
    assert edc.compute_edc(data[1000:], edc.compute_edc(data[:1000])) == edc.compute_edc(data)


# --- Mode 1: the real image ----------------------------------------------------------------

def test_encode_mode1_reproduces_every_sector(mode1_bin: bytes) -> None:
    for lba, sector in enumerate(sectors_of(mode1_bin)):
        assert edc.encode_mode1(sector[16:2064], lba) == sector, f"sector {lba}"


def test_bulk_encode_mode1_reproduces_the_image(mode1_bin: bytes, backend: str) -> None:
    assert edc.backend() == backend
    assert edc.encode_mode1_run(user_data(mode1_bin), 0) == mode1_bin


def test_check_sector_reports_every_real_sector_good(mode1_bin: bytes) -> None:
    for lba, sector in enumerate(sectors_of(mode1_bin)):
        result = edc.check_sector(sector)
        assert result.ok, (lba, result)
        assert (result.sync_ok, result.mode, result.form, result.edc_ok, result.ecc_ok) == \
            (True, 1, None, True, True)
        assert result.lba == lba
    assert edc.check_sector(mode1_bin[:SECTOR]).msf == Msf(0, 2, 0)


def test_check_sectors_bulk_finds_nothing_wrong(mode1_bin: bytes, backend: str) -> None:
    assert edc.check_sectors(mode1_bin) == []
    assert edc.check_sectors(mode1_bin, first_lba=0) == []
    assert edc.check_sectors(mode1_bin, first_lba=1) == list(range(302))  # every header off by one


# offset, what: one byte in each part the checks cover
DAMAGE = [
    (0, "sync"),
    (14, "header frame"),
    (16, "first user byte"),
    (1000, "user data"),
    (2063, "last user byte"),
    (2065, "EDC"),
    (2070, "reserved zero bytes"),
    (2076, "first P parity byte"),
    (2247, "last P parity byte"),
    (2248, "first Q parity byte"),
    (2351, "last Q parity byte"),
]


@pytest.mark.parametrize(("offset", "what"), DAMAGE, ids=[w for _, w in DAMAGE])
def test_one_flipped_byte_is_found(mode1_bin: bytes, offset: int, what: str, backend: str) -> None:
    victim = 123
    damaged = bytearray(mode1_bin)
    damaged[victim * SECTOR + offset] ^= 0x10
    result = edc.check_sector(bytes(damaged[victim * SECTOR:(victim + 1) * SECTOR]))
    assert not result.ok, what
    assert edc.check_sectors(damaged, first_lba=0) == [victim], what
    assert result.sync_ok is (offset >= 12)
    if offset < 2068:                       # the EDC covers bytes 0..2063 and itself
        assert result.edc_ok is False
    if offset >= 12 and not 2064 <= offset < 2076:   # the ECC covers 12..2063 and the parity
        assert result.ecc_ok is False


def test_ecc_catches_what_the_edc_misses(mode1_bin: bytes, backend: str) -> None:
    """Damage only the parity: EDC still good, ECC bad (P in one sector, Q in another)."""
    damaged = bytearray(mode1_bin)
    damaged[10 * SECTOR + 2100] ^= 1
    damaged[20 * SECTOR + 2300] ^= 1
    assert edc.check_sectors(damaged) == [10, 20]
    assert edc.check_sectors(damaged, ecc=False) == []
    detail = edc.check_sector(bytes(damaged[10 * SECTOR:11 * SECTOR]))
    assert (detail.edc_ok, detail.ecc_ok) == (True, False)


# --- Mode 2: round trips and the real VCD --------------------------------------------------

def test_mode2_form1_round_trip(backend: str) -> None:
    user = os.urandom(2048 * 5)
    sub = b"\x01\x02\x08\x00"
    raw = edc.encode_mode2_form1_run(user, 4500, sub)
    assert raw == b"".join(edc.encode_mode2_form1(user[i * 2048:(i + 1) * 2048], 4500 + i, sub)
                           for i in range(5))
    for i, sector in enumerate(sectors_of(raw)):
        assert sector[:12] == edc.SYNC and sector[15] == 2 and sector[16:24] == sub * 2
        assert sector[24:2072] == user[i * 2048:(i + 1) * 2048]
        assert edc.compute_edc(sector[16:2072]).to_bytes(4, "little") == sector[2072:2076]
        result = edc.check_sector(sector)
        assert (result.ok, result.mode, result.form, result.edc_ok, result.ecc_ok) == (True, 2, 1, True, True)
        assert result.msf == Msf(1, 2, i)
    assert edc.check_sectors(raw, first_lba=4500) == []
    # Mode 2 ECC is computed with the header as zero: moving a sector keeps its ECC.
    moved = edc.encode_mode2_form1(user[:2048], 7, sub)
    assert moved[2076:] == raw[2076:SECTOR] and moved[12:15] != raw[12:15]
    damaged = bytearray(raw)
    damaged[3 * SECTOR + 500] ^= 0xFF
    assert edc.check_sectors(damaged) == [3]


@pytest.mark.parametrize("with_edc", [True, False])
def test_mode2_form2_round_trip(backend: str, with_edc: bool) -> None:
    user = os.urandom(2324 * 3)
    raw = edc.encode_mode2_form2_run(user, 0, edc=with_edc)
    assert raw == b"".join(edc.encode_mode2_form2(user[i * 2324:(i + 1) * 2324], i, edc=with_edc)
                           for i in range(3))
    sector = raw[SECTOR:2 * SECTOR]
    assert sector[24:2348] == user[2324:4648] and sector[18] & edc.SUBMODE_FORM2
    result = edc.check_sector(sector)
    assert result.ok and result.form == 2 and result.ecc_ok is None
    assert result.edc_ok is (True if with_edc else None)
    damaged = bytearray(raw)
    damaged[SECTOR + 1000] ^= 1
    assert edc.check_sectors(damaged) == ([1] if with_edc else [])


def test_vcd_sectors_are_reproduced(vcd_sectors: list[bytes]) -> None:
    """vcdimager's Form 1 and Form 2 sectors, byte for byte (the header is not in the file;
    neither EDC nor ECC of Mode 2 depends on it)."""
    forms = {1: 0, 2: 0}
    for number, stored in enumerate(vcd_sectors):
        sub = stored[:8]
        form = 2 if sub[2] & edc.SUBMODE_FORM2 else 1
        forms[form] += 1
        if form == 1:
            sector = edc.encode_mode2_form1(stored[8:2056], number, sub)
        else:
            sector = edc.encode_mode2_form2(stored[8:2332], number, sub)
        assert sector[16:] == stored, f"sector {number} (Form {form})"
        assert edc.check_sector(sector).ok
    assert forms == {1: 226, 2: 900}


def test_vcd_bulk_check(vcd_sectors: list[bytes], backend: str) -> None:
    raw = b"".join(edc.SYNC + edc.header_msf(i) + b"\x02" + s for i, s in enumerate(vcd_sectors))
    assert edc.check_sectors(raw, first_lba=0) == []
    damaged = bytearray(raw)
    form1 = next(i for i, s in enumerate(vcd_sectors) if not s[2] & edc.SUBMODE_FORM2)
    form2 = next(i for i, s in enumerate(vcd_sectors) if s[2] & edc.SUBMODE_FORM2)
    damaged[form1 * SECTOR + 2200] ^= 4          # Form 1: ECC
    damaged[form2 * SECTOR + 100] ^= 4           # Form 2: EDC
    assert edc.check_sectors(damaged) == sorted([form1, form2])


def test_mixed_modes_in_one_run(mode1_bin: bytes, backend: str) -> None:
    form1 = edc.encode_mode2_form1(os.urandom(2048), 2)
    raw = mode1_bin[:2 * SECTOR] + form1 + mode1_bin[3 * SECTOR:5 * SECTOR]
    assert edc.check_sectors(raw, first_lba=0) == []
    odd = bytearray(raw)
    odd[4 * SECTOR + 15] = 7                     # no such mode
    assert edc.check_sectors(odd) == [4]
    assert not edc.check_sector(bytes(odd[4 * SECTOR:])).ok


def test_bulk_engines_agree_on_random_data() -> None:
    user = os.urandom(2048 * 40)
    results = []
    for name in BACKENDS:
        previous = edc.set_backend(name)
        try:
            results.append((edc.encode_mode1_run(user, 100), edc.encode_mode2_form1_run(user, 100)))
        finally:
            edc.set_backend(previous)
    single = b"".join(edc.encode_mode1(user[i:i + 2048], 100 + i // 2048) for i in range(0, len(user), 2048))
    assert all(r[0] == single for r in results)
    assert len({r[1] for r in results}) == 1


@pytest.mark.parametrize("count", [1, 5, 16, 17, 37])
def test_bulk_engines_agree_with_the_single_sector_code(count: int) -> None:
    """Run lengths that are and are not whole numbers of the numpy engine's sector groups:
    every mode encodes as the single-sector encoders do, and the same damaged sectors (user
    data, each parity area, a Form 1 header, which its ECC does not cover) are found bad."""
    user = os.urandom(2324 * count)
    single = {
        "m1": b"".join(edc.encode_mode1(user[i * 2048:(i + 1) * 2048], 7 + i) for i in range(count)),
        "f1": b"".join(edc.encode_mode2_form1(user[i * 2048:(i + 1) * 2048], 7 + i) for i in range(count)),
        "f2": b"".join(edc.encode_mode2_form2(user[i * 2324:(i + 1) * 2324], 7 + i) for i in range(count)),
    }
    damage = {i: pos for i, pos in zip(range(0, count, 2), [40, 2080, 2250, 2351, 500, 2200, 2300])}
    for name in BACKENDS:
        previous = edc.set_backend(name)
        try:
            assert edc.encode_mode1_run(user[:2048 * count], 7) == single["m1"], name
            assert edc.encode_mode2_form1_run(user[:2048 * count], 7) == single["f1"], name
            assert edc.encode_mode2_form2_run(user, 7) == single["f2"], name
            for kind, raw in single.items():
                bad = bytearray(raw)
                for i, pos in damage.items():
                    bad[i * SECTOR + pos] ^= 0x5A
                if kind == "f1" and count > 1:
                    bad[SECTOR + 14] ^= 0x01       # the frame number: ECC ignores it, the LBA not
                damaged = sorted(damage)           # all inside the EDC or ECC of every mode
                header = [1] if kind == "f1" and count > 1 else []
                assert edc.check_sectors(bytes(bad), 7) == sorted(damaged + header), (name, kind)
                assert edc.check_sectors(bytes(bad), None) == damaged, (name, kind)
        finally:
            edc.set_backend(previous)


def test_numpy_crc_register_matches_the_byte_wise_reference() -> None:
    """The slicing-by-16 CRC pads the span in front to whole blocks: for every span length and
    start (none a multiple of 16, and the three EDC spans), its register is compute_edc's."""
    np = pytest.importorskip("numpy")
    from mount_image.sectors.edc_crc import compute_edc
    from mount_image.sectors.edc_engines import _NumpyEngine
    engine = _NumpyEngine(np)
    raw = os.urandom(SECTOR * 7)
    sectors = np.frombuffer(raw, np.uint8).reshape(7, SECTOR)
    for start, length in [(0, 1), (3, 15), (5, 16), (0, 17), (1, 40), (0, 2064), (16, 2056),
                          (16, 2332), (0, 2068), (16, 2336)]:
        got = engine._crc_run(sectors, start, length).tolist()
        want = [compute_edc(raw[i * SECTOR + start:i * SECTOR + start + length]) for i in range(7)]
        assert got == want, (start, length)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="2048"):
        edc.encode_mode1(bytes(2047), 0)
    with pytest.raises(ValueError, match="2324"):
        edc.encode_mode2_form2(bytes(2048), 0)
    with pytest.raises(ValueError, match="subheader"):
        edc.encode_mode2_form1(bytes(2048), 0, b"\x00")
    with pytest.raises(ValueError, match="2352"):
        edc.check_sector(bytes(2351))
    with pytest.raises(ValueError, match="whole number"):
        edc.check_sectors(bytes(2353))
    with pytest.raises(ValueError, match="backend"):
        edc.set_backend("fortran")
