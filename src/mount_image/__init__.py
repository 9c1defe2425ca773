"""mount-image: mount disc and disk images as read-only filesystems through FUSE.

Nothing heavy is imported here: the CLI must start fast.
"""

__version__ = "0.1.0"
