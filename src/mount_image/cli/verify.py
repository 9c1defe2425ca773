"""``mount-image verify IMAGE``: check every raw data sector (ECMA-130 §14): sync, header address,
mode, EDC and ECC (P and Q); list the bad sectors and the files they belong to.

Tracks are read in large runs (one pread of ``RUN_SECTORS`` sectors) and checked in bulk with
``sectors.edc.check_sectors``; only the sectors it flags are looked at one by one to say what is
wrong. Cooked tracks (2048-byte sectors) carry no EDC/ECC and have nothing to verify.
"""

from __future__ import annotations

import argparse
import bisect
import json
import multiprocessing
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..disc.model import Disc, Track, TrackKind, TrackMode
from ..disc.probe import open_image
from ..errors import CorruptDataError, MountImageError
from ..io.source import pread_into
from ..sectors import edc, edc_engines
from ..sectors.blocks import gather
from .messages import EXIT_FAILURE, EXIT_OK, error
from .opening import choose_session, open_session_fs
from .options import parse_options

RAW = edc.SECTOR_SIZE
RUN_SECTORS = 4096              # sectors per pread: 9.6 MB of 2352-byte sectors
MAX_LISTED = 1000               # bad sectors listed; the rest are counted
MAX_WALK_ENTRIES = 1_000_000    # entries visited when mapping sectors to files
MAX_WALK_DEPTH = 256
# The mode byte a raw data track's sectors must carry (Mode 0, empty sectors, is accepted too).
_EXPECTED_MODE = {TrackMode.MODE1_2352: 1, TrackMode.MODE2_2352: 2, TrackMode.CDI_2352: 2}


@dataclass(slots=True)
class BadSector:
    lba: int
    kinds: list[str]
    files: list[str] = field(default_factory=list)


@dataclass(slots=True)
class TrackResult:
    track: Track
    checked: int = 0
    missing: int = 0
    skipped: str | None = None          # why the track was not checked
    bad: list[BadSector] = field(default_factory=list)


def _skip_reason(track: Track) -> str | None:
    """None when the sectors layer can check this track, else why not."""
    if track.sector_size == 2048:
        return "cooked 2048-byte sectors carry no EDC/ECC"
    if track.mode not in _EXPECTED_MODE:
        return f"{track.mode.value} sectors are stored without sync and header"
    if track.sector_size - track.subchannel != RAW:
        return (f"{track.sector_size}-byte sectors with {track.subchannel} bytes of subchannel "
                f"are not {RAW}-byte raw sectors")
    return None


def _main_channel(raw: memoryview, n: int, stride: int) -> bytes | memoryview:
    """The first 2352 bytes of each of ``n`` stored sectors (drops the subchannel)."""
    if stride == RAW:
        return raw
    return gather(raw[:n * stride], stride, 0, RAW)


def _mode_mismatches(buf: bytes | memoryview, n: int, expected: int) -> list[int]:
    column = bytes(buf[15::RAW])
    if column == bytes((expected,)) * n:
        return []
    return [i for i, mode in enumerate(column) if mode not in (expected, 0)]


def _kinds(raw: bytes, lba: int, expected_mode: int) -> list[str]:
    """What is wrong with one raw sector that should sit at ``lba``."""
    check = edc.check_sector(raw)
    kinds = []
    if not check.sync_ok:
        kinds.append("sync")
    if check.lba != lba:
        kinds.append("header")
    if check.mode not in (expected_mode, 0):
        kinds.append("mode")
    if check.edc_ok is False:
        kinds.append("edc")
    if check.ecc_ok is False:
        kinds.append("ecc")
    if not check.reserved_ok:
        kinds.append("reserved")
    return kinds or ["unknown"]


def _check_track(track: Track, progress: Any, jobs: int = 1) -> TrackResult:
    result = TrackResult(track)
    result.skipped = _skip_reason(track)
    if result.skipped:
        return result
    stored = max(0, track.source.size - track.offset) // track.sector_size
    count = min(track.sectors, stored)
    runs = [(first, min(RUN_SECTORS, count - first)) for first in range(0, count, RUN_SECTORS)]
    for checked, bad in _run_results(track, runs, jobs):
        result.checked += checked
        result.bad += bad
        progress(track, result.checked, track.sectors)
    result.missing = track.sectors - result.checked
    return result


def _run_results(track: Track, runs: list[tuple[int, int]], jobs: int) -> Iterator[tuple[int, list[BadSector]]]:
    """(sectors read, bad sectors) of each run, in order; several worker processes when ``jobs``
    is above 1 and there is more than one run.

    The check is CPU-bound numpy work that holds the GIL between short calls, so threads barely
    help; forked workers inherit the opened image (os.pread has no shared file position) and
    each checks whole runs, so only the few bad sectors travel back.
    """
    if jobs <= 1 or len(runs) < 2:
        for first, n in runs:
            yield _check_run(track, first, n)
        return
    global _WORKER_TRACK
    edc_engines.engine()           # build the tables once, before the fork shares them
    _WORKER_TRACK = track
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(min(jobs, len(runs))) as pool:
            yield from pool.imap(_worker_check_run, runs)
    finally:
        _WORKER_TRACK = None


_WORKER_TRACK: Track | None = None      # the track forked workers check (set before the fork)


def _worker_check_run(run: tuple[int, int]) -> tuple[int, list[BadSector]]:
    assert _WORKER_TRACK is not None
    return _check_run(_WORKER_TRACK, *run)


def _check_run(track: Track, first: int, n: int) -> tuple[int, list[BadSector]]:
    """Check sectors ``first`` .. ``first + n - 1`` of ``track``: (how many were read, the bad ones).
    Fewer are read only when the image ends early (it shrank since it was opened)."""
    stride, expected = track.sector_size, _EXPECTED_MODE[track.mode]
    global _RUN_BUFFER
    if len(_RUN_BUFFER) < n * stride:
        _RUN_BUFFER = bytearray(RUN_SECTORS * stride)
    view = memoryview(_RUN_BUFFER)[:n * stride]
    n = pread_into(track.source, track.offset + first * stride, view) // stride
    buf = _main_channel(view[:n * stride], n, stride)
    lba = track.start + first
    try:
        bad = set(edc.check_sectors(buf, lba))
    except ValueError:  # an LBA beyond what a BCD MSF header can say: no address check
        bad = set(edc.check_sectors(buf))
    bad.update(_mode_mismatches(buf, n, expected))
    return n, [BadSector(lba + i, _kinds(bytes(buf[i * RAW:(i + 1) * RAW]), lba + i, expected))
               for i in sorted(bad)]


# One run's stored sectors, read into the same buffer every time (a fresh 9.6 MB bytes object
# per run cost page faults on all of it); each forked worker has its own copy.
_RUN_BUFFER = bytearray()


# ---------------------------------------------------------------------------------------------
# Bad sectors -> files (ISO 9660 extents)

def _walk(fs: Any) -> Iterator[tuple[str, Any]]:
    """(path, entry) of every entry below the root, bounded; damaged directories are skipped."""
    stack: list[tuple[str, Any, int]] = [("", fs.root(), 0)]
    seen = 0
    while stack:
        prefix, directory, depth = stack.pop()
        try:
            children = list(fs.listdir(directory))
        except (CorruptDataError, OSError):
            continue
        for child in children:
            seen += 1
            if seen > MAX_WALK_ENTRIES:
                return
            path = f"{prefix}/{child.name}"
            yield path, child
            if child.stat.is_dir and depth < MAX_WALK_DEPTH:
                stack.append((path, child, depth + 1))


def map_files(disc: Disc, results: list[TrackResult], options: Any) -> list[str]:
    """Name, on each bad sector of any data track, the files of the files view whose extents
    cover it."""
    bad = sorted((b for r in results for b in r.bad), key=lambda b: b.lba)
    if not bad:
        return []
    try:
        choice = choose_session(disc, options)
        if choice is None:
            return []
        fs, base = open_session_fs(disc, choice, options)
    except (MountImageError, OSError):
        return []
    # Filesystem block b is disc LBA base + b.
    blocks = [b.lba - base for b in bad]
    affected: set[str] = set()
    for path, entry in _walk(fs):
        try:
            ranges = fs.byte_ranges(entry)
        except MountImageError:
            continue   # a damaged entry: its own read fails; its blocks name no file here
        for offset, length in ranges:
            sector = offset // 2048
            end = -(-(offset + max(1, length)) // 2048)
            lo = bisect.bisect_left(blocks, sector)
            hi = bisect.bisect_left(blocks, end, lo)
            name = path + ("/" if entry.stat.is_dir else "")
            for k in range(lo, hi):
                if name not in bad[k].files:
                    bad[k].files.append(name)
                affected.add(name)
    return sorted(affected)


# ---------------------------------------------------------------------------------------------

def _progress_printer(enabled: bool):  # noqa: ANN202
    if not enabled:
        return lambda track, done, total: None

    def show(track: Track, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        end = "\n" if done >= total else ""
        print(f"\rtrack {track.number:02d}: {done}/{total} sectors ({percent}%)", end=end,
              file=sys.stderr, flush=True)
    return show


def cmd_verify(args: argparse.Namespace) -> int:
    options = parse_options(args.options)
    disc = open_image(args.image)  # ImageFormatError: refused before reading, exit 2
    try:
        progress = _progress_printer(sys.stdout.isatty() and not args.json)
        results = []
        try:
            for track in disc.tracks:
                if track.kind is TrackKind.DATA:
                    results.append(_check_track(track, progress, args.jobs))
        except OSError as exc:
            error(f"{args.image}: read error: {exc.strerror or exc}")
            return EXIT_FAILURE
        files = map_files(disc, results, options)
    finally:
        disc.close()
    checked = [r for r in results if not r.skipped]
    bad_total = sum(len(r.bad) for r in results)
    missing_total = sum(r.missing for r in results)
    status = EXIT_FAILURE if bad_total or missing_total else EXIT_OK
    if args.json:
        print(json.dumps(_as_json(args.image, results, files, bad_total), indent=2, ensure_ascii=False))
        return status
    if not checked:
        reasons = "; ".join(sorted({f"track {r.track.number}: {r.skipped}" for r in results})) \
            or "no data track"
        print(f"{args.image}: nothing to verify ({reasons})")
        return EXIT_OK
    _print_text(args.image, results, files, bad_total, missing_total)
    return status


def _as_json(image: str, results: list[TrackResult], files: list[str], bad_total: int) -> dict:
    listed = 0
    tracks = []
    for r in results:
        bad = r.bad[:max(0, MAX_LISTED - listed)]
        listed += len(bad)
        tracks.append({
            "number": r.track.number, "mode": r.track.mode.value, "sectors": r.track.sectors,
            "checked": r.checked, "missing": r.missing, "skipped": r.skipped,
            "bad": [{"lba": b.lba, "kinds": b.kinds, "files": b.files} for b in bad],
        })
    return {"image": os.path.abspath(image), "tracks": tracks, "bad_sectors": bad_total,
            "bad_not_listed": bad_total - listed, "files_affected": files,
            "nothing_to_verify": all(r.skipped for r in results)}


def _print_text(image: str, results: list[TrackResult], files: list[str], bad_total: int,
                missing_total: int) -> None:
    lines, listed = [], 0
    for r in results:
        head = f"track {r.track.number:02d} {r.track.mode.value}: "
        if r.skipped:
            lines.append(head + f"not checked ({r.skipped})")
            continue
        lines.append(head + f"{r.checked} of {r.track.sectors} sectors checked, {len(r.bad)} bad"
                     + (f", {r.missing} missing (image truncated)" if r.missing else ""))
        for b in r.bad:
            if listed >= MAX_LISTED:
                break
            listed += 1
            where = f"  ({', '.join(b.files)})" if b.files else ""
            lines.append(f"  LBA {b.lba}: {', '.join(b.kinds)}{where}")
    if bad_total > listed:
        lines.append(f"  ... and {bad_total - listed} more bad sectors")
    if files:
        lines.append("files affected:")
        lines += [f"  {name}" for name in files]
    if bad_total or missing_total:
        lines.append(f"{image}: {bad_total} bad sectors"
                     + (f", {missing_total} missing" if missing_total else ""))
    else:
        lines.append(f"{image}: all sectors good")
    print("\n".join(lines))
