"""cli/desktop.py without FUSE: folder names from labels, unique folders, settings' order."""

from __future__ import annotations

import argparse
import os

import pytest

from mount_image.cli import desktop
from mount_image.errors import UsageError


@pytest.mark.parametrize("label, image, expected", [
    ("My Disc", "/x/a.iso", "My Disc"),
    ("  padded  ", "/x/a.iso", "padded"),
    ("a/b", "/x/a.iso", "a_b"),                 # a slash would make a subfolder
    ("..hidden", "/x/a.iso", "hidden"),         # a hidden folder is not in the sidebar
    ("tab\there", "/x/a.iso", "tab_here"),
    ("", "/x/Game Disc.cue", "Game Disc"),      # no label: the image's name
    ("...", "/x/...", "disc"),                  # nothing usable at all
    ("Ä" * 100, "/x/a.iso", "Ä" * 60),          # cut to 120 bytes, on a character boundary
])
def test_folder_name(label, image, expected):
    assert desktop.folder_name(label, image) == expected


def test_make_folder_skips_taken_names_and_reuses_its_own_leftovers(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setattr(desktop.mounts, "state_dir", lambda: str(tmp_path / "run" / "mount-image"))
    base = tmp_path / "discs"
    first = desktop.make_folder(str(base), "CD")
    assert first == str(base / "CD")
    (base / "CD" / "x").write_text("")            # not empty: taken
    assert desktop.make_folder(str(base), "CD") == str(base / "CD 2")
    (base / "mine").mkdir()                       # the user's empty folder: never ours
    assert desktop.make_folder(str(base), "mine") == str(base / "mine 2")
    # A folder an earlier `open` made and left empty (say the daemon was killed) is used again.
    assert desktop.make_folder(str(base), "CD") == str(base / "CD 2")


def _args(**kw) -> argparse.Namespace:
    base = {"folder": None, "no_browse": False, "no_notify": False}
    base.update(kw)
    return argparse.Namespace(**base)


def test_settings_flags_over_environment_over_config(tmp_path, monkeypatch):
    for key in ("MOUNT_IMAGE_FOLDER", "MOUNT_IMAGE_BROWSE", "MOUNT_IMAGE_NOTIFY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    default = desktop.load_settings(_args())
    assert default.browse and default.notify
    assert default.folder == ("/media" if os.geteuid() == 0 else os.path.expanduser("~/Discs"))

    (tmp_path / "mount-image").mkdir()
    (tmp_path / "mount-image" / "desktop.conf").write_text(
        "[desktop]\nfolder = /srv/discs\nbrowse = no\nnotify = yes\n")
    s = desktop.load_settings(_args())
    assert (s.folder, s.browse, s.notify) == ("/srv/discs", False, True)

    monkeypatch.setenv("MOUNT_IMAGE_BROWSE", "yes")
    monkeypatch.setenv("MOUNT_IMAGE_FOLDER", "/elsewhere")
    s = desktop.load_settings(_args())
    assert (s.folder, s.browse) == ("/elsewhere", True)

    s = desktop.load_settings(_args(folder="/flag", no_browse=True, no_notify=True))
    assert (s.folder, s.browse, s.notify) == ("/flag", False, False)


@pytest.mark.parametrize("text, fragment", [
    ("[desktop]\nbrowse = maybe\n", "browse=maybe: expected yes or no"),
    ("[desktop]\ncolour = red\n", "unknown setting 'colour'"),
    ("browse = no\n", "File contains no section headers"),
])
def test_bad_config_is_one_clear_error(tmp_path, monkeypatch, text, fragment):
    monkeypatch.delenv("MOUNT_IMAGE_BROWSE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "mount-image").mkdir()
    (tmp_path / "mount-image" / "desktop.conf").write_text(text)
    with pytest.raises(UsageError) as info:
        desktop.load_settings(_args())
    assert fragment in str(info.value)
    assert str(tmp_path / "mount-image" / "desktop.conf") in str(info.value)


def test_gvariant_string_quotes_what_gdbus_would_misread():
    from mount_image.cli.desktop_notify import _gvariant_string
    assert _gvariant_string('say "hi" \\ \x07bye') == '"say \\"hi\\" \\\\ bye"'


def test_records_of_removed_folders_are_forgotten(tmp_path, monkeypatch):
    state = tmp_path / "run" / "mount-image"
    monkeypatch.setattr(desktop.mounts, "state_dir", lambda: str(state))
    base = tmp_path / "discs"
    first = desktop.make_folder(str(base), "ONE")
    assert (state / "opened").is_dir() and len(list((state / "opened").iterdir())) == 1
    os.rmdir(first)                               # unmounted and removed behind our back
    desktop.make_folder(str(base), "TWO")
    assert [p.read_text() for p in (state / "opened").iterdir()] == [str(base / "TWO")]
