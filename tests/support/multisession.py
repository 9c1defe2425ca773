"""Test-side writers of two-or-more-session CD images: BIN/CUE (one FILE per track, as redump
sets are), CloneCD, Alcohol 120% and Nero NRG, written from the formats' descriptions and the
Orange Book session layout, independent of src/mount_image/disc/.

On a multi-session disc, the sessions after the first start after the lead-out of the session
before (6750 sectors after session 1, 2250 after later ones), the new session's lead-in (4500)
and the 150-sector pregap of its first track: INDEX 01 of a later session's first track is 11400
(then 6900) sectors after the end of the previous session. No image stores the lead-out and
lead-in; which container stores the pregap:

- cue: none (one FILE per track; the sheet's REM SESSION lines say where sessions begin);
- CloneCD .img: yes, the 150 sectors before the track ([TRACK n] INDEX 0=0, INDEX 1=150,
  counted from the session's start, as libmirage image-ccd reads them);
- Alcohol .mdf: no (its extra block gives the pregap length);
- Nero DAO: yes, between the DAOX index 0 and index 1 offsets (CUEX gives disc LBAs).

Data sectors carry their disc address in the header, so an ISO 9660 made for the session's
start (genisoimage ``-C 0,start``) reads right from the disc LBAs.

    disc = plan([[AudioTrack(pcm)], [DataTrack(iso)]])     # starts of every track
    write_cue(disc, folder, "game")   write_ccd(disc, folder / "game.img")
    write_mds(disc, folder / "game.mdf")   write_nrg(disc, folder / "game.nrg")
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from support.ccdmds import EXTRA_SIZE, FOOTER_SIZE, HEADER_SIZE, MODE_CODES, SESSION_SIZE, TRACK_SIZE
from support.ccdmds import _track_block, msf
from support.rawcd import COOKED, SECTOR, AudioTrack, DataTrack, _load, iso_to_raw

LEAD_OUT_FIRST, LEAD_OUT_LATER, LEAD_IN, PREGAP = 6750, 2250, 4500, 150


def session_gap(previous_session: int) -> int:
    """Sectors from the end of session ``previous_session`` to INDEX 01 of the next one."""
    return (LEAD_OUT_FIRST if previous_session == 1 else LEAD_OUT_LATER) + LEAD_IN + PREGAP


@dataclass
class Placed:
    number: int
    session: int
    mode: str                    # MODE1/2352 or AUDIO
    start: int                   # disc LBA of INDEX 01
    sectors: int
    payload: bytes               # the cooked ISO or the PCM, as given
    first_in_session: bool

    def body(self, first_lba: int | None = None) -> bytes:
        """The track's stored sectors (raw 2352), headers at the track's disc LBAs."""
        if self.mode == "AUDIO":
            return self.payload + bytes(-len(self.payload) % SECTOR)
        return iso_to_raw(self.payload, self.mode, first_lba=self.start if first_lba is None else first_lba)

    def pregap_body(self) -> bytes:
        """The 150 pregap sectors before a later session's first track, as a drive reads them:
        data tracks get Mode 1 sectors of zeros addressed start-150.., audio digital silence."""
        if self.mode == "AUDIO":
            return bytes(PREGAP * SECTOR)
        return iso_to_raw(bytes(PREGAP * COOKED), self.mode, first_lba=self.start - PREGAP)


@dataclass
class Disc:
    tracks: list[Placed]

    def session(self, number: int) -> list[Placed]:
        return [t for t in self.tracks if t.session == number]

    @property
    def sessions(self) -> list[int]:
        return sorted({t.session for t in self.tracks})

    def lead_out(self, number: int) -> int:
        last = self.session(number)[-1]
        return last.start + last.sectors


def plan(sessions: list[list[DataTrack | AudioTrack]]) -> Disc:
    """Disc LBAs of every track: session 1 from LBA 0, each later one after the session gap."""
    tracks: list[Placed] = []
    lba, number = 0, 1
    for s, members in enumerate(sessions, 1):
        if s > 1:
            lba += session_gap(s - 1)
        for i, track in enumerate(members):
            if isinstance(track, DataTrack):
                data = _load(track.iso)
                placed = Placed(number, s, track.mode, lba, len(data) // COOKED, data, i == 0)
            else:
                pcm = bytes(track.pcm)
                placed = Placed(number, s, "AUDIO", lba, -(-len(pcm) // SECTOR), pcm, i == 0)
            tracks.append(placed)
            lba += placed.sectors
            number += 1
    return Disc(tracks)


# ---- BIN/CUE (redump: one FILE per track) -------------------------------------------------------

def write_cue(disc: Disc, folder: os.PathLike | str, stem: str) -> Path:
    folder = Path(folder)
    lines = []
    for t in disc.tracks:
        if t.first_in_session:
            lines.append(f"REM SESSION {t.session:02d}")
        name = f"{stem} (Track {t.number}).bin"
        (folder / name).write_bytes(t.body())
        lines += [f'FILE "{name}" BINARY', f"  TRACK {t.number:02d} {t.mode}", "    INDEX 01 00:00:00"]
    cue = folder / f"{stem}.cue"
    cue.write_text("\n".join(lines) + "\n")
    return cue


# ---- CloneCD ------------------------------------------------------------------------------------

def _scramble_table() -> bytes:
    """ECMA-130 Annex B: LFSR x^15 + x + 1 preset to 1, low bit first, 2340 bytes."""
    reg, out = 1, bytearray()
    for _ in range(SECTOR - 12):
        value = 0
        for bit in range(8):
            value |= (reg & 1) << bit
            reg = (reg >> 1) | (((reg ^ (reg >> 1)) & 1) << 14)
        out.append(value)
    return bytes(out)


SCRAMBLE_KEY = bytes(12) + _scramble_table()


def scramble(raw: bytes) -> bytes:
    """Raw 2352-byte sectors as they are on the disc (bytes 12-2351 XORed with the sequence)."""
    n = len(raw) // SECTOR
    key = int.from_bytes(SCRAMBLE_KEY * n, "big")
    return (int.from_bytes(raw, "big") ^ key).to_bytes(len(raw), "big")


def write_ccd(disc: Disc, img_path: os.PathLike | str, scrambled: bool = False, cdtext: bytes = b"") -> Path:
    """``<stem>.img`` (each session's stored sectors, back to back) and ``<stem>.ccd``; ``cdtext``
    (18-byte packs) goes to a [CDText] section as CloneCD writes it: 16 bytes an entry, no CRC."""
    img_path = Path(img_path)
    entries, sections = [], []
    with open(img_path, "wb") as out:
        for s in disc.sessions:
            tracks = disc.session(s)
            first, last = tracks[0], tracks[-1]
            ctl = lambda t: 0x00 if t.mode == "AUDIO" else 0x04  # noqa: E731
            entries.append(dict(Session=s, Point=0xA0, Control=ctl(first), PMin=first.number, PSec=0, PFrame=0,
                                PLBA=(first.number * 60) * 75 - 150))
            entries.append(dict(Session=s, Point=0xA1, Control=ctl(last), PMin=last.number, PSec=0, PFrame=0,
                                PLBA=(last.number * 60) * 75 - 150))
            m, sec, f = msf(disc.lead_out(s))
            entries.append(dict(Session=s, Point=0xA2, Control=ctl(last), PMin=m, PSec=sec, PFrame=f,
                                PLBA=disc.lead_out(s)))
            for t in tracks:
                stored_pregap = s > 1 and t.first_in_session
                body = (t.pregap_body() if stored_pregap else b"") + t.body()
                if scrambled and t.mode != "AUDIO":
                    body = scramble(body)
                out.write(body)
                m, sec, f = msf(t.start)
                entries.append(dict(Session=s, Point=t.number, Control=ctl(t), PMin=m, PSec=sec, PFrame=f,
                                    PLBA=t.start))
                index = {"INDEX 0": 0, "INDEX 1": PREGAP} if stored_pregap else {"INDEX 1": t.start}
                sections.append((t.number, {"MODE": 0 if t.mode == "AUDIO" else 1, **index}))
    lines = ["[CloneCD]", "Version=3", "[Disc]", f"TocEntries={len(entries)}", f"Sessions={len(disc.sessions)}",
             f"DataTracksScrambled={int(scrambled)}", f"CDTextLength={len(cdtext)}"]
    for s in disc.sessions:
        lines += [f"[Session {s}]", "PreGapMode=1", "PreGapSubC=0"]
    for i, e in enumerate(entries):
        lines += [f"[Entry {i}]", f"Session={e['Session']}", f"Point=0x{e['Point']:02x}", "ADR=0x01",
                  f"Control=0x{e['Control']:02x}", "TrackNo=0", "AMin=0", "ASec=0", "AFrame=0", "ALBA=-150",
                  "Zero=0", f"PMin={e['PMin']}", f"PSec={e['PSec']}", f"PFrame={e['PFrame']}", f"PLBA={e['PLBA']}"]
    if cdtext:
        packs = [cdtext[i:i + 16] for i in range(0, len(cdtext), 18)]
        lines += ["[CDText]", f"Entries={len(packs)}"]
        lines += [f"Entry {i}=" + " ".join(f"{b:02x}" for b in pack) for i, pack in enumerate(packs)]
    for number, section in sections:
        lines.append(f"[TRACK {number}]")
        lines += [f"{k}={v}" for k, v in section.items()]
    ccd = img_path.with_suffix(".ccd")
    ccd.write_bytes(("\r\n".join(lines) + "\r\n").encode("ascii"))
    return ccd


# ---- Alcohol 120% -------------------------------------------------------------------------------

def write_mds(disc: Disc, mdf_path: os.PathLike | str) -> tuple[Path, list[int]]:
    """``<stem>.mdf`` (the tracks' own sectors, no pregaps) and ``<stem>.mds``; returns the .mds
    path and each track's byte offset in the .mdf."""
    mdf_path = Path(mdf_path)
    offsets, position = [], 0
    with open(mdf_path, "wb") as out:
        for t in disc.tracks:
            body = t.body()
            offsets.append(position)
            out.write(body)
            position += len(body)
    sessions = disc.sessions
    n_tracks = len(disc.tracks)
    sessions_at = HEADER_SIZE
    blocks_at = sessions_at + len(sessions) * SESSION_SIZE
    extras_at = blocks_at + (n_tracks + 3 * len(sessions)) * TRACK_SIZE
    footer_at = extras_at + n_tracks * EXTRA_SIZE
    name_at = footer_at + FOOTER_SIZE
    header = struct.pack("<16s2BHH4xH8xI24xI12xII", b"MEDIA DESCRIPTOR", 1, 3, 0x00, len(sessions), 0, 0, 0,
                         sessions_at, 0)
    session_blocks, blocks, extras = [], [], []
    block_at = blocks_at
    for s in sessions:
        tracks = disc.session(s)
        first, last = tracks[0], tracks[-1]
        start = -150 if s == 1 else first.start - PREGAP
        session_blocks.append(struct.pack("<iiHBBHH4xI", start, disc.lead_out(s), s, len(tracks) + 3, 3,
                                          first.number, last.number, block_at))
        ctl = lambda t: 0x10 if t.mode == "AUDIO" else 0x14  # noqa: E731
        blocks += [_track_block(0, 0, ctl(first), 0xA0, (first.number, 0, 0)),
                   _track_block(0, 0, ctl(last), 0xA1, (last.number, 0, 0)),
                   _track_block(0, 0, ctl(last), 0xA2, msf(disc.lead_out(s)))]
        for t in tracks:
            i = t.number - 1
            blocks.append(_track_block(MODE_CODES[t.mode], 0, ctl(t), t.number, msf(t.start), extras_at + i * EXTRA_SIZE,
                                       SECTOR, t.start, offsets[i], 1, footer_at))
            extras.append(struct.pack("<II", PREGAP if t.first_in_session else 0, t.sectors))
        block_at += (len(tracks) + 3) * TRACK_SIZE
    footer = struct.pack("<II8x", name_at, 0)
    data = header + b"".join(session_blocks) + b"".join(blocks) + b"".join(extras) + footer + b"*.mdf\0"
    mds = mdf_path.with_suffix(".mds")
    mds.write_bytes(data)
    return mds, offsets


# ---- Nero NRG (v2: NER5, CUEX, DAOX, SINF per session) ------------------------------------------

def _chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack(">I", len(body)) + body


def _bcd(value: int) -> int:
    return (value // 10) << 4 | value % 10


def write_nrg(disc: Disc, nrg_path: os.PathLike | str) -> tuple[Path, list[int]]:
    """One .nrg: each session's stored sectors (a later session's first track with its 150-sector
    pregap), then CUEX + DAOX + SINF per session, END! and the NER5 footer. Returns the path and
    each track's byte offset of INDEX 01."""
    nrg_path = Path(nrg_path)
    data, chunks, starts = bytearray(), [], []
    for s in disc.sessions:
        tracks = disc.session(s)
        cue, dao = [], []
        first = tracks[0]
        cue.append(struct.pack(">BBBBi", 0x01 if first.mode == "AUDIO" else 0x41, 0, 0, 0,
                               (first.start - PREGAP) if s > 1 else -150))
        for t in tracks:
            ctl = 0x01 if t.mode == "AUDIO" else 0x41
            index0 = len(data)
            if s > 1 and t.first_in_session:
                data += t.pregap_body()
                cue.append(struct.pack(">BBBBi", ctl, _bcd(t.number), 0, 0, t.start - PREGAP))
            elif t.number == 1:
                cue.append(struct.pack(">BBBBi", ctl, _bcd(t.number), 0, 0, -150))
            index1 = len(data)
            starts.append(index1)
            data += t.body()
            cue.append(struct.pack(">BBBBi", ctl, _bcd(t.number), 1, 0, t.start))
            mode = 0x07 if t.mode == "AUDIO" else 0x05
            dao.append(struct.pack(">12sHB3sQQQ", b"", SECTOR, mode, b"\0\0\x01", index0, index1, len(data)))
        cue.append(struct.pack(">BBBBi", 0x01, 0xAA, 1, 0, disc.lead_out(s)))
        dao_body = b"".join(dao)
        head = struct.pack(">I13sBHBB", 22 + len(dao_body), b"", 0, 0, tracks[0].number, tracks[-1].number)
        chunks += [_chunk(b"CUEX", b"".join(cue)), _chunk(b"DAOX", head + dao_body),
                   _chunk(b"SINF", struct.pack(">I", len(tracks)))]
    body = b"".join(chunks) + _chunk(b"END!", b"")
    nrg_path.write_bytes(bytes(data) + body + b"NER5" + struct.pack(">Q", len(data)))
    return nrg_path, starts
