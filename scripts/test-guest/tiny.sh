#!/usr/bin/env bash
# Builds tiny-test into OUT_DIR (vmlinuz, initrd.img, disk.qcow2), from Debian
# packages unpacked with dpkg-deb (no chroot, no package scripts):
#   initrd.img  busybox, the virtio/iso9660/ACPI modules and tiny/initramfs/init
#   disk.qcow2  busybox, dropbear, resize2fs, sftp-server, fy-tool, jq and socat
#               (TCP and UDP listeners for the port tests: busybox nc has no
#               UDP) with their libraries, and the files of tiny/rootfs/
# Run by build.sh (which sets CACHE_ROOT and WORK). Usage: tiny.sh OUT_DIR
set -euo pipefail
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source=lib.sh
. "$HERE/lib.sh"

OUT=$1
: "${DEFAULT_USER:?}"
PACKAGES=(busybox-static dropbear-bin openssh-sftp-server e2fsprogs libext2fs2 libcom-err2
  libtomcrypt1 libtommath1 libgmp10 zlib1g libcrypt1 libc6 libfyaml-utils libfyaml0 jq libjq1 libonig5
  socat libssl3 libwrap0 libnsl2 libtirpc3 libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1)
# Programs of the root disk besides busybox; their libraries come along.
PROGRAMS=(usr/sbin/dropbear usr/bin/dropbearkey usr/bin/dropbearconvert sbin/resize2fs usr/lib/openssh/sftp-server usr/bin/fy-tool usr/bin/jq usr/bin/socat)
MODULES=(virtio_pci virtio_blk virtio_net virtio_rng isofs button evdev)
INITRAMFS_APPLETS=(sh mount umount insmod switch_root sleep usleep cat echo poweroff mkdir findfs)

debs=()
x=$WORK/tiny-x initrd=$WORK/tiny-initrd root=$WORK/tiny-root
mkdir -p "$OUT" "$x" "$initrd" "$root"

# --- packages: the cloud kernel's versioned package, and the rest
kernel_package() {
  apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}
kpkg=$(kernel_package)
if [[ -z $kpkg ]]; then
  apt-get update -q >"$WORK/apt-update.log" 2>&1 || die "apt-get update failed"
  kpkg=$(kernel_package)
fi
[[ -n $kpkg ]] || die "cannot resolve linux-image-cloud-amd64 (apt-cache depends)"
step "tiny: apt-get download (${#PACKAGES[@]} packages + $kpkg)" fetch_debs debs "${PACKAGES[@]}" "$kpkg"
t0=$EPOCHREALTIME
for deb in "${debs[@]}"; do dpkg-deb -x "$deb" "$x"; done
log "tiny: dpkg-deb -x: done in $(since "$t0") s"

t0=$EPOCHREALTIME
kver=$(find "$x/lib/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | head -n1)
cp "$x/boot/vmlinuz-$kver" "$OUT/vmlinuz"

# --- initramfs: busybox, the modules in load order (dependencies first), /init
mkdir -p "$initrd"/{bin,dev,proc,sys,newroot,lib/modules}
cp "$x/bin/busybox" "$initrd/bin/busybox"
for applet in "${INITRAMFS_APPLETS[@]}"; do ln -s busybox "$initrd/bin/$applet"; done
mknod -m 600 "$initrd/dev/console" c 5 1
depmod -b "$x" "$kver"
while read -r _ path; do
  m=$(basename "$path" .ko)
  cp "$path" "$initrd/lib/modules/$m.ko"
  echo "$m"
done < <(modprobe -d "$x" -S "$kver" --show-depends -a "${MODULES[@]}" | awk '$1 == "insmod" && !seen[$2]++') \
  >"$initrd/lib/modules/load-order"
log "tiny: kernel $kver, modules: $(tr '\n' ' ' <"$initrd/lib/modules/load-order")"
copy_overlay "$HERE/tiny/initramfs" "$initrd"
(cd "$initrd" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) >"$OUT/initrd.img"

# --- root disk: busybox with every applet, the programs and their libraries, tiny/rootfs
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/lib/openssh,lib/x86_64-linux-gnu,lib64,etc/dropbear} \
  "$root"/{dev,proc,sys,run,tmp,mnt,root,home/"$DEFAULT_USER",var/lib/tiny-init,var/log}
cp "$x/bin/busybox" "$root/bin/busybox"
while read -r applet; do
  [[ $applet == bin/busybox || -e $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
done < <("$x/bin/busybox" --list-full)
libs=$x/lib/x86_64-linux-gnu:$x/usr/lib/x86_64-linux-gnu
for p in "${PROGRAMS[@]}"; do
  cp "$x/$p" "$root/$p"
  # The libraries the loader resolves among the unpacked packages (anything else is missing from PACKAGES).
  while read -r lib _ path _; do
    [[ $path == "$x"/* ]] || die "tiny: $p needs $lib, which none of the packages provides"
    cp -L "$path" "$root/lib/x86_64-linux-gnu/$lib"
  done < <(/lib64/ld-linux-x86-64.so.2 --library-path "$libs" --list "$x/$p" | awk '$2 == "=>"')
done
cp -L "$x/lib64/ld-linux-x86-64.so.2" "$root/lib/x86_64-linux-gnu/"
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"
ln -s openssh/sftp-server "$root/usr/lib/sftp-server" # where dropbear looks for it
copy_overlay "$HERE/tiny/rootfs" "$root"
chmod 600 "$root/etc/shadow"
chmod 700 "$root/root"
chmod 1777 "$root/tmp"
chown 1000:1000 "$root/home/$DEFAULT_USER"
[[ $(<"$root/etc/default-user") == "$DEFAULT_USER" ]] || die "tiny/rootfs/etc/default-user is not $DEFAULT_USER"
# Every program must run with the libraries in the image alone.
for p in "${PROGRAMS[@]}"; do
  if ! chroot "$root" /lib64/ld-linux-x86-64.so.2 --list "/$p" >"$WORK/ldd.txt" 2>&1 || grep -q 'not found' "$WORK/ldd.txt"; then
    cat "$WORK/ldd.txt" >&2
    die "tiny: /$p does not resolve its libraries inside the image"
  fi
done
log "tiny: initramfs + root tree: done in $(since "$t0") s"

step "tiny: mke2fs -d + qemu-img convert" mk_disk "$root" 64 "$OUT/disk.qcow2" tiny-root
