"""An in-memory ByteSource for unit tests: bytes in, preads counted."""

from __future__ import annotations


class MemorySource:
    """Answers the ByteSource protocol of io/source.py over bytes held in memory."""

    def __init__(self, data: bytes, name: str = "mem.bin") -> None:
        self.data, self.name, self.size, self.reads = data, name, len(data), 0

    def pread(self, offset: int, size: int) -> bytes:
        self.reads += 1
        return self.data[offset:offset + size]

    def close(self) -> None:
        pass
