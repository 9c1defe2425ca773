"""The only import of the FUSE binding: mfusepy (fusepy's maintained fork), on libfuse3.

mfusepy prefers libfuse2 when both libraries are installed; libfuse3 gives 1 MiB read requests
(libfuse2 caps them at 128 KiB), so we ask for it unless the user chose a library.
"""

from __future__ import annotations

import ctypes
import errno
import ctypes.util
import os

if "FUSE_LIBRARY_NAME" not in os.environ and ctypes.util.find_library("fuse3"):
    os.environ["FUSE_LIBRARY_NAME"] = "fuse3"

import mfusepy as _fuse  # noqa: E402  (the environment must be set first)

Operations = _fuse.Operations
FuseOSError = _fuse.FuseOSError
fuse_exit = _fuse.fuse_exit
FUSE_MAJOR: int = _fuse.fuse_version_major
FUSE_MINOR: int = _fuse.fuse_version_minor

FUSE_READDIR_PLUS = 1 << 0        # libfuse3 enum fuse_readdir_flags
FUSE_FILL_DIR_PLUS = 1 << 1       # libfuse3 enum fuse_fill_dir_flags


STAT_FIELDS = ("st_mode", "st_ino", "st_nlink", "st_uid", "st_gid", "st_size", "st_rdev",
               "st_blocks", "st_atime_ns", "st_mtime_ns", "st_ctime_ns")


def _fill_stat(st: _fuse.c_stat, fields: tuple[int, ...]) -> None:
    mode, ino, nlink, uid, gid, size, rdev, blocks, atime, mtime, ctime = fields
    st.st_mode, st.st_ino, st.st_nlink, st.st_uid, st.st_gid = mode, ino, nlink, uid, gid
    st.st_size, st.st_rdev, st.st_blocks, st.st_blksize = size, rdev, blocks, 2048
    st.st_atimespec.tv_sec, st.st_atimespec.tv_nsec = divmod(atime, 1_000_000_000)
    st.st_mtimespec.tv_sec, st.st_mtimespec.tv_nsec = divmod(mtime, 1_000_000_000)
    st.st_ctimespec.tv_sec, st.st_ctimespec.tv_nsec = divmod(ctime, 1_000_000_000)


class FUSE(_fuse.FUSE):
    """mfusepy's FUSE, with READDIRPLUS and reads written straight into libfuse's buffer.

    READDIRPLUS: each entry goes to the kernel with its attributes.

    mfusepy hands the kernel only mode and inode in readdir, so `ls -l`, `du` and `find -size`
    then cost one LOOKUP round trip per file. Here an Operations.readdir that returns
    ``(name, fields, 0)`` items (fields in STAT_FIELDS order) fills full stat buffers, so the kernel caches every entry
    of the directory at once. libfuse3's high-level API makes the entries "plus" ones only when
    the filler gets non-zero offsets, so entries carry their index and a later request resumes
    from the offset the kernel hands back.
    """

    def readdir_fuse_3(self, path, buf, filler, offset, fip, flags):  # noqa: D102
        st = _fuse.c_stat()
        plus = FUSE_FILL_DIR_PLUS if flags & FUSE_READDIR_PLUS else 0
        decoded = None if path is None else path.decode(self.encoding, self.errors)
        items = self.operations.readdir(decoded, fip.contents.fh)
        for index in range(offset, len(items)):
            item = items[index]
            if isinstance(item, str):
                name, attrs = item, None
            else:
                name, attrs, _offset = item
            if attrs and plus:
                _fill_stat(st, attrs)
                stp, fill = st, plus
            elif attrs:  # a plain READDIR uses only the type and the inode number
                st.st_mode, st.st_ino = attrs[0], attrs[1]
                stp, fill = st, 0
            else:
                stp, fill = None, 0
            if filler(buf, name.encode(self.encoding, self.errors), stp, index + 1, fill) != 0:
                break
        return 0


    def read(self, path, buf, size, offset, fip):  # noqa: D102, ANN001, ANN201
        # mfusepy calls Operations.read, which returns bytes, and copies them into libfuse's
        # buffer; Operations.read_into writes there itself (a raw sector's user data is
        # gathered straight into it, a plain file is pread into it), which saves that copy.
        read_into = getattr(self.operations, "read_into", None)
        if read_into is None:
            return super().read(path, buf, size, offset, fip)
        dest = _memory_view(ctypes.cast(buf, ctypes.c_void_p).value, size, _PYBUF_WRITE)
        decoded = None if path is None else path.decode(self.encoding, self.errors)
        return read_into(decoded, dest, offset, fip.contents.fh)


# A writable memoryview over C memory: PyMemoryView_FromMemory (a ctypes array type per size
# would cost more than the copy it saves).
_memory_view = ctypes.pythonapi.PyMemoryView_FromMemory
_memory_view.argtypes = [ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_int]
_memory_view.restype = ctypes.py_object
_PYBUF_WRITE = 0x200


# libfuse calls mfusepy does not wrap (both in libfuse 3.1+; mfusepy loaded the library).
def current_fuse() -> int | None:
    """The struct fuse * of the session answering the current request (valid inside init)."""
    try:
        return _fuse._libfuse.fuse_get_context().contents.fuse  # noqa: SLF001
    except (AttributeError, ValueError):
        return None


def invalidate_path(fuse: int, path: str) -> int:
    """Drop the kernel's cached pages and attributes of ``path`` (fuse_invalidate_path)."""
    try:
        func = _fuse._libfuse.fuse_invalidate_path  # noqa: SLF001
    except AttributeError:  # libfuse2 has no such call
        return -errno.ENOSYS
    func.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    func.restype = ctypes.c_int
    return func(ctypes.c_void_p(fuse), os.fsencode(path))
