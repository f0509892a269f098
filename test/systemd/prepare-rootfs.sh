#!/usr/bin/env bash
# Build (once) a Debian bookworm root with a real systemd, used by the
# systemd-nspawn test harness in test/systemd/container.ts.
#
#   test/systemd/prepare-rootfs.sh [CACHE_DIR]   (default: <repo>/.cache/bookworm-root)
#
# Idempotent: host packages are installed only when missing, and the root is
# rebuilt only when its marker file is absent or names an older recipe.
# The root is built in a temporary sibling directory and renamed into place
# at the very end, so a killed build never leaves a half-made root behind.
# Needs root (debootstrap, chroot, apt-get).
set -euo pipefail

# Bump when the recipe below changes so existing caches get rebuilt.
RECIPE_VERSION=1
SUITE=bookworm
# Packages on top of minbase. systemd-sysv gives /sbin/init; dbus and
# libpam-systemd make logind / `systemctl --user` work; dbus-user-session gives
# users a session bus; procps is for debugging (ps) inside.
INCLUDE=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,procps
MARKER_NAME=.tspm-rootfs-complete

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
dest=${1:-$repo/.cache/bookworm-root}

t0=$(date +%s%N)
elapsed() { echo "$(( ($(date +%s%N) - t0) / 1000000 )) ms"; }
log() { echo "[prepare-rootfs +$(elapsed)] $*"; }

if [[ $(id -u) -ne 0 ]]; then
  echo "prepare-rootfs.sh must run as root" >&2
  exit 1
fi

# --- host tools -------------------------------------------------------------
missing=()
command -v systemd-nspawn >/dev/null || missing+=(systemd-container)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v nsenter >/dev/null || missing+=(util-linux)
if ((${#missing[@]})); then
  log "installing host packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  log "host packages installed"
else
  log "host tools present"
fi

# --- cached root ------------------------------------------------------------
parent=$(dirname "$dest")
mkdir -p "$parent"
# Serialise concurrent runs (e.g. two test jobs); the second one then finds
# the marker written by the first.
exec 9>"$parent/.prepare-rootfs.lock"
flock 9

if [[ -f $dest/$MARKER_NAME && $(cat "$dest/$MARKER_NAME") == "$RECIPE_VERSION" ]]; then
  log "rootfs already complete at $dest (recipe $RECIPE_VERSION)"
  exit 0
fi

# Use the host's configured Debian mirror (first deb.debian.org-like URI for
# the main archive); fall back to debootstrap's default.
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [[ -f $f ]] || continue
  mirror=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
  [[ -n $mirror ]] && break
done
if [[ -z $mirror && -f /etc/apt/sources.list ]]; then
  mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ && $2 !~ /security/ && $3 ~ /^bookworm/ { print $2; exit }' /etc/apt/sources.list)
fi
mirror=${mirror:-http://deb.debian.org/debian}

# Unmount whatever a killed debootstrap left mounted below $1 (proc, sys,
# possibly a bind of /dev), deepest first, then delete it without ever
# crossing into another file system.
remove_tree() {
  local dir=$1 m
  [[ -e $dir ]] || return 0
  dir=$(realpath "$dir")
  awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r m; do umount -l "$m" || true; done
  rm -rf --one-file-system "$dir"
}
# Leftovers of killed earlier builds.
for old in "$parent"/.bookworm-build.* "$parent"/.bookworm-old.*; do
  remove_tree "$old"
done
tmp=$(mktemp -d "$parent/.bookworm-build.XXXXXX")
# mktemp makes it 0700; it becomes the container's "/", which users must traverse.
chmod 755 "$tmp"
cleanup() { remove_tree "$tmp"; }
trap cleanup EXIT

log "debootstrap $SUITE (minbase + $INCLUDE) from $mirror"
debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$tmp" "$mirror" \
  >"$parent/debootstrap.log" 2>&1 || {
  echo "debootstrap failed; last lines of $parent/debootstrap.log:" >&2
  tail -n 30 "$parent/debootstrap.log" >&2
  exit 1
}
log "debootstrap done"

# --- customise --------------------------------------------------------------
# Test user (uid/gid 1000). useradd comes from the 'passwd' package (in minbase).
chroot "$tmp" /usr/sbin/groupadd --gid 1000 alice
chroot "$tmp" /usr/sbin/useradd --uid 1000 --gid 1000 --create-home \
  --home-dir /home/alice --shell /bin/bash alice

# An empty machine-id makes every container generate (and persist on its own
# overlay) a distinct one, instead of all containers sharing the one that the
# systemd postinst wrote into the cached root.
: >"$tmp/etc/machine-id"
rm -f "$tmp/var/lib/dbus/machine-id"
ln -s /etc/machine-id "$tmp/var/lib/dbus/machine-id"

# Persistent journal, so `journalctl --list-boots` sees reboots.
mkdir -p "$tmp/var/log/journal"

# Units that only add noise or wait for things that never come in nspawn.
# Nobody types on the console (the harness uses --console=read-only), so no getty.
for unit in console-getty.service container-getty@.service getty@.service \
  systemd-networkd-wait-online.service systemd-timesyncd.service \
  apt-daily.timer apt-daily-upgrade.timer; do
  ln -sfn /dev/null "$tmp/etc/systemd/system/$unit"
done

echo tspm-test >"$tmp/etc/hostname"
# Make the hostname resolve locally (there is no network).
printf '127.0.0.1 localhost\n127.0.1.1 tspm-test\n::1 localhost\n' >"$tmp/etc/hosts"

# Trim caches (the root is only a lower dir).
rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*

echo "$RECIPE_VERSION" >"$tmp/$MARKER_NAME"

# --- swap into place --------------------------------------------------------
if [[ -e $dest ]]; then
  old="$parent/.bookworm-old.$$"
  mv "$dest" "$old"
  mv "$tmp" "$dest"
  remove_tree "$old"
else
  mv "$tmp" "$dest"
fi
trap - EXIT
log "rootfs ready at $dest ($(du -sh "$dest" | cut -f1))"
