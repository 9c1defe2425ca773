"""disc/probe.py: open_image builds a Disc or raises ImageFormatError naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from mount_image.disc.probe import open_image
from mount_image.errors import ImageFormatError


def test_plain_image_opens(tmp_path: Path) -> None:
    path = tmp_path / "a.iso"
    path.write_bytes(b"\0" * 4096)
    disc = open_image(str(path))
    try:
        assert disc.container == "iso"
        assert [t.sectors for t in disc.tracks] == [2]
        assert disc.tracks[0].source.pread(0, 4) == b"\0" * 4
    finally:
        disc.close()


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [("empty.iso", b"", "empty file"), ("missing.iso", None, "no such file")],
    ids=["empty", "missing"],
)
def test_refused(tmp_path: Path, name: str, content: bytes | None, fragment: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageFormatError) as exc:
        open_image(str(path))
    assert str(exc.value) == f"{path}: {fragment}"
