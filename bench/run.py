"""Benchmark mount-image against fuseiso and a bare Python FUSE passthrough; write REPORT.md.

    python3 bench/run.py [--quick] [--work DIR] [--report FILE]

Builds (or reuses) the images in the work folder, measures every mounter in this one run and
writes the report. Needs root for dropping the page cache; see bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import facts
import isobuild
import measure
import mounters
import report
from benchdata import (DU, FIND, FIND_COUNT, FULL, HWM_DU, HWM_SEQ, QUICK, RAND_COLD, RAND_WARM,
                       READ_AHEAD, SEQ_FIRST, SEQ_REREAD, Cell, Config, Run, files_label, mount_key)
from measure import StepError
from mounters import MountError, Mounter

BENCH = Path(__file__).resolve().parent
# Timeouts per step, in seconds. A step that hits one gets an error cell; the run goes on.
WALK_TIMEOUT = 180.0  # find or du over the big tree
READ_TIMEOUT = 180.0  # one dd of the big file
RANDOM_TIMEOUT = 120.0
CAT_TIMEOUT = 120.0
# Peers first: if mount-image misbehaves badly, the peers' figures are already in.
MOUNTERS = (mounters.FUSEISO, mounters.PASSTHROUGH_TUNED, mounters.PASSTHROUGH_FUSE2, mounters.MOUNT_IMAGE)


@dataclass
class Bench:
    run: Run
    mnt_root: Path
    can_drop_caches: bool

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


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---- images and the physical limit -------------------------------------------------------------

def build_images(run: Run, work: Path) -> None:
    config = run.config
    for files in config.tree_files:
        _build(run, files_label(files), lambda files=files: isobuild.build_tree_iso(work, files))
    _build(run, "big", lambda: isobuild.build_big_iso(work, config.big_size))


def _build(run: Run, label: str, build: Callable[[], Path]) -> None:
    start = time.perf_counter()
    image = build()
    seconds = time.perf_counter() - start
    if seconds > 1.0:  # a cached image returns at once; only report real builds
        run.build_seconds[label] = seconds
    run.images[label] = image
    log(f"image {label}: {image.name}, {image.stat().st_size / 1e6:.0f} MB ({seconds:.1f} s)")


def measure_cat(bench: Bench) -> None:
    """`cat IMAGE > /dev/null` of the big image after dropping caches: what the disk gives."""
    samples = []
    for _ in range(bench.config.read_reps):
        measure.drop_caches()
        samples.append(measure.cat_file(bench.big, CAT_TIMEOUT).mb_per_s)
    bench.run.cat_cold = Cell.of_samples(samples)
    log(f"cat of the big image, cold: {bench.run.cat_cold.value:.0f} MB/s")


def warm(image: Path) -> None:
    # Steps on metadata and the warm random reads measure the filesystem, not the disk.
    measure.cat_file(image, CAT_TIMEOUT)


# ---- steps -------------------------------------------------------------------------------------

def step_mount_time(files: int) -> Step:
    def action(bench: Bench, mounter: Mounter, cells: dict[str, Cell]) -> None:
        image = bench.tree(files)
        warm(image)
        samples = []
        for _ in range(bench.config.mount_reps):
            with mounters.mounted(mounter, image, bench.mountpoint(mounter)) as mount:
                samples.append(mount.seconds)
                # Not timed: only proves that the mount serves the image.
                if not os.listdir(mount.mountpoint):
                    raise StepError("mounted, but the root directory is empty")
        cells[mount_key(files)] = Cell.of_samples(samples)

    return Step(f"mount time, {files_label(files)} files", (mount_key(files),), action)


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


def step_sequential(bench: Bench, mounter: Mounter, cells: dict[str, Cell]) -> None:
    """dd of the big file on a fresh mount after dropping caches, then again in the same mount."""
    first, again, read_ahead = [], [], set()
    for _ in range(bench.config.read_reps):
        with mounters.mounted(mounter, bench.big, bench.mountpoint(mounter)) as mount:
            target = mounters.big_file(mounter, mount, bench.big)
            measure.drop_caches()
            first.append(measure.dd_read(target, READ_TIMEOUT).mb_per_s)
            again.append(measure.dd_read(target, READ_TIMEOUT).mb_per_s)
            read_ahead.add(mounters.read_ahead_kb(mount.mountpoint))
            cells[HWM_SEQ] = _hwm(mount)
    cells[SEQ_FIRST] = Cell.of_samples(first)
    cells[SEQ_REREAD] = Cell.of_samples(again)
    cells[READ_AHEAD] = Cell(max(read_ahead), ", ".join(map(str, sorted(read_ahead))))


def step_random_warm(bench: Bench, mounter: Mounter, cells: dict[str, Cell]) -> None:
    warm(bench.big)
    cells[RAND_WARM] = _random_reads(bench, mounter, drop=False)


def step_random_cold(bench: Bench, mounter: Mounter, cells: dict[str, Cell]) -> None:
    cells[RAND_COLD] = _random_reads(bench, mounter, drop=True)


def _random_reads(bench: Bench, mounter: Mounter, drop: bool) -> Cell:
    with mounters.mounted(mounter, bench.big, bench.mountpoint(mounter)) as mount:
        target = mounters.big_file(mounter, mount, bench.big)
        if drop:
            measure.drop_caches()
        config = bench.config
        return Cell(measure.random_reads(target, config.random_reads, config.seed, RANDOM_TIMEOUT))


def steps_for(mounter: Mounter, config: Config) -> list[Step]:
    steps = [step_mount_time(files) for files in config.tree_files]
    if mounter.serves_tree:
        steps += [Step("find", (FIND, FIND_COUNT), step_find), Step("du -s", (DU, HWM_DU), step_du)]
    steps += [
        Step("sequential read", (SEQ_FIRST, SEQ_REREAD, READ_AHEAD, HWM_SEQ), step_sequential),
        Step("random reads, image cached", (RAND_WARM,), step_random_warm),
        Step("random reads, cold", (RAND_COLD,), step_random_cold),
    ]
    return steps


# ---- driving -----------------------------------------------------------------------------------

def run_mounter(bench: Bench, mounter: Mounter) -> None:
    """Every step for one mounter. A failure fills that step's cells with the error; after a
    mount that hung, the remaining steps are skipped rather than each waiting out a timeout."""
    cells = bench.run.results.setdefault(mounter.name, {})
    bench.run.mounters.append(mounter.name)
    skip_reason = ""
    for step in steps_for(mounter, bench.config):
        if skip_reason:
            _fail(cells, step, f"not run: {skip_reason}")
            continue
        start = time.perf_counter()
        try:
            step.action(bench, mounter, cells)
        except MountError as error:
            _fail(cells, step, f"mount failed: {error}")
            if "did not return" in str(error) or "not visible" in str(error):
                skip_reason = "an earlier mount hung"
        except Exception as error:  # any failure is a finding to report, not a reason to stop
            _fail(cells, step, f"{type(error).__name__}: {error}")
        log(f"{mounter.name}: {step.title}: {_summary(cells, step)} ({time.perf_counter() - start:.1f} s)")


def _fail(cells: dict[str, Cell], step: Step, message: str) -> None:
    for key in step.keys:
        cells[key] = Cell(error=message)


def _summary(cells: dict[str, Cell], step: Step) -> str:
    cell = cells.get(step.keys[0], Cell(error="?"))
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
    missing = [tool for tool in ("genisoimage", "fuseiso", "fusermount3", "dd", "find", "du")
               if not any((Path(d) / tool).exists() for d in os.environ.get("PATH", "").split(":"))]
    return [f"missing tool: {tool}" for tool in missing]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small images and few repetitions (a minute or two); writes WORK/REPORT-quick.md")
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
    measure_cat(bench)
    for mounter in MOUNTERS:
        run_mounter(bench, mounter)
    run.seconds = time.perf_counter() - begin
    report_path.write_text(report.render(run))
    log(f"done in {run.seconds:.0f} s; report: {report_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
