"""``mount-image open IMAGE`` (the double-click action) and ``mount-image close [IMAGE|FOLDER]``.

``open`` mounts the image in a folder named after its volume label inside the user's mount
folder (``~/Discs``; ``/media`` for root), opens that folder with ``xdg-open`` and sends a
desktop notification with an Unmount button. An image that is already mounted is just shown
again. ``close`` unmounts and removes the folder ``open`` made; with no argument (the desktop
file's Unmount action, which launchers run without a file) it closes every image ``open`` mounted.

The mount itself is ``mount-image mount``'s (cli/main.py cmd_mount: open_view, then the
daemon), so both commands accept the same options and refuse the same images.

Settings, strongest first: command-line flags, environment variables, the ``[desktop]``
section of ``$XDG_CONFIG_HOME/mount-image/desktop.conf``:

  folder  = ~/Discs     --folder DIR      MOUNT_IMAGE_FOLDER
  browse  = yes         --no-browse       MOUNT_IMAGE_BROWSE=no      (run xdg-open or not)
  notify  = yes         --no-notify       MOUNT_IMAGE_NOTIFY=no
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import fcntl
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Iterator

from ..errors import MountImageError, UsageError
from . import mounts
from .messages import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, error

CONFIG_NAME = os.path.join("mount-image", "desktop.conf")
DEFAULT_FOLDER = "~/Discs"
ROOT_FOLDER = "/media"
MAX_NAME = 120           # bytes of a folder name taken from a label (NAME_MAX is 255)
MAX_SUFFIX = 1000        # "LABEL 2" ... "LABEL 999": past that the folder is refused
TRUE = {"1", "yes", "true", "on"}
FALSE = {"0", "no", "false", "off"}


@dataclass(slots=True)
class Settings:
    folder: str
    browse: bool
    notify: bool


def _config_path() -> str:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, CONFIG_NAME)


def _flag(name: str, value: str, where: str) -> bool:
    if value.strip().lower() in TRUE:
        return True
    if value.strip().lower() in FALSE:
        return False
    raise UsageError(f"{where}: {name}={value}: expected yes or no")


def load_settings(args: argparse.Namespace | None = None) -> Settings:
    """The settings in force: flags over environment over config file over defaults."""
    values = {"folder": ROOT_FOLDER if os.geteuid() == 0 else DEFAULT_FOLDER,
              "browse": "yes", "notify": "yes"}
    where = {key: "default" for key in values}
    path = _config_path()
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: {str(exc).splitlines()[0]}") from None
    if parser.has_section("desktop"):
        for key, value in parser.items("desktop"):
            if key not in values:
                raise UsageError(f"{path}: unknown setting {key!r} (folder, browse, notify)")
            values[key], where[key] = value, path
    for key in values:
        env = os.environ.get(f"MOUNT_IMAGE_{key.upper()}")
        if env:
            values[key], where[key] = env, f"MOUNT_IMAGE_{key.upper()}"
    settings = Settings(os.path.expanduser(values["folder"]),
                        _flag("browse", values["browse"], where["browse"]),
                        _flag("notify", values["notify"], where["notify"]))
    if args is not None:
        settings.folder = os.path.expanduser(args.folder) if args.folder else settings.folder
        settings.browse = settings.browse and not args.no_browse
        settings.notify = settings.notify and not args.no_notify
    return settings


def folder_name(label: str | None, image: str) -> str:
    """A folder name from a volume label (else the image's name without its extension): no
    slash, no control characters, no leading dot (a hidden folder is not in the sidebar)."""
    text = label.strip() if label and label.strip() else os.path.splitext(os.path.basename(image))[0]
    text = "".join("_" if ch == "/" or ch < " " or ch == "\x7f" else ch for ch in text)
    text = text.lstrip(".").strip() or "disc"
    while len(text.encode("utf-8", "surrogateescape")) > MAX_NAME:
        text = text[:-1]
    return text


def _made_marker(mountpoint: str) -> str:
    """A record that ``open`` made this folder (so ``close`` may remove it): it cannot live in
    the folder itself, which the mount hides."""
    return os.path.join(mounts.state_dir(), "opened", mountpoint.strip("/").replace("/", "-"))


def _forget_removed_folders() -> None:
    """Drop the records of folders that are gone (unmounted and removed by other means)."""
    records = os.path.join(mounts.state_dir(), "opened")
    try:
        names = os.listdir(records)
    except OSError:
        return
    for name in names:
        record = os.path.join(records, name)
        try:
            with open(record, encoding="utf-8") as f:
                folder = f.read()
            if folder and not os.path.isdir(folder):
                os.unlink(record)
        except OSError:
            pass


def make_folder(base: str, name: str) -> str:
    """Create ``base/name``, or ``base/name 2``, ``name 3``... when taken; a leftover empty
    folder of an earlier ``open`` (not mounted) is used again."""
    _forget_removed_folders()
    os.makedirs(base, exist_ok=True)
    for n in range(1, MAX_SUFFIX):
        path = os.path.realpath(os.path.join(base, name if n == 1 else f"{name} {n}"))
        try:
            os.mkdir(path, 0o755)
        except FileExistsError:
            if (os.path.exists(_made_marker(path)) and os.path.isdir(path)
                    and not mounts.is_mountpoint(path) and not os.listdir(path)):
                return path
            continue
        os.makedirs(os.path.dirname(_made_marker(path)), mode=0o700, exist_ok=True)
        with open(_made_marker(path), "w", encoding="utf-8") as f:
            f.write(path)
        return path
    raise UsageError(f"{base}: no free folder name for {name!r}")


def _remove_folder(mountpoint: str) -> None:
    marker = _made_marker(mountpoint)
    if not os.path.exists(marker) or mounts.is_mountpoint(mountpoint):
        return
    try:
        os.rmdir(mountpoint)  # only if empty: never remove anything the user put there
    except OSError:
        pass
    try:
        os.unlink(marker)
    except OSError:
        pass


def mounts_of(image: str) -> list[str]:
    """Mountpoints where ``image`` (any path to the same file) is mounted by us."""
    target = os.path.realpath(image)
    return [m.mountpoint for m in mounts.our_mounts() if os.path.realpath(m.image) == target]


def browse(folder: str, settings: Settings) -> None:
    """Show the folder in the file manager; the launcher is not waited for."""
    if not settings.browse:
        return
    opener = shutil.which("xdg-open")
    if opener is None:
        return
    try:
        subprocess.Popen([opener, folder], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        pass


def _label(image: str, options: list[str], view: str | None) -> str | None:
    """The volume label (or CD-TEXT title of an audio disc), read as `mount` would open it."""
    from .main import _options  # the mount path's own option handling
    from .opening import open_view

    opened = open_view(image, _options(argparse.Namespace(options=options, view=view)))
    try:
        if opened.fs is not None and opened.fs.label:
            return opened.fs.label
        return next((value for key, value in opened.disc.cdtext if key.lower() == "title"), None)
    finally:
        opened.close()


def _mount(image: str, mountpoint: str, options: list[str], view: str | None) -> int:
    from .main import _parser, cmd_mount
    argv = ["mount", image, mountpoint] + [f"-o{o}" for o in options]
    if view:
        argv += ["--view", view]
    return cmd_mount(_parser().parse_args(argv))


def _notifier(settings: Settings):
    from . import desktop_notify
    return desktop_notify if settings.notify else None


@contextlib.contextmanager
def _one_open_at_a_time() -> Iterator[None]:
    """Serialise `open`s of one user (a double-click that fires twice must not mount twice).

    A POSIX record lock (lockf), not flock: the mount daemon forks from this process, and a
    forked child shares an flock but never inherits a record lock, so the lock ends with `open`.
    """
    path = os.path.join(mounts.state_dir(), "open.lock")
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        yield  # no state folder: open unserialised rather than not at all
        return
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _refuse(image: str, message: str, notifier, status: int) -> int:
    error(message)
    if notifier:
        notifier.notify(f"Cannot open {os.path.basename(image)}", message)
    return status


def cmd_open(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    image = os.path.abspath(args.image)
    notifier = _notifier(settings)
    with _one_open_at_a_time():
        existing = mounts_of(image)
        if existing:
            browse(existing[0], settings)
            print(existing[0])
            return EXIT_OK
        try:
            if not os.path.exists(image):
                raise UsageError(f"{args.image}: no such file")
            label = _label(image, args.options, args.view)
        except MountImageError as exc:
            return _refuse(image, str(exc), notifier, EXIT_USAGE)
        except OSError as exc:
            return _refuse(image, f"{args.image}: {exc.strerror or exc}", notifier, EXIT_USAGE)
        try:
            mountpoint = make_folder(settings.folder, folder_name(label, image))
        except OSError as exc:
            return _refuse(image, f"{settings.folder}: cannot make a folder there "
                                  f"({exc.strerror or exc})", notifier, EXIT_FAILURE)
        status = _mount(image, mountpoint, args.options, args.view)
        if status != EXIT_OK:
            _remove_folder(mountpoint)
            if notifier:  # the mount has printed its own line
                notifier.notify(f"Cannot open {os.path.basename(image)}", f"mounting on {mountpoint} failed")
            return status
    browse(mountpoint, settings)
    if notifier:
        title = label or os.path.basename(mountpoint)
        notifier.notify_with_unmount(f"{title} is open", f"{os.path.basename(image)} on {mountpoint}",
                                     lambda: close(mountpoint), lambda: mounts.is_mountpoint(mountpoint))
    print(mountpoint)
    return EXIT_OK


def close(mountpoint: str) -> int:
    """Unmount with `mount-image unmount`, then remove the folder if `open` made it."""
    from .main import _parser, cmd_unmount
    status = cmd_unmount(_parser().parse_args(["unmount", mountpoint]))
    if status == EXIT_OK:
        _remove_folder(mountpoint)
    return status


def opened_by_us() -> list[str]:
    """Mountpoints of the mounts `open` made (its folder records) that are still mounted."""
    return [m.mountpoint for m in mounts.our_mounts() if os.path.exists(_made_marker(m.mountpoint))]


def cmd_close(args: argparse.Namespace) -> int:
    if args.target is None:
        # The desktop file's Unmount action: a launcher runs it with no file, so it closes every
        # image `open` mounted (not those mounted with `mount`).
        status = EXIT_OK
        for point in opened_by_us():
            status = max(status, close(point))
        return status
    target = os.path.realpath(args.target)
    ours = {m.mountpoint for m in mounts.our_mounts()}
    if target in ours:
        return close(target)
    if os.path.isdir(target):
        error(f"{args.target}: not a mount-image mount")
        return EXIT_FAILURE
    points = mounts_of(target)
    if not points:
        error(f"{args.target}: not mounted")
        return EXIT_FAILURE
    status = EXIT_OK
    for point in points:
        status = max(status, close(point))
    return status


def add_parser(sub: argparse._SubParsersAction) -> None:
    o = sub.add_parser("open", help="mount IMAGE in a folder named after its label and show it")
    o.add_argument("image")
    o.add_argument("-o", dest="options", action="append", default=[], metavar="OPTS",
                   help="comma-separated mount options (see docs/cli.md)")
    o.add_argument("--view", choices=("files", "tracks"), default=None)
    o.add_argument("--folder", default=None, help="where the mount folder is made")
    o.add_argument("--no-browse", action="store_true", help="do not run xdg-open on the folder")
    o.add_argument("--no-notify", action="store_true", help="send no desktop notification")
    c = sub.add_parser("close", help="unmount an image opened with `open` (IMAGE or its folder; "
                                     "none: every image `open` mounted)")
    c.add_argument("target", metavar="IMAGE|FOLDER", nargs="?", default=None)
