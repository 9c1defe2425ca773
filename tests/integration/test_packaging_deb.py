"""packaging/debian: `dpkg-buildpackage -b -us -uc` in a temporary copy of the tree, the .deb's
contents and control fields read back with dpkg-deb, then the package installed on this
machine, an image mounted with the installed command, and the package purged."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, require_tool
from support.sourcetree import project_files
from test_desktop import is_mounted, make_iso

# The build runs with the distribution's python3 and tools, as on a build daemon: a PATH of the
# standard system folders (a pyenv or venv python first on PATH lacks python3-build).
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
BUILD_TIMEOUT = 180


def source_tree(dest: Path) -> Path:
    """The project's files (tests/support/sourcetree.py), as a clean checkout has them."""
    for name in project_files(REPO):
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, dest / name)
    return dest


@pytest.fixture(scope="module")
def deb(tmp_path_factory) -> Path:
    for tool in ("dpkg-buildpackage", "dh", "pybuild", "fakeroot"):
        require_tool(tool)
    top = tmp_path_factory.mktemp("deb")
    tree = source_tree(top / "mount-image")
    shutil.copytree(tree / "packaging" / "debian", tree / "debian")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = SYSTEM_PATH
    proc = subprocess.run(["dpkg-buildpackage", "-b", "-us", "-uc"], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [package] = top.glob("mount-image_*_all.deb")
    return package


def contents(package: Path) -> set[str]:
    out = subprocess.run(["dpkg-deb", "-c", str(package)], capture_output=True, text=True, check=True).stdout
    return {line.split()[5].removeprefix(".") for line in out.splitlines() if not line.endswith("/")}


def field(package: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(package), name], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_deb_contents(deb):
    files = contents(deb)
    for path in ("/usr/bin/mount-image", "/usr/lib/mount-image/mfusepy.py",
                 "/usr/lib/python3/dist-packages/mount_image/cli/main.py",
                 "/usr/lib/python3/dist-packages/mount_image/cli/desktop.py",
                 "/usr/share/applications/mount-image.desktop",
                 "/usr/share/mime/packages/mount-image.xml",
                 "/usr/share/man/man1/mount-image.1.gz", "/usr/share/doc/mount-image/copyright"):
        assert path in files, path
    # Every unit the tree has, wherever its kind belongs.
    for unit in sorted((REPO / "systemd").rglob("*")) if (REPO / "systemd").exists() else []:
        if unit.suffix in (".mount", ".automount"):
            assert f"/usr/share/doc/mount-image/examples/systemd/{unit.name}" in files
        elif unit.suffix in (".service", ".socket", ".path"):
            assert (f"/usr/lib/systemd/system/{unit.name}" in files
                    or f"/usr/lib/systemd/user/{unit.name}" in files), unit.name
    # Console scripts are in /usr/bin, mount(8) helpers in /usr/sbin.
    assert not any(p.startswith("/usr/bin/mount.") for p in files)
    assert not any("/tests/" in p or p.endswith(".whl") for p in files)

    depends = [d.strip() for d in field(deb, "Depends").split(",")]
    assert "fuse3" in depends and "libfuse3-3" in depends
    assert any(d.startswith("python3") for d in depends)
    assert not any("mfusepy" in d or "fusepy" in d or "pycdlib" in d for d in depends)
    assert field(deb, "Architecture") == "all"
    info = subprocess.run(["dpkg-deb", "-I", str(deb)], capture_output=True, text=True, check=True).stdout
    assert "Package: mount-image" in info


def test_installed_command_finds_the_vendored_mfusepy(deb, tmp_path):
    """The script in the .deb, run from an unpacked copy with the distribution's python3."""
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    script = (root / "usr/bin/mount-image").read_text()
    assert script.startswith("#!/usr/bin/python3\n")
    assert 'sys.path.append("/usr/lib/mount-image")' in script
    mfusepy = (root / "usr/lib/mount-image/mfusepy.py").read_text()
    assert "class FUSE" in mfusepy and "class Operations" in mfusepy


def test_install_mount_and_purge(deb, tmp_path):
    """dpkg installs it here; the installed command mounts an image; purge leaves nothing."""
    require_tool("apt-get")
    require_tool("fusermount3")
    status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "mount-image"], capture_output=True, text=True)
    if "install ok installed" in status.stdout:
        pytest.fail("a mount-image package is already installed on this machine: not replacing it")
    iso, payload = make_iso(tmp_path, "installed", "INSTALLED")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    env = dict(os.environ, PATH=SYSTEM_PATH, DEBIAN_FRONTEND="noninteractive")
    # A developer's install links (scripts/install.sh: /sbin/mount.mount-image) stand where the
    # package puts its files; dpkg replaces them and purge removes them: put them back after.
    links = {p: os.readlink(p) for p in contents(deb) if os.path.islink(p)}
    try:
        _install_mount_and_purge(deb, iso, payload, mnt, env)
    finally:
        for path, target in links.items():
            if not os.path.lexists(path):
                os.symlink(target, path)


def _install_mount_and_purge(deb, iso, payload, mnt, env) -> None:
    # apt-get resolves the dependencies dpkg -i would only complain about.
    proc = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", str(deb)],
                          env=env, capture_output=True, text=True, timeout=300)
    try:
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        listed = subprocess.run(["dpkg", "-L", "mount-image"], capture_output=True, text=True,
                                check=True).stdout.split()
        [command] = [p for p in listed if p.endswith("/bin/mount-image")]
        mounted = subprocess.run([command, str(iso), str(mnt)], env=env, capture_output=True,
                                 text=True, timeout=60)
        assert mounted.returncode == 0, mounted.stderr
        try:
            assert (mnt / "readme.txt").read_bytes() == payload
            # The mount is served by the package's command, not this checkout's.
            records = json.loads(subprocess.run([command, "list", "--json"], env=env, capture_output=True,
                                                text=True, check=True).stdout)
            [record] = [r for r in records if r["mountpoint"] == str(mnt)]
            argv = Path(f"/proc/{record['pid']}/cmdline").read_bytes().split(b"\0")
            assert command.encode() in argv, argv
        finally:
            subprocess.run([command, "unmount", str(mnt)], env=env, capture_output=True, timeout=30)
        assert not is_mounted(mnt)
    finally:
        purge = subprocess.run(["dpkg", "--purge", "mount-image"], env=env, capture_output=True,
                               text=True, timeout=120)
    assert purge.returncode == 0, purge.stderr
    status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "mount-image"], capture_output=True, text=True)
    assert "install ok installed" not in status.stdout
    left = [p for p in contents(deb) if os.path.exists(p)]
    assert left == [], left
    assert not any(Path(p).exists() for p in listed if p.endswith(("/mount_image", "/usr/lib/mount-image")))
