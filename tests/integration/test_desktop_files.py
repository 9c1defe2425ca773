"""packaging/mount-image.desktop and packaging/mount-image-mime.xml installed into a temporary
XDG_DATA_HOME with the real tools (update-mime-database, update-desktop-database, xdg-mime),
then read back by independent readers: GIO's content-type detection, xdg-mime's default
handler, and `gio launch`, which runs the desktop file's Exec line as a file manager's
double-click does."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, require_tool
from support.ccdmds import DataTrack, write_ccd, write_mds
from support.rawcd import write_single_track
from test_desktop import XDG_OPEN, is_mounted, make_iso, recorded

DESKTOP = REPO / "packaging" / "mount-image.desktop"
MIME_XML = REPO / "packaging" / "mount-image-mime.xml"
# shared-mime-info's own names for what it knows; ours (mount-image-mime.xml) for the rest.
SHARED = {"application/x-cd-image", "application/x-cue", "application/x-cdrdao-toc",
          "application/x-raw-disk-image"}
OURS = {"application/x-nrg", "application/x-mds", "application/x-mdf", "application/x-ccd"}


def desktop_entry() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser


def test_desktop_file_is_valid():
    validate = require_tool("desktop-file-validate")
    proc = subprocess.run([validate, str(DESKTOP)], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == "", proc.stdout + proc.stderr
    entry = desktop_entry()
    assert entry["Desktop Entry"]["Exec"] == "mount-image open %f"
    assert set(filter(None, entry["Desktop Entry"]["MimeType"].split(";"))) == SHARED | OURS
    assert entry["Desktop Action unmount"]["Exec"] == "mount-image close %f"
    assert entry["Desktop Entry"]["Actions"] == "unmount;"


def test_mime_xml_defines_only_what_shared_mime_info_lacks(tmp_path):
    """Each type we define is missing from the system database, each one we borrow is there."""
    require_tool("update-mime-database")
    known: set[str] = set()
    for folder in os.environ.get("XDG_DATA_DIRS", "/usr/local/share:/usr/share").split(":"):
        types = Path(folder) / "mime" / "types"
        if types.exists():
            known |= set(types.read_text().split())
    if not known:
        pytest.fail("shared-mime-info's database is not installed (package shared-mime-info)")
    assert SHARED <= known
    assert not (OURS & known)


@pytest.fixture
def xdg(tmp_path: Path):
    """Our files installed for one user, as a package's postinst triggers do system-wide."""
    for tool in ("update-mime-database", "update-desktop-database", "xdg-mime", "gio"):
        require_tool(tool)
    data, config = tmp_path / "data", tmp_path / "config"
    (data / "mime" / "packages").mkdir(parents=True)
    (data / "applications").mkdir(parents=True)
    config.mkdir()
    (data / "mime" / "packages" / "mount-image.xml").write_bytes(MIME_XML.read_bytes())
    (data / "applications" / "mount-image.desktop").write_bytes(DESKTOP.read_bytes())
    subprocess.run(["update-mime-database", str(data / "mime")], check=True, capture_output=True)
    subprocess.run(["update-desktop-database", str(data / "applications")], check=True,
                   capture_output=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION",
                        "GNOME_DESKTOP_SESSION_ID", "DBUS_SESSION_BUS_ADDRESS")
           and not k.startswith("MOUNT_IMAGE_")}
    env.update(XDG_DATA_HOME=str(data), XDG_CONFIG_HOME=str(config))
    return env, data


def content_type(path: Path, env: dict) -> str:
    proc = subprocess.run(["gio", "info", "-a", "standard::content-type", str(path)],
                          capture_output=True, text=True, env=env, check=True)
    return proc.stdout.split("standard::content-type:")[1].split()[0]


def test_types_and_default_handler(xdg, tmp_path):
    env, data = xdg
    iso, _ = make_iso(tmp_path, "disc", "DISC")
    _, cue = write_single_track(iso, tmp_path / "game.bin")
    ccd = write_ccd([DataTrack(iso)], tmp_path / "clone.img").ccd
    mds = write_mds([DataTrack(iso)], tmp_path / "alcohol.mdf").mds
    nrg = tmp_path / "nero.nrg"
    nrg.write_bytes(b"\0" * 4096)
    # The .ccd and .mds are recognised by their contents too (magic), whatever their names.
    ccd_unnamed, mds_unnamed = tmp_path / "ccd-file", tmp_path / "mds-file"
    ccd_unnamed.write_bytes(ccd.read_bytes())
    mds_unnamed.write_bytes(mds.read_bytes())
    expected = {iso: "application/x-cd-image", cue: "application/x-cue",
                ccd: "application/x-ccd", mds: "application/x-mds",
                tmp_path / "alcohol.mdf": "application/x-mdf", nrg: "application/x-nrg",
                ccd_unnamed: "application/x-ccd", mds_unnamed: "application/x-mds"}
    assert {p: content_type(p, env) for p in expected} == expected

    # Every type is associated with us in the cache update-desktop-database wrote...
    cache = (data / "applications" / "mimeinfo.cache").read_text()
    for mime in SHARED | OURS:
        assert f"{mime}=mount-image.desktop;" in cache
    # ...and `xdg-mime default` makes us the handler of disc images, as the README says.
    subprocess.run(["xdg-mime", "default", "mount-image.desktop", "application/x-cd-image"],
                   check=True, env=env)
    query = subprocess.run(["xdg-mime", "query", "default", "application/x-cd-image"],
                           capture_output=True, text=True, env=env, check=True)
    assert query.stdout.strip() == "mount-image.desktop"


def test_double_click_through_the_desktop_file(xdg, tmp_path):
    """`gio launch` runs Exec=mount-image open %f: the image is mounted and shown."""
    require_tool("fusermount3")
    env, data = xdg
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "mount-image").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mount_image "$@"\n')
    (bin_dir / "xdg-open").write_text(XDG_OPEN.format(record=tmp_path / "xdg-open.log"))
    for tool in ("mount-image", "xdg-open"):
        (bin_dir / tool).chmod(0o755)
    discs = tmp_path / "discs"
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", MOUNT_IMAGE_FOLDER=str(discs),
               PYTHONPATH=str(REPO / "src"))
    iso, payload = make_iso(tmp_path, "clicked", "Clicked")
    folder = discs / "Clicked"
    try:
        subprocess.run(["gio", "launch", str(data / "applications" / "mount-image.desktop"), str(iso)],
                       check=True, env=env, timeout=30)
        deadline = time.monotonic() + 20   # gio launch does not wait for the program
        while not is_mounted(folder) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert is_mounted(folder)
        assert (folder / "readme.txt").read_bytes() == payload
        assert recorded(tmp_path / "xdg-open.log", 1) == [str(folder)]
        close = subprocess.run([str(bin_dir / "mount-image"), "close", str(iso)], env=env,
                               capture_output=True, text=True, timeout=30)
        assert close.returncode == 0, close.stderr
        assert not is_mounted(folder) and not folder.exists()
    finally:
        if is_mounted(folder):
            subprocess.run(["fusermount3", "-uz", str(folder)], capture_output=True)


def test_unmount_action_closes_what_open_mounted(xdg, tmp_path):
    """The desktop file's Unmount action as a launcher runs it (GIO's launch_action, no file):
    every image `open` mounted is closed; one mounted with `mount` is left alone."""
    from test_desktop_notify import _gi_python
    from conftest import run_cli

    require_tool("fusermount3")
    python = _gi_python()
    env, data = xdg
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "mount-image").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mount_image "$@"\n')
    (bin_dir / "mount-image").chmod(0o755)
    discs = tmp_path / "discs"
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", MOUNT_IMAGE_FOLDER=str(discs),
               MOUNT_IMAGE_BROWSE="no", PYTHONPATH=str(REPO / "src"))
    first, _ = make_iso(tmp_path, "first", "FIRST")
    second, _ = make_iso(tmp_path, "second", "SECOND")
    kept, payload = make_iso(tmp_path, "kept", "KEPT")
    plain = tmp_path / "plain"
    plain.mkdir()
    try:
        for image in (first, second):
            assert run_cli("open", image, env=env).returncode == 0
        assert run_cli("mount", kept, plain, env=env).returncode == 0
        launch = ("import sys; from gi.repository import Gio; "
                  "Gio.DesktopAppInfo.new_from_filename(sys.argv[1]).launch_action('unmount', None)")
        subprocess.run([python, "-c", launch, str(data / "applications" / "mount-image.desktop")],
                       env=env, check=True, timeout=30)
        deadline = time.monotonic() + 20   # the action runs detached
        while any(is_mounted(discs / n) for n in ("FIRST", "SECOND")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not is_mounted(discs / "FIRST") and not is_mounted(discs / "SECOND")
        assert list(discs.iterdir()) == []
        assert is_mounted(plain) and (plain / "readme.txt").read_bytes() == payload
    finally:
        for folder in (discs / "FIRST", discs / "SECOND", plain):
            if is_mounted(folder):
                subprocess.run(["fusermount3", "-uz", str(folder)], capture_output=True)
