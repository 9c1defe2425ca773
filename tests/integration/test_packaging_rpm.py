"""packaging/rpm/mount-image.spec: `rpmspec -P`, then `rpmbuild -bb` in a temporary _topdir
from a source tarball of the tree, the package's files listed with `rpm -qlp` and its payload
unpacked with rpm2cpio and bsdtar. Debian's rpm has no pyproject-rpm-macros, so this exercises the spec's
fallback branch (python3-build + python3-installer); --nodeps because Debian's rpm database is
empty, so BuildRequires cannot be checked here."""

from __future__ import annotations

import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from conftest import REPO, require_tool
from support.sourcetree import project_files
from test_packaging_deb import SYSTEM_PATH

SPEC = REPO / "packaging" / "rpm" / "mount-image.spec"


def spec_version() -> str:
    proc = subprocess.run(["rpmspec", "-q", "--srpm", "--qf", "%{version}", str(SPEC)],
                          capture_output=True, text=True, check=True)
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def rpm_file(tmp_path_factory) -> Path:
    for tool in ("rpmbuild", "rpmspec"):
        require_tool(tool)
    version = spec_version()
    top = tmp_path_factory.mktemp("rpm")
    (top / "SOURCES").mkdir()
    with tarfile.open(top / "SOURCES" / f"mount-image-{version}.tar.gz", "w:gz") as tar:
        for name in project_files(REPO):
            tar.add(REPO / name, arcname=f"mount-image-{version}/{name}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = SYSTEM_PATH
    proc = subprocess.run(["rpmbuild", "-bb", "--nodeps", "--define", f"_topdir {top}", str(SPEC)],
                          env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [built] = (top / "RPMS" / "noarch").glob(f"mount-image-{version}-*.noarch.rpm")
    return built


def test_spec_parses():
    require_tool("rpmspec")
    proc = subprocess.run(["rpmspec", "-P", str(SPEC)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Requires:       fuse3\n" in proc.stdout


def test_rpm_contents_and_requirements(rpm_file):
    files = set(subprocess.run(["rpm", "-qlp", str(rpm_file)], capture_output=True, text=True,
                               check=True).stdout.split())
    for path in ("/usr/bin/mount-image", "/usr/lib/mount-image/mfusepy.py",
                 "/usr/share/applications/mount-image.desktop",
                 "/usr/share/mime/packages/mount-image.xml", "/usr/share/man/man1/mount-image.1"):
        assert path in files, path
    assert any(p.endswith("/mount_image/cli/desktop.py") for p in files)
    for unit in sorted((REPO / "systemd").rglob("*")) if (REPO / "systemd").exists() else []:
        if unit.suffix in (".service", ".socket", ".path", ".mount", ".automount"):
            assert any(p.endswith("/" + unit.name) for p in files), unit.name
    requires = subprocess.run(["rpm", "-qp", "--requires", str(rpm_file)], capture_output=True,
                              text=True, check=True).stdout.split("\n")
    assert "fuse3" in requires and "fuse3-libs" in requires
    assert not any("mfusepy" in r for r in requires)
    provides = subprocess.run(["rpm", "-qp", "--provides", str(rpm_file)], capture_output=True,
                              text=True, check=True).stdout
    assert "mimehandler(application/x-cd-image)" in provides


def test_rpm_script_finds_the_vendored_mfusepy(rpm_file, tmp_path):
    require_tool("rpm2cpio")
    require_tool("bsdtar")
    payload = subprocess.run(["rpm2cpio", str(rpm_file)], capture_output=True, check=True).stdout
    subprocess.run(["bsdtar", "-xf", "-"], input=payload, cwd=tmp_path, check=True)
    script = (tmp_path / "usr/bin/mount-image").read_text()
    assert 'sys.path.append("/usr/lib/mount-image")' in script
    # The unpacked package runs: its own code and its own mfusepy, with the system's python3.
    env = {"PATH": SYSTEM_PATH, "PYTHONPATH": str(next(tmp_path.glob("usr/lib/python3*/*-packages")))}
    check = subprocess.run(["python3", "-c", "import sys; sys.path.append(sys.argv[1]); import mfusepy, "
                            "mount_image.cli.main as m; print(m.__file__, mfusepy.__file__)",
                            str(tmp_path / "usr/lib/mount-image")],
                           env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert check.stdout.split() == [
        str(next(tmp_path.glob("usr/lib/python3*/*-packages")) / "mount_image/cli/main.py"),
        str(tmp_path / "usr/lib/mount-image/mfusepy.py")]
