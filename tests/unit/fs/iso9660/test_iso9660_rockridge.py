"""fs/iso9660/rockridge.py: RRIP 1.12 entries folded into one RockRidge value.

Symbolic link components are read as the Linux kernel (fs/isofs/rock.c) and libarchive read
them: a '/' separates components, a ROOT component adds its own '/' after the separator.
"""

from __future__ import annotations

import os

import pytest

from builders import iso9660 as b
from builders.iso9660 import SL_CONTINUE, SL_CURRENT, SL_PARENT, SL_ROOT
from mount_image.fs.iso9660.rockridge import (MAX_LINK_BYTES, MAX_NAME_BYTES, decode_name,
                                              parse_rock_ridge)

T0 = b.DEFAULT_TIME
NS = 1_000_000_000


def entries(*raw: bytes) -> list[tuple[bytes, int, bytes]]:
    """Split System Use bytes into (signature, version, data) by each entry's LEN byte."""
    out = []
    for chunk in raw:
        pos = 0
        while pos < len(chunk):
            length = chunk[pos + 2]
            out.append((chunk[pos:pos + 2], chunk[pos + 3], chunk[pos + 4:pos + length]))
            pos += length
    return out


def parse(*raw: bytes):
    logs: list[str] = []
    return parse_rock_ridge(entries(*raw), logs.append), logs


# ---- no Rock Ridge -------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [b"", b.sp(), b.susp_entry("AS", b"amiga") + b.pd(8), b.st()],
                         ids=["nothing", "sp-only", "other-extensions", "st"])
def test_no_rock_ridge_entry_gives_none(raw: bytes) -> None:
    rr, logs = parse(raw)
    assert rr is None and logs == []


# ---- PX ------------------------------------------------------------------------------------

def test_px_without_serial_number() -> None:
    rr, logs = parse(b.px(0o100644, 3, 1000, 100))
    assert (rr.mode, rr.nlink, rr.uid, rr.gid, rr.serial) == (0o100644, 3, 1000, 100, None)
    assert rr.name is None and rr.symlink is None and logs == []


def test_px_with_serial_number() -> None:
    rr, _ = parse(b.px(0o40755, 2, 0, 0, serial=77))
    assert (rr.mode, rr.nlink, rr.serial) == (0o40755, 2, 77)


def test_px_mode_keeps_type_and_permission_bits_only() -> None:
    rr, _ = parse(b.px(0xABC00000 | 0o104755))
    assert rr.mode == 0o104755


def test_short_px_is_ignored_and_logged() -> None:
    rr, logs = parse(b.susp_entry("PX", bytes(20)) + b.nm("kept"))
    assert rr.mode is None and rr.name == "kept"
    assert "ignoring malformed Rock Ridge PX entry" in logs[0]


# ---- PN ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("high", "low", "major", "minor"),
    [
        (8, 1, 8, 1),                 # RRIP 1.12: high and low words
        (0, 5, 0, 5),                 # a small number in the low word only
        (0, 0x0801, 8, 1),            # an old 16-bit dev_t stored whole in the low word
        (0, 0xFF03, 0xFF, 3),
        (259, 0x1234, 259, 0x1234),   # high set: never the old form
    ],
    ids=["new", "low-only", "old-16bit", "old-16bit-high-major", "new-large"],
)
def test_pn_device_number(high: int, low: int, major: int, minor: int) -> None:
    rr, _ = parse(b.px(0o60660) + b.pn(high, low))
    assert rr.rdev == os.makedev(major, minor)


# ---- SL ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("components", "target"),
    [
        ([(SL_ROOT, b""), (0, b"tmp"), (0, b"x")], "/tmp/x"),
        ([(SL_PARENT, b""), (0, b"a")], "../a"),
        ([(0, b"a"), (0, b"")], "a/"),
        ([(SL_CURRENT, b""), (SL_ROOT, b""), (SL_ROOT, b""), (0, b"file")], ".///file"),
        ([(SL_ROOT, b""), (0, b"tmp"), (SL_ROOT, b""), (SL_PARENT, b"")], "/tmp//.."),
        ([(SL_ROOT, b"")], "/"),
        ([(SL_CURRENT, b"")], "."),
        ([(0, b"docs"), (0, b"notes.txt")], "docs/notes.txt"),
        ([(SL_CONTINUE, b"long"), (SL_CONTINUE, b"er"), (0, b"name"), (0, b"z")], "longername/z"),
        ([(0, "caf\u00e9".encode())], "caf\u00e9"),
    ],
    ids=["absolute", "parent", "trailing-slash", "current-root-root", "root-after-component",
         "root", "current", "relative", "continued-components", "utf8"],
)
def test_sl_components(components: list[tuple[int, bytes]], target: str) -> None:
    rr, logs = parse(b.px(0o120777) + b.sl_components(components))
    assert rr.symlink == target
    assert logs == []


def test_sl_from_builder_paths() -> None:
    for target in ["/usr/lib/x", "../../a/b", "./here", "plain"]:
        rr, _ = parse(b.px(0o120777) + b.sl(target))
        assert rr.symlink == target


def test_sl_component_continued_in_the_next_entry() -> None:
    first = b.sl_components([(SL_ROOT, b""), (SL_CONTINUE, b"us")], flags=SL_CONTINUE)
    second = b.sl_components([(0, b"r"), (0, b"bin")])
    rr, _ = parse(b.px(0o120777) + first + second)
    assert rr.symlink == "/usr/bin"


def test_sl_entries_continued_between_whole_components() -> None:
    first = b.sl_components([(SL_ROOT, b""), (0, b"usr")], flags=SL_CONTINUE)
    second = b.sl_components([(0, b"share"), (SL_PARENT, b"")])
    rr, _ = parse(b.px(0o120777) + first + second)
    assert rr.symlink == "/usr/share/.."


def test_symlink_mode_without_sl_has_an_empty_target() -> None:
    rr, _ = parse(b.px(0o120777))
    assert rr.symlink == ""


def test_sl_component_running_past_its_entry_is_ignored() -> None:
    bad = b.susp_entry("SL", b"\0" + bytes([0, 10]) + b"abc")
    rr, logs = parse(b.px(0o120777) + bad + b.nm("l"))
    assert rr.name == "l"
    assert any("SL" in line and "runs past its entry" in line for line in logs)


def test_sl_target_is_capped() -> None:
    chunk = b.sl_components([(0, b"d" * 200)] * 1)
    rr, _ = parse(b.px(0o120777) + chunk * 40)
    assert len(rr.symlink.encode()) <= MAX_LINK_BYTES
    assert rr.symlink.startswith("d" * 200 + "/")


# ---- NM ------------------------------------------------------------------------------------

def test_nm_name() -> None:
    rr, _ = parse(b.nm("readme.txt"))
    assert rr.name == "readme.txt"


def test_nm_continued_over_several_entries() -> None:
    rr, _ = parse(b.nm("a-very-", flags=b.NM_CONTINUE) + b.nm("long-", flags=b.NM_CONTINUE)
                  + b.nm("name.txt"))
    assert rr.name == "a-very-long-name.txt"


@pytest.mark.parametrize("flags", [b.NM_CURRENT, b.NM_PARENT])
def test_nm_current_or_parent_gives_no_name(flags: int) -> None:
    rr, logs = parse(b.px(0o40755, 2) + b.nm("", flags=flags))
    assert rr is not None and rr.name is None and logs == []


def test_nm_current_does_not_add_to_a_real_name() -> None:
    rr, _ = parse(b.nm("real") + b.nm("ignored", flags=b.NM_CURRENT))
    assert rr.name == "real"


def test_nm_name_is_capped() -> None:
    rr, _ = parse(*[b.nm("n" * 200, flags=b.NM_CONTINUE) for _ in range(10)])
    assert len(rr.name) == MAX_NAME_BYTES


def test_nm_without_flags_is_ignored() -> None:
    rr, logs = parse(b.susp_entry("NM", b"") + b.px())
    assert rr.name is None and rr.mode == 0o100444
    assert "NM" in logs[0]


def test_decode_name() -> None:
    assert decode_name("\u00e9t\u00e9".encode()) == "\u00e9t\u00e9"
    assert decode_name(b"\xe9t\xe9") == "\u00e9t\u00e9"          # not UTF-8: Latin-1


# ---- TF ------------------------------------------------------------------------------------

def test_tf_short_form() -> None:
    rr, _ = parse(b.tf(modify=T0, access=T0 + 60, attributes=T0 + 120))
    assert (rr.mtime_ns, rr.atime_ns, rr.ctime_ns) == (T0 * NS, (T0 + 60) * NS, (T0 + 120) * NS)


def test_tf_long_form() -> None:
    rr, _ = parse(b.tf(modify=T0, access=T0 + 60, attributes=T0 + 120, long_form=True))
    assert (rr.mtime_ns, rr.atime_ns, rr.ctime_ns) == (T0 * NS, (T0 + 60) * NS, (T0 + 120) * NS)


def test_tf_creation_comes_first_and_is_skipped() -> None:
    rr, _ = parse(b.tf(modify=T0, access=None, attributes=None, creation=1))
    assert rr.mtime_ns == T0 * NS
    assert rr.atime_ns is None and rr.ctime_ns is None


def test_tf_only_access() -> None:
    rr, _ = parse(b.tf(modify=None, access=T0, attributes=None))
    assert (rr.mtime_ns, rr.atime_ns, rr.ctime_ns) == (None, T0 * NS, None)


def test_tf_backup_expiration_effective_are_read_past() -> None:
    # flags: modify, backup, expiration, effective; only modify is kept
    data = bytes([0x02 | 0x10 | 0x20 | 0x40]) + b.dir_datetime(T0) + b.dir_datetime(1) * 3
    rr, logs = parse(b.susp_entry("TF", data))
    assert rr.mtime_ns == T0 * NS and logs == []


@pytest.mark.parametrize(
    "tf",
    [
        b.susp_entry("TF", bytes([0x02]) + b.dir_datetime(T0)[:3]),
        b.susp_entry("TF", bytes([0x82]) + b.dec_datetime(T0)[:10]),
        b.susp_entry("TF", bytes([0x02])),
        b.susp_entry("TF", b""),
    ],
    ids=["short-date", "long-form-short-date", "flags-only", "no-flags"],
)
def test_tf_too_short_for_its_flags_is_ignored_and_the_rest_kept(tf: bytes) -> None:
    rr, logs = parse(b.px(0o100600, 1, 5, 6) + tf + b.nm("name.txt"))
    assert rr.mtime_ns is None and rr.atime_ns is None and rr.ctime_ns is None
    assert (rr.mode, rr.uid, rr.gid, rr.name) == (0o100600, 5, 6, "name.txt")
    assert len(logs) == 1 and "TF" in logs[0]


def test_unset_tf_date_is_zero() -> None:
    data = bytes([0x02]) + bytes(7)
    rr, _ = parse(b.susp_entry("TF", data))
    assert rr.mtime_ns == 0


# ---- CL / PL / RE / ZF ---------------------------------------------------------------------

def test_cl_pl_re() -> None:
    rr, _ = parse(b.cl(345))
    assert rr.child_link == 345 and rr.parent_link is None and not rr.relocated
    rr, _ = parse(b.pl(21))
    assert rr.parent_link == 21 and rr.child_link is None
    rr, _ = parse(b.px(0o40755, 2) + b.re())
    assert rr.relocated is True


@pytest.mark.parametrize("sig", ["CL", "PL"])
def test_short_location_is_ignored(sig: str) -> None:
    rr, logs = parse(b.susp_entry(sig, b"\1\0\0") + b.nm("x"))
    assert rr.child_link is None and rr.parent_link is None and rr.name == "x"
    assert f"RRIP {sig} entry of 3 bytes" in logs[0]


def test_zf() -> None:
    rr, _ = parse(b.rr("big.bin") + b.zf(100000, 16))
    zf = rr.zisofs
    assert (zf.algorithm, zf.header_size_div4, zf.log2_block_size, zf.uncompressed_size) == (b"pz", 4, 16, 100000)


def test_short_zf_is_ignored() -> None:
    rr, logs = parse(b.rr("f") + b.susp_entry("ZF", b"pz\x04"))
    assert rr.zisofs is None and rr.name == "f"
    assert "ZF" in logs[0]


def test_the_usual_record() -> None:
    rr, logs = parse(b.px(0o100644, 1, 1000, 1000, serial=9) + b.tf(T0, T0, T0) + b.nm("notes.txt"))
    assert (rr.mode, rr.uid, rr.gid, rr.serial, rr.name, rr.mtime_ns) == (
        0o100644, 1000, 1000, 9, "notes.txt", T0 * NS)
    assert logs == []


def test_log_callback_is_optional() -> None:
    rr = parse_rock_ridge(entries(b.susp_entry("PX", b"") + b.nm("a")))
    assert rr.name == "a"
