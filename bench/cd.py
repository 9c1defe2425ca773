"""CD-format figures: raw BIN/CUE, CCD and MDS against the plain ISO, audio tracks, verify speed.

    sudo python3 bench/cd.py [--work DIR] [--report FILE] [--rounds N]

Builds (once, then reuses) from WORK/big-1024MiB.iso (made by bench/run.py):

- ``cd-449850s.iso``: the ISO cut to 449,850 blocks (921 MB), big.bin's size in its directory
  records (ISO 9660 and Joliet) and the volume space size patched to match. A raw sector header
  addresses 99:59:74 at most and LBA 0 is 00:02:00, so 100*60*75 - 150 = 449,850 sectors is the
  largest raw Mode 1 disc: 1.058 GB of .bin, 921 MB of user data.
- ``cd-449850s.bin`` + ``.cue``: that ISO as raw MODE1/2352 with EDC/ECC (sectors/edc.py's bulk
  encoder); ``.img`` + ``.ccd`` (CloneCD, no .sub) and ``.mdf`` + ``.mds`` (Alcohol) are hard
  links to the same .bin with descriptors from tests/support/ccdmds.py.
- ``cdda-*.bin`` + ``.cue``: a ~700 MB disc, a small MODE1/2352 data track (tree-1000.iso) then
  one audio track of random PCM with a stored 2-second pregap (INDEX 00).

Then, in rounds (the order of subjects rotates each round, caches dropped before every read),
times `dd bs=1M` of big.bin through the files view of mount-image on the cut ISO, the .cue,
.ccd and .mds, and of fuseiso on the .bin and on the cut ISO; track02.wav and disc.bin of the
audio disc through ``--view tracks``; and once, ``mount-image verify`` of the .cue with the .bin
cached (with its default worker count, then -j 1). Ratios to the plain ISO are taken within each
round and their median reported (the disk drifts between rounds). Writes its own section of
REPORT.md (between markers; the rest is left as it is).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import struct
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _p in (BENCH, ROOT / "src", ROOT / "tests"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import facts  # noqa: E402
import isobuild  # noqa: E402
import measure  # noqa: E402
import mounters  # noqa: E402
import sections  # noqa: E402
from mount_image.sectors import edc  # noqa: E402
from support import ccdmds, rawcd  # noqa: E402

SECTORS = 100 * 60 * 75 - 150       # 449,850: the last address a raw header can hold is 99:59:74
AUDIO_DISC_SECTORS = 297_600        # 700 MB of .bin (2352-byte sectors)
AUDIO_PREGAP = 150
CHUNK_SECTORS = 4096
READ_TIMEOUT = 180.0
VERIFY_TIMEOUT = 180.0
CAT_TIMEOUT = 120.0
BEGIN, END = "<!-- cd-bench:begin -->", "<!-- cd-bench:end -->"
MB = 1_000_000
ROUNDS = 7       # the disk's speed varies ±30% from read to read: medians need several rounds

# (label, container) of the big-file reads; the first is the baseline every ratio divides by.
PLAIN = "mount-image, plain ISO (cut)"
CUE, CCD, MDS = "mount-image, BIN/CUE", "mount-image, CCD (.img)", "mount-image, MDS (.mdf)"
FUSEISO_BIN, FUSEISO_ISO = "fuseiso, BIN", "fuseiso, plain ISO (cut)"
WAV, DISC_BIN = "mount-image --view tracks, track02.wav", "mount-image --view tracks, disc.bin"
CAT_ISO, CAT_BIN = "cat cut ISO (disk)", "cat .bin (disk)"


def log(message: str) -> None:
    with contextlib.suppress(OSError):
        print(f"[{time.strftime('%H:%M:%S')}] cd: {message}", file=sys.stderr, flush=True)


# ---- images -------------------------------------------------------------------------------------

@dataclass
class Images:
    iso: Path
    cue: Path
    bin: Path
    ccd: Path
    mds: Path
    audio_cue: Path
    audio_bin: Path
    built: dict[str, float] = field(default_factory=dict)  # what was built in this run, seconds


def _cached(path: Path, size: int | None = None) -> bool:
    return path.exists() and (size is None or path.stat().st_size == size)


def _timed_build(images_built: dict[str, float], name: str, build: Callable[[], None]) -> None:
    start = time.perf_counter()
    build()
    images_built[name] = time.perf_counter() - start
    log(f"built {name} in {images_built[name]:.1f} s")


def build_cut_iso(big: Path, out: Path) -> None:
    """The first SECTORS blocks of `big`, with big.bin's size and the volume size patched."""
    tmp = out.with_suffix(".iso.part")
    with open(big, "rb") as src, open(tmp, "wb") as dst:
        left = SECTORS * 2048
        while left:
            chunk = src.read(min(left, 16 << 20))
            if not chunk:
                raise ValueError(f"{big} is shorter than {SECTORS} blocks")
            dst.write(chunk)
            left -= len(chunk)
    extent = isobuild.find_root_file(big, isobuild.BIG_NAME)
    big_lba = extent.offset // 2048
    new_size = min(extent.size, (SECTORS - big_lba) * 2048)
    patched = 0
    with open(tmp, "r+b") as f:
        fd = f.fileno()
        for vd_lba in range(16, 32):
            vd = bytearray(os.pread(fd, 2048, vd_lba * 2048))
            if vd[0] == 255 or vd[1:6] != b"CD001":
                break
            if vd[0] not in (1, 2):  # primary and supplementary (Joliet)
                continue
            struct.pack_into("<I", vd, 80, SECTORS)
            struct.pack_into(">I", vd, 84, SECTORS)
            os.pwrite(fd, bytes(vd), vd_lba * 2048)
            root_lba, root_size = struct.unpack_from("<I4xI", vd, 156 + 2)
            directory = bytearray(os.pread(fd, root_size, root_lba * 2048))
            pos = 0
            while pos < len(directory):
                length = directory[pos]
                if length == 0:
                    pos = (pos // 2048 + 1) * 2048
                    continue
                if struct.unpack_from("<I", directory, pos + 2)[0] == big_lba:
                    struct.pack_into("<I", directory, pos + 10, new_size)
                    struct.pack_into(">I", directory, pos + 14, new_size)
                    patched += 1
                pos += length
            os.pwrite(fd, bytes(directory), root_lba * 2048)
    if patched == 0 or isobuild.find_root_file(tmp, isobuild.BIG_NAME).size != new_size:
        raise ValueError(f"could not patch the size of {isobuild.BIG_NAME} in {tmp}")
    tmp.rename(out)


def build_raw(iso: Path, bin_path: Path) -> None:
    """Raw MODE1/2352 sectors with EDC/ECC, LBA 0 first, written in runs of CHUNK_SECTORS."""
    tmp = bin_path.with_suffix(".bin.part")
    with open(iso, "rb") as src, open(tmp, "wb") as out:
        for first in range(0, SECTORS, CHUNK_SECTORS):
            n = min(CHUNK_SECTORS, SECTORS - first)
            out.write(edc.encode_mode1_run(src.read(n * 2048), first))
    tmp.rename(bin_path)


def _link(target: Path, link: Path) -> None:
    if link.exists() and os.path.samefile(target, link):
        return
    link.unlink(missing_ok=True)
    os.link(target, link)


def write_descriptors(bin_path: Path, cue: Path, ccd: Path, mds: Path) -> None:
    """.cue, .ccd (+ .img link) and .mds (+ .mdf link) for one MODE1/2352 track of SECTORS."""
    cue.write_text(rawcd.single_track_cue(bin_path.name, "MODE1/2352"))
    placement = rawcd.TrackPlacement(1, "MODE1/2352", None, 0, SECTORS, b"")
    _link(bin_path, ccd.with_suffix(".img"))
    ccd.with_suffix(".sub").unlink(missing_ok=True)
    text = ccdmds.render_ccd(ccdmds.ccd_entries([placement], SECTORS), ccdmds.track_sections([placement]))
    ccd.write_bytes(text.encode("ascii"))
    _write_mds_only(mds)
    _link(bin_path, mds.with_suffix(".mdf"))


class _Blocks:
    """Stands for a cooked ISO of SECTORS blocks without holding its bytes (only len() is used)."""

    def __len__(self) -> int:
        return SECTORS * 2048


def _write_mds_only(mds: Path) -> None:
    # ccdmds.write_mds writes the .mdf too; here the .mdf is a link to the .bin already made, so
    # it runs with the sector encoder stubbed (its scratch .mdf stays empty and is removed) and
    # only its .mds, which names "*.mdf" (the .mds's own stem), is kept.
    scratch = mds.with_name(mds.stem + "-scratch.mdf")
    saved = ccdmds._load, ccdmds.iso_to_raw
    ccdmds._load = lambda iso: _Blocks()
    ccdmds.iso_to_raw = lambda iso, mode, first_lba=0: b""
    try:
        ccdmds.write_mds([ccdmds.DataTrack(b"")], scratch, mds_path=mds)
    finally:
        ccdmds._load, ccdmds.iso_to_raw = saved
        scratch.unlink(missing_ok=True)


def build_audio_disc(work: Path, bin_path: Path, cue: Path) -> None:
    """Track 1: tree-1000.iso as MODE1/2352; track 2: random PCM after a stored pregap."""
    data_iso = isobuild.build_tree_iso(work, 1000)
    data = rawcd._load(data_iso)
    data_sectors = len(data) // 2048
    audio_sectors = AUDIO_DISC_SECTORS - data_sectors - AUDIO_PREGAP
    tmp = bin_path.with_suffix(".bin.part")
    pattern = os.urandom(16 << 20)
    with open(tmp, "wb") as out:
        out.write(edc.encode_mode1_run(data, 0))
        out.write(bytes(AUDIO_PREGAP * 2352))
        left = audio_sectors * 2352
        while left:
            n = min(left, len(pattern))
            out.write(pattern[:n])
            left -= n
    tracks = [rawcd.TrackPlacement(1, "MODE1/2352", None, 0, data_sectors, b""),
              rawcd.TrackPlacement(2, "AUDIO", data_sectors, data_sectors + AUDIO_PREGAP, audio_sectors, b"")]
    cue.write_text(rawcd.multi_track_cue(bin_path.name, tracks))
    tmp.rename(bin_path)


def build_images(work: Path) -> Images:
    stem = f"cd-{SECTORS}s"
    images = Images(work / f"{stem}.iso", work / f"{stem}.cue", work / f"{stem}.bin", work / f"{stem}.ccd",
                    work / f"{stem}.mds", work / f"cdda-{AUDIO_DISC_SECTORS}s.cue",
                    work / f"cdda-{AUDIO_DISC_SECTORS}s.bin")
    big = isobuild.build_big_iso(work, 1 << 30)
    if not _cached(images.iso, SECTORS * 2048):
        _timed_build(images.built, images.iso.name, lambda: build_cut_iso(big, images.iso))
    if not _cached(images.bin, SECTORS * 2352) or images.bin.stat().st_mtime < images.iso.stat().st_mtime:
        _timed_build(images.built, images.bin.name, lambda: build_raw(images.iso, images.bin))
    write_descriptors(images.bin, images.cue, images.ccd, images.mds)
    if not (_cached(images.audio_bin, AUDIO_DISC_SECTORS * 2352) and images.audio_cue.exists()):
        _timed_build(images.built, images.audio_bin.name,
                     lambda: build_audio_disc(work, images.audio_bin, images.audio_cue))
    return images


# ---- mounting and reading -----------------------------------------------------------------------

@contextlib.contextmanager
def mounted(mounter: mounters.Mounter, image: Path, mountpoint: Path,
            extra: tuple[str, ...] = ()) -> Iterator[mounters.Mounted]:
    """mounters.mounted (unmounts in its finally), with extra arguments for mount-image."""
    if not extra:
        with mounters.mounted(mounter, image, mountpoint) as mount:
            yield mount
        return
    original = mounters.command
    mounters.command = lambda m, i, p: original(m, i, p) + list(extra)
    try:
        context = mounters.mounted(mounter, image, mountpoint)
        mount = context.__enter__()
    finally:
        mounters.command = original
    with contextlib.ExitStack() as stack:
        stack.push(context)
        yield mount


def _named(mount: mounters.Mounted, name: str) -> mounters.ReadTarget:
    path = mount.mountpoint / name
    size = mounters.with_timeout(lambda: path.stat().st_size, f"stat {path}")
    return mounters.ReadTarget(path, 0, size)


@dataclass(frozen=True)
class Subject:
    label: str
    mounter: mounters.Mounter | None      # None: a plain `cat` of the image file
    image: Callable[[Images], Path]
    file: str | None = None               # None: big.bin, found by mounters.big_file
    extra: tuple[str, ...] = ()
    backing: Callable[[Images], Path] | None = None  # the data file behind a descriptor


SUBJECTS = (
    Subject(PLAIN, mounters.MOUNT_IMAGE, lambda i: i.iso),
    Subject(CUE, mounters.MOUNT_IMAGE, lambda i: i.cue, backing=lambda i: i.bin),
    Subject(CCD, mounters.MOUNT_IMAGE, lambda i: i.ccd, backing=lambda i: i.bin),
    Subject(MDS, mounters.MOUNT_IMAGE, lambda i: i.mds, backing=lambda i: i.bin),
    Subject(FUSEISO_BIN, mounters.FUSEISO, lambda i: i.bin),
    Subject(FUSEISO_ISO, mounters.FUSEISO, lambda i: i.iso),
    Subject(WAV, mounters.MOUNT_IMAGE, lambda i: i.audio_cue, "track02.wav", ("--view", "tracks"),
            lambda i: i.audio_bin),
    Subject(DISC_BIN, mounters.MOUNT_IMAGE, lambda i: i.audio_cue, "disc.bin", ("--view", "tracks"),
            lambda i: i.audio_bin),
    Subject(CAT_ISO, None, lambda i: i.iso),
    Subject(CAT_BIN, None, lambda i: i.bin),
)


def read_once(subject: Subject, images: Images, mnt_root: Path, cold: bool = True) -> tuple[float, int]:
    """MB/s and bytes of one sequential read through a fresh mount: `cold`, caches dropped just
    before it; else with the image's data file in the page cache (the mounter's CPU cost).

    Either way the data file is read once first, untimed. This VM's disk is a file on the host,
    whose cache we cannot drop, and a read right after other files were read tends to be the
    slower one: the BIN/CUE row, the first in each round to read the .bin after the plain ISO's
    rows, was the slowest raw container in each of four runs (0.42-0.59x), though CCD and MDS
    read the same .bin and all three are alike with it cached. Primed, every cold read is
    guest-cold and host-warm alike.
    """
    image = subject.image(images)
    measure.cat_file((subject.backing or subject.image)(images), CAT_TIMEOUT)
    if subject.mounter is None:
        measure.drop_caches()
        rate = measure.cat_file(image, CAT_TIMEOUT)
        return rate.mb_per_s, rate.size
    mountpoint = mnt_root / f"cd-{subject.mounter.kind}"
    with mounted(subject.mounter, image, mountpoint, subject.extra) as mount:
        if subject.file is None:
            target = mounters.big_file(subject.mounter, mount, image)
        else:
            target = _named(mount, subject.file)
        if cold:
            measure.drop_caches()
        rate = measure.dd_read(target, READ_TIMEOUT)
        if subject.file is None:
            mounters.with_timeout(lambda: spot_check(target, images.iso), "spot check", READ_TIMEOUT)
        return rate.mb_per_s, rate.size


SPOT = 1 << 20


def spot_check(target: mounters.ReadTarget, iso: Path) -> None:
    """1 MiB at the start, middle and end of big.bin equal the plain ISO's bytes (dd only counts)."""
    extent = isobuild.find_root_file(iso, isobuild.BIG_NAME)
    if target.size != extent.size:
        raise measure.StepError(f"size {target.size}, the plain ISO says {extent.size}")
    with open(target.path, "rb") as got, open(iso, "rb") as want:
        for at in (0, (extent.size // 2) & ~4095, extent.size - SPOT):
            if os.pread(got.fileno(), SPOT, at) != os.pread(want.fileno(), SPOT, extent.offset + at):
                raise measure.StepError(f"content differs from the plain ISO's at byte {at} of big.bin")


def verify_once(images: Images, jobs: int | None = None) -> tuple[float, float, str]:
    """`mount-image verify` of the .cue, the .bin cached first (CPU cost, not the disk's); with
    verify's default worker count, or ``jobs``."""
    import verify_speed
    verify_speed.read_speed(images.bin)  # warm
    cached = verify_speed.read_speed(images.bin)
    argv = [sys.executable, "-m", "mount_image", "verify", str(images.cue)]
    if jobs is not None:
        argv += ["-j", str(jobs)]
    env_backup = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(ROOT / "src")
    try:
        start = time.perf_counter()
        status, out, err = measure.run_killable(argv, VERIFY_TIMEOUT)
        seconds = time.perf_counter() - start
    finally:
        if env_backup is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = env_backup
    if status != 0:
        raise measure.StepError(f"verify exit {status}: {(out + err).strip()[-300:]}")
    return images.bin.stat().st_size / MB / seconds, cached, (out.strip().splitlines() or [""])[-1]


# ---- the run ------------------------------------------------------------------------------------

@dataclass
class Result:
    started: str
    rounds: int
    images: Images | None = None
    samples: dict[str, list[float]] = field(default_factory=dict)
    by_round: dict[str, dict[int, float]] = field(default_factory=dict)  # cold reads, per round
    warm_by_round: dict[str, dict[int, float]] = field(default_factory=dict)
    warm: dict[str, list[float]] = field(default_factory=dict)  # image's data file cached
    sizes: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    verify: float | None = None
    verify_cached_read: float | None = None
    verify_line: str = ""
    verify_one_job: float | None = None
    verify_error: str | None = None
    seconds: float = 0.0
    cold: bool = True
    load: str = ""
    load_start: str = ""


def run(work: Path, rounds: int) -> Result:
    result = Result(datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), rounds)
    begin = time.perf_counter()
    mnt_root = work / "mnt"
    mnt_root.mkdir(parents=True, exist_ok=True)
    clean_stale(mnt_root)
    result.cold = measure.drop_caches()
    result.load_start = facts.load_average()
    try:
        result.images = build_images(work)
    except Exception as error:
        result.errors["images"] = f"{type(error).__name__}: {error}"
        result.seconds = time.perf_counter() - begin
        return result
    for round_ in range(rounds):
        start = time.perf_counter()
        k = round_ % len(SUBJECTS)
        for subject in SUBJECTS[k:] + SUBJECTS[:k]:
            if subject.label in result.errors:
                continue  # one failure is reported; repeating it only costs time
            try:
                rate, size = read_once(subject, result.images, mnt_root)
                result.samples.setdefault(subject.label, []).append(rate)
                result.by_round.setdefault(subject.label, {})[round_] = rate
                result.sizes[subject.label] = size
                if subject.mounter is not None:
                    warm, _ = read_once(subject, result.images, mnt_root, cold=False)
                    result.warm.setdefault(subject.label, []).append(warm)
                    result.warm_by_round.setdefault(subject.label, {})[round_] = warm
            except Exception as error:  # a finding to report, not a reason to stop
                result.errors[subject.label] = f"{type(error).__name__}: {error}"
                log(f"{subject.label}: {result.errors[subject.label].splitlines()[0][:200]}")
        log(f"round {round_ + 1}/{rounds}: " + ", ".join(
            f"{label} {values[-1]:.0f}" for label, values in result.samples.items()
            if len(values) == round_ + 1) + f" MB/s ({time.perf_counter() - start:.1f} s)")
    try:
        result.verify, result.verify_cached_read, result.verify_line = verify_once(result.images)
        result.verify_one_job = verify_once(result.images, jobs=1)[0]
        log(f"verify: {result.verify:.0f} MB/s, -j 1: {result.verify_one_job:.0f} MB/s")
    except Exception as error:
        result.verify_error = f"{type(error).__name__}: {error}"
        log(f"verify: {result.verify_error}")
    result.seconds = time.perf_counter() - begin
    result.load = facts.load_average()
    return result


def clean_stale(mnt_root: Path) -> None:
    for mountpoint in sorted(mnt_root.glob("cd-*")):
        if mounters.is_mounted(mountpoint):
            log(f"unmounting a stale mount at {mountpoint}")
            mounters.unmount(mounters.Mounted(mountpoint, 0.0, pid=mounters.daemon_pid(mountpoint)))


# ---- report -------------------------------------------------------------------------------------

def _median(result: Result, label: str) -> float | None:
    values = result.samples.get(label)
    return statistics.median(values) if values else None


def _cell(result: Result, label: str, warm: bool = False) -> str:
    values = (result.warm if warm else result.samples).get(label)
    if not values:
        return "ERROR" if label in result.errors else "—"
    text = f"{statistics.median(values):,.0f} MB/s"
    if len(values) > 1:
        text += f" ({min(values):,.0f}–{max(values):,.0f})"
    return text


def _round_ratios(result: Result, label: str, base: str, warm: bool = False) -> list[float]:
    """label ÷ base within each round both were read in. The disk's speed drifts between rounds
    (cat of the same file: 0.9-1.7 GB/s minutes apart), so a ratio of two reads from one round is
    steadier than a ratio of medians taken over different rounds."""
    rounds = result.warm_by_round if warm else result.by_round
    a, b = rounds.get(label, {}), rounds.get(base, {})
    return [a[r] / b[r] for r in sorted(a) if r in b and b[r]]


def _paired(result: Result, label: str, base: str) -> float | None:
    ratios = _round_ratios(result, label, base)
    return statistics.median(ratios) if ratios else None


def _paired_cell(result: Result, label: str, base: str, warm: bool = False) -> str:
    ratios = _round_ratios(result, label, base, warm)
    if not ratios:
        return "—"
    text = f"{statistics.median(ratios):.2f}×"
    return text + (f" ({min(ratios):.2f}–{max(ratios):.2f})" if len(ratios) > 1 else "")


def _ratio_target(text: str, result: Result, label: str, base: str, factor: float) -> list[str]:
    ratio = _paired(result, label, base)
    if ratio is None:
        return [text, "NO FIGURE", f"a figure it needs is missing ({label} or {base})"]
    ratios = _round_ratios(result, label, base)
    passed = sum(r >= factor for r in ratios)
    return [text, "PASS" if ratio >= factor else "FAIL",
            f"median of the per-round ratios {ratio:.2f}× (target {factor:g}×); {passed} of "
            f"{len(ratios)} rounds at or above it; medians {_median(result, label) or 0:,.0f} vs "
            f"{_median(result, base) or 0:,.0f} MB/s"]


def _target(text: str, value: float | None, bound: float | None, factor: float, what: str,
            unit: str = "MB/s") -> list[str]:
    if value is None or bound is None:
        return [text, "NO FIGURE", f"a figure it needs is missing ({what})"]
    need = bound * factor
    ok = value >= need
    detail = f"{value:,.0f} {unit} vs {what} {bound:,.0f} {unit} × {factor:g} = {need:,.0f} {unit}"
    if factor != 1:
        detail += f"; ratio {value / bound:.2f}×"
    return [text, "PASS" if ok else "FAIL", detail]


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render(result: Result) -> str:
    out = [BEGIN, "## CD formats (bench/cd.py)", ""]
    out.append(f"Run {result.started}, {result.seconds:.0f} s, {result.rounds} rounds; load average at start "
               f"{result.load_start}, at end {result.load}. Written by `bench/cd.py`; every figure is from "
               "this run.")
    if not result.cold:
        out.append("\n**Could not drop the page cache (not root?): the 'first read' figures are not cold.**")
    images = result.images
    if images is not None:
        out += ["", "Images (in the work folder, built once and reused):", ""]
        rows = []
        for path, what in ((images.iso, f"big-1024MiB.iso cut to {SECTORS:,} blocks; big.bin's size in its "
                                         "directory records and the volume size patched to match"),
                           (images.bin, "that ISO as raw MODE1/2352, EDC/ECC by sectors/edc.py; "
                                        f"{images.cue.name} names it"),
                           (images.ccd.with_suffix(".img"), f"hard link to the .bin; {images.ccd.name} "
                                                            "(CloneCD, no .sub) from tests/support/ccdmds.py"),
                           (images.mds.with_suffix(".mdf"), f"hard link to the .bin; {images.mds.name} "
                                                            "from tests/support/ccdmds.py"),
                           (images.audio_bin, f"{images.audio_cue.name}: track 1 tree-1000.iso as MODE1/2352, "
                                              f"track 2 AUDIO, random PCM after a stored {AUDIO_PREGAP}-sector "
                                              "pregap (INDEX 00)")):
            built = images.built.get(path.name)
            size = f"{path.stat().st_size / MB:,.0f} MB" if path.exists() else "missing"
            rows.append([f"`{path.name}`", size, what, f"built in {built:.0f} s" if built else "cached"])
        out.append(_table(["file", "size", "what", "this run"], rows))
        out += ["", f"A raw sector header addresses 99:59:74 at most and LBA 0 is 00:02:00, so a raw Mode 1 "
                    f"disc holds at most 100×60×75 − 150 = {SECTORS:,} sectors: the big file is read as its "
                    f"first {(result.sizes.get(PLAIN) or 0) / MB:,.0f} MB here, in every row alike, not the "
                    "1 GiB of the ISO table above."]
    out += ["", "### First sequential read", "",
            "`dd bs=1M` of the file through a fresh mount, page cache dropped just before (the image's "
            "data file is read once, untimed, before each read, so that the VM host's cache, which "
            "cannot be dropped from here, is warm for every row alike); each round "
            "takes every row in turn (the order rotates), median (range) of the rounds. The ratio "
            "columns divide the two reads of the same round and give the median (range) of those "
            "per-round ratios, and the targets use them: the disk drifts between rounds more than "
            "within one. `cat` rows: "
            "the image file itself, no FUSE. \"image cached\": the same read on another fresh mount "
            "right after `cat` of the image's data file, so the disk is out of it and what is left is "
            "the mounter's own cost. After each cold read of big.bin, 1 MiB at its start, middle and "
            "end is compared with the plain ISO's bytes.", ""]
    rows = []
    for subject in SUBJECTS:
        label = subject.label
        size = result.sizes.get(label)
        file = "(image file)" if subject.mounter is None else (subject.file or isobuild.BIG_NAME)
        warm = _cell(result, label, warm=True) if subject.mounter is not None else "—"
        warm_ratio = _paired_cell(result, label, PLAIN, warm=True) if subject.mounter is not None else "—"
        rows.append([label, file, f"{size / MB:,.0f} MB" if size else "—", _cell(result, label),
                     _paired_cell(result, label, PLAIN), _paired_cell(result, label, FUSEISO_BIN), warm,
                     warm_ratio])
    out.append(_table(["what", "file read", "bytes", "first read", "÷ plain ISO", "÷ fuseiso BIN",
                       "image cached", "cached ÷ plain ISO cached"], rows))
    out += ["", "### `mount-image verify`", ""]
    if result.verify is not None and images is not None:
        out.append(_table(["image", f"MB/s of .bin (default: -j {facts.cpus()})", "-j 1",
                           "same .bin, plain cached read", "its last line"],
                          [[f"`{images.cue.name}` ({images.bin.stat().st_size / MB:,.0f} MB)",
                            f"{result.verify:,.0f} MB/s", f"{result.verify_one_job or 0:,.0f} MB/s",
                            f"{result.verify_cached_read:,.0f} MB/s",
                            # the image's folder is this machine's; the report names the file only
                            f"`{result.verify_line.replace(str(images.cue.parent) + '/', '')[:120]}`"]]))
        out.append("\nOne run each with the .bin in the page cache: the checker's own cost, not the disk's. "
                   "verify checks runs of sectors in as many worker processes as it may use CPUs "
                   "(`-j`); the -j 1 column is one process.")
    else:
        out.append(f"ERROR: {result.verify_error or 'not run'}")
    out += ["", "### Targets", ""]
    rows = [
        _ratio_target("BIN/CUE read ≥ 0.8× plain-ISO read", result, CUE, PLAIN, 0.8),
        _ratio_target("CCD read ≥ 0.8× plain-ISO read", result, CCD, PLAIN, 0.8),
        _ratio_target("MDS read ≥ 0.8× plain-ISO read", result, MDS, PLAIN, 0.8),
        _ratio_target("BIN/CUE read ≥ 2× fuseiso on the .bin", result, CUE, FUSEISO_BIN, 2),
        _ratio_target("track02.wav read ≥ 0.8× plain-ISO read", result, WAV, PLAIN, 0.8),
        _ratio_target("disc.bin read ≥ 0.8× plain-ISO read", result, DISC_BIN, PLAIN, 0.8),
        _target("verify ≥ 100 MB/s", result.verify, 100.0, 1, "target"),
    ]
    out.append(_table(["target", "result", "figures"], rows))
    if result.errors:
        out += ["", "### Errors", ""]
        for label, error in result.errors.items():
            out.append(f"- **{label}**: `{' '.join(error.split())[:600]}`")
    out += ["", END, ""]
    return "\n".join(out)


def run_into(report: Path, work: Path, rounds: int = ROUNDS) -> Result:
    result = run(work, rounds)
    sections.put_section(report, BEGIN, END, render(result))
    log(f"done in {result.seconds:.0f} s; section written to {report}")
    return result


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(f"stopped by signal {signum}")  # so every `with mounted(...)` unmounts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=BENCH / "work")
    parser.add_argument("--report", type=Path, default=BENCH / "REPORT.md")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    run_into(args.report, args.work.resolve(), args.rounds)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted; no section written")
        sys.exit(130)
