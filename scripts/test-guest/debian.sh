#!/usr/bin/env bash
# Builds debian-12-test into OUT_DIR (vmlinuz, initrd.img, disk.qcow2): Debian
# bookworm minbase from debootstrap with systemd, openssh-server and the real
# cloud-init (NoCloud), configured by the files of debian/early/ (in place
# before the packages are configured) and debian/rootfs/ (copied at the end).
# Run by build.sh (which sets CACHE_ROOT and WORK). Usage: debian.sh OUT_DIR
set -euo pipefail
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source=lib.sh
. "$HERE/lib.sh"

OUT=$1
: "${DEFAULT_USER:?}"
PACKAGES=systemd-sysv,udev,dbus,kmod,openssh-server,cloud-init,cloud-guest-utils,sudo,e2fsprogs,ifupdown,isc-dhcp-client,iproute2,linux-image-cloud-amd64,initramfs-tools,zstd,python3-cffi-backend
tree=$WORK/debian-root
mir=$(mirror)
mkdir -p "$OUT"
log "debian: mirror $mir, package cache $CACHE_ROOT/debootstrap"

# Two stages, so that debian/early/ (a small initrd: virtio modules only) is in
# place before the packages are configured: the kernel's postinst then builds
# the initrd once.
run_debootstrap() {
  if ! debootstrap --foreign --variant=minbase --cache-dir="$CACHE_ROOT/debootstrap" --include="$PACKAGES" \
    "$SUITE" "$tree" "$mir" >"$WORK/debootstrap.log" 2>&1; then
    tail -n 40 "$WORK/debootstrap.log" >&2
    die "debootstrap (first stage) failed (log above)"
  fi
  copy_overlay "$HERE/debian/early" "$tree"
  # No fsync per file while installing (the image is written by mke2fs later anyway).
  mkdir -p "$tree/etc/dpkg/dpkg.cfg.d"
  echo force-unsafe-io >"$tree/etc/dpkg/dpkg.cfg.d/golem-build-unsafe-io"
  if ! chroot "$tree" /debootstrap/debootstrap --second-stage >>"$WORK/debootstrap.log" 2>&1; then
    tail -n 20 "$WORK/debootstrap.log" >&2
    [[ -f $tree/debootstrap/debootstrap.log ]] && tail -n 40 "$tree/debootstrap/debootstrap.log" >&2
    die "debootstrap (second stage) failed (log above)"
  fi
  rm -f "$tree/etc/dpkg/dpkg.cfg.d/golem-build-unsafe-io" "$tree"/var/cache/apt/archives/*.deb "$tree"/var/cache/apt/*.bin
  rm -rf "$tree"/var/lib/apt/lists/*
  unmount_under "$tree"
}

# The installed tree is cached (keyed by the step above, debian/early/, the
# package list and the mirror; refreshed after 14 days), so a change elsewhere
# rebuilds in seconds instead of minutes of dpkg in a chroot.
read -r tkey _ < <({ declare -f run_debootstrap; digest "$HERE/debian" early; echo "$SUITE $PACKAGES $mir"; } | sha256sum)
tarball=$CACHE_ROOT/rootfs/$SUITE-${tkey:0:16}.tar.zst
tar_opts=(--numeric-owner --xattrs --xattrs-include='*')
if [[ -f $tarball ]]; then
  log "debian: unpacking the cached debootstrap tree $(basename "$tarball")"
  mkdir -p "$tree" && zstd -dcq "$tarball" | tar -C "$tree" "${tar_opts[@]}" -xpf -
else
  step "debian: debootstrap --variant=minbase $SUITE" run_debootstrap
  log "debian: saving the debootstrap tree as $(basename "$tarball")"
  tmp=$(mktemp "$CACHE_ROOT/rootfs/.tree.XXXXXX")
  tar -C "$tree" "${tar_opts[@]}" -cf - . | zstd -q -3 -T0 -f -o "$tmp"
  mv -f "$tmp" "$tarball"
fi

# --- configuration: debian/rootfs/, then nothing per machine and nothing from the build
copy_overlay "$HERE/debian/rootfs" "$tree"
chmod 444 "$tree/etc/machine-id" # as Debian ships it; systemd fills it at the first boot
grep -q "^    name: $DEFAULT_USER\$" "$tree/etc/cloud/cloud.cfg.d/99_golem_test_guest.cfg" ||
  die "debian/rootfs: the cloud-init default user is not $DEFAULT_USER"
mkdir -p "$tree/etc/network/interfaces.d"
rm -f "$tree"/etc/ssh/ssh_host_* # cloud-init creates them per VM (and systemd the machine id)
rm -rf "$tree/debootstrap" "$tree"/var/lib/apt/lists/* "$tree"/tmp/* "$tree"/var/tmp/*
rm -f "$tree"/var/cache/apt/archives/*.deb "$tree"/var/cache/apt/*.bin
mkdir -p "$tree/var/lib/apt/lists/partial"
find "$tree/var/log" -type f -delete

kver=$(find "$tree/usr/lib/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | head -n1)
cp "$tree/boot/vmlinuz-$kver" "$OUT/vmlinuz"
cp "$tree/boot/initrd.img-$kver" "$OUT/initrd.img"
log "debian: kernel $kver"

# About 1.3 times the tree plus 256 MiB: room for the first boot's logs and keys.
tree_mb=$(du -s --block-size=1M "$tree" | cut -f1)
size_mb=$((tree_mb * 13 / 10 + 256))
step "debian: mke2fs -d (${tree_mb} MiB tree, ${size_mb} MiB fs) + qemu-img convert" mk_disk "$tree" "$size_mb" "$OUT/disk.qcow2" debian-root
remove_tree "$tree"
