"""Facts about the machine and the tools, so a report can be compared with another one."""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def machine_facts() -> dict[str, str]:
    return {
        "nproc": _output(["nproc"]),
        "CPU": _cpu_model(),
        "Memory": f"{_mem_total_gib():.1f} GiB",
        "Kernel": platform.release(),
        "Python": platform.python_version(),
        "libfuse3": _libfuse3_version(),
        "libfuse2": _libfuse2_version(),
        "fusermount3": _output(["fusermount3", "-V"]),
        "mfusepy": _package_version("mfusepy"),
        "fuseiso": _output(["dpkg-query", "-W", "-f", "${Version}", "fuseiso"]),
        "genisoimage": _output(["genisoimage", "--version"]).splitlines()[0],
        "mount-image commit": _commit(),
        "Load average at start": load_average(),
    }


def cpus() -> int:
    """CPUs this process may run on (what `mount-image verify` uses by default)."""
    return len(os.sched_getaffinity(0))


def load_average() -> str:
    """1, 5 and 15 minute load: the machine may be shared, and a busy one skews the figures."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _output(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def _mem_total_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / (1 << 20)
    return 0.0


def _libfuse3_version() -> str:
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("fuse3"))
        lib.fuse_pkgversion.restype = ctypes.c_char_p
        return lib.fuse_pkgversion().decode()
    except (OSError, AttributeError, TypeError):
        return "not found"


def _libfuse2_version() -> str:
    """libfuse2 has no version string call; the loaded file's name (libfuse.so.2.9.9) has it."""
    name = ctypes.util.find_library("fuse")
    if name is None:
        return "not found"
    try:
        ctypes.CDLL(name)
    except OSError:
        return "not loadable"
    for line in Path("/proc/self/maps").read_text().splitlines():
        path = line.split()[-1]
        if f"/{name}" in path:
            real = os.path.basename(os.path.realpath(path))
            return real.removeprefix("libfuse.so.")
    return name


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    commit = _output(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = _output(["git", "-C", str(REPO), "status", "--porcelain", "--", "src"])
    return commit + (" + uncommitted changes in src/" if dirty not in ("", "?") else "")
