"""Benchmark mount-image against fuseiso and a bare Python FUSE passthrough; write REPORT.md.

    python3 bench/run.py [--quick] [--work DIR] [--report FILE]

Builds (or reuses) the images in the work folder, measures every mounter in this one run and
writes the report. Needs root for dropping the page cache; see bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import facts
import isobuild
import measure
import mounters
import report
import sections
from benchdata import (DU, FIND, FIND_COUNT, FULL, HWM_DU, HWM_SEQ, QUICK, RAND_COLD, RAND_WARM,
                       READ_AHEAD, SEQ_FIRST, SEQ_REREAD, Cell, Config, Run, files_label, mount_key)
from mounters import MountError, Mounter

BENCH = Path(__file__).resolve().parent
# Timeouts per step, in seconds. A step that hits one gets an error cell; the run goes on.
WALK_TIMEOUT = 180.0  # find or du over the big tree
READ_TIMEOUT = 180.0  # one dd of the big file
RANDOM_TIMEOUT = 120.0
CAT_TIMEOUT = 120.0
# Peers first: if mount-image misbehaves badly, the peers' figures are already in.
# (The rounds of disk-bound figures rotate this order.)
MOUNTERS = (mounters.FUSEISO, mounters.PASSTHROUGH_TUNED, mounters.PASSTHROUGH_FUSE2, mounters.MOUNT_IMAGE)


@dataclass
class Bench:
    run: Run
    mnt_root: Path
    can_drop_caches: bool
    hung: dict[str, str] = field(default_factory=dict)  # mounter name -> why it is skipped

    @property
    def config(self) -> Config:
        return self.run.config

    def mountpoint(self, mounter: Mounter) -> Path:
        return self.mnt_root / mounter.kind

    def tree(self, files: int) -> Path:
        return self.run.images[files_label(files)]

    @property
    def big(self) -> Path:
        return self.run.images["big"]


@dataclass(frozen=True)
class Step:
    """One measurement of one mounter; `keys` are the cells it fills (all get its error)."""

    title: str
    keys: tuple[str, ...]
    action: Callable[[Bench, Mounter, dict[str, Cell]], None]


@dataclass(frozen=True)
class RoundStep:
    """A measurement taken once per round for every mounter; `once` returns a sample per key."""

    title: str
    keys: tuple[str, ...]
    once: Callable[[Bench, Mounter], dict[str, float]]


def log(message: str) -> None:
    try:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
    except OSError:
        pass  # stderr closed (`run.py 2>&1 | head`): progress lines are optional, the report is not


# ---- images and the physical limit -------------------------------------------------------------

def build_images(run: Run, work: Path) -> None:
    config = run.config
    for files in config.tree_files:
        _build(run, files_label(files), isobuild.tree_iso_path(work, files),
               lambda files=files: isobuild.build_tree_iso(work, files))
    _build(run, "big", isobuild.big_iso_path(work, config.big_size),
           lambda: isobuild.build_big_iso(work, config.big_size))


def _build(run: Run, label: str, image: Path, build: Callable[[], Path]) -> None:
    cached = image.exists()
    start = time.perf_counter()
    build()
    seconds = time.perf_counter() - start
    if not cached:
        run.build_seconds[label] = seconds
    run.images[label] = image
    how = "cached" if cached else f"built in {seconds:.1f} s"
    log(f"image {label}: {image.name}, {image.stat().st_size / 1e6:.0f} MB ({how})")


def cat_once(bench: Bench) -> float:
    """`cat IMAGE > /dev/null` of the big image after dropping caches: what the disk gives."""
    measure.drop_caches()
    return measure.cat_file(bench.big, CAT_TIMEOUT).mb_per_s


def warm(image: Path) -> None:
    # Steps on metadata and the warm random reads measure the filesystem, not the disk.
    measure.cat_file(image, CAT_TIMEOUT)


# ---- steps -------------------------------------------------------------------------------------

def step_mount_times(bench: Bench, mounter: Mounter, cells: dict[str, Cell]) -> None:
    """Mount time of every tree image. One untimed mount first (imports, page cache), then the
    images in turn, round after round, so any drift of the machine hits every size alike."""
    files = bench.config.tree_files
    for n in files:
        warm(bench.tree(n))
    _timed_mount(bench, mounter, bench.tree(files[0]))
    samples: dict[int, list[float]] = {n: [] for n in files}
    failed: dict[int, str] = {}
    for _ in range(bench.config.mount_reps):
        for n in files:
            if n in failed:
                continue
            try:
                samples[n].append(_timed_mount(bench, mounter, bench.tree(n)))
            except MountError as error:
                if error.hung:
                    raise
                failed[n] = f"mount: {error}"
    for n in files:
        cells[mount_key(n)] = Cell(error=failed[n]) if n in failed else Cell.of_samples(samples[n])


def _timed_mount(bench: Bench, mounter: Mounter, image: Path) -> float:
    with mounters.mounted(mounter, image, bench.mountpoint(mounter)) as mount:
        # Not timed: only proves that the mount serves the image.
        if not mounters.with_timeout(lambda: os.listdir(mount.mountpoint), "listdir"):
            raise MountError("mounted, but the root directory is empty")
        return mount.seconds


def step_find(bench: Bench, mounter: Mounter, cells: dict[str, Cell]) -> None:
    files = bench.config.big_tree
    image = bench.tree(files)
    warm(image)
    with mounters.mounted(mounter, image, bench.mountpoint(mounter)) as mount:
        pipeline = f"find {shlex.quote(str(mount.mountpoint))} | wc -l"
        seconds, out = measure.run_timed([pipeline], WALK_TIMEOUT, shell=True)
    count = int(out.strip())
    expected = isobuild.tree_entries(files)
    cells[FIND] = Cell(seconds)
    cells[FIND_COUNT] = Cell(count, "" if count == expected else f"expected {expected}")


def step_du(bench: Bench, mounter: Mounter, cells: dict[str, Cell]) -> None:
    image = bench.tree(bench.config.big_tree)
    warm(image)
    with mounters.mounted(mounter, image, bench.mountpoint(mounter)) as mount:
        seconds, out = measure.run_timed(["du", "-s", str(mount.mountpoint)], WALK_TIMEOUT)
        cells[DU] = Cell(seconds, f"{out.split()[0]} KiB")
        cells[HWM_DU] = _hwm(mount)


def _hwm(mount: mounters.Mounted) -> Cell:
    if mount.pid is None:
        return Cell(error="daemon process not found (no process names the mountpoint)")
    return Cell(measure.vm_hwm_bytes(mount.pid), f"pid {mount.pid}")


def sequential_once(bench: Bench, mounter: Mounter) -> dict[str, float]:
    """dd of the big file on a fresh mount after dropping caches, then again in the same mount."""
    with mounters.mounted(mounter, bench.big, bench.mountpoint(mounter)) as mount:
        target = mounters.big_file(mounter, mount, bench.big)
        measure.drop_caches()
        first = measure.dd_read(target, READ_TIMEOUT).mb_per_s
        again = measure.dd_read(target, READ_TIMEOUT).mb_per_s
        sample = {SEQ_FIRST: first, SEQ_REREAD: again}
        read_ahead = mounters.read_ahead_kb(mount.mountpoint)
        if read_ahead is not None:
            sample[READ_AHEAD] = read_ahead
        if mount.pid is not None:
            sample[HWM_SEQ] = measure.vm_hwm_bytes(mount.pid)
        return sample


def random_warm_once(bench: Bench, mounter: Mounter) -> dict[str, float]:
    warm(bench.big)
    return {RAND_WARM: _random_reads(bench, mounter, drop=False)}


def random_cold_once(bench: Bench, mounter: Mounter) -> dict[str, float]:
    return {RAND_COLD: _random_reads(bench, mounter, drop=True)}


def _random_reads(bench: Bench, mounter: Mounter, drop: bool) -> float:
    # A fresh mount each time: in the same mount, the kernel would serve repeats from its cache.
    with mounters.mounted(mounter, bench.big, bench.mountpoint(mounter)) as mount:
        target = mounters.big_file(mounter, mount, bench.big)
        if drop:
            measure.drop_caches()
        config = bench.config
        return measure.random_reads(target, config.random_reads, config.seed, RANDOM_TIMEOUT)


# Figures that hang on the disk's speed, which drifts a lot on a VM (cat of the same cold image
# ranges 0.6-2.6 GB/s here). They are measured in rounds: each round takes every mounter in turn,
# so a slow spell of the disk hits all of them rather than one.
ROUND_STEPS: tuple[RoundStep, ...] = (
    RoundStep("sequential read", (SEQ_FIRST, SEQ_REREAD, READ_AHEAD, HWM_SEQ), sequential_once),
    RoundStep("random reads, image cached", (RAND_WARM,), random_warm_once),
    RoundStep("random reads, cold", (RAND_COLD,), random_cold_once),
)
# Of several samples: the median of rates, but the largest read-ahead and peak memory seen.
TAKE_MAX = (READ_AHEAD, HWM_SEQ)


def steps_for(mounter: Mounter, config: Config) -> list[Step]:
    steps = [Step("mount times", tuple(mount_key(n) for n in config.tree_files), step_mount_times)]
    if mounter.serves_tree:
        steps += [Step("find", (FIND, FIND_COUNT), step_find), Step("du -s", (DU, HWM_DU), step_du)]
    return steps


# ---- driving -----------------------------------------------------------------------------------

def run_mounter(bench: Bench, mounter: Mounter) -> None:
    """The per-mounter steps. A failure fills that step's cells with the error; after a mount
    that hung, the mounter's remaining steps are skipped rather than each waiting out a timeout."""
    cells = bench.run.results.setdefault(mounter.name, {})
    for step in steps_for(mounter, bench.config):
        if mounter.name in bench.hung:
            _fail(cells, step.keys, f"not run: {bench.hung[mounter.name]}")
            continue
        start = time.perf_counter()
        error = _attempt(bench, mounter, lambda: step.action(bench, mounter, cells))
        if error:
            _fail(cells, step.keys, error)
        log(f"{mounter.name}: {step.title}: {_summary(cells, step.keys)} ({time.perf_counter() - start:.1f} s)")


def run_rounds(bench: Bench, mounters_: tuple[Mounter, ...]) -> None:
    """ROUND_STEPS, round after round; the order of mounters rotates each round."""
    samples: dict[str, dict[str, list[float]]] = {m.name: {} for m in mounters_}
    errors: dict[tuple[str, str], str] = {}  # (mounter, step title) -> the first error
    cat: list[float] = []
    for round_ in range(bench.config.read_reps):
        start = time.perf_counter()
        cat.append(cat_once(bench))
        order = mounters_[round_ % len(mounters_):] + mounters_[:round_ % len(mounters_)]
        for step in ROUND_STEPS:
            for mounter in order:
                if mounter.name in bench.hung or (mounter.name, step.title) in errors:
                    continue  # one failure is reported; repeating it only costs time
                error = _attempt(bench, mounter, lambda: _add(samples[mounter.name], step.once(bench, mounter)))
                if error:
                    errors[(mounter.name, step.title)] = error
        log(f"round {round_ + 1}/{bench.config.read_reps}: cat {cat[-1]:.0f} MB/s, "
            + ", ".join(f"{m.name} {_last(samples[m.name], SEQ_FIRST, round_)}" for m in mounters_)
            + f" MB/s first read ({time.perf_counter() - start:.1f} s)")
    bench.run.cat_cold = Cell.of_samples(cat)
    for mounter in mounters_:
        _aggregate(bench, mounter, samples[mounter.name], errors)


def _aggregate(bench: Bench, mounter: Mounter, samples: dict[str, list[float]],
               errors: dict[tuple[str, str], str]) -> None:
    """One mounter's round samples into its cells: the median of rates, the largest of the rest."""
    cells = bench.run.results.setdefault(mounter.name, {})
    for step in ROUND_STEPS:
        failure = errors.get((mounter.name, step.title))
        if failure is None and not samples.get(step.keys[0]):
            failure = f"not run: {bench.hung.get(mounter.name, 'no sample')}"
        if failure:
            _fail(cells, step.keys, failure)
            continue
        for key in step.keys:
            values = samples.get(key, [])
            if not values:
                cells[key] = Cell(error="not available")
            elif key in TAKE_MAX:
                cells[key] = Cell(max(values))
            else:
                cells[key] = Cell.of_samples(values)


def _last(samples: dict[str, list[float]], key: str, round_: int) -> str:
    values = samples.get(key, [])
    return f"{values[-1]:.0f}" if len(values) == round_ + 1 else "—"


def _add(into: dict[str, list[float]], sample: dict[str, float]) -> None:
    for key, value in sample.items():
        into.setdefault(key, []).append(value)


def _attempt(bench: Bench, mounter: Mounter, action: Callable[[], None]) -> str | None:
    """Run one measurement; return its error as text (None if fine) and note a hung mounter."""
    try:
        action()
    except MountError as error:
        if error.hung:
            bench.hung[mounter.name] = "an earlier mount hung"
        return f"mount: {error}"
    except Exception as error:  # any failure is a finding to report, not a reason to stop
        return f"{type(error).__name__}: {error}"
    return None


def _fail(cells: dict[str, Cell], keys: tuple[str, ...], message: str) -> None:
    for key in keys:
        cells[key] = Cell(error=message)


def _summary(cells: dict[str, Cell], keys: tuple[str, ...]) -> str:
    cell = cells.get(keys[0], Cell(error="?"))
    if cell.error:
        return "ERROR " + cell.error.splitlines()[0][:160]
    return f"{cell.value:.4g} {cell.note}".strip()


def clean_stale_mounts(mnt_root: Path) -> None:
    """Unmount what an interrupted earlier run left under our own mount folder."""
    if not mnt_root.exists():
        return
    for mountpoint in sorted(mnt_root.iterdir()):
        if mounters.is_mounted(mountpoint):
            log(f"unmounting a stale mount at {mountpoint}")
            mounters.unmount(mounters.Mounted(mountpoint, 0.0, pid=mounters.daemon_pid(mountpoint)))


def check_tools() -> list[str]:
    # A missing peer only costs its own figures (they show the error); say why up front.
    tools = ("genisoimage", "fuseiso", "fusermount3", "dd", "find", "du")
    return [f"missing tool: {tool}" for tool in tools if shutil.which(tool) is None]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small images and few repetitions (about 15 s); writes WORK/REPORT-quick.md")
    parser.add_argument("--work", type=Path, default=BENCH / "work",
                        help="scratch folder for images and mountpoints (default: bench/work)")
    parser.add_argument("--report", type=Path, default=None,
                        help="where to write the report (default: bench/REPORT.md, or WORK/REPORT-quick.md)")
    return parser.parse_args()


def _terminate(signum: int, frame: object) -> None:
    # Turn SIGTERM/SIGHUP into an exception so every `with mounted(...)` unmounts on the way out.
    raise SystemExit(f"stopped by signal {signum}")


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    config = QUICK if args.quick else FULL
    work = args.work.resolve()
    report_path = args.report or (work / "REPORT-quick.md" if args.quick else BENCH / "REPORT.md")
    work.mkdir(parents=True, exist_ok=True)
    mnt_root = work / "mnt"
    clean_stale_mounts(mnt_root)
    begin = time.perf_counter()
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    run = Run(config, started, facts.machine_facts(), {}, {})
    run.notes += check_tools()
    bench = Bench(run, mnt_root, can_drop_caches=measure.drop_caches())
    if not bench.can_drop_caches:
        run.notes.append("could not drop the page cache (not root?): 'cold' figures are not cold")
    build_images(run, work)
    run.mounters = [mounter.name for mounter in MOUNTERS]
    for mounter in MOUNTERS:
        run_mounter(bench, mounter)
    run_rounds(bench, MOUNTERS)
    run.seconds = time.perf_counter() - begin
    run.facts["Load average at end"] = facts.load_average()
    sections.write_keeping_sections(report_path, report.render(run))  # cd.py, udf.py sections stay
    log(f"done in {run.seconds:.0f} s; report: {report_path}")
    if not args.quick:
        # CD formats (BIN/CUE, CCD, MDS, audio, verify) in a section of their own; a failure
        # there is logged and leaves the ISO report above as written.
        try:
            import cd
            cd.run_into(report_path, work)
        except Exception as error:
            log(f"cd section failed: {type(error).__name__}: {error}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        # Every mount was already undone by the `with mounted(...)` blocks on the way up.
        log("interrupted; no report written")
        sys.exit(130)
