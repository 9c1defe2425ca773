"""CD-ROM XA Form 2 files through the real CLI: shown as RIFF "CDXA" files of raw 2352-byte
sectors, as Windows shows them; Form 1 files read as before."""

from __future__ import annotations

import struct
from pathlib import Path

from builders import iso9660 as b
from conftest import corpus_file
from mount_image.disc.probe import open_image
from mount_image.sectors import edc

RAW, SECTOR, HEADER = 2352, 2048, 44
SYNC = b"\x00" + b"\xff" * 10 + b"\x00"


def bcd_header(lba: int) -> bytes:
    """Sync and header of disc sector ``lba``: BCD MSF of lba + 150, mode 2 (ECMA-130 §14)."""
    frames = lba + 150
    m, s, f = frames // 4500, frames // 75 % 60, frames % 75
    return SYNC + bytes(((m // 10) << 4 | m % 10, (s // 10) << 4 | s % 10, (f // 10) << 4 | f % 10, 2))


def check_riff(data: bytes, sectors: int, attributes: bytes) -> None:
    size = HEADER + sectors * RAW
    assert len(data) == size
    assert data[:HEADER] == (b"RIFF" + struct.pack("<I", size - 8) + b"CDXA" + b"fmt "
                             + struct.pack("<I", 16) + b"\0" * 4 + attributes + b"XA"
                             + data[28:29] + b"\0" * 7 + b"data" + struct.pack("<I", sectors * RAW))


def test_videocd_nrg_form2_files_are_riff_cdxa(mount) -> None:
    image = corpus_file("libcdio/videocd.nrg")
    disc = open_image(str(image))
    try:
        track = disc.tracks[0]                       # the files view mounts track 1 (LBA 0)
        assert track.start == 0 and track.sector_size == 2336
        stored = Path(image).read_bytes()
    finally:
        disc.close()
    # The segment items live in track 1 at these LBAs (cd-info: 28 sectors, 57344 bytes each).
    items = {"item0001.mpg": 225, "item0002.mpg": 375, "item0003.mpg": 525}
    with mount(image) as mnt:
        for name, lba in items.items():
            data = (mnt / "segment" / name).read_bytes()
            check_riff(data, 28, b"\x15\x55")
            for i in range(28):
                sector = data[HEADER + i * RAW:HEADER + (i + 1) * RAW]
                at = track.offset + (lba + i) * 2336
                assert sector[:16] == bcd_header(lba + i), (name, i)     # rebuilt sync + header
                assert sector[16:] == stored[at:at + 2336], (name, i)    # as stored in the .nrg
            assert data[HEADER + 24:HEADER + 28] == b"\x00\x00\x01\xba"  # an MPEG pack starts
            # a read at an odd offset across the header/data boundary
            with open(mnt / "segment" / name, "rb") as f:
                f.seek(41)
                assert f.read(RAW + 7) == data[41:41 + RAW + 7]
        # The sequences (cd-info: 75 sectors each) lie in tracks 2-5: ISO 9660 addresses them by
        # disc LBA, past the end of track 1, so the files view reads the whole disc.
        for n in range(1, 5):
            seq = disc.tracks[n]
            data = (mnt / "mpeg2" / f"avseq0{n}.mpg").read_bytes()
            assert len(data) == HEADER + 75 * RAW
            check_riff(data, 75, b"\x15\x55")
            for i in (0, 1, 74):
                sector = data[HEADER + i * RAW:HEADER + (i + 1) * RAW]
                at = seq.offset + i * 2336
                assert sector[:16] == bcd_header(seq.start + i), (n, i)
                assert sector[16:] == stored[at:at + 2336], (n, i)
        # Form 1 files read as plain data, as before.
        assert (mnt / "svcd" / "info.svd").read_bytes()[:8] == b"SUPERVCD"
        assert len((mnt / "svcd" / "lot.svd").read_bytes()) == 65536
        assert len((mnt / "ext" / "scandata.dat").read_bytes()) == 78


def xa(attributes: int, file_number: int = 0) -> bytes:
    return struct.pack(">HHH2sB5x", 0, 0, attributes, b"XA", file_number)


def test_built_mode2_bin_cue_form2_file(mount, tmp_path: Path) -> None:
    """A MODE2/2352 BIN/CUE: ISO 9660 in Form 1 sectors, a 4-sector Form 2 file at LBA 20."""
    root_lba, form2, count, total = 18, 20, 4, 26
    root = b"".join([b.dir_record(root_lba, SECTOR, b"\0", 2), b.dir_record(root_lba, SECTOR, b"\1", 2),
                     b.dir_record(19, 6, "README.TXT;1", 0, xa(0x0D55)),
                     b.dir_record(form2, count * SECTOR, "MOVIE.DAT;1", 0, xa(0x1555, 2))])
    cooked = {16: b.primary_descriptor(b.dir_record(root_lba, SECTOR, b"\0", 2), total),
              17: b.terminator(), root_lba: root.ljust(SECTOR, b"\0"), 19: b"readme".ljust(SECTOR, b"\0")}
    sectors = []
    for lba in range(total):
        if form2 <= lba < form2 + count:
            user = bytes((lba * 13 + j) % 256 for j in range(2324))
            sectors.append(edc.encode_mode2_form2_run(user, lba, bytes((2, 0, 0x20, 0))))
        else:
            sectors.append(edc.encode_mode2_form1_run(cooked.get(lba, bytes(SECTOR)), lba))
    raw = b"".join(sectors)
    (tmp_path / "vcd.bin").write_bytes(raw)
    cue = tmp_path / "vcd.cue"
    cue.write_text('FILE "vcd.bin" BINARY\n  TRACK 01 MODE2/2352\n    INDEX 01 00:00:00\n')
    with mount(cue) as mnt:
        data = (mnt / "movie.dat").read_bytes()
        check_riff(data, count, b"\x15\x55")
        assert data[28] == 2                                          # the XA file number
        assert data[HEADER:] == raw[form2 * RAW:(form2 + count) * RAW]
        assert (mnt / "readme.txt").read_bytes() == b"readme"
