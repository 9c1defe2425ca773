"""systemd/: every unit passes `systemd-analyze verify`, and the command lines they hold work.

PID 1 here is not systemd, so the units are not started by a manager: the tests expand the
specifiers and environment the way systemd does (%i, %f, %E, ${VAR} from EnvironmentFile=),
run ExecStartPre/ExecStart/ExecStop themselves with NOTIFY_SOCKET pointing at a socket they
listen on, and for .mount units run the mount(8) command line systemd would run.
`systemd-analyze verify --man=no` works offline; --man=no because containers often ship
without man pages, which the Documentation= check would look for.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, is_mounted, kill_daemons, require_tool, run_cli
from daemon_support import (README, SAMPLE, datagram_socket, receive_until,
                            require_installed_command, wait_for)

UNITS = REPO / "systemd"
SYSTEM_UNIT = UNITS / "mount-image@.service"
USER_UNIT = UNITS / "user" / "mount-image@.service"
EXAMPLES = UNITS / "examples"
# systemd's own search path for command names without a slash (systemd.service(5)).
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Settings that give a service its own mount namespace: its FUSE mount would never reach the host.
NAMESPACING = ("ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "ReadOnlyPaths",
               "ReadWritePaths", "InaccessiblePaths", "TemporaryFileSystem", "BindPaths",
               "BindReadOnlyPaths", "ProtectKernelTunables", "ProtectKernelModules",
               "ProtectKernelLogs", "ProtectControlGroups", "ProtectProc", "ProcSubset",
               "PrivateMounts", "MountFlags", "ProtectHostname", "RootDirectory", "RootImage")


def _settings(unit: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def _escape(path: Path, *extra: str) -> str:
    return subprocess.run(["systemd-escape", "--path", *extra, str(path)], capture_output=True,
                          text=True, check=True).stdout.strip()


def _unescape(instance: str) -> str:
    return subprocess.run(["systemd-escape", "--unescape", "--path", instance], capture_output=True,
                          text=True, check=True).stdout.strip()


def _verify(*units: Path, user: bool = False, tmp_path: Path) -> None:
    env = dict(os.environ)
    args = ["systemd-analyze", "verify", "--man=no"]
    if user:
        runtime = tmp_path / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env["XDG_RUNTIME_DIR"] = str(runtime)   # a user manager needs one, even offline
        args.insert(1, "--user")
    proc = subprocess.run([*args, *map(str, units)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "", proc.stderr   # warnings (a mistyped setting) fail too


@pytest.fixture
def tools() -> None:
    require_tool("systemd-analyze")
    require_tool("systemd-escape")
    require_tool("fusermount3")
    require_installed_command()


def _instance_copy(template: Path, instance: str, where: Path) -> Path:
    """The template as systemd loads an instance: a link named unit@instance.service."""
    where.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, where / template.name)
    link = where / template.name.replace("@.", f"@{instance}.")
    link.symlink_to(template.name)
    return link


def test_system_template_verifies(tools, tmp_path: Path) -> None:
    _verify(_instance_copy(SYSTEM_UNIT, "mnt-debian", tmp_path / "units"), tmp_path=tmp_path)


def test_user_template_verifies(tools, tmp_path: Path) -> None:
    _verify(_instance_copy(USER_UNIT, "home-me-isos-debian", tmp_path / "units"), user=True,
            tmp_path=tmp_path)


def test_mount_and_automount_examples_verify(tools, tmp_path: Path) -> None:
    assert _escape(Path("/mnt/debian"), "--suffix=mount") == "mnt-debian.mount"
    _verify(EXAMPLES / "mnt-debian.mount", EXAMPLES / "mnt-debian.automount", tmp_path=tmp_path)


def test_verify_catches_a_broken_unit(tools, tmp_path: Path) -> None:
    """The check above is not vacuous: a mistyped Type= and a missing command fail it."""
    broken = tmp_path / "units" / "mount-image@.service"
    broken.parent.mkdir()
    broken.write_text(SYSTEM_UNIT.read_text().replace("Type=notify", "Type=notifyy")
                      .replace("ExecStart=mount-image", "ExecStart=mount-imagee"))
    link = broken.with_name("mount-image@x.service")
    link.symlink_to(broken.name)
    proc = subprocess.run(["systemd-analyze", "verify", "--man=no", str(link)], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "notifyy" in proc.stderr and "mount-imagee" in proc.stderr


@pytest.mark.parametrize("unit", [SYSTEM_UNIT, USER_UNIT], ids=["system", "user"])
def test_no_setting_hides_the_mount_in_a_namespace(unit: Path) -> None:
    assert not set(_settings(unit)) & set(NAMESPACING)


def test_why_namespaces_are_avoided(tools, tmp_path: Path) -> None:
    """What ProtectSystem= and friends do (a mount namespace whose mounts do not propagate to
    the host), done with unshare: the mount exists inside and is invisible outside."""
    unshare = require_tool("unshare")
    probe = subprocess.run([unshare, "--mount", "--propagation", "slave", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:  # a chroot whose root is no mount point: systemd cannot run here either
        pytest.skip(f"no private mount namespace on this machine ({probe.stderr.strip()})")
    mnt, flag, go = tmp_path / "mnt", tmp_path / "mounted", tmp_path / "go"
    mnt.mkdir()
    script = (f"mount-image {shlex.quote(str(SAMPLE))} {shlex.quote(str(mnt))} || exit 1; "
              f"grep -q ' {mnt} ' /proc/self/mountinfo && touch {shlex.quote(str(flag))}; "
              f"while [ ! -e {shlex.quote(str(go))} ]; do sleep 0.05; done; "
              f"mount-image unmount {shlex.quote(str(mnt))}")
    proc = subprocess.Popen(["unshare", "--mount", "--propagation", "slave", "sh", "-c", script],
                            env={"PATH": SYSTEMD_PATH})
    try:
        wait_for(lambda: flag.exists() or proc.poll() is not None, what="the mount in the namespace")
        assert flag.exists(), "the mount inside the namespace failed"
        assert not is_mounted(mnt)            # the host sees nothing
        assert not (mnt / "README.txt").exists()
    finally:
        go.touch()
        assert proc.wait(20) == 0


def _mount_and_read(unit: Path, mnt: Path) -> None:
    """Run a .mount unit's mount command, read the sample through it, unmount."""
    proc = subprocess.run(_mount_command(unit), capture_output=True, text=True, timeout=60)
    try:
        assert proc.returncode == 0, proc.stderr
        assert (mnt / "README.txt").read_bytes().startswith(README)
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)
        wait_for(lambda: not is_mounted(mnt), what="the unmount")


def _expand(command: str, specifiers: dict[str, str], env: dict[str, str]) -> tuple[bool, list[str]]:
    """One Exec*= line as systemd.service(5) expands it: split into words, specifiers inside
    each, ${VAR} as one word and $VAR split on whitespace; a leading '-' ignores failure."""
    ignore = command.startswith("-")
    command = command.lstrip("-")
    words = []
    for word in shlex.split(command):   # words first: a specifier's value stays one word
        word = re.sub(r"%(.)", lambda m: specifiers[m.group(1)], word)
        whole = re.fullmatch(r"\$\{(\w+)\}", word) or None
        if whole:
            words.append(env.get(whole.group(1), ""))
        elif re.fullmatch(r"\$(\w+)", word):
            words.extend(env.get(word[1:], "").split())
        else:
            words.append(re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), word))
    path = shutil.which(words[0], path=SYSTEMD_PATH)
    assert path, f"{words[0]} is not in systemd's search path"
    return ignore, [path, *words[1:]]


def _environment_file(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


@pytest.mark.parametrize("unit", [SYSTEM_UNIT, USER_UNIT], ids=["system", "user"])
def test_exec_lines_mount_notify_and_unmount(tools, tmp_path: Path, unit: Path) -> None:
    settings = _settings(unit)
    assert settings["Type"] == ["notify"]
    assert settings["Restart"] == ["on-failure"]
    mnt = tmp_path / "mounts" / "my isos" / "debian-12"        # created by ExecStartPre
    instance = _escape(mnt)
    specifiers = {"i": instance, "f": _unescape(instance), "E": str(tmp_path / "config"), "%": "%"}
    assert specifiers["f"] == str(mnt)
    # The EnvironmentFile= a sysadmin writes, at the place the unit names.
    conf = Path(re.sub(r"%(.)", lambda m: specifiers[m.group(1)], settings["EnvironmentFile"][0]))
    if unit == SYSTEM_UNIT:
        assert conf == Path(f"/etc/mount-image/{instance}.conf")
        conf = tmp_path / "etc" / conf.name                      # never the machine's /etc
    conf.parent.mkdir(parents=True, exist_ok=True)
    example = (EXAMPLES / "mnt-debian.conf").read_text()
    conf.write_text(example.replace("/srv/iso/debian.iso", str(SAMPLE))
                    .replace("OPTIONS=allow_other", "OPTIONS=allow_other,overriderockperm,uid=4242"))
    env = _environment_file(conf)

    def run(key: str) -> None:
        for line in settings.get(key, []):
            ignore, argv = _expand(line, specifiers, env)
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            assert ignore or proc.returncode == 0, f"{key}: {argv}: {proc.stderr}"

    run("ExecStartPre")
    assert mnt.is_dir()
    [start] = settings["ExecStart"]
    _, argv = _expand(start, specifiers, env)
    with datagram_socket(tmp_path / "notify") as sock:
        daemon = subprocess.Popen(argv, env={"PATH": SYSTEMD_PATH, "NOTIFY_SOCKET": str(tmp_path / "notify")},
                                  stderr=subprocess.PIPE, text=True)
        try:
            ready = receive_until(sock, b"READY=1")[-1]
            assert ready == f"READY=1\nSTATUS={SAMPLE} mounted on {mnt}".encode()
            assert daemon.poll() is None                 # Type=notify: ExecStart stays running
            assert (mnt / "README.txt").read_bytes().startswith(README)
            assert (mnt / "README.txt").stat().st_uid == 4242   # OPTIONS reached the mount
            run("ExecStop")
            assert daemon.wait(10) == 0                  # the main process ends cleanly
            assert receive_until(sock, b"STOPPING=1")
            assert not is_mounted(mnt)
            run("ExecStopPost")                          # nothing left to clean: ignored quietly
        finally:
            if daemon.poll() is None:
                daemon.send_signal(signal.SIGTERM)
                daemon.wait(10)
            kill_daemons(mnt)
    assert "Traceback" not in daemon.stderr.read()


def test_exec_stop_post_clears_a_crashed_mount(tools, tmp_path: Path) -> None:
    """Restart=on-failure only helps if the dead mount a killed daemon leaves is cleared."""
    settings = _settings(SYSTEM_UNIT)
    mnt = tmp_path / "mnt"
    instance = _escape(mnt)
    specifiers = {"i": instance, "f": str(mnt), "%": "%"}
    env = {"IMAGE": str(SAMPLE), "OPTIONS": ""}
    mnt.mkdir()
    assert run_cli("mount", SAMPLE, mnt).returncode == 0
    pid = next(m["pid"] for m in json.loads(run_cli("list", "--json").stdout) if m["mountpoint"] == str(mnt))
    os.kill(pid, signal.SIGKILL)                          # a crash: the mount stays, dead
    wait_for(lambda: not os.path.exists(f"/proc/{pid}"), what="the daemon to die")
    assert is_mounted(mnt)
    for line in settings["ExecStopPost"]:
        _, argv = _expand(line, specifiers, env)
        subprocess.run(argv, capture_output=True, timeout=30)
    assert not is_mounted(mnt)
    _, argv = _expand(settings["ExecStart"][0], specifiers, env)
    daemon = subprocess.Popen(argv, env={"PATH": SYSTEMD_PATH}, stderr=subprocess.DEVNULL)
    try:                                                  # the restart mounts again
        wait_for(lambda: is_mounted(mnt) or daemon.poll() is not None, what="the restart")
        assert (mnt / "README.txt").read_bytes().startswith(README)
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(10) == 0


def _mount_command(unit: Path) -> list[str]:
    """What systemd runs for a .mount unit: mount WHAT WHERE -t TYPE -o OPTIONS."""
    s = _settings(unit)
    return ["mount", s["What"][0], s["Where"][0], "-t", s["Type"][0], "-o", s["Options"][0]]


def test_example_mount_unit_mounts(tools, tmp_path: Path) -> None:
    """The example pair moved to this test's folders: verified, then its mount command run."""
    require_tool("mount")
    mnt = tmp_path / "debian"
    mnt.mkdir()
    name = _escape(mnt, "--suffix=mount")
    units = tmp_path / "units"
    units.mkdir()
    mount_unit = units / name
    mount_unit.write_text((EXAMPLES / "mnt-debian.mount").read_text()
                          .replace("/srv/iso/debian.iso", str(SAMPLE))
                          .replace("RequiresMountsFor=/srv/iso", f"RequiresMountsFor={SAMPLE.parent}")
                          .replace("Where=/mnt/debian", f"Where={mnt}"))
    automount = units / name.replace(".mount", ".automount")
    automount.write_text((EXAMPLES / "mnt-debian.automount").read_text()
                         .replace("Where=/mnt/debian", f"Where={mnt}"))
    _verify(mount_unit, automount, tmp_path=tmp_path)
    _mount_and_read(mount_unit, mnt)


def test_fstab_line_at_boot(tools, tmp_path: Path) -> None:
    """At boot systemd-fstab-generator turns the fstab line into a .mount unit: generate it from
    a temporary fstab, verify it, and run its mount command."""
    generator = Path("/lib/systemd/system-generators/systemd-fstab-generator")
    if not generator.exists():
        generator = Path("/usr/lib/systemd/system-generators/systemd-fstab-generator")
    assert generator.exists(), "systemd-fstab-generator is missing"
    mnt = tmp_path / "debian"
    mnt.mkdir()
    fstab = tmp_path / "fstab"
    fstab.write_text(f"{SAMPLE} {mnt} fuse.mount-image ro,nofail,allow_other 0 0\n")
    out = [tmp_path / d for d in ("normal", "early", "late")]
    for d in out:
        d.mkdir()
    proc = subprocess.run([str(generator), *map(str, out)], capture_output=True, text=True,
                          env=dict(os.environ, SYSTEMD_FSTAB=str(fstab), SYSTEMD_LOG_LEVEL="warning"))
    assert proc.returncode == 0, proc.stderr
    unit = out[0] / _escape(mnt, "--suffix=mount")
    text = unit.read_text()
    assert "Type=fuse.mount-image" in text and "Options=ro,nofail,allow_other" in text
    # nofail: wanted by local-fs.target, not required, so a missing image never blocks the boot
    assert (out[0] / "local-fs.target.wants" / unit.name).exists()
    assert not (out[0] / "local-fs.target.requires" / unit.name).exists()
    _verify(unit, tmp_path=tmp_path)
    _mount_and_read(unit, mnt)
