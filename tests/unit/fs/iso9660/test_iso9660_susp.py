"""fs/iso9660/susp.py: walking System Use entries and their CE continuation areas (SUSP 1.12)."""

from __future__ import annotations

import pytest

from builders import iso9660 as b
from mount_image.errors import CorruptDataError
from mount_image.fs.iso9660 import susp
from mount_image.fs.iso9660.susp import MAX_CONTINUATIONS, MAX_SUSP_BYTES, iter_entries


class Areas:
    """Continuation areas by (block, offset); records every read."""

    def __init__(self, areas: dict[tuple[int, int], bytes] | None = None) -> None:
        self.areas = dict(areas or {})
        self.reads: list[tuple[int, int, int]] = []

    def __call__(self, block: int, offset: int, length: int) -> bytes:
        self.reads.append((block, offset, length))
        if (block, offset) not in self.areas:
            raise CorruptDataError(f"continuation block {block} is outside the image")
        return self.areas[(block, offset)][:length]


def walk(system_use: bytes, areas: Areas | None = None, skip: int = 0):
    logs: list[str] = []
    got = list(iter_entries(system_use, skip, areas or Areas(), logs.append))
    return [(sig, data) for sig, _v, data in got], logs


def test_entries_in_order_with_version_and_data() -> None:
    su = b.susp_entry("AA", b"one") + b.susp_entry("BB", b"", version=2) + b.susp_entry("CC", b"x" * 10)
    got = list(iter_entries(su, 0, Areas()))
    assert got == [(b"AA", 1, b"one"), (b"BB", 2, b""), (b"CC", 1, b"x" * 10)]


def test_len_skp_bytes_are_skipped() -> None:
    entries, logs = walk(b"\xff\xff\xff" + b.susp_entry("NM", b"\0a"), skip=3)
    assert entries == [(b"NM", b"\0a")]
    assert logs == []


def test_trailing_padding_is_not_an_entry() -> None:
    entries, logs = walk(b.susp_entry("NM", b"\0a") + b"\0")
    assert entries == [(b"NM", b"\0a")]
    assert logs == []


def test_st_terminates_the_area() -> None:
    su = b.susp_entry("AA", b"1") + b.st() + b.susp_entry("BB", b"2")
    entries, _ = walk(su)
    assert entries == [(b"AA", b"1")]


def test_st_in_a_continuation_area_ends_it() -> None:
    areas = Areas({(30, 0): b.susp_entry("BB", b"2") + b.st() + b.susp_entry("CC", b"3")})
    entries, _ = walk(b.susp_entry("AA", b"1") + b.ce(30, 0, 40), areas)
    assert entries == [(b"AA", b"1"), (b"BB", b"2")]


@pytest.mark.parametrize(
    ("bad", "logged"),
    [
        (b.susp_entry("ZZ", b"abcd", length=0), True),
        (b.susp_entry("ZZ", b"abcd", length=3), True),
        (b.susp_entry("ZZ", b"abcd", length=60), True),
    ],
    ids=["zero-length", "length-below-header", "length-past-area"],
)
def test_malformed_entry_stops_the_walk_keeping_what_came_before(bad: bytes, logged: bool) -> None:
    su = b.susp_entry("AA", b"1") + bad + b.susp_entry("BB", b"2")
    entries, logs = walk(su)
    assert entries == [(b"AA", b"1")]
    assert bool(logs) is logged
    assert "SUSP entry b'ZZ'" in logs[0]


def test_zero_padding_at_the_end_of_an_area_is_silent() -> None:
    entries, logs = walk(b.susp_entry("AA", b"1") + b"\0" * 12)
    assert entries == [(b"AA", b"1")]
    assert logs == []


def test_ce_is_followed_after_the_rest_of_the_area() -> None:
    areas = Areas({(30, 100): b.susp_entry("CC", b"3") + b.susp_entry("DD", b"4")})
    su = b.susp_entry("AA", b"1") + b.ce(30, 100, 16) + b.susp_entry("BB", b"2")
    entries, logs = walk(su, areas)
    assert entries == [(b"AA", b"1"), (b"BB", b"2"), (b"CC", b"3"), (b"DD", b"4")]
    assert areas.reads == [(30, 100, 16)]
    assert logs == []


def test_ce_chain_of_several_areas() -> None:
    areas = Areas({
        (30, 0): b.susp_entry("BB", b"2") + b.ce(31, 8, 9),
        (31, 8): b.susp_entry("CC", b"3"),
    })
    entries, _ = walk(b.susp_entry("AA", b"1") + b.ce(30, 0, 100), areas)
    assert [sig for sig, _ in entries] == [b"AA", b"BB", b"CC"]
    assert areas.reads == [(30, 0, 100), (31, 8, 9)]


def test_ce_entry_is_not_yielded_and_skip_applies_only_to_the_record() -> None:
    areas = Areas({(30, 0): b.susp_entry("BB", b"2")})
    entries, _ = walk(b"\xff\xff" + b.ce(30, 0, 5), areas, skip=2)
    assert entries == [(b"BB", b"2")]


def test_short_ce_entry_is_ignored() -> None:
    su = b.susp_entry("CE", b"\0" * 10) + b.susp_entry("AA", b"1")
    areas = Areas()
    entries, _ = walk(su, areas)
    assert entries == [(b"AA", b"1")]
    assert areas.reads == []


def test_ce_loop_is_bounded() -> None:
    areas = Areas({
        (30, 0): b.susp_entry("BB", b"2") + b.ce(31, 0, 33),
        (31, 0): b.susp_entry("CC", b"3") + b.ce(30, 0, 33),
    })
    entries, logs = walk(b.susp_entry("AA", b"1") + b.ce(30, 0, 33), areas)
    assert [sig for sig, _ in entries] == [b"AA", b"BB", b"CC"]
    assert areas.reads == [(30, 0, 33), (31, 0, 33)]
    assert any("loops or is too long" in line for line in logs)


def test_ce_pointing_to_itself_is_read_once() -> None:
    areas = Areas({(30, 0): b.susp_entry("BB", b"2") + b.ce(30, 0, 33)})
    entries, logs = walk(b.ce(30, 0, 33), areas)
    assert entries == [(b"BB", b"2")]
    assert len(areas.reads) == 1
    assert logs


def test_ce_chain_longer_than_the_cap_is_bounded() -> None:
    n = MAX_CONTINUATIONS + 10
    areas = Areas({(100 + i, 0): b.susp_entry("XX", bytes([i])) + b.ce(101 + i, 0, 33)
                   for i in range(n)})
    entries, logs = walk(b.ce(100, 0, 33), areas)
    assert len(areas.reads) == MAX_CONTINUATIONS
    assert len(entries) == MAX_CONTINUATIONS
    assert any("too long" in line for line in logs)


def test_ce_areas_are_capped_in_total_bytes() -> None:
    # Whole-sector areas: the record's own 28 bytes plus 32 sectors pass 64 KiB before the
    # continuation cap is reached, so the byte cap is what stops this chain.
    per_area, count = 2048, MAX_CONTINUATIONS + 5
    areas = Areas({(100 + i, 0): (b.susp_entry("XX", b"") + b.ce(101 + i, 0, per_area)).ljust(per_area, b"\0")
                   for i in range(count)})
    record = b.ce(100, 0, per_area)
    entries, logs = walk(record, areas)
    assert len(record) + sum(length for _, _, length in areas.reads) <= MAX_SUSP_BYTES
    assert len(areas.reads) == (MAX_SUSP_BYTES - len(record)) // per_area
    assert len(entries) == len(areas.reads)
    assert any("out of bounds" in line for line in logs)


@pytest.mark.parametrize(
    ("ce", "fragment"),
    [
        (b.ce(30, 2048, 10), "out of bounds"),
        (b.ce(30, 5000, 10), "out of bounds"),
        (b.ce(30, 0, 0), "out of bounds"),
        (b.ce(30, 0, MAX_SUSP_BYTES), "out of bounds"),
        (b.ce(99999, 0, 10), "outside the image"),
    ],
    ids=["offset-at-sector-end", "offset-past-sector", "zero-length", "too-many-bytes",
         "block-outside-image"],
)
def test_ce_out_of_bounds_is_skipped_with_a_log_line(ce: bytes, fragment: str) -> None:
    areas = Areas({(30, 0): b.susp_entry("BB", b"2")})
    entries, logs = walk(b.susp_entry("AA", b"1") + ce, areas)
    assert entries == [(b"AA", b"1")]
    assert any(fragment in line for line in logs)


def test_no_log_callback_is_fine() -> None:
    areas = Areas({(30, 0): b.ce(30, 0, 28)})
    su = b.susp_entry("AA", b"1") + b.ce(30, 0, 28) + b.susp_entry("ZZ", length=0)
    assert [e[0] for e in iter_entries(su, 0, areas)] == [b"AA"]


def test_caps_are_those_documented() -> None:
    assert susp.MAX_CONTINUATIONS == 32
    assert susp.MAX_SUSP_BYTES == 64 * 1024
