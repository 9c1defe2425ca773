"""EDC and EDC+ECC checking speed of sectors/edc.py, in MB/s of raw 2352-byte sectors.

    python3 bench/edc_speed.py [MB]      (default 96 MB of Mode 1 sectors, both backends)

Not a test: prints one line per backend and check, plus encoding speed. The data is built once
with the encoder (random user data, so nothing is special-cased), held in memory, so the figures
are CPU cost only, without disc reads.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from mount_image.sectors import edc  # noqa: E402


def _best(fn, reps: int = 3) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 96
    sectors = megabytes * 1_000_000 // edc.SECTOR_SIZE
    block = os.urandom(64 * 2048)
    user = (block * (sectors // 64 + 1))[:sectors * 2048]
    backends = ["python"]
    try:
        import numpy  # noqa: F401
        backends.insert(0, "numpy")
    except ImportError:
        print("numpy not installed: only the pure-Python engine is measured")
    raw = None
    for name in backends:
        edc.set_backend(name)
        edc.backend()  # build the tables outside the timing
        t = time.perf_counter()
        encoded = edc.encode_mode1_run(user, 0)
        enc = time.perf_counter() - t
        if raw is None:
            raw = encoded
        assert encoded == raw, f"{name} encodes differently"
        assert edc.check_sectors(raw, 0) == []
        mb = len(raw) / 1e6
        t_edc = _best(lambda: edc.check_sectors(raw, 0, ecc=False))
        t_all = _best(lambda: edc.check_sectors(raw, 0))
        print(f"{name:>6}: EDC check {mb / t_edc:7.1f} MB/s   EDC+ECC check {mb / t_all:7.1f} MB/s   "
              f"Mode 1 encode {mb / enc:7.1f} MB/s   ({mb:.0f} MB, {len(raw) // edc.SECTOR_SIZE} sectors)")


if __name__ == "__main__":
    main()
