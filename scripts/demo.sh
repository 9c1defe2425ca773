#!/usr/bin/env bash
# Mount the bundled sample image and list it: the README's first command runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
mnt=${1:-/tmp/mount-image-sample}
mkdir -p "$mnt"
mount-image samples/sample.iso "$mnt"
ls -lR "$mnt"
cat "$mnt/README.txt"
mount-image list
echo "mounted at $mnt; unmount with: mount-image unmount $mnt"
