"""Test-side writers of CloneCD (.ccd + .img + .sub) and Alcohol 120% (.mds + .mdf) image sets.

Written from the formats' descriptions, independent of src/mount_image/disc/ccd.py and mds.py:
CloneCD's .ccd as CloneCD 3-5 write it (an INI file of raw TOC entries), Alcohol's .mds from
the layouts libmirage's image-mds parser documents (reverse-engineered: 88-byte header at 0,
24-byte session blocks, 80-byte track blocks, 8-byte extra blocks, 16-byte footers).

    ccd = write_ccd([DataTrack(iso), AudioTrack(pcm, pregap=150)], tmp / "game.img")
    mds = write_mds([DataTrack(iso)], tmp / "game.mdf")

Track contents come from tests/support/rawcd.py (raw sectors with correct EDC/ECC). In a CloneCD
.img every sector of the disc is stored from LBA 0, an audio track's stored pregap included; in
an .mdf only the tracks' own sectors are, pregaps are not (libmirage: "MDS format doesn't seem
to store pregap data in its data file").
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

from support.rawcd import COOKED, SECTOR, AudioTrack, DataTrack, TrackPlacement, _load, iso_to_raw, write_multi_track

__all__ = ["AudioTrack", "DataTrack", "CcdSet", "MdsSet", "write_ccd", "render_ccd", "ccd_entries",
           "write_mds", "subchannel_sector", "line_of"]

LEAD_IN = 150
SUBCHANNEL = 96


def msf(lba: int) -> tuple[int, int, int]:
    """Absolute (minute, second, frame) of a disc LBA: LBA 0 is 00:02:00."""
    frames = lba + LEAD_IN
    return frames // 4500, frames // 75 % 60, frames % 75


def _bcd(value: int) -> int:
    return (value // 10) << 4 | value % 10


def _crc16(data: bytes) -> int:
    """CRC-16/CCITT (x^16 + x^12 + x^5 + 1, initial 0) as the Q subchannel uses, inverted."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = (crc << 1 ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc ^ 0xFFFF


def subchannel_sector(lba: int, control: int, track: int, index: int, relative: int) -> bytes:
    """96 bytes of P-W subchannel, not interleaved (12 bytes per channel, CloneCD .sub order):
    P set in pregaps, Q in mode 1 (position), R-W zero."""
    p = b"\xff" * 12 if index == 0 else bytes(12)
    rm, rs, rf = divmod(abs(relative), 4500)[0], abs(relative) // 75 % 60, abs(relative) % 75
    am, as_, af = msf(lba)
    q = bytes([control << 4 | 1, _bcd(track), _bcd(index), _bcd(rm), _bcd(rs), _bcd(rf), 0,
               _bcd(am), _bcd(as_), _bcd(af)])
    q += struct.pack(">H", _crc16(q))
    return p + q + bytes(72)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the ``occurrence``-th line containing ``needle``."""
    seen = 0
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise ValueError(f"{needle!r} not found {occurrence} times")


def _control(placement: TrackPlacement) -> int:
    return 0x00 if placement.mode == "AUDIO" else 0x04


# ---- CloneCD ------------------------------------------------------------------------------------

@dataclass
class CcdSet:
    ccd: Path
    img: Path
    sub: Path | None
    tracks: list[TrackPlacement]
    text: str
    lead_out: int


def ccd_entries(tracks: list[TrackPlacement], lead_out: int) -> list[dict[str, int]]:
    """The raw TOC entries CloneCD writes: A0, A1, A2, then one per track."""
    first, last = tracks[0], tracks[-1]
    disc_type = 0x20 if any(t.mode == "MODE2/2352" for t in tracks) else 0x00
    a0 = dict(Point=0xA0, Control=_control(first), PMin=first.number, PSec=disc_type, PFrame=0)
    a1 = dict(Point=0xA1, Control=_control(last), PMin=last.number, PSec=0, PFrame=0)
    a2 = dict(Point=0xA2, Control=_control(last), **dict(zip(("PMin", "PSec", "PFrame"), msf(lead_out))))
    out = []
    for entry in (a0, a1):
        entry["PLBA"] = (entry["PMin"] * 60 + entry["PSec"]) * 75 + entry["PFrame"] - LEAD_IN
        out.append(entry)
    a2["PLBA"] = lead_out
    out.append(a2)
    for t in tracks:
        m, s, f = msf(t.start)
        out.append(dict(Point=t.number, Control=_control(t), PMin=m, PSec=s, PFrame=f, PLBA=t.start))
    return out


def track_sections(tracks: list[TrackPlacement]) -> dict[int, dict[str, int]]:
    """[TRACK n] sections: MODE and INDEX lines."""
    out = {}
    for t in tracks:
        section = {"MODE": {"AUDIO": 0, "MODE1/2352": 1, "MODE2/2352": 2}[t.mode]}
        if t.index0 is not None:
            section["INDEX 0"] = t.index0
        section["INDEX 1"] = t.start
        out[t.number] = section
    return out


def render_ccd(entries: list[dict[str, int]], sections: dict[int, dict[str, int]] | None = None,
               toc_entries: int | None = None, disc: dict[str, object] | None = None) -> str:
    """The .ccd text; ``toc_entries`` overrides the count, ``disc`` adds or overrides [Disc] keys."""
    disc_keys: dict[str, object] = {"TocEntries": len(entries) if toc_entries is None else toc_entries,
                                    "Sessions": 1, "DataTracksScrambled": 0, "CDTextLength": 0}
    disc_keys.update(disc or {})
    lines = ["[CloneCD]", "Version=3", "[Disc]"]
    lines += [f"{k}={v}" for k, v in disc_keys.items() if v is not None]
    first_mode = (sections or {}).get(1, {}).get("MODE", 1)
    lines += ["[Session 1]", f"PreGapMode={first_mode}", "PreGapSubC=0"]
    for i, e in enumerate(entries):
        lines += [f"[Entry {i}]", f"Session={e.get('Session', 1)}", f"Point=0x{e['Point']:02x}", "ADR=0x01",
                  f"Control=0x{e['Control']:02x}", "TrackNo=0", "AMin=0", "ASec=0", "AFrame=0", "ALBA=-150",
                  "Zero=0", f"PMin={e['PMin']}", f"PSec={e['PSec']}", f"PFrame={e['PFrame']}"]
        if "PLBA" in e:
            lines.append(f"PLBA={e['PLBA']}")
    for number, section in (sections or {}).items():
        lines.append(f"[TRACK {number}]")
        lines += [f"{k}={v}" for k, v in section.items()]
    return "\r\n".join(lines) + "\r\n"   # CloneCD writes CRLF


def write_ccd(tracks: list[DataTrack | AudioTrack], img_path: os.PathLike | str, sub: bool = True,
              ccd_path: os.PathLike | str | None = None) -> CcdSet:
    """Write ``<stem>.img`` (raw 2352, the whole disc from LBA 0), ``<stem>.sub`` and ``<stem>.ccd``."""
    img_path = Path(img_path)
    scratch_cue = img_path.with_name(img_path.name + ".layout.cue")
    layout = write_multi_track(tracks, img_path, scratch_cue)
    scratch_cue.unlink()
    lead_out = layout.total_sectors
    sub_path = None
    if sub:
        sub_path = img_path.with_suffix(".sub")
        with open(sub_path, "wb") as out:
            for i, t in enumerate(layout.tracks):
                first = t.index0 if t.index0 is not None else t.start
                end = layout.tracks[i + 1].index0 if i + 1 < len(layout.tracks) and \
                    layout.tracks[i + 1].index0 is not None else \
                    (layout.tracks[i + 1].start if i + 1 < len(layout.tracks) else lead_out)
                out.write(b"".join(subchannel_sector(lba, _control(t), t.number, 0 if lba < t.start else 1,
                                                     lba - t.start) for lba in range(first, end)))
    text = render_ccd(ccd_entries(layout.tracks, lead_out), track_sections(layout.tracks))
    ccd = Path(ccd_path) if ccd_path is not None else img_path.with_suffix(".ccd")
    ccd.write_bytes(text.encode("ascii"))
    return CcdSet(ccd, img_path, sub_path, layout.tracks, text, lead_out)


# ---- Alcohol 120% -------------------------------------------------------------------------------

HEADER_SIZE, SESSION_SIZE, TRACK_SIZE, EXTRA_SIZE, FOOTER_SIZE = 88, 24, 80, 8, 16
MODE_CODES = {"AUDIO": 0xA9, "MODE1/2352": 0xAA, "MODE1/2048": 0xAA, "MODE2/2352": 0xAC}


@dataclass
class MdsSet:
    mds: Path
    mdf: Path
    data: bytes
    tracks: list[TrackPlacement]
    # where the writer put each structure in the .mds, for tests that damage one
    session_block: int = 0
    track_blocks: list[int] = field(default_factory=list)   # A0, A1, A2, then the tracks
    extra_blocks: list[int] = field(default_factory=list)   # one per track
    footer: int = 0
    filename: int = 0


def _track_block(mode: int, subchannel: int, adr_ctl: int, point: int, pmsf: tuple[int, int, int],
                 extra_offset: int = 0, sector_size: int = 0, start_sector: int = 0, start_offset: int = 0,
                 files: int = 0, footer: int = 0) -> bytes:
    block = struct.pack("<12BIH18xIQII24x", mode, subchannel, adr_ctl, 0, point, 0, 0, 0, 0, *pmsf,
                        extra_offset, sector_size, start_sector, start_offset, files, footer)
    assert len(block) == TRACK_SIZE
    return block


def write_mds(tracks: list[DataTrack | AudioTrack], mdf_path: os.PathLike | str, data_mode: str | None = None,
              subchannel: bool = False, filename: str = "*.mdf", widechar: bool = False,
              mds_path: os.PathLike | str | None = None) -> MdsSet:
    """Write ``<stem>.mdf`` and ``<stem>.mds``. Data tracks use their own mode, or ``data_mode``
    ("MODE1/2048" stores cooked blocks); ``subchannel`` stores 2448-byte sectors (2352 + 96)."""
    mdf_path = Path(mdf_path)
    placements: list[TrackPlacement] = []
    sizes: list[int] = []
    offsets: list[int] = []
    pregaps: list[int] = []
    lba, offset = 0, 0
    with open(mdf_path, "wb") as out:
        for number, track in enumerate(tracks, 1):
            if isinstance(track, DataTrack):
                mode = data_mode or track.mode
                iso = _load(track.iso)
                body = iso_to_raw(iso, mode, first_lba=lba)
                size = COOKED if mode == "MODE1/2048" else SECTOR
                count, pregap, payload = len(iso) // COOKED, (LEAD_IN if number == 1 else 0), iso
            else:
                mode = "AUDIO"
                pcm = bytes(track.pcm)
                body = pcm + bytes(-len(pcm) % SECTOR)
                size, count, payload = SECTOR, len(body) // SECTOR, pcm
                pregap = track.pregap + (LEAD_IN if number == 1 else 0)
                lba += track.pregap            # not stored in the .mdf
            if subchannel and size == SECTOR:
                control = 0x00 if mode == "AUDIO" else 0x04
                body = b"".join(body[i * SECTOR:(i + 1) * SECTOR] + subchannel_sector(lba + i, control, number, 1, i)
                                for i in range(count))
                size = SECTOR + SUBCHANNEL
            out.write(body)
            placements.append(TrackPlacement(number, mode, None, lba, count, payload))
            sizes.append(size)
            offsets.append(offset)
            pregaps.append(pregap)
            lba += count
            offset += len(body)
    lead_out = lba
    n = len(placements)
    session_at = HEADER_SIZE
    blocks_at = session_at + SESSION_SIZE
    extras_at = blocks_at + (n + 3) * TRACK_SIZE
    footer_at = extras_at + n * EXTRA_SIZE
    name_at = footer_at + FOOTER_SIZE
    name = filename.encode("utf-16-le") + b"\0\0" if widechar else filename.encode("latin-1") + b"\0"

    header = struct.pack("<16s2BHH4xH8xI24xI12xII", b"MEDIA DESCRIPTOR", 1, 3, 0x00, 1, 0, 0, 0, session_at, 0)
    session = struct.pack("<iiHBBHH4xI", -LEAD_IN, lead_out, 1, n + 3, 3, 1, n, blocks_at)
    first, last = placements[0], placements[-1]
    ctl = {p.number: (0x10 if p.mode == "AUDIO" else 0x14) for p in placements}
    disc_type = 0x20 if any(p.mode == "MODE2/2352" for p in placements) else 0x00
    blocks = [_track_block(0, 0, ctl[first.number], 0xA0, (first.number, disc_type, 0)),
              _track_block(0, 0, ctl[last.number], 0xA1, (last.number, 0, 0)),
              _track_block(0, 0, ctl[last.number], 0xA2, msf(lead_out))]
    extras = []
    for i, p in enumerate(placements):
        blocks.append(_track_block(MODE_CODES[p.mode], 0x08 if sizes[i] == SECTOR + SUBCHANNEL else 0, ctl[p.number],
                                   p.number, msf(p.start), extras_at + i * EXTRA_SIZE, sizes[i], p.start,
                                   offsets[i], 1, footer_at))
        extras.append(struct.pack("<II", pregaps[i], p.sectors))
    footer = struct.pack("<II8x", name_at, 1 if widechar else 0)
    data = header + session + b"".join(blocks) + b"".join(extras) + footer + name
    assert len(header) == HEADER_SIZE and len(session) == SESSION_SIZE and len(footer) == FOOTER_SIZE
    mds = Path(mds_path) if mds_path is not None else mdf_path.with_suffix(".mds")
    mds.write_bytes(data)
    return MdsSet(mds, mdf_path, data, placements, session_at,
                  [blocks_at + i * TRACK_SIZE for i in range(n + 3)],
                  [extras_at + i * EXTRA_SIZE for i in range(n)], footer_at, name_at)
