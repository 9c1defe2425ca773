"""El Torito: boot/ in the tracks view, read through a real mount, against the files the images
were made from; the catalog cross-checked with xorriso -report_el_torito and isoinfo -d.

Fixtures: xorriso hybrid BIOS+EFI images (isolinux.bin with a boot info table, a real FAT efi.img
from mkfs.vfat + mcopy, an EFI image appended outside the tree, several section entries),
genisoimage floppy emulation (1.2M, 1.44M, 2.88M) and hard disk emulation.
"""

from __future__ import annotations

import json
import random
import re
import struct
import subprocess
from pathlib import Path

import pytest

from conftest import require_tool, run_cli

FLOPPIES = {"floppy-1.2m": 1_228_800, "floppy-1.44m": 1_474_560, "floppy-2.88m": 2_949_120}


def run(*cmd: str | Path, cwd: Path | None = None) -> str:
    require_tool(str(cmd[0]))
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout + proc.stderr


def fat_image(path: Path, kib: int, payload: bytes) -> bytes:
    """A real FAT file system holding EFI/BOOT/BOOTX64.EFI, made by mkfs.vfat and mcopy."""
    run("mkfs.vfat", "-C", path, str(kib))
    src = path.with_suffix(".efi")
    src.write_bytes(payload)
    run("mmd", "-i", path, "::EFI", "::EFI/BOOT")
    run("mcopy", "-i", path, src, "::EFI/BOOT/BOOTX64.EFI")
    src.unlink()
    return path.read_bytes()


def xorriso_report(image: Path) -> list[dict]:
    """xorriso's reading of the catalog: one dict per entry (platform, emulation, sectors, LBA)."""
    out = run("xorriso", "-indev", image, "-report_el_torito", "plain")
    rows = re.findall(r"^El Torito boot img :\s+(\d+)\s+(\S+)\s+([yn])\s+(\S+)\s+(0x[0-9a-f]+)"
                      r"\s+(0x[0-9a-f]+)\s+(\d+)\s+(\d+)", out, re.M)
    assert rows, out
    return [{"platform": {"BIOS": "x86", "UEFI": "efi", "PPC": "ppc", "Mac": "mac"}[r[1]],
             "bootable": r[2] == "y", "emulation": r[3], "sectors": int(r[6]),
             "load_rba": int(r[7])} for r in rows]


def info(image: Path) -> dict:
    proc = run_cli("info", "--json", image)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def check_catalog(image: Path) -> list[dict]:
    """Our catalog entries against xorriso's, key by key."""
    ours = info(image)["eltorito"]
    ref = xorriso_report(image)
    assert len(ours) == len(ref), (ours, ref)
    emulation = {"none": "noemul", "fd1.2": "floppy-1.2m", "fd1.4": "floppy-1.44m",
                 "fd2.8": "floppy-2.88m", "hd": "harddisk"}
    for o, r in zip(ours, ref):
        assert (o["platform"], o["bootable"], o["sectors"], o["load_rba"]) == \
            (r["platform"], r["bootable"], r["sectors"], r["load_rba"]), (o, r)
        assert o["emulation"] == emulation.get(r["emulation"], r["emulation"]), (o, r)
    return ours


def with_boot_info_table(data: bytes, file_lba: int, pvd_lba: int = 16) -> bytes:
    """The image as -boot-info-table patches it (genisoimage(1)): at byte 8 the PVD's LBA, the
    file's LBA, its length and the sum of its 32-bit little-endian words from byte 64 on."""
    tail = data[64:] + bytes(-len(data[64:]) % 4)
    checksum = sum(struct.unpack(f"<{len(tail) // 4}I", tail)) & 0xFFFFFFFF
    table = struct.pack("<IIII", pvd_lba, file_lba, len(data), checksum) + bytes(40)
    return data[:8] + table + data[64:]


@pytest.fixture
def hybrid(tmp_path: Path):
    """xorriso BIOS (isolinux-style, boot info table) + EFI (a FAT efi.img in the tree) image."""
    tree = tmp_path / "tree"
    (tree / "isolinux").mkdir(parents=True)
    (tree / "EFI" / "boot").mkdir(parents=True)
    isolinux = random.Random(7).randbytes(24_676)       # any bytes: nothing runs it
    (tree / "isolinux" / "isolinux.bin").write_bytes(isolinux)
    efi = fat_image(tree / "EFI" / "boot" / "efi.img", 1440, b"MZ fake EFI application")
    (tree / "README.TXT").write_text("hybrid\n")
    image = tmp_path / "hybrid.iso"
    run("xorriso", "-as", "mkisofs", "-R", "-J", "-o", image, "-b", "isolinux/isolinux.bin",
        "-c", "isolinux/boot.cat", "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
        "-eltorito-alt-boot", "-e", "EFI/boot/efi.img", "-no-emul-boot", "-isohybrid-gpt-basdat",
        tree)
    return image, isolinux, efi


def test_xorriso_hybrid_bios_and_efi(hybrid, mount) -> None:
    image, isolinux, efi = hybrid
    entries = check_catalog(image)
    assert [e["boot_file"] for e in entries] == ["boot/01-x86-noemul.img", "boot/02-efi.img"]
    assert [(e["size"], e["size_from"], e["iso_path"]) for e in entries] == [
        (len(isolinux), "iso9660-file", "/isolinux/isolinux.bin"),
        (len(efi), "iso9660-file", "/efi/boot/efi.img")]
    assert entries[0]["sectors"] == 4 and entries[1]["section"] == 1
    patched = with_boot_info_table(isolinux, entries[0]["load_rba"])
    with mount(image, "--view", "tracks") as mnt:
        assert sorted(p.name for p in (mnt / "boot").iterdir()) == ["01-x86-noemul.img", "02-efi.img"]
        assert (mnt / "boot" / "01-x86-noemul.img").read_bytes() == patched
        assert (mnt / "boot" / "02-efi.img").read_bytes() == efi
        assert (mnt / "track01.iso").stat().st_size == image.stat().st_size
    with mount(image) as mnt:  # the files view shows the same patched bytes
        assert (mnt / "isolinux" / "isolinux.bin").read_bytes() == patched


def test_isoinfo_agrees_on_the_default_entry(hybrid) -> None:
    image, _, _ = hybrid
    out = run("isoinfo", "-d", "-i", image)
    nsect = int(re.search(r"Nsect\s+(\w+)", out).group(1), 16)
    rba = int(re.search(r"Bootoff\s+\w+\s+(\d+)", out).group(1))
    first = info(image)["eltorito"][0]
    assert (first["sectors"], first["load_rba"]) == (nsect, rba)


def test_efi_image_outside_the_tree_is_sized_by_its_fat_boot_sector(tmp_path: Path, mount) -> None:
    """An EFI partition appended after the ISO 9660 volume (no directory entry points to it) and
    a second EFI entry in the same section: the catalog's 2880 sectors are not trusted."""
    tree = tmp_path / "tree"
    (tree / "isolinux").mkdir(parents=True)
    (tree / "isolinux" / "isolinux.bin").write_bytes(random.Random(8).randbytes(4096))
    appended = fat_image(tmp_path / "esp.img", 2000, b"appended EFI")
    second = fat_image(tree / "efi2.img", 1000, b"second EFI")
    image = tmp_path / "appended.iso"
    run("xorriso", "-as", "mkisofs", "-R", "-o", image, "-b", "isolinux/isolinux.bin",
        "-c", "isolinux/boot.cat", "-no-emul-boot", "-boot-load-size", "4",
        "-eltorito-alt-boot", "-e", "--interval:appended_partition_2:all::", "-no-emul-boot",
        "-eltorito-alt-boot", "-e", "efi2.img", "-no-emul-boot",
        "-append_partition", "2", "0xef", tmp_path / "esp.img", tree)
    entries = check_catalog(image)
    assert [(e["boot_file"], e["size_from"], e["section"]) for e in entries] == [
        ("boot/01-x86-noemul.img", "iso9660-file", 0),
        ("boot/02-efi.img", "fat", 1),
        ("boot/03-efi.img", "iso9660-file", 1)]
    with mount(image, "--view", "tracks") as mnt:
        assert (mnt / "boot" / "02-efi.img").read_bytes() == appended
        assert (mnt / "boot" / "03-efi.img").read_bytes() == second
        assert (mnt / "boot" / "01-x86-noemul.img").read_bytes() == \
            (tree / "isolinux" / "isolinux.bin").read_bytes()


@pytest.mark.parametrize("emulation", sorted(FLOPPIES))
def test_genisoimage_floppy_emulation(tmp_path: Path, mount, emulation: str) -> None:
    tree = tmp_path / "tree"
    (tree / "boot").mkdir(parents=True)
    floppy = random.Random(emulation).randbytes(FLOPPIES[emulation])
    (tree / "boot" / "floppy.img").write_bytes(floppy)
    image = tmp_path / "floppy.iso"
    run("genisoimage", "-quiet", "-R", "-o", image, "-b", "boot/floppy.img", "-c", "boot/boot.cat", tree)
    (entry,) = check_catalog(image)
    assert (entry["emulation"], entry["size"], entry["size_from"]) == (emulation, len(floppy), "emulation")
    with mount(image, "--view", "tracks") as mnt:
        name = f"01-x86-{emulation}.img"
        assert [p.name for p in (mnt / "boot").iterdir()] == [name]
        assert (mnt / "boot" / name).read_bytes() == floppy


def test_genisoimage_hard_disk_emulation(tmp_path: Path, mount) -> None:
    """The image is an MBR with one partition; boot/ shows it up to that partition's end."""
    tree = tmp_path / "tree"
    (tree / "boot").mkdir(parents=True)
    rng = random.Random(9)
    start, count = 63, 2000
    entry = struct.pack("<B3sB3sII", 0x80, b"\x01\x01\x00", 0x06, b"\xfe\xff\xff", start, count)
    disk = rng.randbytes(446) + entry + bytes(48) + b"\x55\xaa" + rng.randbytes((start + count - 1) * 512)
    (tree / "boot" / "hd.img").write_bytes(disk)
    image = tmp_path / "hd.iso"
    run("genisoimage", "-quiet", "-o", image, "-b", "boot/hd.img", "-hard-disk-boot",
        "-c", "boot/boot.cat", tree)
    (got,) = check_catalog(image)
    assert (got["emulation"], got["size"], got["size_from"], got["system_type"]) == \
        ("harddisk", len(disk), "mbr", 6)
    with mount(image, "--view", "tracks") as mnt:
        assert (mnt / "boot" / "01-x86-harddisk.img").read_bytes() == disk


def test_a_disc_that_does_not_boot_has_no_boot_folder(tmp_path: Path, mount) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.txt").write_text("a\n")
    image = tmp_path / "plain.iso"
    run("genisoimage", "-quiet", "-R", "-o", image, tree)
    assert info(image)["eltorito"] == []
    with mount(image, "--view", "tracks") as mnt:
        assert not (mnt / "boot").exists()


def test_distribution_style_isohybrid_mbr_gpt_and_apm(hybrid, tmp_path: Path, mount) -> None:
    """The layout Debian-style images use: an isohybrid MBR (any 432-byte template that starts
    the way libisofs wants for an APM), a GPT and an Apple partition map beside El Torito. The
    boot images are unchanged; the map is reported, and no HFS volume is claimed (its "EFI"
    partition, typed Apple_HFS, holds the FAT image)."""
    _, isolinux, efi = hybrid
    tree = tmp_path / "tree"
    template = tmp_path / "isohdpfx.bin"
    template.write_bytes(bytes([0x33, 0xED]) + b"\x90" * 30 + random.Random(4).randbytes(400))
    image = tmp_path / "distro.iso"
    run("xorriso", "-as", "mkisofs", "-R", "-J", "-o", image, "-isohybrid-mbr", template,
        "-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat", "-no-emul-boot",
        "-boot-load-size", "4", "-boot-info-table", "-eltorito-alt-boot", "-e", "EFI/boot/efi.img",
        "-no-emul-boot", "-isohybrid-gpt-basdat", "-isohybrid-apm-hfsplus", tree)
    entries = check_catalog(image)
    got = info(image)
    assert got["filesystems"] == ["iso9660", "joliet", "rockridge"]
    assert got["hfs"]["volumes"] == []
    efi_part = [p for p in got["hfs"]["partition_map"] if p["name"] == "EFI"]
    assert efi_part and efi_part[0]["start"] == entries[1]["load_rba"]
    with mount(image, "--view", "tracks") as mnt:
        assert (mnt / "boot" / "01-x86-noemul.img").read_bytes() == \
            with_boot_info_table(isolinux, entries[0]["load_rba"])
        assert (mnt / "boot" / "02-efi.img").read_bytes() == efi
