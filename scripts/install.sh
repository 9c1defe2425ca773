#!/usr/bin/env bash
# Install mount-image on a Debian/Ubuntu machine, as root: FUSE 3, a virtual environment in
# .venv with the package, and the command linked into /usr/local/bin (mount.fuse3 and fstab
# look for it there). With --test, also the tools and Python packages the test suite uses.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(fuse3 python3 python3-venv)
if [ "${1:-}" = "--test" ]; then
  # Writers and independent readers the tests build fixtures with and check against.
  packages+=(
    # image writers and independent readers (ISO 9660, CD containers, UDF, Apple/HFS, boot images)
    genisoimage xorriso 7zip libarchive-tools libcdio-utils fuseiso bchunk ccd2iso udftools
    attr dosfstools mtools hfsutils
    # block devices and the system: loop devices, udev, systemd units, mount(8)
    e2fsprogs mount libudev1 systemd util-linux
    # the desktop: MIME and desktop files, D-Bus notifications
    desktop-file-utils xdg-utils shared-mime-info libglib2.0-bin dbus-daemon python3-gi
    libnotify-bin
    # packages: the .deb (dpkg-buildpackage wants build-essential) and the .rpm
    git dpkg-dev build-essential debhelper dh-python pybuild-plugin-pyproject python3-all
    python3-setuptools fakeroot rpm rpm2cpio
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python3 -m venv .venv
extra=""
[ "${1:-}" = "--test" ] && extra="[test]"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".${extra}"
ln -sf "$PWD/.venv/bin/mount-image" /usr/local/bin/mount-image
# mount(8) looks for its helpers (mount -t mount-image) only in /sbin.
ln -sf "$PWD/.venv/bin/mount.mount-image" /sbin/mount.mount-image
echo "mount-image installed: $(command -v mount-image)"
