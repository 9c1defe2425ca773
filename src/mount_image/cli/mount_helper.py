"""``mount.mount-image``: the helper mount(8) runs for ``mount -t mount-image`` and fstab lines
of type ``mount-image``.

mount(8) calls ``/sbin/mount.TYPE SOURCE MOUNTPOINT [-sfnv] [-N NS] [-o OPTS] [-t TYPE]``
(mount(8), "External helpers"). Those flags mean something else to FUSE (``-f`` is fake here,
foreground there), so they are parsed here and never handed on:

- ``-f`` fake: check the options and open the image, but mount nothing;
- ``-n`` no mtab: nothing to do, FUSE mounts are listed by the kernel;
- ``-s`` sloppy: drop unknown options (one warning each) instead of failing;
- ``-v`` verbose: say what is mounted where;
- ``-N`` another mount namespace: refused;
- ``-t`` the type: ``mount-image`` (or ``fuse.mount-image``), anything else refused.

The mount itself is ``mount-image mount SOURCE MOUNTPOINT -o OPTS``: forced read-only, nodev,
nosuid, and the command returns once the mount answers, as mount(8) expects.
"""

from __future__ import annotations

import os
import sys
from typing import Sequence

from ..errors import MountImageError, UsageError
from .messages import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, error, warn
from .options import parse_options

TYPES = ("mount-image", "fuse.mount-image")
USAGE = "usage: mount.mount-image SOURCE MOUNTPOINT [-sfnv] [-o OPTIONS] [-t mount-image]"


def parse_argv(argv: Sequence[str]) -> tuple[str, str, set[str], list[str]]:
    """(source, mountpoint, flags, option strings) from a mount(8) helper command line."""
    positional: list[str] = []
    flags: set[str] = set()
    options: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-o", "-t", "-N"):
            if i + 1 >= len(args):
                raise UsageError(f"{arg} needs a value; {USAGE}")
            value = args[i + 1]
            if arg == "-o":
                options.append(value)
            elif arg == "-t" and value not in TYPES:
                raise UsageError(f"type {value}: this helper mounts only mount-image")
            elif arg == "-N":
                raise UsageError("-N (another mount namespace) is not supported")
            i += 2
            continue
        if arg.startswith("-o") and len(arg) > 2:
            options.append(arg[2:])
        elif arg.startswith("-") and len(arg) > 1 and not arg.startswith("--"):
            for letter in arg[1:]:
                if letter not in "sfnv":
                    raise UsageError(f"unknown flag -{letter}; {USAGE}")
                flags.add(letter)
        else:
            positional.append(arg)
        i += 1
    if len(positional) != 2:
        raise UsageError(USAGE)
    return positional[0], positional[1], flags, options


def _sloppy(options: list[str]) -> list[str]:
    """Options one by one; the unknown ones dropped with a warning (-s)."""
    kept = []
    for spec in options:
        for item in filter(None, (s.strip() for s in spec.split(","))):
            try:
                parse_options([item])
            except UsageError as exc:
                if str(exc).startswith("unknown mount option"):
                    warn(f"{exc}: ignored (-s)")
                    continue
            kept.append(item)
    return [",".join(kept)] if kept else []


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        source, mountpoint, flags, options = parse_argv(args)
        if "s" in flags:
            options = _sloppy(options)
        parsed = parse_options(options)   # unknown options fail here, before anything opens
        if "f" in flags:
            from .daemon import check_mountpoint
            from .opening import open_view
            open_view(source, parsed).close()
            problem = check_mountpoint(mountpoint)
            if problem:
                error(problem)
                return EXIT_FAILURE
            if "v" in flags:
                print(f"mount.mount-image: would mount {source} on {mountpoint} (-f: nothing mounted)")
            return EXIT_OK
    except MountImageError as exc:   # UsageError too: both are the caller's to fix, exit 2
        error(str(exc))
        return EXIT_USAGE
    from .main import main as mount_image
    command = ["mount", source, mountpoint] + (["-o", ",".join(options)] if options else [])
    status = mount_image(command)
    if status == EXIT_OK and "v" in flags:
        print(f"mount.mount-image: {os.path.abspath(source)} mounted on {mountpoint}")
    return status


if __name__ == "__main__":
    sys.exit(main())
