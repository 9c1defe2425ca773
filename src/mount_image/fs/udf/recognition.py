"""Is there a UDF volume in this session? The Volume Recognition Sequence (ECMA-167 2/9.1),
read cheaply: filesystem probing asks it of every disc, so it loads no other UDF module.
"""

from __future__ import annotations

from typing import Protocol

from ...errors import CorruptDataError
from .layout_recognition import NSR_IDS, VRS_IDS, VRS_OFFSET, VRS_STEP, VolumeStructureDescriptor

DEVICE_BLOCK = 2048                 # the BlockDevice's block: ``start`` counts these
MAX_VRS_DESCRIPTORS = 64            # a recognition sequence longer than this is not one


class Device(Protocol):
    """What the UDF reader needs of a BlockDevice: any byte range, file data written into a
    buffer (read_into), and the size in bytes."""

    size: int

    def read_bytes(self, offset: int, size: int) -> bytes: ...
    def read_into(self, offset: int, dest: memoryview) -> None: ...


def recognition_sequence(device: Device, start: int = 0) -> list[str]:
    """The standard identifiers of the Volume Recognition Sequence (2/9.1) of the session
    starting at 2048-byte block ``start``; stops at the first unrecorded descriptor. Never raises.

    Descriptors are 2048 bytes apart, or one block apart on 4096-byte media (2/8.4): both
    spacings are tried and the one that finds an NSR descriptor wins."""
    base = start * DEVICE_BLOCK + VRS_OFFSET
    best: list[str] = []
    for step in (VRS_STEP, 4096):
        found: list[str] = []
        for i in range(MAX_VRS_DESCRIPTORS):
            offset = base + i * step
            if offset + 7 > device.size:
                break
            try:
                vsd = VolumeStructureDescriptor.parse(device.read_bytes(offset, 7))
            except CorruptDataError:
                break
            if vsd.standard_identifier not in VRS_IDS:
                break
            found.append(vsd.standard_identifier.decode("ascii"))
        if any(n.encode() in NSR_IDS for n in found):
            return found
        best = best or found
    return best


def has_udf(device: Device, start: int = 0) -> bool:
    """True when the recognition sequence holds BEA01 then NSR02 or NSR03 (2/9.1, 3/9.1)."""
    ids = recognition_sequence(device, start)
    return "BEA01" in ids and any(n in ids[ids.index("BEA01"):] for n in ("NSR02", "NSR03"))
