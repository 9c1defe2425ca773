"""One-line messages to the terminal: ``mount-image: game.cue:3: FILE "a.bin" not found``."""

from __future__ import annotations

import sys

PROG = "mount-image"
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def error(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def warn(message: str) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr)
