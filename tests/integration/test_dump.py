"""``mount-image dump SOURCE OUT.iso``: a loop device (or an image) copied as cooked blocks.

Expected bytes come from the ISO genisoimage wrote (and, for BIN/CUE, the ISO the raw image was
made from); read errors and slow reads come from a FUSE file that fails or dawdles
(tests/support/faultyfile.py), seen through a loop device as a disc with bad sectors.
"""

from __future__ import annotations

import hashlib
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

from conftest import one_line_error, require_tool, run_cli
from fixtures import trees
from support.faultyfile import faulty_file
from support.loopdev import loop_device
from support.rawcd import write_single_track

BLOCK = 2048


def make_iso(tmp: Path, megabytes: int = 1) -> Path:
    require_tool("genisoimage")
    tree = tmp / "tree"
    tree.mkdir()
    (tree / "big.bin").write_bytes(os.urandom(megabytes << 20))
    (tree / "small.txt").write_bytes(b"dump me\n")
    out = tmp / "disc.iso"
    trees.genisoimage(tree, out, "-R", "-V", "DUMPME")
    return out


def final_line(iso: Path, out: Path, source: str) -> str:
    size = iso.stat().st_size
    digest = hashlib.sha256(iso.read_bytes()).hexdigest()
    return (f"dump: {out}: {size} bytes ({size // BLOCK} blocks of {BLOCK}) from {source}, "
            f"sha256 {digest}, verified")


def test_dump_of_a_loop_device_is_the_iso_byte_for_byte(tmp_path: Path) -> None:
    iso = make_iso(tmp_path)
    out = tmp_path / "copy.iso"
    with loop_device(iso) as dev:
        proc = run_cli("dump", dev, out)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == iso.read_bytes()
    assert proc.stderr.splitlines() == [final_line(iso, out, dev)]
    assert not Path(f"{out}.part").exists()


def test_dump_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    iso = make_iso(tmp_path)
    out = tmp_path / "copy.iso"
    out.write_bytes(b"keep me")
    with loop_device(iso) as dev:
        proc = run_cli("dump", dev, out)
        assert proc.returncode == 2
        assert one_line_error(proc) == f"{out}: already exists (--force replaces it)"
        assert out.read_bytes() == b"keep me"

        proc = run_cli("dump", dev, out, "--force")
        assert proc.returncode == 0, proc.stderr
        assert out.read_bytes() == iso.read_bytes()

        # Never over a device node, a folder or the source itself, even with --force.
        proc = run_cli("dump", iso, dev, "--force")
        assert proc.returncode == 2
        assert one_line_error(proc) == f"{dev}: exists and is not a regular file; not replaced"
    proc = run_cli("dump", iso, tmp_path, "--force")
    assert one_line_error(proc) == f"{tmp_path}: exists and is not a regular file; not replaced"
    proc = run_cli("dump", iso, iso, "--force")
    assert proc.returncode == 2
    assert one_line_error(proc) == f"{iso}: is the source itself"
    proc = run_cli("dump", iso, tmp_path / "nowhere" / "x.iso")
    assert one_line_error(proc) == f"{tmp_path / 'nowhere' / 'x.iso'}: folder {tmp_path / 'nowhere'} does not exist"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.iso", "disc.iso", "tree"]


def test_dump_of_a_raw_bin_cue_gives_the_cooked_iso(tmp_path: Path) -> None:
    iso = make_iso(tmp_path)
    _, cue = write_single_track(iso, tmp_path / "game.bin", "MODE2/2352")
    out = tmp_path / "back.iso"
    proc = run_cli("dump", cue, out)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == iso.read_bytes()


def test_dump_names_the_sector_of_a_read_error(tmp_path: Path) -> None:
    iso = make_iso(tmp_path)
    bad_sector = 300                              # inside big.bin, page-aligned (2 sectors a page)
    bad = f"{bad_sector * BLOCK}:{(bad_sector + 2) * BLOCK}"
    out = tmp_path / "copy.iso"
    with faulty_file(iso, tmp_path / "faulty", "--bad", bad) as scratched:
        with loop_device(scratched) as dev:
            proc = run_cli("dump", dev, out)
    assert proc.returncode == 1
    assert one_line_error(proc) == (f"{dev}: read error at sector {bad_sector} "
                                    f"(byte {bad_sector * BLOCK}): Input/output error")
    assert not out.exists() and not Path(f"{out}.part").exists()


def test_dump_progress_lines_in_a_log(tmp_path: Path) -> None:
    """stderr not a terminal: whole lines at tenths of the way (at most one a second)."""
    iso = make_iso(tmp_path, 8)
    out = tmp_path / "copy.iso"
    with faulty_file(iso, tmp_path / "slow", "--delay", "0.03") as slow:
        started = time.monotonic()
        proc = run_cli("dump", slow, out)
        took = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == iso.read_bytes()
    lines = proc.stderr.splitlines()
    assert "\r" not in proc.stderr
    assert lines[-1] == final_line(iso, out, str(slow))
    progress = [line for line in lines[:-1] if line.startswith("dump: copied ")]
    assert progress == lines[:-1], lines
    assert 1 <= len(progress) <= int(took) + 1, (took, lines)
    total = iso.stat().st_size / 2**20
    assert all(f" of {total:.1f} MiB (" in line and "MiB/s" in line for line in progress)


def test_dump_progress_on_a_terminal_rewrites_one_line(tmp_path: Path) -> None:
    iso = make_iso(tmp_path, 4)
    out = tmp_path / "copy.iso"
    main_fd, tty_fd = pty.openpty()
    try:
        with faulty_file(iso, tmp_path / "slow", "--delay", "0.03") as slow:
            proc = subprocess.run([sys.executable, "-m", "mount_image", "dump", str(slow), str(out)],
                                  stderr=tty_fd, stdout=subprocess.DEVNULL, timeout=120)
        os.close(tty_fd)
        tty_fd = -1
        chunks = []
        while True:
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(main_fd)
        if tty_fd >= 0:
            os.close(tty_fd)
    text = b"".join(chunks).decode()
    assert proc.returncode == 0
    assert out.read_bytes() == iso.read_bytes()
    updates = text.split("\r\x1b[K")
    assert len(updates) >= 3, text                 # several rewrites of the one line
    assert all(u.startswith("dump: ") for u in updates[1:]), updates
    assert updates[-1].replace("\r\n", "\n") == final_line(iso, out, str(slow)) + "\n"


def test_dump_bad_sources_are_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out.iso"
    proc = run_cli("dump", tmp_path / "missing.iso", out)
    assert proc.returncode == 2
    assert one_line_error(proc) == f"{tmp_path / 'missing.iso'}: no such file"
    proc = run_cli("dump", tmp_path, out)
    assert proc.returncode == 2
    assert one_line_error(proc) == f"{tmp_path}: is a directory, not an image file"
    iso = make_iso(tmp_path)
    proc = run_cli("dump", iso, out, "--track", "2")
    assert proc.returncode == 2
    assert one_line_error(proc) == f"{iso}: no track 2"
    assert not out.exists() and not Path(f"{out}.part").exists()


def test_unreadable_blocks_past_the_filesystem_end_the_copy_there(tmp_path: Path) -> None:
    """A disc written track-at-once: the drive counts two run-out blocks after the ISO 9660
    volume that cannot be read. The copy ends with the volume, says so, and succeeds; blocks
    past the volume that can be read are copied."""
    iso = make_iso(tmp_path)
    size = iso.stat().st_size
    padded = tmp_path / "tao.img"
    padded.write_bytes(iso.read_bytes() + b"\x55" * (2 * BLOCK))
    out = tmp_path / "copy.iso"
    run_out = f"{size}:{size + 2 * BLOCK}"
    with faulty_file(padded, tmp_path / "tao", "--bad", run_out) as disc:
        with loop_device(disc) as dev:
            proc = run_cli("dump", dev, out)
            assert proc.returncode == 0, proc.stderr
            assert out.read_bytes() == iso.read_bytes()
            assert proc.stderr.splitlines() == [
                f"dump: the copy ends with the filesystem: read error at sector {size // BLOCK} "
                f"(byte {size}): Input/output error, past the end of the filesystem "
                f"(block {size // BLOCK})",
                final_line(iso, out, dev)]
    with loop_device(padded) as dev:        # the same blocks readable: the whole device
        proc = run_cli("dump", dev, out, "--force")
        assert proc.returncode == 0, proc.stderr
        assert out.read_bytes() == padded.read_bytes()
