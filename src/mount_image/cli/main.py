"""``mount-image``: mount / unmount / list / info / ls / extract / verify (see docs/cli.md)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import stat as st
import subprocess
import sys
import time
from typing import Any, Sequence

from ..errors import CorruptDataError, MountImageError
from . import mounts
from .messages import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, error
from .opening import Opened, open_view
from .options import VIEWS, MountOptions, parse_options

COMMANDS = ("mount", "unmount", "list", "info", "ls", "extract", "verify", "drives", "dump",
            "open", "close")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mount-image", description="Mount disc images read-only through FUSE.")
    sub = p.add_subparsers(dest="command", required=True)

    def with_options(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("-o", dest="options", action="append", default=[], metavar="OPTS",
                        help="comma-separated mount options (see docs/cli.md)")
        sp.add_argument("--view", choices=VIEWS, default=None,
                        help="files: the disc's filesystem (default); tracks: trackNN.iso/.wav")
        return sp

    m = with_options(sub.add_parser("mount", help="mount IMAGE on MOUNTPOINT"))
    m.add_argument("image")
    m.add_argument("mountpoint")
    m.add_argument("-f", "--foreground", action="store_true", help="stay in the foreground")
    u = sub.add_parser("unmount", help="unmount MOUNTPOINT")
    u.add_argument("mountpoint")
    lst = sub.add_parser("list", help="list mounted images")
    lst.add_argument("--json", action="store_true")
    i = with_options(sub.add_parser("info", help="describe an image"))
    i.add_argument("image")
    i.add_argument("--json", action="store_true")
    ls = with_options(sub.add_parser("ls", help="list a directory of an image without mounting"))
    ls.add_argument("image")
    ls.add_argument("path", nargs="?", default="/")
    ls.add_argument("-l", dest="long", action="store_true")
    ls.add_argument("-R", dest="recursive", action="store_true")
    x = with_options(sub.add_parser("extract", help="copy a file or tree out of an image"))
    x.add_argument("image")
    x.add_argument("path")
    x.add_argument("dest")
    v = sub.add_parser("verify", help="check sync, headers, EDC and ECC of every raw data sector")
    v.add_argument("image")
    v.add_argument("--json", action="store_true")
    v.add_argument("-j", "--jobs", type=_positive, default=_cpus(), metavar="N",
                   help="worker processes checking sectors (default: the CPUs this may use)")
    v.add_argument("-o", dest="options", action="append", default=[], metavar="OPTS",
                   help="comma-separated options (see docs/cli.md)")
    _device_parsers(sub)
    from .desktop import add_parser as desktop_parsers  # open / close: cli/desktop.py
    desktop_parsers(sub)
    return p


def _cpus() -> int:
    """CPUs this process may run on (its affinity mask, not only the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def _device_parsers(sub: Any) -> None:
    """``drives`` (with ``--watch``) and ``dump``: cli/drives.py, cli/dump.py."""
    d = sub.add_parser("drives", help="list optical drives and devices holding disc images")
    d.add_argument("--json", action="store_true")
    d.add_argument("--all", action="store_true", help="every block device, readable or not")
    d.add_argument("--watch", action="store_true",
                   help="stay running; unmount images whose device is removed, and notify")
    d.add_argument("--no-notify", action="store_true", help="with --watch: no desktop notification")
    d = sub.add_parser("dump", help="copy a disc or device as a plain .iso, with verification")
    d.add_argument("source", help="a drive or block device (/dev/sr0), or an image")
    d.add_argument("out", help="the .iso to write")
    d.add_argument("--force", action="store_true", help="replace OUT if it exists")
    d.add_argument("--track", type=int, default=None,
                   help="the data track to copy (default: the disc's first data track)")
    d.add_argument("--no-verify", action="store_true", help="skip re-reading the written file")


def _normalise(argv: list[str]) -> list[str]:
    """``mount-image IMAGE MNT`` means ``mount``; ``-u MNT`` means ``unmount``."""
    if argv and argv[0] == "-u":
        return ["unmount", *argv[1:]]
    if argv and argv[0] not in COMMANDS and argv[0] not in ("-h", "--help"):
        return ["mount", *argv]
    return argv


def _log_to_terminal() -> None:
    """Warnings about damage found while reading (info, ls, extract) go to stderr, one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("mount-image: warning: %(message)s"))
    logger = logging.getLogger("mount_image")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(_normalise(list(sys.argv[1:] if argv is None else argv)))
    _log_to_terminal()
    try:
        return COMMAND_FUNCS[args.command](args)
    except MountImageError as exc:   # UsageError too: both are the caller's to fix, exit 2
        error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _options(args: argparse.Namespace) -> MountOptions:
    options = parse_options(args.options)
    if args.view is not None:  # --view wins over -o view=
        options.view = args.view
    return options


def _open(args: argparse.Namespace) -> Opened:
    return open_view(args.image, _options(args))


def cmd_mount(args: argparse.Namespace) -> int:
    from .daemon import run_mount
    options = _options(args)
    opened = open_view(args.image, options)
    return run_mount(opened, os.path.abspath(args.image), args.mountpoint, options, args.foreground)


def cmd_unmount(args: argparse.Namespace) -> int:
    target = os.path.realpath(args.mountpoint)
    if not any(m.mountpoint == target for m in mounts.our_mounts()):
        error(f"{args.mountpoint}: not a mount-image mount")
        return EXIT_FAILURE
    proc = subprocess.run(["fusermount3", "-u", target], capture_output=True, text=True)
    if proc.returncode != 0:
        error(f"{args.mountpoint}: {proc.stderr.strip() or 'unmount failed'}")
        return EXIT_FAILURE
    deadline = time.monotonic() + 5
    while mounts.is_mountpoint(target) and time.monotonic() < deadline:
        time.sleep(0.02)
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    found = mounts.our_mounts()
    if args.json:
        print(json.dumps([m.as_json() for m in found], indent=2))
    else:
        for m in found:  # a stale mount: its image was deleted, replaced or changed (reads fail)
            print(f"{m.image}\t{m.mountpoint}\t{m.view}" + (f"\tstale: {m.stale}" if m.stale else ""))
    return EXIT_OK


def _cdtext(fields: Sequence[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in fields:
        out.setdefault(key.lower(), value)
    return out


def describe_track(track: Any, paths: dict[int, str]) -> dict[str, Any]:
    """One entry of ``info --json`` "tracks" (keys documented in docs/cli.md)."""
    return {
        "number": track.number,
        "session": track.session,
        "type": track.kind.value,
        "mode": track.mode.value,
        "start": track.start,
        "sectors": track.sectors,
        "pregap": track.pregap,
        "pregap_stored": track.pregap_stored,
        "postgap": track.postgap,
        "indexes": [{"number": i.number, "lba": i.lba} for i in track.indexes],
        "sector_size": track.sector_size,
        "subchannel": track.subchannel,
        "file": os.path.abspath(track.source.name),
        "file_name": track.file_name or os.path.basename(track.source.name),
        "file_type": track.file_type or None,
        "offset": track.offset,
        "isrc": track.isrc,
        "flags": list(track.flags),
        "cdtext": _cdtext(track.cdtext),
        "tracks_view_path": paths.get(track.number),
    }


def describe_disc(disc: Any, paths: dict[int, str]) -> dict[str, Any]:
    sessions = []
    for session in disc.sessions:
        tracks = session.tracks
        sessions.append({
            "number": session.number,
            "first_track": tracks[0].number if tracks else None,
            "last_track": tracks[-1].number if tracks else None,
            "tracks": len(tracks),
            "data_tracks": sum(t.kind.value == "data" for t in tracks),
            "audio_tracks": sum(t.kind.value == "audio" for t in tracks),
            "start": min((t.indexes[0].lba if t.indexes else t.start) for t in tracks) if tracks else None,
        })
    return {
        "catalog": disc.catalog,
        "cdtext": _cdtext(disc.cdtext),
        "sessions": sessions,
        "tracks": [describe_track(t, paths) for t in disc.tracks],
    }


def describe(opened: Opened) -> dict[str, Any]:
    fs = opened.fs
    disc = opened.disc
    source = disc.sources[0]
    info: dict[str, Any] = {
        "image": os.path.abspath(disc.path),
        "container": disc.container,
        "size": source.size,
        "view": opened.view.name,
        "label": fs.label if fs else None,
        "filesystems": list(fs.kinds) if fs else [],
        "shown": fs.shown if fs else None,
    }
    if fs is not None:
        info.update(fs.info())
    else:
        info.update({"iso9660": None, "joliet": None, "rockridge": None, "eltorito": [],
                     "hfs": None})
    if opened.view.name == "tracks":
        paths = opened.view.names
    else:
        from ..view.tracks import track_file_name
        paths = {t.number: (f"session{t.session}/" if len(disc.sessions) > 1 else "") + track_file_name(t)
                 for t in disc.tracks}
    info.update(describe_disc(disc, paths))
    choice = opened.session
    # Sessions that hold a filesystem (from the container, or found inside a plain image) and the
    # one the files view shows (session=N; the last by default).
    info["filesystem_sessions"] = [{"number": n, "start": s} for n, s in choice.all] if choice else []
    info["shown_session"] = choice.number if choice else None
    return info


def track_table(info: dict[str, Any]) -> list[str]:
    lines = [f"{'track':>5} {'session':>7} {'type':5} {'mode':10} {'start':>7} {'sectors':>7} "
             f"{'pregap':>6}  file"]
    for t in info["tracks"]:
        title = t["cdtext"].get("title")
        lines.append(f"{t['number']:5d} {t['session']:7d} {t['type']:5} {t['mode']:10} {t['start']:7d} "
                     f"{t['sectors']:7d} {t['pregap']:6d}  {t['file_name']}"
                     + (f"  \"{title}\"" if title else ""))
    return lines


def cmd_info(args: argparse.Namespace) -> int:
    opened = _open(args)
    try:
        info = describe(opened)
    finally:
        opened.close()
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return EXIT_OK
    iso = info["iso9660"]
    lines = [
        f"image:        {info['image']}",
        f"container:    {info['container']}",
        f"size:         {info['size']} bytes",
    ]
    if info["catalog"]:
        lines.append(f"catalog:      {info['catalog']}")
    for key in ("title", "performer"):
        if key in info["cdtext"]:
            lines.append(f"{key + ':':13} {info['cdtext'][key]}")
    udf = info.get("udf")
    if not info["filesystems"]:
        lines.append("filesystems:  none (showing the tracks view)")
    else:
        lines += [
            f"label:        {info['label']}",
            f"filesystems:  {', '.join(info['filesystems'])} (showing {info['shown']})",
        ]
    if udf:
        partitions = ", ".join(p["type"] for p in udf["partitions"])
        lines.append(f"udf:          revision {udf['revision']}, {udf['volume_blocks']} blocks of "
                     f"{udf['block_size']}, partitions: {partitions}")
    if iso is not None:
        lines += [
            f"iso9660:      level {iso['level']}, {iso['volume_blocks']} blocks of {iso['block_size']}",
            f"created:      {iso['created'] or '-'}",
            f"modified:     {iso['modified'] or '-'}",
            f"system:       {iso['system_id'] or '-'}",
            f"publisher:    {iso['publisher'] or '-'}",
            f"preparer:     {iso['preparer'] or '-'}",
            f"application:  {iso['application'] or '-'}",
        ]
    if info["joliet"]:
        lines.append(f"joliet:       level {info['joliet']['level']}, label {info['joliet']['volume_id']}")
    if info["rockridge"]:
        lines.append(f"rock ridge:   {', '.join(info['rockridge']['extensions']) or 'yes (no ER entry)'}")
    for n, e in enumerate(info["eltorito"], 1):
        lines.append(f"boot entry {n}: {e['platform']} {e['emulation']}, {'bootable' if e['bootable'] else 'not bootable'}, "
                     f"load RBA {e['load_rba']}, {e['sectors']} sectors")
    lines.append(f"sessions:     {len(info['sessions'])}")
    if len(info["filesystem_sessions"]) > 1:
        starts = ", ".join(f"{s['number']} at {s['start']}" for s in info["filesystem_sessions"])
        lines.append(f"fs sessions:  {starts} (showing {info['shown_session']})")
    lines += ["", *track_table(info)]
    print("\n".join(lines))
    return EXIT_OK


def _walk(opened: Opened, entry: Any, prefix: str, damaged: list[str]):
    """Every entry below ``entry``; a damaged directory is noted in ``damaged`` and skipped."""
    try:
        children = list(opened.view.listdir(entry))
    except (CorruptDataError, OSError) as exc:
        damaged.append(f"{prefix or '/'}: {exc}")
        return
    for child in children:
        path = f"{prefix}{child.name}"
        yield path, child
        if child.stat.is_dir:
            yield from _walk(opened, child, path + "/", damaged)


def _long(opened: Opened, name: str, entry: Any) -> str:
    a = opened.view.attributes(entry)
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(a.mtime_ns / 1e9))
    target = f" -> {opened.view.readlink(entry)}" if st.S_ISLNK(a.mode) else ""
    return f"{st.filemode(a.mode)} {a.nlink:3} {a.uid:5} {a.gid:5} {a.size:12} {when} {name}{target}"


def cmd_ls(args: argparse.Namespace) -> int:
    opened = _open(args)
    try:
        entry = opened.view.resolve(args.path)
        if not entry.stat.is_dir:
            print(_long(opened, entry.name, entry) if args.long else entry.name)
            return EXIT_OK
        damaged: list[str] = []
        if args.recursive:
            items = sorted(_walk(opened, entry, "", damaged), key=lambda item: item[0])
        else:
            items = sorted(((c.name, c) for c in opened.view.listdir(entry)), key=lambda item: item[0])
        for name, child in items:
            print(_long(opened, name, child) if args.long else name)
        for problem in damaged:
            error(f"{args.image}: {problem}")
        return EXIT_FAILURE if damaged else EXIT_OK
    except (OSError, CorruptDataError) as exc:
        error(f"{args.image}:{args.path}: {getattr(exc, 'strerror', None) or exc}")
        return EXIT_FAILURE
    finally:
        opened.close()


def _extract_one(opened: Opened, entry: Any, dest: str) -> None:
    a = opened.view.attributes(entry)
    if st.S_ISDIR(a.mode):
        os.makedirs(dest, exist_ok=True)
        for child in opened.view.listdir(entry):
            _extract_one(opened, child, os.path.join(dest, child.name))
    elif st.S_ISLNK(a.mode):
        os.symlink(opened.view.readlink(entry), dest)
        return
    elif st.S_ISREG(a.mode):
        with open(dest, "wb") as f:
            offset, chunk = 0, 1 << 20
            while offset < a.size:
                data = opened.view.read(entry, offset, min(chunk, a.size - offset))
                if not data:
                    break
                f.write(data)
                offset += len(data)
    else:
        return  # devices and FIFOs are not recreated: extract is for content
    os.chmod(dest, st.S_IMODE(a.mode) | 0o200)
    os.utime(dest, ns=(a.atime_ns, a.mtime_ns))


def cmd_verify(args: argparse.Namespace) -> int:
    from .verify import cmd_verify as run_verify
    return run_verify(args)


def cmd_extract(args: argparse.Namespace) -> int:
    opened = _open(args)
    try:
        entry = opened.view.resolve(args.path)
        dest = args.dest
        if not entry.stat.is_dir and os.path.isdir(dest):
            dest = os.path.join(dest, entry.name)
        _extract_one(opened, entry, dest)
        return EXIT_OK
    except OSError as exc:
        error(f"{args.image}:{args.path}: {exc.strerror or exc}")
        return EXIT_FAILURE
    except MountImageError as exc:
        error(f"{args.image}:{args.path}: {exc}")
        return EXIT_FAILURE
    finally:
        opened.close()


COMMAND_FUNCS = {"mount": cmd_mount, "unmount": cmd_unmount, "list": cmd_list, "info": cmd_info,
                 "ls": cmd_ls, "extract": cmd_extract, "verify": cmd_verify}


def cmd_drives(args: argparse.Namespace) -> int:
    from .drives import cmd_drives as run
    return run(args)


def cmd_dump(args: argparse.Namespace) -> int:
    from .dump import cmd_dump as run
    return run(args)


COMMAND_FUNCS.update({"drives": cmd_drives, "dump": cmd_dump})


def cmd_open(args: argparse.Namespace) -> int:
    from .desktop import cmd_open as run
    return run(args)


def cmd_close(args: argparse.Namespace) -> int:
    from .desktop import cmd_close as run
    return run(args)


COMMAND_FUNCS.update({"open": cmd_open, "close": cmd_close})
