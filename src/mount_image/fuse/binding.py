"""The only import of the FUSE binding: mfusepy (fusepy's maintained fork), on libfuse3.

mfusepy prefers libfuse2 when both libraries are installed; libfuse3 gives 1 MiB read requests
(libfuse2 caps them at 128 KiB), so we ask for it unless the user chose a library.
"""

from __future__ import annotations

import ctypes.util
import os

if "FUSE_LIBRARY_NAME" not in os.environ and ctypes.util.find_library("fuse3"):
    os.environ["FUSE_LIBRARY_NAME"] = "fuse3"

import mfusepy as _fuse  # noqa: E402  (the environment must be set first)

FUSE = _fuse.FUSE
Operations = _fuse.Operations
FuseOSError = _fuse.FuseOSError
fuse_exit = _fuse.fuse_exit
FUSE_MAJOR: int = _fuse.fuse_version_major
FUSE_MINOR: int = _fuse.fuse_version_minor
