#!/usr/bin/env bash
# Build (once) an OpenRC layer over the Debian bookworm root of prepare-rootfs.sh: the files that
# `apt-get install sysvinit-core openrc` changes, kept as an overlay upper dir. The harness in
# test/systemd/container.ts stacks it over the root (Container.boot({layers: [LAYER], init:
# 'openrc'})) and boots /sbin/init, so the same cached root boots either systemd or OpenRC.
#
#   test/systemd/prepare-openrc-layer.sh ROOTFS [LAYER]   (default LAYER: ROOTFS-openrc)
#
# Idempotent: rebuilt only when its marker is absent, names an older recipe, or was made over
# another build of ROOTFS. Built in a temporary sibling and renamed into place at the end.
# Needs root (mount, chroot, apt-get) and Debian's apt (about 10 s).
set -euo pipefail

# Bump when the recipe below changes so existing layers get rebuilt.
RECIPE_VERSION=1
PACKAGES=(sysvinit-core openrc)
MARKER_NAME=.tspm-openrc-layer-complete
ROOTFS_MARKER=.tspm-rootfs-complete

if [[ $# -lt 1 ]]; then
  echo "usage: $0 ROOTFS [LAYER]" >&2
  exit 2
fi
rootfs=$(realpath "$1")
dest=${2:-$rootfs-openrc}

t0=$(date +%s%N)
log() { echo "[prepare-openrc-layer +$(( ($(date +%s%N) - t0) / 1000000 )) ms] $*"; }

if [[ $(id -u) -ne 0 ]]; then
  echo "prepare-openrc-layer.sh must run as root" >&2
  exit 1
fi
if [[ ! -f $rootfs/$ROOTFS_MARKER ]]; then
  echo "$rootfs is not a root made by prepare-rootfs.sh (no $ROOTFS_MARKER)" >&2
  exit 1
fi

# The layer records which build of the root it was made over: a rebuilt root gets a new layer.
stamp="$RECIPE_VERSION $(cat "$rootfs/$ROOTFS_MARKER") $(stat -c '%i %Y' "$rootfs/$ROOTFS_MARKER")"

parent=$(dirname "$dest")
mkdir -p "$parent"
exec 9>"$parent/.prepare-openrc-layer.lock"
flock 9

if [[ -f $dest/$MARKER_NAME && $(cat "$dest/$MARKER_NAME") == "$stamp" ]]; then
  log "OpenRC layer already complete at $dest"
  exit 0
fi

# Unmount what a killed build left mounted below $1, deepest first, then delete it.
remove_tree() {
  local dir=$1 m
  [[ -e $dir ]] || return 0
  dir=$(realpath "$dir")
  awk -v d="$dir/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r m; do umount -l "$m" || true; done
  rm -rf --one-file-system "$dir"
}
for old in "$parent"/.openrc-build.* "$parent"/.openrc-old.*; do
  remove_tree "$old"
done
build=$(mktemp -d "$parent/.openrc-build.XXXXXX")
cleanup() { remove_tree "$build"; }
trap cleanup EXIT
mkdir "$build/upper" "$build/work" "$build/merged"
# The upper dir becomes the top of the container's "/", which users must traverse.
chmod 755 "$build/upper"
merged=$build/merged
mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$build/upper,workdir=$build/work" "$merged"
mount -t proc proc "$merged/proc"
mount --bind /dev "$merged/dev"
# No maintainer script may start a service of the chroot on the host.
printf '#!/bin/sh\nexit 101\n' >"$merged/usr/sbin/policy-rc.d"
chmod 755 "$merged/usr/sbin/policy-rc.d"

log "apt-get install ${PACKAGES[*]} over $rootfs"
# sysvinit-core replaces systemd-sysv: /sbin/init becomes sysvinit's, whose inittab runs OpenRC.
if ! chroot "$merged" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  sh -c 'apt-get update -q && apt-get install -y -q --no-install-recommends "$@"' apt "${PACKAGES[@]}" \
  >"$build/apt.log" 2>&1; then
  echo "apt-get failed; last lines of its output:" >&2
  tail -n 30 "$build/apt.log" >&2
  exit 1
fi
log "installed"

# Nothing types on the container's consoles, and nspawn has no tty1..6: no gettys.
sed -i -E 's|^([0-9]+:[0-9]+:respawn:/sbin/getty)|#\1|' "$merged/etc/inittab"
rm -f "$merged/usr/sbin/policy-rc.d"
rm -rf "$merged"/var/cache/apt/archives/*.deb "$merged"/var/lib/apt/lists/* "$merged"/var/cache/apt/*.bin

umount "$merged/dev" "$merged/proc"
umount "$merged"
echo "$stamp" >"$build/upper/$MARKER_NAME"

if [[ -e $dest ]]; then
  old=$(mktemp -d "$parent/.openrc-old.XXXXXX")
  mv "$dest" "$old/layer"
  mv "$build/upper" "$dest"
  remove_tree "$old"
else
  mv "$build/upper" "$dest"
fi
log "OpenRC layer ready at $dest ($(du -sh "$dest" | cut -f1))"
