"""io/source.py: FileSource positioned reads and what it refuses to open."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from mount_image.errors import ImageFormatError
from mount_image.io.source import FileSource

DATA = bytes(range(256)) * 40         # 10240 bytes, every offset distinguishable


@pytest.fixture
def source(tmp_path: Path):
    path = tmp_path / "image.bin"
    path.write_bytes(DATA)
    src = FileSource(str(path))
    yield src
    src.close()


def test_size_and_name(source: FileSource, tmp_path: Path) -> None:
    assert source.size == len(DATA)
    assert source.name == str(tmp_path / "image.bin")
    assert source.fileno() >= 0


@pytest.mark.parametrize(
    ("offset", "size", "expected"),
    [
        (0, 16, DATA[:16]),
        (1000, 2048, DATA[1000:3048]),
        (len(DATA) - 10, 100, DATA[-10:]),          # short at the end of the file
        (len(DATA) - 1, 1, DATA[-1:]),
        (len(DATA), 10, b""),                        # at the end
        (len(DATA) + 5000, 10, b""),                 # past the end
        (100, 0, b""),
    ],
    ids=["start", "middle", "short-at-end", "last-byte", "at-end", "past-end", "zero-size"],
)
def test_pread(source: FileSource, offset: int, size: int, expected: bytes) -> None:
    assert source.pread(offset, size) == expected


@pytest.mark.parametrize(
    ("offset", "size", "expected"),
    [(0, 16, DATA[:16]), (1000, 2048, DATA[1000:3048]), (len(DATA) - 10, 100, DATA[-10:]),
     (len(DATA), 10, b""), (len(DATA) + 5000, 10, b""), (100, 0, b"")],
    ids=["start", "middle", "short-at-end", "at-end", "past-end", "zero-size"],
)
def test_pread_into_writes_what_pread_returns(source: FileSource, offset: int, size: int,
                                              expected: bytes) -> None:
    dest = bytearray(b"\xEE" * (size + 4))
    got = source.pread_into(offset, memoryview(dest)[:size])
    assert got == len(expected) and bytes(dest[:got]) == expected
    assert dest[got:] == b"\xEE" * (size + 4 - got)


def test_pread_into_refuses_a_negative_offset(source: FileSource) -> None:
    with pytest.raises(ValueError, match="bad read"):
        source.pread_into(-1, memoryview(bytearray(4)))


@pytest.mark.parametrize(("offset", "size"), [(-1, 10), (0, -1), (-2048, -1)])
def test_negative_offset_or_size_is_refused(source: FileSource, offset: int, size: int) -> None:
    with pytest.raises(ValueError, match="bad read"):
        source.pread(offset, size)


def test_reads_do_not_share_a_file_position(source: FileSource) -> None:
    offsets = list(range(0, len(DATA) - 512, 97))
    errors: list[int] = []

    def worker(shift: int) -> None:
        for off in offsets[shift::4]:
            if source.pread(off, 512) != DATA[off:off + 512]:
                errors.append(off)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_empty_file_opens_with_size_zero(tmp_path: Path) -> None:
    path = tmp_path / "empty.iso"
    path.write_bytes(b"")
    src = FileSource(str(path))
    try:
        assert src.size == 0
        assert src.pread(0, 10) == b""
    finally:
        src.close()


def test_close_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "a.iso"
    path.write_bytes(b"x")
    src = FileSource(str(path))
    fd = src.fileno()
    src.close()
    src.close()
    with pytest.raises(OSError):
        os.fstat(fd)


def test_file_is_opened_read_only(source: FileSource) -> None:
    import fcntl

    flags = fcntl.fcntl(source.fileno(), fcntl.F_GETFL)
    assert flags & os.O_ACCMODE == os.O_RDONLY


def _missing(tmp_path: Path) -> str:
    return str(tmp_path / "nope.iso")


def _directory(tmp_path: Path) -> str:
    return str(tmp_path)


def _char_device(tmp_path: Path) -> str:
    return "/dev/null"


def _below_a_file(tmp_path: Path) -> str:
    (tmp_path / "plain").write_bytes(b"x")
    return str(tmp_path / "plain" / "child.iso")


@pytest.mark.parametrize(
    ("make_path", "fragment"),
    [
        (_missing, "no such file"),
        (_directory, "is a directory, not an image file"),
        (_char_device, "not a regular file or block device"),
        (_below_a_file, "Not a directory"),
    ],
    ids=["missing", "directory", "char-device", "path-through-a-file"],
)
def test_refused_paths(tmp_path: Path, make_path, fragment: str) -> None:
    path = make_path(tmp_path)
    with pytest.raises(ImageFormatError) as exc:
        FileSource(path)
    assert exc.value.path == path
    assert fragment in str(exc.value)
    assert str(exc.value).startswith(f"{path}: ")


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    # A FIFO has no size and no positions: it must be refused at once, like /dev/null, and not
    # hang in open(2) waiting for a writer (`mount-image some.fifo /mnt` would never return).
    fifo = tmp_path / "image.fifo"
    os.mkfifo(fifo)
    outcome: list[BaseException | FileSource] = []

    def opener() -> None:
        try:
            outcome.append(FileSource(str(fifo)))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    thread = threading.Thread(target=opener, daemon=True)
    thread.start()
    thread.join(1.0)
    blocked = thread.is_alive()
    if blocked:  # release the opener: a writer appearing completes its open(2)
        writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        thread.join(5.0)
        os.close(writer)
    for item in outcome:
        if isinstance(item, FileSource):
            item.close()
    assert not blocked, "FileSource blocked in open(2) on a FIFO"
    (result,) = outcome
    assert isinstance(result, ImageFormatError)
    assert "not a regular file or block device" in str(result)
