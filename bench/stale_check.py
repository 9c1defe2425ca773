"""What the stale-image check costs a read: FileSource.pread watched (inotify + the periodic
stat) against unwatched, os.pread alone, and a stat per read (the design not taken).

    python3 bench/stale_check.py [FILE]     (default: a 64 MiB temporary file)

Prints nanoseconds per call, best of 7 runs of 100,000 reads, for 2 KiB and 128 KiB reads.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from mount_image.io.source import FileSource  # noqa: E402

N, REPEAT = 100_000, 7


def best_ns(func) -> float:
    return min(timeit.repeat(func, number=N, repeat=REPEAT)) / N * 1e9


def main() -> None:
    if len(sys.argv) > 1:
        path = sys.argv[1]
    else:
        tmp = tempfile.NamedTemporaryFile(prefix="stale-check-", delete=False)
        tmp.write(os.urandom(64 << 20))
        tmp.close()
        path = tmp.name
    fd = os.open(path, os.O_RDONLY)
    plain, watched = FileSource(path), FileSource(path)
    watched.watch(lambda source, reason: None)
    print(f"{'read':>8}  {'os.pread':>10}  {'unwatched':>10}  {'watched':>10}  {'stat+pread':>10}  (ns per call)")
    for size in (2048, 131072):
        raw = best_ns(lambda: os.pread(fd, size, 4096))
        un = best_ns(lambda: plain.pread(4096, size))
        wa = best_ns(lambda: watched.pread(4096, size))
        st = best_ns(lambda: (os.stat(path), os.pread(fd, size, 4096)))
        print(f"{size:8d}  {raw:10.0f}  {un:10.0f}  {wa:10.0f}  {st:10.0f}")
    print(f"time.monotonic(): {best_ns(time.monotonic):.0f} ns; os.stat(): {best_ns(lambda: os.stat(path)):.0f} ns")
    if len(sys.argv) == 1:
        os.unlink(path)


if __name__ == "__main__":
    main()
