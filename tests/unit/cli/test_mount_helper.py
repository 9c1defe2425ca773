"""cli/mount_helper.py: the mount(8) helper command line (-sfnv, -o, -t, -N) parsed, never
handed to FUSE, where -f would mean foreground."""

from __future__ import annotations

import pytest

from mount_image.cli.mount_helper import parse_argv
from mount_image.errors import UsageError


@pytest.mark.parametrize(("argv", "expected"), [
    (["a.iso", "/mnt"], ("a.iso", "/mnt", set(), [])),
    (["a.iso", "/mnt", "-o", "ro,allow_other"], ("a.iso", "/mnt", set(), ["ro,allow_other"])),
    (["a.iso", "/mnt", "-fnv", "-o", "ro"], ("a.iso", "/mnt", {"f", "n", "v"}, ["ro"])),
    (["a.iso", "/mnt", "-s", "-f", "-oro", "-t", "mount-image"], ("a.iso", "/mnt", {"s", "f"}, ["ro"])),
    (["-v", "a.iso", "/mnt", "-t", "fuse.mount-image"], ("a.iso", "/mnt", {"v"}, [])),
], ids=["bare", "options", "fnv", "sloppy-fake-type", "flags-first"])
def test_parse(argv: list[str], expected: tuple) -> None:
    assert parse_argv(argv) == expected


@pytest.mark.parametrize(("argv", "message"), [
    (["a.iso"], "usage: mount.mount-image"),
    (["a.iso", "/mnt", "extra"], "usage: mount.mount-image"),
    (["a.iso", "/mnt", "-x"], "unknown flag -x"),
    (["a.iso", "/mnt", "-t", "iso9660"], "type iso9660: this helper mounts only mount-image"),
    (["a.iso", "/mnt", "-N", "1234"], "-N (another mount namespace) is not supported"),
    (["a.iso", "/mnt", "-o"], "-o needs a value"),
])
def test_refused(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_argv(argv)
    assert message in str(info.value)
