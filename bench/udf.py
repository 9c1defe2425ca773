"""UDF figures: mount and listing time of UDF bridge discs against their own ISO 9660 side and
against `7zz l` of the same image.

    sudo python3 bench/udf.py [--work DIR] [--report FILE] [--rounds N]

Builds (once, then reuses) in WORK with genisoimage, never with mount-image:

- ``udf-tree-100000.iso``: ``genisoimage -udf -R -J`` of 100,000 small files in 1,000
  directories (bench/isobuild.py's tree layout): the same tree on the UDF side and on the ISO
  9660 + Rock Ridge side of one image.
- ``udf-big-4608MiB.iso``: ``genisoimage -udf -allow-limited-size`` of one sparse 4.5 GiB file
  with 1 MiB of random bytes at 4.4 GiB: a file past 4 GiB (one UDF extent list; multi-extent
  on the ISO side).

Each round (the subject order rotates, caches dropped first) mounts each image with the UDF side
(the default on a bridge disc) and with ``-o fs=iso9660``, times the mount, ``find MNT | wc -l``
and ``ls -lR MNT`` on a fresh mount each, and ``7zz l -tudf IMAGE``. The big file's marker MiB
is read back through the UDF mount and compared once. Writes its own section of REPORT.md.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _p in (BENCH, ROOT / "src"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import isobuild  # noqa: E402
import measure  # noqa: E402
import sections  # noqa: E402

FILES = 100_000
BIG_SIZE = 4608 << 20
MARK_AT = 4505 << 20
MARK = random.Random("udf-bench").randbytes(1 << 20)
TIMEOUT = 600.0
BEGIN, END = "<!-- udf-bench:begin -->", "<!-- udf-bench:end -->"


def build_tree(work: Path) -> tuple[Path, str]:
    image = work / f"udf-tree-{FILES}.iso"
    if image.exists():
        return image, "cached"
    src = isobuild._fresh_dir(work / f"src-udf-tree-{FILES}")
    isobuild._write_tree(src, FILES)
    _genisoimage(src, image, "-R", "-J", "-V", "UDF_TREE")
    shutil.rmtree(src)
    return image, "built"


def build_big(work: Path) -> tuple[Path, str]:
    image = work / f"udf-big-{BIG_SIZE >> 20}MiB.iso"
    if image.exists():
        return image, "cached"
    src = isobuild._fresh_dir(work / "src-udf-big")
    with open(src / "big.bin", "wb") as f:
        f.truncate(BIG_SIZE)        # sparse: only the marker takes disk space
        f.seek(MARK_AT)
        f.write(MARK)
    _genisoimage(src, image, "-R", "-allow-limited-size", "-V", "UDF_BIG")
    shutil.rmtree(src)
    return image, "built"


def _genisoimage(src: Path, image: Path, *args: str) -> None:
    part = image.with_suffix(".part")
    subprocess.run(["genisoimage", "-quiet", "-udf", *args, "-o", str(part), str(src)],
                   check=True, timeout=TIMEOUT)
    part.rename(image)


def mount(image: Path, mnt: Path, *options: str) -> float:
    mnt.mkdir(parents=True, exist_ok=True)
    seconds, _ = measure.run_timed([sys.executable, "-m", "mount_image", str(image), str(mnt), *options],
                                   TIMEOUT)
    return seconds


def unmount(mnt: Path) -> None:
    subprocess.run(["fusermount3", "-u", str(mnt)], capture_output=True)
    for _ in range(100):
        if not _mounted(mnt):
            return
        time.sleep(0.05)
    subprocess.run(["fusermount3", "-uz", str(mnt)], capture_output=True)


def _mounted(mnt: Path) -> bool:
    target = os.path.realpath(mnt)
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == target for line in f)


def one_round(image: Path, mnt: Path, options: tuple[str, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    measure.drop_caches()
    out["mount"] = mount(image, mnt, *options)
    try:
        seconds, text = measure.run_timed([f"find '{mnt}' | wc -l"], TIMEOUT, shell=True)
        out["find"], out["entries"] = seconds, float(text.strip())
    finally:
        unmount(mnt)
    measure.drop_caches()
    mount(image, mnt, *options)
    try:
        out["ls"], _ = measure.run_timed([f"ls -lR '{mnt}' > /dev/null"], TIMEOUT, shell=True)
    finally:
        unmount(mnt)
    return out


def seven_zip(image: Path) -> dict[str, float]:
    measure.drop_caches()
    seconds, text = measure.run_timed(["7zz", "l", "-tudf", str(image)], TIMEOUT)
    last = [line for line in text.splitlines() if "files" in line][-1]
    return {"list": seconds, "summary": last}  # type: ignore[dict-item]


def check_big(image: Path, mnt: Path) -> str:
    mount(image, mnt)
    try:
        with open(mnt / "big.bin", "rb") as f:
            size = os.fstat(f.fileno()).st_size
            f.seek(MARK_AT)
            ok = f.read(len(MARK)) == MARK
            f.seek(MARK_AT - 4096)
            zeros = f.read(4096) == bytes(4096)
    finally:
        unmount(mnt)
    return f"size {size:,} bytes ({'=' if size == BIG_SIZE else '!='} source); marker MiB at 4.4 GiB " \
           f"{'matches' if ok else 'DIFFERS'}; the sparse part before it reads as zeros: {zeros}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=BENCH / "work")
    parser.add_argument("--report", type=Path, default=BENCH / "REPORT.md")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    load0 = os.getloadavg()
    tree, tree_state = build_tree(work)
    big, big_state = build_big(work)
    mnt = work / "mnt-udf"
    subjects = [("UDF (default)", ()), ("ISO 9660 side (`-o fs=iso9660`)", ("-o", "fs=iso9660"))]
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    for r in range(args.rounds):
        order = subjects[r % 2:] + subjects[:r % 2]
        for image in (tree, big):
            for name, options in order:
                results.setdefault((image.name, name), []).append(one_round(image, mnt, options))
    sevenzip = {image.name: [seven_zip(image) for _ in range(args.rounds)] for image in (tree, big)}
    big_check = check_big(big, mnt)
    text = render(args, started, load0, [(tree, tree_state), (big, big_state)], results, sevenzip,
                  big_check)
    sections.put_section(args.report, BEGIN, END, text)
    print(text)
    return 0


def _med(values: list[float]) -> str:
    mid = statistics.median(values)
    return f"{mid * 1000:,.0f} ms ({min(values) * 1000:,.0f}-{max(values) * 1000:,.0f})" if mid < 1 \
        else f"{mid:.2f} s ({min(values):.2f}-{max(values):.2f})"


def render(args, started, load0, images, results, sevenzip, big_check) -> str:
    when = datetime.fromtimestamp(started, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load1 = os.getloadavg()
    lines = [BEGIN, "## UDF (bench/udf.py)", "",
             f"Run {when}, {time.time() - started:.0f} s, {args.rounds} rounds; load average at start "
             f"{' '.join(f'{x:.2f}' for x in load0)}, at end {' '.join(f'{x:.2f}' for x in load1)}. "
             "Written by `bench/udf.py`; every figure is from this run.", "",
             "| file | size | what | this run |", "|---|---|---|---|"]
    what = {images[0][0].name: f"`genisoimage -udf -R -J` of {FILES:,} small files in 1,000 directories "
                               "(UDF 1.02 + ISO 9660/RR/Joliet bridge)",
            images[1][0].name: "`genisoimage -udf -allow-limited-size` of one sparse 4.5 GiB file with a "
                               "random MiB at 4.4 GiB"}
    for image, state in images:
        lines.append(f"| `{image.name}` | {image.stat().st_size / 1e6:,.0f} MB | {what[image.name]} | {state} |")
    lines += ["", "Each round mounts the image with mount-image (the CLI, daemonized; the time is until "
              "it returns with the mount ready), runs `find MNT | wc -l`, unmounts, mounts again and "
              "runs `ls -lR MNT > /dev/null`; page cache dropped before each mount. Median (range) "
              "of the rounds; the subject order rotates.", "",
              "| image | side | mount | `find \\| wc -l` | entries | `ls -lR` |", "|---|---|---|---|---|---|"]
    for (image, side), rounds in results.items():
        lines.append(f"| `{image}` | {side} | {_med([r['mount'] for r in rounds])} | "
                     f"{_med([r['find'] for r in rounds])} | {int(rounds[0]['entries']):,} | "
                     f"{_med([r['ls'] for r in rounds])} |")
    lines += ["", "`7zz l -tudf IMAGE` (7-Zip's UDF reader listing the same image; cold cache):", "",
              "| image | `7zz l` | its summary line |", "|---|---|---|"]
    for image, rounds in sevenzip.items():
        lines.append(f"| `{image}` | {_med([r['list'] for r in rounds])} | `{rounds[0]['summary'].strip()}` |")
    lines += ["", f"Big file through the UDF mount: {big_check}.", "", END]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
