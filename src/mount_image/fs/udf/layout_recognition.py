"""UDF volume recognition, declared once (ECMA-167 3rd edition part 2): the Volume Structure
Descriptors at byte 32768 of a session that say a UDF (NSR) volume is there. Kept apart from
layout.py so that looking for UDF on every disc does not load every UDF structure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...binary import FixedStructure, make_struct

# ---- volume recognition (ECMA-167 2/9.1) ---------------------------------------------------
VRS_OFFSET = 32768                      # 2/8.3: the recognition sequence starts at byte 32768
VRS_STEP = 2048                         # one descriptor per 2048 bytes (or per block if larger)
VRS_IDS = (b"BEA01", b"NSR02", b"NSR03", b"TEA01", b"CD001", b"CDW02", b"BOOT2")
NSR_IDS = (b"NSR02", b"NSR03")

_VSD = make_struct("<B5sB", 7, "volume structure descriptor")


@dataclass(frozen=True, slots=True)
class VolumeStructureDescriptor(FixedStructure):
    """Volume Structure Descriptor header (ECMA-167 2/9.1): type, standard identifier, version."""

    _S: ClassVar = _VSD
    structure_type: int
    standard_identifier: bytes
    structure_version: int
