"""ISO 9660 multi-session images: each session's tree through the mount, `session=N`, `info`.

Fixtures are grown with the real tools: xorriso on a regular file (libisoburn's overwritable-media
layout: sessions at block 32, 64, ... and a superblock copy of the newest at block 16) and
genisoimage `-C last,next -M previous` sessions appended to the previous image. Each session's tree
is compared with a snapshot of the source tree taken when that session was written, and with
xorriso reading the same session (`-load sbsector`), an independent reader.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import is_mounted, listing, one_line_error, require_tool, run_cli


def _run(*cmd: str | Path) -> str:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout + proc.stderr


def _snapshot(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


@pytest.fixture(scope="module")
def xorriso_sessions(tmp_path_factory) -> tuple[Path, list[Path]]:
    """Three sessions: add a tree; add a folder and replace a file; delete a file."""
    xorriso = require_tool("xorriso")
    work = tmp_path_factory.mktemp("xorriso-ms")
    src = work / "src"
    (src / "docs").mkdir(parents=True)
    (src / "docs" / "readme.txt").write_text("first version\n")
    (src / "keep.bin").write_bytes(bytes(range(256)) * 40)
    (src / "gone.txt").write_text("deleted in session 3\n")
    image = work / "grown.iso"
    snaps = []
    _run(xorriso, "-dev", image, "-map", src, "/", "-commit")
    snaps.append(_snapshot(src, work / "s1"))
    (src / "docs" / "readme.txt").write_text("second version, longer than the first\n")
    (src / "added").mkdir()
    (src / "added" / "new.dat").write_bytes(b"\x5a" * 70000)
    _run(xorriso, "-dev", image, "-map", src, "/", "-commit")
    snaps.append(_snapshot(src, work / "s2"))
    (src / "gone.txt").unlink()
    _run(xorriso, "-dev", image, "-rm", "/gone.txt", "--", "-commit")
    snaps.append(_snapshot(src, work / "s3"))
    return image, snaps


@pytest.fixture(scope="module")
def appended_sessions(tmp_path_factory) -> tuple[Path, list[Path]]:
    """genisoimage -M/-C: session 2 is written for block N and appended at N."""
    genisoimage = require_tool("genisoimage")
    work = tmp_path_factory.mktemp("genisoimage-ms")
    src = work / "src"
    src.mkdir()
    (src / "one.txt").write_text("session one\n")
    first = work / "s1.iso"
    _run(genisoimage, "-quiet", "-R", "-J", "-o", first, src)
    snaps = [_snapshot(src, work / "t1")]
    size = first.stat().st_size // 2048
    second_src = work / "src2"
    second_src.mkdir()
    (second_src / "two.txt").write_text("session two\n")
    second = work / "s2.iso"
    _run(genisoimage, "-quiet", "-R", "-J", "-C", f"0,{size}", "-M", first, "-o", second, second_src)
    image = work / "appended.iso"
    image.write_bytes(first.read_bytes() + second.read_bytes())
    # genisoimage -M merges the previous session's tree into the new one.
    merged = _snapshot(src, work / "t2")
    shutil.copy(second_src / "two.txt", merged / "two.txt")
    snaps.append(merged)
    return image, snaps


def _xorriso_session_files(image: Path, start: int) -> list[str]:
    """The files xorriso sees in the session at ``start`` (independent of our reader)."""
    out = _run(require_tool("xorriso"), "-load", "sbsector", str(start), "-indev", image,
               "-find", "/", "-type", "f")
    return sorted(line.strip().strip("'").lstrip("/") for line in out.splitlines()
                  if line.startswith("'/"))


def _info(image: Path, *options: str) -> dict:
    proc = run_cli("info", "--json", image, *options)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_xorriso_sessions_found_as_xorriso_lists_them(xorriso_sessions) -> None:
    image, _ = xorriso_sessions
    toc = _run(require_tool("xorriso"), "-indev", image, "-toc")
    theirs = [(int(n), int(lba)) for n, lba in re.findall(r"ISO session\s*:\s*(\d+)\s*,\s*(\d+)", toc)]
    info = _info(image)
    assert [(s["number"], s["start"]) for s in info["filesystem_sessions"]] == theirs
    assert len(theirs) == 3 and info["shown_session"] == 3


@pytest.mark.parametrize("number", [1, 2, 3])
def test_each_xorriso_session_mounts_with_its_tree(xorriso_sessions, mount, number: int) -> None:
    image, snaps = xorriso_sessions
    with mount(image, "-o", f"session={number}") as mnt:
        assert listing(mnt) == listing(snaps[number - 1])
    start = _info(image)["filesystem_sessions"][number - 1]["start"]
    ours = sorted(line.split("\t")[0] for line in listing(snaps[number - 1]) if "\tf\t" in line)
    assert _xorriso_session_files(image, start) == ours


def test_default_is_the_last_session(xorriso_sessions, mount) -> None:
    image, snaps = xorriso_sessions
    with mount(image) as mnt:
        assert listing(mnt) == listing(snaps[-1])
        assert not (mnt / "gone.txt").exists()
        assert (mnt / "docs" / "readme.txt").read_text().startswith("second version")


def test_appended_genisoimage_sessions(appended_sessions, mount) -> None:
    image, snaps = appended_sessions
    info = _info(image)
    starts = [s["start"] for s in info["filesystem_sessions"]]
    assert starts == [0, (image.stat().st_size - 0) // 2048 - _session2_blocks(image)]
    for number, snap in enumerate(snaps, 1):
        with mount(image, "-o", f"session={number}") as mnt:
            assert listing(mnt) == listing(snap)
            if number == 2:
                # Joliet and Rock Ridge of the new session both carry the merged tree.
                assert (mnt / "one.txt").read_text() == "session one\n"
        ours = sorted(line.split("\t")[0] for line in listing(snap) if "\tf\t" in line)
        assert _xorriso_session_files(image, starts[number - 1]) == ours
    with mount(image) as mnt:
        assert listing(mnt) == listing(snaps[-1])


def _session2_blocks(image: Path) -> int:
    """Blocks genisoimage wrote for session 2: the image minus session 1 (its volume space)."""
    data = image.read_bytes()
    session1 = int.from_bytes(data[16 * 2048 + 80:16 * 2048 + 84], "little")
    return len(data) // 2048 - session1


def test_sbsector_names_the_session_block(xorriso_sessions, mount) -> None:
    image, snaps = xorriso_sessions
    start = _info(image)["filesystem_sessions"][1]["start"]
    with mount(image, "-o", f"sbsector={start}") as mnt:
        assert listing(mnt) == listing(snaps[1])


def test_missing_session_is_refused_before_mounting(xorriso_sessions, tmp_path: Path) -> None:
    image, _ = xorriso_sessions
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    proc = run_cli(image, mnt, "-o", "session=5")
    assert proc.returncode == 2
    assert one_line_error(proc) == f"{image}: no session 5: the sessions with data are 1, 2, 3"
    assert not is_mounted(mnt)


@pytest.mark.parametrize("value,fragment", [("0", "numbered 1-99"), ("x", "expected a number")])
def test_bad_session_option(xorriso_sessions, value: str, fragment: str) -> None:
    image, _ = xorriso_sessions
    proc = run_cli("ls", image, "/", "-o", f"session={value}")
    assert proc.returncode == 2 and fragment in one_line_error(proc)


def test_sbsector_without_descriptors_is_refused(xorriso_sessions) -> None:
    image, _ = xorriso_sessions
    proc = run_cli("ls", image, "/", "-o", "sbsector=3")
    assert proc.returncode == 2
    assert "no ISO 9660 volume descriptor at sector 19" in one_line_error(proc)


def test_single_session_image_has_one(tmp_path: Path) -> None:
    genisoimage = require_tool("genisoimage")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    image = tmp_path / "one.iso"
    _run(genisoimage, "-quiet", "-o", image, tmp_path / "src")
    info = _info(image)
    assert info["filesystem_sessions"] == [{"number": 1, "start": 0}]
    assert info["shown_session"] == 1
