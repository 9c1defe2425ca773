"""cli/options.py: -o mount options in the kernel isofs style, refused before mounting."""

from __future__ import annotations

import pytest

from mount_image.cli.options import FUSE_FLAGS, FUSE_VALUES, IGNORED, MountOptions, parse_options
from mount_image.errors import UsageError
from mount_image.fs.iso9660.filesystem import IsoOptions
from mount_image.view.node import OwnerPolicy


def test_no_options_gives_the_defaults() -> None:
    opts = parse_options([])
    assert isinstance(opts, MountOptions)
    assert opts.iso == IsoOptions() and opts.owner == OwnerPolicy()
    assert opts.fuse == {} and opts.debug is False
    assert opts.iso.mapping == "normal" and opts.iso.rock and opts.iso.joliet and not opts.iso.unhide


@pytest.mark.parametrize(
    ("spec", "field", "value"),
    [
        ("norock", "rock", False),
        ("nojoliet", "joliet", False),
        ("unhide", "unhide", True),
        ("map=off", "mapping", "off"),
        ("map=o", "mapping", "off"),
        ("map=normal", "mapping", "normal"),
        ("map=n", "mapping", "normal"),
    ],
)
def test_iso_options(spec: str, field: str, value) -> None:
    assert getattr(parse_options([spec]).iso, field) == value


@pytest.mark.parametrize(
    ("spec", "field", "value"),
    [
        ("uid=1000", "uid", 1000),
        ("gid=0", "gid", 0),
        ("fmask=022", "fmask", 0o22),
        ("dmask=0077", "dmask", 0o77),
        ("mode=0644", "file_mode", 0o644),
        ("mode=4755", "file_mode", 0o4755),
        ("dmode=755", "dir_mode", 0o755),
        ("overriderockperm", "override", True),
    ],
)
def test_owner_options(spec: str, field: str, value) -> None:
    assert getattr(parse_options([spec]).owner, field) == value


def test_umask_sets_both_masks() -> None:
    owner = parse_options(["umask=027"]).owner
    assert (owner.fmask, owner.dmask) == (0o27, 0o27)


def test_later_option_wins_and_specific_mask_after_umask() -> None:
    owner = parse_options(["umask=077,fmask=022", "uid=1", "uid=2"]).owner
    assert (owner.fmask, owner.dmask, owner.uid) == (0o22, 0o77, 2)


@pytest.mark.parametrize("flag", sorted(FUSE_FLAGS))
def test_fuse_flags_pass_through(flag: str) -> None:
    assert parse_options([flag]).fuse == {flag: True}


@pytest.mark.parametrize("key", sorted(FUSE_VALUES))
def test_fuse_values_pass_through(key: str) -> None:
    assert parse_options([f"{key}=42"]).fuse == {key: "42"}


def test_debug() -> None:
    assert parse_options(["debug"]).debug is True


@pytest.mark.parametrize("spec", sorted(IGNORED) + ["iocharset=utf8", "session=1", "sbsector=0",
                                                  "check=strict", "block=2048"])
def test_ignored_options(spec: str) -> None:
    opts = parse_options([spec])
    assert opts.iso == IsoOptions() and opts.owner == OwnerPolicy() and opts.fuse == {}


@pytest.mark.parametrize("spec", ["x-systemd.automount", "x-systemd.device-timeout=10s",
                                  "x-gvfs-show", "x-mount.mkdir=0755"])
def test_x_options_are_ignored(spec: str) -> None:
    opts = parse_options([spec])
    assert opts.iso == IsoOptions() and opts.owner == OwnerPolicy() and opts.fuse == {}


def test_several_specs_and_spacing() -> None:
    opts = parse_options(["ro, allow_other ,uid=5", ",,norock,", "map=off,max_read=131072"])
    assert opts.fuse == {"allow_other": True, "max_read": "131072"}
    assert opts.owner.uid == 5
    assert opts.iso == IsoOptions(rock=False, mapping="off")


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("rw", "option rw: images are mounted read-only"),
        ("ro,rw", "option rw"),
        ("rw=1", "option rw"),
        ("frobnicate", "unknown mount option 'frobnicate'"),
        ("ro,bogus=3", "unknown mount option 'bogus=3'"),
        ("allow_other=1", "unknown mount option 'allow_other=1'"),
        ("fsname", "unknown mount option 'fsname'"),
        ("uid", "unknown mount option 'uid'"),
        ("overriderockperm=1", "unknown mount option 'overriderockperm=1'"),
        ("map", "unknown mount option 'map'"),
        ("map=acorn", "option map=acorn: expected off or normal"),
        ("map=", "option map=: expected off or normal"),
        ("uid=abc", "option uid=abc: expected a number"),
        ("gid=-1", "option gid=-1: expected a number"),
        ("uid=", "option uid=: expected a number"),
        ("uid=\u00b2", "option uid=\u00b2: expected a number"),     # str.isdigit() is True for '²'
        ("umask=8", "option umask=8: expected an octal number"),
        ("fmask=0x22", "option fmask=0x22: expected an octal number"),
        ("mode=10000", "option mode=10000: out of range"),
        ("dmode=-1", "option dmode=-1: expected an octal number"),
    ],
)
def test_refused_options(spec: str, fragment: str) -> None:
    with pytest.raises(UsageError) as exc:
        parse_options([spec])
    assert fragment in str(exc.value)
