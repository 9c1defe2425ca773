"""Speed of ``mount-image verify`` on a raw MODE1/2352 BIN/CUE, in MB/s of the .bin's bytes.

    python3 bench/verify_speed.py [--work DIR] [--mib N] [--backend auto|numpy|python]

Not a test. Builds (once, then reuses) ``DIR/verify-<N>MiB.bin`` + ``.cue`` from
``DIR/big-1024MiB.iso`` when that exists (bench/run.py makes it), else from N MiB of random
blocks (default 256 MiB without the big ISO); then times the CLI as a user runs it, next to a
plain sequential read of the same file (warm page cache, so the figure is the checker's CPU
cost, not the disk). The issue's target: at least 100 MB/s for the 1 GiB image.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mount_image.sectors import edc  # noqa: E402

CHUNK_SECTORS = 4096
# A raw header can address 99:59:74 at most (BCD minutes): 449,850 frames less the 150 of the
# lead-in. So the "1 GiB" raw image is the largest a CD header allows, 1.058 GB of .bin (1009 MiB,
# 879 MiB of user data, the first blocks of big-1024MiB.iso).
MAX_SECTORS = 100 * 60 * 75 - 150
TARGET_MBS = 100.0


def build(work: Path, mib: int) -> Path:
    big = work / "big-1024MiB.iso"
    source = big if big.exists() and mib == 1024 else None
    stem = f"verify-{mib}MiB"
    bin_path, cue_path = work / f"{stem}.bin", work / f"{stem}.cue"
    blocks = min(MAX_SECTORS, mib * 1024 * 1024 // 2048)
    if bin_path.exists() and cue_path.exists() and bin_path.stat().st_size == blocks * edc.SECTOR_SIZE:
        return cue_path
    print(f"building {bin_path} from {source or 'random blocks'} ...", flush=True)
    tmp = bin_path.with_suffix(".bin.part")
    pattern = os.urandom(64 * 2048)
    with open(tmp, "wb") as out, (open(source, "rb") if source else open(os.devnull, "rb")) as src:
        for first in range(0, blocks, CHUNK_SECTORS):
            n = min(CHUNK_SECTORS, blocks - first)
            user = src.read(n * 2048) if source else (pattern * (n // 64 + 1))[:n * 2048]
            user += bytes(n * 2048 - len(user))
            out.write(edc.encode_mode1_run(user, first))
    tmp.rename(bin_path)
    cue_path.write_text(f'FILE "{bin_path.name}" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n')
    return cue_path


def read_speed(path: Path) -> float:
    size = path.stat().st_size
    fd = os.open(path, os.O_RDONLY)
    try:
        t = time.perf_counter()
        offset = 0
        while offset < size:
            got = os.pread(fd, 16 << 20, offset)
            if not got:
                break
            offset += len(got)
        return size / 1e6 / (time.perf_counter() - t)
    finally:
        os.close(fd)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", type=Path, default=ROOT / "bench" / "work")
    p.add_argument("--mib", type=int, default=None, help="image size (1024 when the big ISO exists)")
    p.add_argument("--backend", default="auto", choices=("auto", "numpy", "python"))
    args = p.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    mib = args.mib or (1024 if (args.work / "big-1024MiB.iso").exists() else 256)
    cue = build(args.work, mib)
    bin_path = cue.with_suffix(".bin")
    size = bin_path.stat().st_size
    read_speed(bin_path)  # warm the page cache
    cat = read_speed(bin_path)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), MOUNT_IMAGE_EDC_BACKEND=args.backend)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mount_image", "verify", str(cue)],
                          capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t
    if proc.returncode != 0:
        print(proc.stdout + proc.stderr)
        print(f"verify exited {proc.returncode}")
        return 1
    mbs = size / 1e6 / elapsed
    print(f"verify {cue.name}: {size / 1e6:.0f} MB in {elapsed:.2f} s = {mbs:.1f} MB/s "
          f"(backend {args.backend}; sequential pread of the same file, cached: {cat:.0f} MB/s; "
          f"target {TARGET_MBS:.0f} MB/s: {'PASS' if mbs >= TARGET_MBS else 'FAIL'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
