"""Render a benchmark Run as Markdown: one table per figure, then the targets, then errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from benchdata import (DU, FIND, FIND_COUNT, HWM_DU, HWM_SEQ, RAND_COLD, RAND_WARM, READ_AHEAD,
                       SEQ_FIRST, SEQ_REREAD, Cell, Run, files_label, mount_key)

SUBJECT = "mount-image"
PEER = "fuseiso"
MB = 1_000_000
MEMORY_LIMIT = 150 * MB
MOUNT_SLACK = 0.050  # seconds the big tree's mount may take over the small one's


@dataclass(frozen=True)
class Target:
    text: str
    passed: bool | None  # None: a figure it needs is missing
    detail: str


def render(run: Run) -> str:
    parts = [
        _header(run),
        _machine(run),
        _images(run),
        _method(run),
        _physical(run),
        _mount_times(run),
        _walk(run, FIND, "find", "`find MNT | wc -l`"),
        _walk(run, DU, "du", "`du -s MNT`"),
        _sequential(run),
        _random(run),
        _memory(run),
        _targets(run),
        _errors(run),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"


# ---- formatting --------------------------------------------------------------------------------

def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _fmt(cell: Cell, show: Callable[[float], str]) -> str:
    if cell.error:
        return "error (see Errors)" if not cell.error.startswith("not run") else "not run"
    if cell.value is None:
        return "—"
    return show(cell.value)


def _spread(cell: Cell, show: Callable[[float], str]) -> str:
    """The value, and the range of its samples when there were several (how noisy it was)."""
    text = _fmt(cell, show)
    if cell.ok and len(cell.samples) > 1:
        low, high = (re.match(r"[-\d,.]+", show(x)).group() for x in (min(cell.samples), max(cell.samples)))
        text += f" ({low}–{high})"
    return text


def _ms(seconds: float) -> str:
    return f"{round(seconds * 1000)} ms"  # round(): never "-0 ms"


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def _mbs(rate: float) -> str:
    return f"{rate:,.0f} MB/s"


def _per_s(rate: float) -> str:
    return f"{rate:,.0f}/s"


def _mb(size: float) -> str:
    return f"{size / MB:.1f} MB"


def _ratio(a: Cell, b: Cell) -> str:
    if not (a.ok and b.ok) or not b.value:
        return "—"
    return f"{a.value / b.value:.2f}×"


def _best_passthrough(run: Run) -> tuple[str, Cell]:
    """The passthrough configuration with the fastest first sequential read."""
    best_name, best = "", Cell(error="no passthrough figure")
    for name in run.mounters:
        cell = run.cell(name, SEQ_FIRST)
        if name.startswith("passthrough") and cell.ok and (not best.ok or cell.value > best.value):
            best_name, best = name, cell
    return best_name, best


# ---- sections ----------------------------------------------------------------------------------

def _header(run: Run) -> str:
    kind = "full run" if run.config.name == "full" else "**quick run** (small images; not the figures targets are about)"
    took = f"{run.seconds / 60:.1f} min" if run.seconds >= 120 else f"{run.seconds:.0f} s"
    return (f"# mount-image benchmark\n\n{run.started}, {kind}, {took}. "
            f"Written by `python3 bench/run.py{' --quick' if run.config.name == 'quick' else ''}`; "
            "every figure below was measured in that one run.")


def _machine(run: Run) -> str:
    return "## Machine\n\n" + _table(["", ""], [[k, v] for k, v in run.facts.items()])


def _images(run: Run) -> str:
    rows = []
    for label, image in run.images.items():
        built = run.build_seconds.get(label)
        rows.append([label, image.name, _mb(image.stat().st_size),
                     f"built in {built:.1f} s" if built is not None else "cached from an earlier run"])
    return ("## Images\n\nBuilt with `genisoimage -R -J` (Rock Ridge + Joliet); the tree images hold "
            "100 files of 0-1.2 KiB per directory, 100 directories per group.\n\n"
            + _table(["image", "file", "size", "build"], rows))


def _method(run: Run) -> str:
    config = run.config
    return "\n".join([
        "## Method",
        "",
        "- Mounters: `mount-image IMAGE MNT` (`python3 -m mount_image`, PYTHONPATH=src), `fuseiso -n IMAGE MNT`, "
        "and `bench/passthrough.py`, a Python FUSE filesystem (mfusepy) exposing the image file itself with "
        "`read()` = `os.pread`: *tuned* is libfuse3, multithreaded, kernel_cache, day-long attr/entry timeouts "
        "and the mount's bdi read_ahead_kb raised to 1024; *fuse2 default* is libfuse2 with default options.",
        "- The passthrough reads the same bytes as the others: the extent of the big file inside the image "
        "(`dd iflag=skip_bytes,count_bytes`), not the whole image file.",
        f"- Mount time: from starting the command until it has returned (daemonizing mounters) and the mount is "
        f"listed in /proc/self/mountinfo and its root answers `stat`; median of {config.mount_reps} mounts per "
        "image after one untimed mount, the images taken in turn, image in the page cache.",
        "- `find`, `du -s`: a fresh mount each, image in the page cache. Memory: VmHWM of the daemon (the process "
        "whose command line names the mountpoint) right after `du -s`.",
        f"- Sequential read: `dd bs=1M of=/dev/null` on a fresh mount right after `echo 3 > "
        f"/proc/sys/vm/drop_caches`, then a re-read in the same mount.",
        f"- The disk of this VM drifts a lot, so the disk-bound figures (cat, sequential and random reads) are "
        f"taken in {config.read_reps} rounds; each round measures `cat` and then every mounter in turn (the order "
        "rotates), each on a fresh mount. Tables show the median and, in brackets, the range.",
        f"- Random reads: {config.random_reads} `os.pread`s of 4 KiB at 4 KiB steps of the big file, seed "
        f"{config.seed}, one open file, timed inside the reading process; *cached*: fresh mount with the image "
        "file in the page cache (measures "
        "the mounter); *cold*: fresh mount after dropping caches (adds disk latency).",
        "- mount-image gets no help from the benchmark: its read_ahead_kb is reported as found.",
        "- 1 MB = 10^6 bytes.",
    ] + [f"- Note: {note}" for note in run.notes])


def _physical(run: Run) -> str:
    return ("## Physical limit\n\n"
            + _table(["", "MB/s"], [[f"`cat IMAGE > /dev/null` of {run.images['big'].name}, after dropping caches",
                                    _spread(run.cat_cold, _mbs)]]))


def _mount_times(run: Run) -> str:
    files = run.config.tree_files
    small, big = run.config.small_tree, run.config.big_tree
    header = ["mounter"] + [f"{files_label(n)} files" for n in files] + [f"{files_label(big)} − {files_label(small)}"]
    rows = []
    for name in run.mounters:
        cells = [run.cell(name, mount_key(n)) for n in files]
        low, high = run.cell(name, mount_key(small)), run.cell(name, mount_key(big))
        delta = _ms(high.value - low.value) if low.ok and high.ok else "—"
        rows.append([name] + [_spread(c, _ms) for c in cells] + [delta])
    return "## Mount time\n\nMedian (range in brackets).\n\n" + _table(header, rows)


def _walk(run: Run, key: str, title: str, command: str) -> str:
    tree = files_label(run.config.big_tree)
    rows = []
    for name in run.mounters:
        cell = run.cell(name, key)
        if cell.error == "not measured":
            continue  # the passthrough has no tree
        rows.append([name, _fmt(cell, _s), _ratio(cell, run.cell(PEER, key)), _walk_output(run, name, key)])
    out = "entries printed" if key == FIND else "du prints"
    return (f"## {title} on the {tree}-file ISO\n\n{command}, fresh mount.\n\n"
            + _table(["mounter", "time", "time ÷ fuseiso's", out], rows))


def _walk_output(run: Run, name: str, key: str) -> str:
    """What the command printed: find's count (flagged when wrong), du's total."""
    if key != FIND:
        cell = run.cell(name, key)
        return cell.note if cell.ok else "—"
    count = run.cell(name, FIND_COUNT)
    if not count.ok:
        return "—"
    return f"{count.value:.0f}" + (f" ({count.note})" if count.note else "")


def _sequential(run: Run) -> str:
    best_name, best = _best_passthrough(run)
    rows = []
    for name in run.mounters:
        first, again = run.cell(name, SEQ_FIRST), run.cell(name, SEQ_REREAD)
        rows.append([name, _spread(first, _mbs), _spread(again, _mbs), _ratio(again, first), _ratio(first, run.cat_cold),
                     _ratio(first, best), _ratio(first, run.cell(PEER, SEQ_FIRST)),
                     _fmt(run.cell(name, READ_AHEAD), lambda v: f"{v:.0f}")])
    size = f"{run.config.big_size / (1 << 30):g} GiB" if run.config.big_size >= 1 << 30 else f"{run.config.big_size >> 20} MiB"
    return (f"## Sequential read of the {size} file\n\n`dd bs=1M`; first read after dropping caches, re-read in the "
            f"same mount. Best passthrough configuration: {best_name or '—'}.\n\n"
            + _table(["mounter", "first read", "re-read", "re-read ÷ first", "first ÷ cat", "first ÷ best passthrough",
                      "first ÷ fuseiso", "read_ahead_kb"], rows))


def _random(run: Run) -> str:
    rows = []
    for name in run.mounters:
        warm, cold = run.cell(name, RAND_WARM), run.cell(name, RAND_COLD)
        rows.append([name, _spread(warm, _per_s), _ratio(warm, run.cell(PEER, RAND_WARM)),
                     _spread(cold, _per_s), _ratio(cold, run.cell(PEER, RAND_COLD))])
    return (f"## Random 4 KiB reads\n\n{run.config.random_reads} preads per mount; median of "
            f"{run.config.read_reps} round{'s' if run.config.read_reps > 1 else ''} (range in brackets).\n\n"
            + _table(["mounter", "reads/s, image cached", "÷ fuseiso", "reads/s, cold", "÷ fuseiso"], rows))


def _memory(run: Run) -> str:
    rows = []
    for name in run.mounters:
        after_du = run.cell(name, HWM_DU)
        rows.append([name, "— (no tree)" if after_du.error == "not measured" else _fmt(after_du, _mb),
                     _fmt(run.cell(name, HWM_SEQ), _mb)])
    return ("## Daemon memory (VmHWM)\n\n"
            + _table(["mounter", f"after `du -s` of the {files_label(run.config.big_tree)}-file ISO",
                      "after the sequential reads"], rows))


# ---- targets -----------------------------------------------------------------------------------

def targets(run: Run) -> list[Target]:
    subject = lambda key: run.cell(SUBJECT, key)  # noqa: E731
    peer = lambda key: run.cell(PEER, key)  # noqa: E731
    best_name, best = _best_passthrough(run)
    small, big = run.config.small_tree, run.config.big_tree
    return [
        _at_least("First sequential read ≥ 0.8× the best passthrough", subject(SEQ_FIRST), best, 0.8, _mbs,
                  best_name),
        _at_least("First sequential read ≥ 2× fuseiso", subject(SEQ_FIRST), peer(SEQ_FIRST), 2.0, _mbs, "fuseiso"),
        _at_least("Re-read ≥ 3× first read", subject(SEQ_REREAD), subject(SEQ_FIRST), 3.0, _mbs, "first read"),
        _mount_target(subject(mount_key(small)), subject(mount_key(big)), small, big),
        _find_target(run),
        _at_most(f"`du -s` on {files_label(big)} ≤ 0.5× fuseiso's", subject(DU), peer(DU), 0.5, _s, "fuseiso"),
        _at_least("Random 4 KiB reads/s (image cached) ≥ fuseiso", subject(RAND_WARM), peer(RAND_WARM), 1.0,
                  _per_s, "fuseiso"),
        _memory_target(subject(HWM_DU), big),
    ]


def _missing(text: str, *cells: Cell) -> Target | None:
    for cell in cells:
        if not cell.ok:
            return Target(text, None, f"no figure: {(cell.error or 'missing').splitlines()[0][:120]}")
    return None


def _at_least(text: str, value: Cell, base: Cell, factor: float, show: Callable[[float], str], base_name: str) -> Target:
    missing = _missing(text, value, base)
    if missing:
        return missing
    need = factor * base.value
    return Target(text, value.value >= need, _compare(value, base, factor, show, base_name))


def _at_most(text: str, value: Cell, base: Cell, factor: float, show: Callable[[float], str], base_name: str) -> Target:
    missing = _missing(text, value, base)
    if missing:
        return missing
    limit = factor * base.value
    return Target(text, value.value <= limit, _compare(value, base, factor, show, base_name))


def _compare(value: Cell, base: Cell, factor: float, show: Callable[[float], str], base_name: str) -> str:
    assert value.value is not None and base.value is not None
    bound = f" × {factor:g} = {show(factor * base.value)}" if factor != 1 else ""
    return (f"{show(value.value)} vs {show(base.value)} ({base_name}){bound}; "
            f"ratio {value.value / base.value:.2f}×")


def _mount_target(low: Cell, high: Cell, small: int, big: int) -> Target:
    text = f"Mount of the {files_label(big)}-file ISO within 50 ms of the {files_label(small)}-file one"
    missing = _missing(text, low, high)
    if missing:
        return missing
    delta = high.value - low.value
    return Target(text, delta <= MOUNT_SLACK, f"{_ms(high.value)} − {_ms(low.value)} = {_ms(delta)} (limit 50 ms)")


def _find_target(run: Run) -> Target:
    big = run.config.big_tree
    result = _at_most(f"`find` on {files_label(big)} no slower than fuseiso", run.cell(SUBJECT, FIND),
                      run.cell(PEER, FIND), 1.0, _s, "fuseiso")
    count = run.cell(SUBJECT, FIND_COUNT)
    if result.passed and count.note:  # fast but wrong is not a pass
        return Target(result.text, False, f"{result.detail}; but printed {count.value:.0f} entries, {count.note}")
    return result


def _memory_target(hwm: Cell, big: int) -> Target:
    text = f"Daemon memory after `du -s` of {files_label(big)} < 150 MB"
    missing = _missing(text, hwm)
    if missing:
        return missing
    return Target(text, hwm.value < MEMORY_LIMIT, f"VmHWM {_mb(hwm.value)} (limit {_mb(MEMORY_LIMIT)})")


def _targets(run: Run) -> str:
    rows = []
    for target in targets(run):
        verdict = {True: "PASS", False: "**FAIL**", None: "**FAIL** (not measured)"}[target.passed]
        rows.append([target.text, verdict, target.detail])
    note = "" if run.config.name == "full" else "\n\nQuick run: the targets are stated for the full run's images."
    return "## Targets (mount-image)\n\n" + _table(["target", "result", "measured"], rows) + note


def _errors(run: Run) -> str:
    seen: dict[str, list[str]] = {}
    for name in run.mounters:
        for key, cell in run.results.get(name, {}).items():
            if cell.error and not cell.error.startswith("not run"):
                seen.setdefault(f"{name}: {cell.error}", []).append(key)
    if not seen:
        return "## Errors\n\nNone."
    blocks = []
    for message, keys in seen.items():
        name, _, error = message.partition(": ")
        blocks.append(f"**{name}**, {', '.join(keys)}:\n\n```\n{error.strip()}\n```")
    return "## Errors\n\n" + "\n\n".join(blocks)
