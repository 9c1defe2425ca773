"""What one benchmark run is set to do, and what it found: shared by run.py and report.py."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Config:
    name: str
    big_size: int  # bytes of the single file of the big ISO
    tree_files: tuple[int, ...]  # file counts of the tree ISOs, ascending; the last is "the big tree"
    mount_reps: int  # mounts per image for the mount time (the median is reported)
    read_reps: int  # rounds of the sequential and random reads (the median is reported)
    random_reads: int
    seed: int = 4096  # fixed: every mounter reads the same offsets, run after run

    @property
    def small_tree(self) -> int:
        return self.tree_files[0]

    @property
    def big_tree(self) -> int:
        return self.tree_files[-1]


FULL = Config("full", 1 << 30, (1_000, 10_000, 100_000), mount_reps=7, read_reps=5, random_reads=2000)
QUICK = Config("quick", 64 << 20, (100, 1_000, 5_000), mount_reps=2, read_reps=2, random_reads=300)


@dataclass
class Cell:
    """One figure of one mounter: a value, or the reason there is none."""

    value: float | None = None
    note: str = ""
    error: str | None = None
    samples: tuple[float, ...] = ()

    @classmethod
    def of_samples(cls, samples: list[float]) -> "Cell":
        # The median resists one disturbed sample better than the mean on a shared 2-core VM.
        note = f"median of {len(samples)}" if len(samples) > 1 else ""
        return cls(statistics.median(samples), note, samples=tuple(samples))

    @property
    def ok(self) -> bool:
        return self.value is not None and self.error is None


# Figure keys, per mounter.
def mount_key(files: int) -> str:
    return f"mount_{files}"


FIND = "find"  # seconds of `find MNT | wc -l` on the big tree
FIND_COUNT = "find_count"  # the number it printed
DU = "du"  # seconds of `du -s MNT` on the big tree
HWM_DU = "hwm_du"  # bytes, daemon VmHWM after that du
SEQ_FIRST = "seq_first"  # MB/s, first read after dropping caches
SEQ_REREAD = "seq_reread"  # MB/s, second read in the same mount
READ_AHEAD = "read_ahead_kb"  # the mount's bdi read_ahead_kb as found while reading
HWM_SEQ = "hwm_seq"  # bytes, daemon VmHWM after both sequential reads
RAND_WARM = "rand_warm"  # reads/s, image file in the page cache, fresh mount
RAND_COLD = "rand_cold"  # reads/s, after dropping caches


@dataclass
class Run:
    config: Config
    started: str
    facts: dict[str, str]
    images: dict[str, Path]  # label -> image
    build_seconds: dict[str, float]  # label -> seconds, only for images built in this run
    cat_cold: Cell = field(default_factory=Cell)  # MB/s of `cat IMAGE` after dropping caches
    results: dict[str, dict[str, Cell]] = field(default_factory=dict)  # mounter -> key -> cell
    mounters: list[str] = field(default_factory=list)  # names, in report order
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def cell(self, mounter: str, key: str) -> Cell:
        return self.results.get(mounter, {}).get(key, Cell(error="not measured"))


def files_label(files: int) -> str:
    return f"{files // 1000}k" if files >= 1000 and files % 1000 == 0 else str(files)
