"""cli/mounts.py: /proc/self/mountinfo as the kernel escapes it, and the daemon's state file."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from mount_image.cli import mounts
from mount_image.cli.mounts import _unescape


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("/mnt/plain", "/mnt/plain"),
        (r"/mnt/my\040disc", "/mnt/my disc"),
        (r"/mnt/tab\011here", "/mnt/tab\there"),
        (r"/mnt/line\012break", "/mnt/line\nbreak"),
        (r"/mnt/back\134slash", "/mnt/back\\slash"),
        (r"\040\040", "  "),
        (r"/mnt/a\134040b", "/mnt/a\\040b"),            # unescaped once, not twice
        (r"/mnt/not\08", "/mnt/not\\08"),                # not three octal digits: kept
        (r"/mnt/x\0401", "/mnt/x 1"),
    ],
    ids=["plain", "space", "tab", "newline", "backslash", "only-escapes", "escaped-backslash",
         "not-octal", "digit-after"],
)
def test_unescape(field: str, text: str) -> None:
    assert _unescape(field) == text


MOUNTINFO = (
    "22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n"
    r"80 22 0:50 / /mnt/my\040disc ro,nosuid,nodev,relatime shared:40 - fuse.mount-image "
    r"/home/u/a\040b.iso ro,user_id=1000,group_id=1000" "\n"
    "81 22 0:51 / /mnt/other rw,relatime - fuse.sshfs host:/ rw\n"
    "82 22 0:52 / /mnt/second ro,relatime - fuse.mount-image /srv/b.iso ro\n"
    "83 22 0:53 / /mnt/second ro,relatime - fuse.mount-image /srv/c.iso ro\n"
)


@pytest.fixture
def fake_mountinfo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    def fake_open(path, *args, **kw):
        if path == "/proc/self/mountinfo":
            return io.StringIO(MOUNTINFO)
        return open(path, *args, **kw)

    monkeypatch.setattr(mounts, "open", fake_open, raising=False)
    monkeypatch.setattr(mounts.os, "geteuid", lambda: 1000)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))


def test_mountinfo_rows_are_unescaped(fake_mountinfo) -> None:
    rows = mounts._mountinfo()
    assert ("/mnt/my disc", "fuse.mount-image", "/home/u/a b.iso", "0:50") in rows
    assert rows[0] == ("/", "ext4", "/dev/sda2", "8:2")
    assert len(rows) == 5


def test_find_device_takes_the_top_mount(fake_mountinfo) -> None:
    assert mounts.find_device("/mnt/my disc") == "0:50"
    assert mounts.find_device("/mnt/second") == "0:53"
    assert mounts.find_device("/mnt/none") is None


def test_our_mounts_reads_the_state_file(fake_mountinfo, tmp_path: Path) -> None:
    state = tmp_path / "mount-image"
    state.mkdir()
    (state / "mnt-my disc.json").write_text(json.dumps({"view": "tracks", "pid": 4242}))
    (state / "mnt-second.json").write_text("not json")
    records = mounts.our_mounts()
    assert [(r.image, r.mountpoint, r.view, r.pid, r.device) for r in records] == [
        ("/home/u/a b.iso", "/mnt/my disc", "tracks", 4242, "0:50"),
        ("/srv/b.iso", "/mnt/second", "files", None, "0:52"),
        ("/srv/c.iso", "/mnt/second", "files", None, "0:53"),
    ]
    assert all(r.fstype == mounts.FSTYPE == "fuse.mount-image" for r in records)


def test_state_file_round_trip(fake_mountinfo, tmp_path: Path) -> None:
    assert mounts.state_dir() == str(tmp_path / "mount-image")
    mounts.write_state("/mnt/my disc", "/home/u/a b.iso", "tracks")
    path = tmp_path / "mount-image" / "mnt-my disc.json"
    state = json.loads(path.read_text())
    assert state == {"image": "/home/u/a b.iso", "mountpoint": "/mnt/my disc", "view": "tracks",
                     "pid": os.getpid(), "files": [], "stale": None}
    assert oct(os.stat(path.parent).st_mode & 0o777) == oct(0o700)
    mounts.remove_state("/mnt/my disc")
    assert not path.exists()
    mounts.remove_state("/mnt/my disc")                 # already gone: no error


def _mounted_state(tmp_path: Path, image: Path) -> None:
    """The state a daemon writes for /mnt/my disc serving ``image`` (a real FileSource)."""
    from mount_image.io.source import FileSource
    source = FileSource(str(image))
    try:
        mounts.write_state("/mnt/my disc", str(image), "files", [source])
    finally:
        source.close()


def _record(name: str = "/mnt/my disc") -> mounts.MountRecord:
    return next(r for r in mounts.our_mounts() if r.mountpoint == name)


@pytest.mark.parametrize("change", ["none", "deleted", "replaced", "modified"])
def test_list_marks_stale_images(fake_mountinfo, tmp_path: Path, change: str) -> None:
    """`list` compares the files the daemon opened with what their paths hold now."""
    image = tmp_path / "a.iso"
    image.write_bytes(b"\0" * 4096)
    _mounted_state(tmp_path, image)
    if change == "deleted":
        image.unlink()
    elif change == "replaced":
        (tmp_path / "b.iso").write_bytes(b"\0" * 4096)
        os.replace(tmp_path / "b.iso", image)
    elif change == "modified":
        with open(image, "ab") as f:
            f.write(b"more")
    record = _record()
    if change == "none":
        assert record.stale is None
        assert record.as_json()["stale"] is False
    else:
        assert record.stale == f"{image}: {'replaced by another file' if change == 'replaced' else change}"
        assert record.as_json()["stale"] is True
        assert record.as_json()["stale_reason"] == record.stale


def test_daemon_reason_wins(fake_mountinfo, tmp_path: Path) -> None:
    """A reason the daemon wrote (e.g. its device returned EIO) is shown even if the path looks fine."""
    image = tmp_path / "a.iso"
    image.write_bytes(b"\0" * 4096)
    _mounted_state(tmp_path, image)
    mounts.mark_stale("/mnt/my disc", f"{image}: its device is gone (Input/output error)")
    assert _record().stale == f"{image}: its device is gone (Input/output error)"
