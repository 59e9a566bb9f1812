#!/usr/bin/env bash
# Builds the guest images that the provider's tests boot under QEMU (TCG).
#
#   tiny-test       Debian cloud kernel + hand-made busybox initramfs + a small
#                   ext4 root disk (busybox, dropbear, resize2fs) whose init reads
#                   the NoCloud seed itself. SSH in ~5 s under TCG.
#   debian-12-test  Debian bookworm minbase (debootstrap) with systemd,
#                   openssh-server and the real cloud-init (NoCloud).
#
# Usage: build.sh [--only tiny|debian-12-test]
#
# Images are cached under ${GOLEM_TEST_GUEST_CACHE:-<repo>/.cache/test-guest}/<key>/
# where <key> is derived from this script's content. Progress goes to stderr;
# the last line of stdout is the absolute path of <key>/catalog.json.
# Needs root (debootstrap, file ownership inside the images).
set -euo pipefail

# (The cache-hit path avoids forks: each costs ~30 ms on a loaded machine.)
SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
REPO_ROOT=${SCRIPT_PATH%/scripts/test-guest/*}
CACHE_ROOT=${GOLEM_TEST_GUEST_CACHE:-$REPO_ROOT/.cache/test-guest}
[[ $CACHE_ROOT == /* ]] || CACHE_ROOT=$(realpath -m "$CACHE_ROOT")
SUITE=bookworm
TINY=tiny-test
REAL=debian-12-test
APPEND="root=/dev/vda rw console=ttyS0"
DEFAULT_USER=ubuntu

# ---------------------------------------------------------------- helpers
log() { printf '[test-guest %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
# step "description" command args...: runs the command and logs how long it took.
step() {
  local what=$1 t0=$EPOCHREALTIME
  shift
  log "$what ..."
  "$@"
  log "$what: done in $(since "$t0") s"
}
json_str() { # JSON string literal for $1
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}
usage() { sed -n '2,16p' "$SCRIPT_PATH" | sed 's/^# \{0,1\}//' >&2; }

# ---------------------------------------------------------------- options
ONLY=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --only)
      [[ $# -ge 2 ]] || die "--only needs an argument"
      case $2 in
        tiny | "$TINY") ONLY=$TINY ;;
        real | debian | "$REAL") ONLY=$REAL ;;
        *) die "--only: unknown guest '$2' (tiny or $REAL)" ;;
      esac
      shift 2
      ;;
    -h | --help) usage; exit 0 ;;
    *) usage; die "unknown argument: $1" ;;
  esac
done
if [[ -n $ONLY ]]; then WANTED=("$ONLY"); else WANTED=("$REAL" "$TINY"); fi

read -r KEY _ < <(sha256sum "$SCRIPT_PATH")
KEY=${KEY:0:16}
KEY_DIR=$CACHE_ROOT/$KEY

# ---------------------------------------------------------------- catalog
# Each finished guest directory holds meta.env (written last, before the
# directory is renamed into place). The catalog lists every finished guest
# of this key; it is rewritten atomically on each run.
# shellcheck disable=SC2153 # NAME, SHA256, ... come from meta.env
catalog_entry() (
  dir=$1
  # shellcheck disable=SC1091
  . "$dir/meta.env"
  printf '    {"name": %s, "format": "qcow2", "path": %s, "sha256": %s,\n' \
    "$(json_str "$NAME")" "$(json_str "$dir/disk.qcow2")" "$(json_str "$SHA256")"
  printf '     "kernel": %s, "initrd": %s, "append": %s,\n' \
    "$(json_str "$dir/vmlinuz")" "$(json_str "$dir/initrd.img")" "$(json_str "$APPEND")"
  printf '     "default_user": %s, "min_memory_mb": %s}' "$(json_str "$DEFAULT_USER")" "$MIN_MEMORY_MB"
)
write_catalog() {
  local tmp sep="" g
  tmp=$(mktemp "$KEY_DIR/.catalog.XXXXXX")
  {
    printf '{"images": [\n'
    for g in "$REAL" "$TINY"; do
      [[ -f $KEY_DIR/$g/meta.env ]] || continue
      printf '%s' "$sep"
      catalog_entry "$KEY_DIR/$g"
      sep=$',\n'
    done
    printf '\n]}\n'
  } >"$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$KEY_DIR/catalog.json"
}
all_present() {
  local g
  for g in "${WANTED[@]}"; do [[ -f $KEY_DIR/$g/meta.env ]] || return 1; done
}

catalog_fresh() { # catalog.json newer than every finished guest
  local g
  [[ -f $KEY_DIR/catalog.json ]] || return 1
  for g in "$REAL" "$TINY"; do
    [[ ! -f $KEY_DIR/$g/meta.env || $KEY_DIR/catalog.json -nt $KEY_DIR/$g/meta.env ]] || return 1
  done
}

# Fast path: everything wanted is already built for this script version.
if all_present; then
  touch "$KEY_DIR"
  catalog_fresh || write_catalog
  log "cache hit: $KEY_DIR"
  echo "$KEY_DIR/catalog.json"
  exit 0
fi

# From here on every tool's stdout goes to stderr; fd 3 is the real stdout,
# which gets only the catalog path.
exec 3>&1 1>&2

[[ $(id -u) -eq 0 ]] || die "building the test guests needs root (debootstrap, image file ownership)"
for tool in apt-get apt-cache dpkg-deb debootstrap mke2fs qemu-img cpio flock sha256sum tar zstd; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done

mkdir -p "$CACHE_ROOT/tmp" "$CACHE_ROOT/debs" "$CACHE_ROOT/debootstrap" "$CACHE_ROOT/rootfs" "$KEY_DIR"

# One builder at a time per cache root; anything under tmp/ while we hold the
# lock is left over from a crashed build.
exec 9>"$CACHE_ROOT/.lock"
if ! flock -n 9; then
  log "another build holds $CACHE_ROOT/.lock; waiting (up to 30 min) ..."
  flock -w 1800 9 || die "timed out waiting for $CACHE_ROOT/.lock"
fi

unmount_under() { # unmount everything mounted below $1 (deepest first)
  local m
  awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
remove_tree() {
  unmount_under "$1"
  rm -rf --one-file-system "$1"
}
for stale in "$CACHE_ROOT"/tmp/*; do
  [[ -e $stale ]] || continue
  log "removing a stale build directory: $stale"
  remove_tree "$stale"
done
rm -f "$CACHE_ROOT"/rootfs/.tree.*
find "$CACHE_ROOT/rootfs" -name '*.tar.zst' -mtime +14 -delete

WORK=$(mktemp -d "$CACHE_ROOT/tmp/build.XXXXXX")
cleanup() {
  local rc=$?
  if [[ -n ${WORK:-} && -d $WORK ]]; then remove_tree "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- Debian mirror
# The archive apt uses on this machine (deb822 .sources or one-line .list);
# GOLEM_TEST_GUEST_MIRROR overrides it.
detect_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk -v suite="$SUITE" '
      BEGIN { RS = ""; FS = "\n" }
      {
        types = ""; uris = ""; suites = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          line = $i
          if (line ~ /^[ \t]*#/) continue
          if (line ~ /^Types:/) types = substr(line, 7)
          else if (line ~ /^URIs:/) uris = substr(line, 6)
          else if (line ~ /^Suites:/) suites = substr(line, 8)
          else if (line ~ /^Enabled:/) enabled = substr(line, 9)
        }
        if (enabled ~ /no/ || (" " types " ") !~ /[ \t]deb[ \t]/) next
        if ((" " suites " ") !~ ("[ \t]" suite "[ \t]")) next
        split(uris, u, /[ \t]+/)
        for (j in u) if (u[j] != "") { print u[j]; exit }
      }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    awk -v suite="$SUITE" '
      $1 == "deb" {
        i = 2
        if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ($(i + 1) == suite) { print $i; exit }
      }' "$f"
  done
}
mirror() {
  if [[ -n ${GOLEM_TEST_GUEST_MIRROR:-} ]]; then
    echo "$GOLEM_TEST_GUEST_MIRROR"
    return
  fi
  local m
  m=$(detect_mirror | head -n1)
  [[ -n $m ]] || die "no '$SUITE' Debian mirror found in /etc/apt/sources.list*; set GOLEM_TEST_GUEST_MIRROR"
  echo "${m%/}"
}

# ---------------------------------------------------------------- Debian packages
APT_OPTS=(-q -o APT::Sandbox::User=root)
# fetch_debs OUTVAR pkg...: downloads the candidate versions into the package
# cache (apt-get skips files already there) and sets OUTVAR to their paths.
fetch_debs() {
  local -n _out=$1
  shift
  local cache=$CACHE_ROOT/debs
  if ! (cd "$cache" && apt-get download "${APT_OPTS[@]}" "$@" >"$WORK/apt-download.log" 2>&1); then
    log "apt-get download failed; running apt-get update once and retrying"
    apt-get update -q >"$WORK/apt-update.log" 2>&1 || { cat "$WORK/apt-update.log" >&2; die "apt-get update failed"; }
    (cd "$cache" && apt-get download "${APT_OPTS[@]}" "$@" >"$WORK/apt-download.log" 2>&1) ||
      { cat "$WORK/apt-download.log" >&2; die "apt-get download $* failed"; }
  fi
  _out=()
  local line
  while read -r line; do
    [[ -f $cache/$line ]] || die "downloaded package not found: $cache/$line"
    _out+=("$cache/$line")
  done < <(apt-cache show --no-all-versions "$@" | awk '
    /^Package:/ { p = $2 } /^Version:/ { v = $2 } /^Architecture:/ { a = $2 }
    /^$/ { if (p != "") { gsub(/:/, "%3a", v); print p "_" v "_" a ".deb" }; p = "" }
    END { if (p != "") { gsub(/:/, "%3a", v); print p "_" v "_" a ".deb" } }')
}
kernel_package() { # the versioned image package linux-image-cloud-amd64 points at
  apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}

# finish_guest NAME DIR MIN_MEMORY_MB: hashes the disk, writes meta.env and
# renames DIR to <key>/NAME (the rename is what makes the cache entry valid).
finish_guest() {
  local name=$1 dir=$2 mem=$3 sha
  sha=$(sha256sum "$dir/disk.qcow2" | cut -d' ' -f1)
  cat >"$dir/meta.env" <<EOF
NAME='$name'
SHA256='$sha'
APPEND='$APPEND'
DEFAULT_USER='$DEFAULT_USER'
MIN_MEMORY_MB='$mem'
EOF
  chmod 755 "$dir"
  rm -rf --one-file-system "${KEY_DIR:?}/$name"
  mv "$dir" "$KEY_DIR/$name"
  log "$name: $(du -sh "$KEY_DIR/$name/disk.qcow2" | cut -f1) disk.qcow2, $(du -sh "$KEY_DIR/$name/initrd.img" | cut -f1) initrd.img"
}

# ext4 image of a directory tree, spanning the whole disk (no partition table),
# then converted to qcow2. mk_disk TREE SIZE_MB OUT.qcow2 LABEL
mk_disk() {
  local tree=$1 size_mb=$2 out=$3 label=$4 raw=$WORK/disk-$RANDOM.raw
  mke2fs -q -F -t ext4 -T default -b 4096 -L "$label" -d "$tree" "$raw" "${size_mb}M"
  qemu-img convert -f raw -O qcow2 "$raw" "$out"
  rm -f "$raw"
}

# ================================================================ tiny guest
TINY_PKGS=(busybox-static dropbear-bin openssh-sftp-server e2fsprogs libext2fs2 libcom-err2
  libtomcrypt1 libtommath1 libgmp10 zlib1g libcrypt1 libc6)
TINY_MODULES=(virtio_pci virtio_blk virtio_net virtio_rng isofs button evdev)

# Module file for a module name (names use _ where files may use -).
module_file() {
  local name=$1 kdir=$2 f
  f=$(find "$kdir" -name "$name.ko" -o -name "${name//_/-}.ko" | head -n1)
  [[ -n $f ]] || die "kernel module $name not found in $kdir"
  echo "$f"
}
# Emits module names in load order (dependencies first), from each module's
# depends= in its .modinfo section. Modules built into the kernel are skipped.
MOD_SEEN=" "
module_order() {
  local name=$1 kdir=$2 builtin=$3 f dep deps
  [[ $MOD_SEEN == *" $name "* ]] && return 0
  MOD_SEEN+="$name "
  if grep -qE "/(${name}|${name//_/-})\.ko$" "$builtin"; then return 0; fi
  f=$(module_file "$name" "$kdir")
  deps=$(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | head -n1)
  for dep in ${deps//,/ }; do module_order "$dep" "$kdir" "$builtin"; done
  echo "$name"
}

build_tiny() {
  local out=$WORK/$TINY x=$WORK/tiny-x initrd=$WORK/tiny-initrd root=$WORK/tiny-root
  local kpkg debs=() deb kver kdir m applet
  mkdir -p "$out" "$x" "$initrd" "$root"

  kpkg=$(kernel_package)
  if [[ -z $kpkg ]]; then
    apt-get update -q >"$WORK/apt-update.log" 2>&1 || die "apt-get update failed"
    kpkg=$(kernel_package)
  fi
  [[ -n $kpkg ]] || die "cannot resolve linux-image-cloud-amd64 (apt-cache depends)"
  step "tiny: apt-get download (${#TINY_PKGS[@]} packages + $kpkg)" fetch_debs debs "${TINY_PKGS[@]}" "$kpkg"
  local t0=$EPOCHREALTIME
  for deb in "${debs[@]}"; do dpkg-deb -x "$deb" "$x"; done
  log "tiny: dpkg-deb -x: done in $(since "$t0") s"

  t0=$EPOCHREALTIME
  kver=$(find "$x/lib/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | head -n1)
  kdir=$x/lib/modules/$kver
  cp "$x/boot/vmlinuz-$kver" "$out/vmlinuz"

  # --- initramfs: busybox + modules + /init
  mkdir -p "$initrd"/{bin,dev,proc,sys,newroot,lib/modules}
  cp "$x/bin/busybox" "$initrd/bin/busybox"
  for applet in sh mount umount insmod switch_root sleep usleep cat echo poweroff mkdir findfs; do
    ln -s busybox "$initrd/bin/$applet"
  done
  mknod -m 600 "$initrd/dev/console" c 5 1
  MOD_SEEN=" "
  for m in "${TINY_MODULES[@]}"; do module_order "$m" "$kdir" "$kdir/modules.builtin"; done >"$initrd/lib/modules/load-order"
  while read -r m; do cp "$(module_file "$m" "$kdir")" "$initrd/lib/modules/$m.ko"; done <"$initrd/lib/modules/load-order"
  log "tiny: kernel $kver, modules: $(tr '\n' ' ' <"$initrd/lib/modules/load-order")"
  write_tiny_initramfs_init "$initrd/init"
  chmod 755 "$initrd/init"
  (cd "$initrd" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) >"$out/initrd.img"

  # --- root filesystem
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/lib/openssh,lib/x86_64-linux-gnu,lib64,etc/dropbear,etc/acpi/PWRF,etc/init.d}
  mkdir -p "$root"/{dev,proc,sys,run,tmp,mnt,root,home/$DEFAULT_USER,var/lib/tiny-init,var/log,usr/lib/tiny-init}
  cp "$x/bin/busybox" "$root/bin/busybox"
  while read -r applet; do
    [[ $applet == bin/busybox || -e $root/$applet ]] && continue
    ln -s /bin/busybox "$root/$applet"
  done < <("$x/bin/busybox" --list-full)
  cp "$x/usr/sbin/dropbear" "$root/usr/sbin/dropbear"
  cp "$x/usr/bin/dropbearkey" "$root/usr/bin/dropbearkey"
  cp "$x/sbin/resize2fs" "$root/sbin/resize2fs"
  cp "$x/usr/lib/openssh/sftp-server" "$root/usr/lib/openssh/sftp-server"
  ln -s openssh/sftp-server "$root/usr/lib/sftp-server" # where dropbear looks for it
  for lib in ld-linux-x86-64.so.2 libc.so.6 libcrypt.so.1 libz.so.1 libtomcrypt.so.1 libtommath.so.1 \
    libgmp.so.10 libext2fs.so.2 libcom_err.so.2 libe2p.so.2; do
    local src
    src=$(find "$x/lib" "$x/usr/lib" -name "$lib" \( -type f -o -type l \) | head -n1)
    [[ -n $src ]] || die "tiny: $lib not found in the extracted packages"
    cp -L "$src" "$root/lib/x86_64-linux-gnu/$lib"
  done
  ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"
  write_tiny_rootfs_files "$root"
  chmod 700 "$root/root"
  chmod 1777 "$root/tmp"
  chown 1000:1000 "$root/home/$DEFAULT_USER"
  # Every dynamic binary must run with the libraries in the image alone.
  for b in /usr/sbin/dropbear /sbin/resize2fs /usr/lib/openssh/sftp-server; do
    if ! chroot "$root" /lib64/ld-linux-x86-64.so.2 --list "$b" >"$WORK/ldd.txt" 2>&1 || grep -q 'not found' "$WORK/ldd.txt"; then
      cat "$WORK/ldd.txt" >&2
      die "tiny: $b does not resolve its libraries inside the image"
    fi
  done
  log "tiny: initramfs + root tree: done in $(since "$t0") s"

  step "tiny: mke2fs -d + qemu-img convert" mk_disk "$root" 64 "$out/disk.qcow2" tiny-root
  finish_guest "$TINY" "$out" 128
}

write_tiny_initramfs_init() {
  cat >"$1" <<'EOF'
#!/bin/sh
# tiny-test initramfs: load the virtio/iso9660/ACPI modules, mount root=, switch_root.
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
fail() { echo "tiny-initramfs: FATAL: $*; powering off"; sleep 2; poweroff -f; }
root=/dev/vda mode=rw fstype=ext4 init=/sbin/init
for arg in $(cat /proc/cmdline); do
  case $arg in
    root=*) root=${arg#root=} ;;
    rootfstype=*) fstype=${arg#rootfstype=} ;;
    init=*) init=${arg#init=} ;;
    ro) mode=ro ;;
    rw) mode=rw ;;
  esac
done
while read -r m; do insmod "/lib/modules/$m.ko" || echo "tiny-initramfs: insmod $m failed"; done </lib/modules/load-order
i=0
while :; do
  case $root in
    LABEL=* | UUID=*) dev=$(findfs "$root" 2>/dev/null) ;;
    *) dev=$root ;;
  esac
  [ -n "$dev" ] && [ -b "$dev" ] && break
  i=$((i + 1))
  [ $i -gt 200 ] && fail "root device $root did not appear"
  usleep 50000
done
mount -t "$fstype" -o "$mode" "$dev" /newroot || fail "cannot mount $dev on /"
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot "$init"
EOF
}

write_tiny_rootfs_files() {
  local r=$1
  cat >"$r/etc/passwd" <<EOF
root:x:0:0:root:/root:/bin/sh
$DEFAULT_USER:x:1000:1000:Default user:/home/$DEFAULT_USER:/bin/sh
EOF
  cat >"$r/etc/shadow" <<EOF
root:*:19000:0:99999:7:::
$DEFAULT_USER:*:19000:0:99999:7:::
EOF
  chmod 600 "$r/etc/shadow"
  cat >"$r/etc/group" <<EOF
root:x:0:
tty:x:5:
$DEFAULT_USER:x:1000:
EOF
  printf '/bin/sh\n/bin/ash\n' >"$r/etc/shells"
  echo "tiny" >"$r/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$r/etc/hosts"
  printf 'PRETTY_NAME="tiny-test (busybox + dropbear)"\nNAME=tiny-test\nID=tiny-test\n' >"$r/etc/os-release"
  echo "$DEFAULT_USER" >"$r/etc/default-user"
  echo "/dev/vda / ext4 rw 0 0" >"$r/etc/fstab"

  cat >"$r/etc/inittab" <<'EOF'
::sysinit:/etc/init.d/rcS
::respawn:/usr/sbin/dropbear -F -E -s -p 22 -r /etc/dropbear/dropbear_ed25519_host_key
::ctrlaltdel:/sbin/reboot
::shutdown:/etc/init.d/rcK
EOF

  cat >"$r/etc/init.d/rcS" <<'EOF'
#!/bin/sh
# tiny-test boot: mounts, DHCP, ACPI power button, NoCloud seed, grow root, host key.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
hostname -F /etc/hostname
ip link set lo up
for d in /sys/class/net/*; do
  n=${d##*/}
  [ "$n" = lo ] && continue
  ip link set "$n" up
  udhcpc -f -S -i "$n" -s /etc/udhcpc.script -T 1 -A 2 -p "/run/udhcpc.$n.pid" >/dev/null 2>&1 &
done
acpid -c /etc/acpi -l /run/acpid.log
/usr/sbin/tiny-cloud-init
if resize2fs /dev/vda >/run/resize2fs.log 2>&1; then
  echo "tiny-init: $(grep -o 'is now [0-9]* (4k) blocks long' /run/resize2fs.log || echo 'root fs already full size')"
else
  echo "tiny-init: resize2fs failed:"; cat /run/resize2fs.log
fi
sync
echo "tiny-init: boot done, starting dropbear on port 22"
EOF

  cat >"$r/etc/init.d/rcK" <<'EOF'
#!/bin/sh
# tiny-test shutdown: stop daemons, flush, root read-only.
killall dropbear udhcpc acpid 2>/dev/null
sync
umount -a -r 2>/dev/null
mount -o remount,ro / 2>/dev/null
sync
EOF

  # ACPI power button (QMP system_powerdown): busybox acpid runs /etc/acpi/PWRF/00000080.
  cat >"$r/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
echo "tiny-init: ACPI power button: powering off" >/dev/console
/etc/init.d/rcK
poweroff -f
EOF

  cat >"$r/etc/udhcpc.script" <<'EOF'
#!/bin/sh
# udhcpc event script: configure the address, default route and resolv.conf.
case $1 in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound | renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" ${broadcast:+broadcast "$broadcast"} dev "$interface"
    for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
    : >/etc/resolv.conf
    [ -n "$domain" ] && echo "search $domain" >>/etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
    echo "tiny-init: $interface $ip/${mask:-24} via $router" >/dev/console
    ;;
esac
exit 0
EOF

  cat >"$r/usr/sbin/tiny-cloud-init" <<'EOF'
#!/bin/sh
# A very small NoCloud reader for the tiny test guest (not cloud-init).
# Finds the volume labelled cidata, reads meta-data (instance-id,
# local-hostname) and #cloud-config user-data (hostname, fqdn,
# ssh_authorized_keys, users[].name/ssh_authorized_keys, disable_root),
# like cloud-init: hostname every boot; users, keys and the host key once per
# instance-id.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
DEFAULT_USER=$(cat /etc/default-user)
STATE=/var/lib/tiny-init
SEED=/run/cidata
TMP=/run/tiny-init
TAB=$(printf '\t')
log() { echo "tiny-cloud-init: $*"; }
mkdir -p "$SEED" "$TMP" "$STATE"

host_key() {
  k=/etc/dropbear/dropbear_ed25519_host_key
  [ -s "$k" ] || dropbearkey -t ed25519 -f "$k" >/dev/null 2>&1 || log "dropbearkey failed"
}

dev=""
i=0
while [ $i -lt 20 ]; do
  dev=$(findfs LABEL=cidata 2>/dev/null || findfs LABEL=CIDATA 2>/dev/null) && break
  dev=""
  i=$((i + 1))
  usleep 50000
done
if [ -z "$dev" ] || ! mount -t iso9660 -o ro "$dev" "$SEED" 2>/dev/null; then
  log "no NoCloud seed (volume label cidata) found"
  host_key
  exit 0
fi

# meta-data: YAML or JSON, "key: value" per line
md_get() {
  [ -f "$SEED/meta-data" ] || return 0
  tr ',{}\r' '\n\n\n\n' <"$SEED/meta-data" |
    sed -n -E "s/^[[:space:]]*[\"']?$1[\"']?[[:space:]]*:[[:space:]]*[\"']?([^\"']*)[\"']?[[:space:]]*\$/\\1/p" | head -n1
}
iid=$(md_get instance-id)
md_host=$(md_get local-hostname)

: >"$TMP/ud.tsv"
if [ -f "$SEED/user-data" ] && head -n1 "$SEED/user-data" | grep -q '^#cloud-config'; then
  awk -f /usr/lib/tiny-init/cloud-config.awk "$SEED/user-data" >"$TMP/ud.tsv"
elif [ -f "$SEED/user-data" ] && [ -s "$SEED/user-data" ]; then
  log "user-data is not #cloud-config; ignored"
fi
ud_get() { awk -F '\t' -v k="$1" '$1 == k { v = $2 } END { print v }' "$TMP/ud.tsv"; }

# hostname: fqdn / hostname from user-data, else local-hostname
h=$(ud_get hostname)
[ -n "$h" ] || h=$(ud_get fqdn)
[ -n "$h" ] || h=$md_host
if [ "$(ud_get preserve_hostname)" != true ] && [ -n "$h" ]; then
  short=${h%%.*}
  hostname "$short"
  echo "$short" >/etc/hostname
  if [ "$short" != "$h" ]; then names="$h $short"; else names=$short; fi
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost\n' "$names" >/etc/hosts
  log "hostname $short"
fi

last=$(cat "$STATE/instance-id" 2>/dev/null)
if [ -n "$iid" ] && [ "$iid" = "$last" ]; then
  log "instance $iid already set up"
  host_key
  exit 0
fi
log "new instance ${iid:-(no instance-id)}"
rm -f /etc/dropbear/*_host_key

valid_name() { echo "$1" | grep -qE '^[a-z_][a-z0-9_-]{0,31}$'; }
ensure_user() {
  grep -q "^$1:" /etc/passwd && return 0
  uid=1001
  while grep -q "^[^:]*:[^:]*:$uid:" /etc/passwd; do uid=$((uid + 1)); done
  echo "$1:x:$uid:$uid::/home/$1:/bin/sh" >>/etc/passwd
  echo "$1:*:19000:0:99999:7:::" >>/etc/shadow
  echo "$1:x:$uid:" >>/etc/group
  mkdir -p "/home/$1"
  chown "$uid:$uid" "/home/$1"
  log "created user $1"
}
install_keys() { # user keyfile
  home=$(awk -F: -v u="$1" '$1 == u { print $6 }' /etc/passwd)
  [ -n "$home" ] || return 0
  mkdir -p "$home/.ssh"
  cat "$2" >>"$home/.ssh/authorized_keys"
  chmod 700 "$home/.ssh"
  chmod 600 "$home/.ssh/authorized_keys"
  chown -R "$(awk -F: -v u="$1" '$1 == u { print $3 ":" $4 }' /etc/passwd)" "$home/.ssh"
  log "$(wc -l <"$2") key(s) for $1"
}

# users: absent or containing "default" -> the default user gets the top-level keys
has_users=$(awk -F '\t' '$1 == "users" { print "y"; exit }' "$TMP/ud.tsv")
has_default=$(awk -F '\t' '$1 == "user" && $2 == "default" { print "y"; exit }' "$TMP/ud.tsv")
default_user=""
if [ -z "$has_users" ] || [ -n "$has_default" ]; then default_user=$DEFAULT_USER; fi
awk -F '\t' '$1 == "key" && $2 == "" { print $3 }' "$TMP/ud.tsv" >"$TMP/keys.top"
if [ -n "$default_user" ] && [ -s "$TMP/keys.top" ]; then install_keys "$default_user" "$TMP/keys.top"; fi
# root: the top-level keys, behind a "log in as the default user" command unless disable_root: false
if [ -s "$TMP/keys.top" ]; then
  if [ "$(ud_get disable_root)" = false ]; then
    cp "$TMP/keys.top" "$TMP/keys.root"
  else
    opts="no-port-forwarding,no-agent-forwarding,no-X11-forwarding,command=\"echo 'Please login as the user ${default_user:-NONE} rather than the user root.';echo;sleep 10;exit 142\""
    while IFS= read -r k; do printf '%s %s\n' "$opts" "$k"; done <"$TMP/keys.top" >"$TMP/keys.root"
  fi
  install_keys root "$TMP/keys.root"
fi
# users entries
awk -F '\t' '$1 == "user" && $2 != "default" { print $2 }' "$TMP/ud.tsv" | while read -r u; do
  valid_name "$u" || { log "invalid user name '$u' ignored"; continue; }
  ensure_user "$u"
  awk -F '\t' -v u="$u" '$1 == "key" && $2 == u { print $3 }' "$TMP/ud.tsv" >"$TMP/keys.u"
  [ -s "$TMP/keys.u" ] && install_keys "$u" "$TMP/keys.u"
done
host_key
[ -n "$iid" ] && echo "$iid" >"$STATE/instance-id"
sync
exit 0
EOF

  # A reader for the few cloud-config keys the tiny guest honours. Output, tab-separated:
  #   hostname|fqdn|disable_root|preserve_hostname <value>
  #   users                      (a users: key is present)
  #   user <name>|default        (one users: entry)
  #   key <user or empty for top-level> <ssh public key>
  cat >"$r/usr/lib/tiny-init/cloud-config.awk" <<'EOF'
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }
function unq(s) {
  s = trim(s)
  if (s ~ /^".*"$/ || s ~ /^'.*'$/) s = substr(s, 2, length(s) - 2)
  return s
}
function ind(s) { match(s, /^ */); return RLENGTH }
function out(a, b, c) { if (c == "") print a "\t" b; else print a "\t" b "\t" c }
function flow(s, kind, who,   n, parts, i, v) {
  s = trim(s); s = substr(s, 2); sub(/\][ \t]*$/, "", s)
  n = split(s, parts, ",")
  for (i = 1; i <= n; i++) {
    v = unq(parts[i])
    if (v == "") continue
    if (kind == "key") out("key", who, v)
    else if (v == "default") out("user", "default")
    else out("user", v)
  }
}
function end_item(   i) {
  if (!in_item) return
  if (it_default) out("user", "default")
  else if (it_name != "") {
    out("user", it_name)
    for (i = 1; i <= it_nkeys; i++) out("key", it_name, it_keys[i])
  }
  in_item = 0; it_default = 0; it_name = ""; it_nkeys = 0; it_sub = ""
}
function item_field(line,   k, v, n, p, j, x) {   # "key: value" inside a users: entry
  k = line; sub(/:.*/, "", k); k = trim(k)
  v = line; if (index(v, ":")) v = substr(v, index(v, ":") + 1); else v = ""
  v = trim(v)
  it_sub = ""
  if (k == "name") it_name = unq(v)
  else if (k == "ssh_authorized_keys" || k == "ssh-authorized-keys") {
    if (v ~ /^\[/) {
      n = split(substr(v, 2), p, ",")
      for (j = 1; j <= n; j++) { x = p[j]; sub(/\][ \t]*$/, "", x); x = unq(x); if (x != "") it_keys[++it_nkeys] = x }
    } else if (v == "") it_sub = "keys"
  }
}
{
  line = $0; sub(/\r$/, "", line)
  t = trim(line)
  if (t == "" || t ~ /^#/) next
  i = ind(line)
  dash = (t ~ /^-( |$)/)
  if (i == 0 && !dash) {                      # a top-level key
    end_item(); ctx = ""
    k = t; sub(/:.*/, "", k); k = trim(k)
    v = ""; if (index(t, ":")) v = trim(substr(t, index(t, ":") + 1))
    if (k == "hostname" || k == "fqdn" || k == "disable_root" || k == "preserve_hostname") out(k, unq(v))
    else if (k == "ssh_authorized_keys") { if (v ~ /^\[/) flow(v, "key", ""); else if (v == "") ctx = "keys" }
    else if (k == "users") { out("users", "y"); if (v ~ /^\[/) flow(v, "user", ""); else if (v == "") ctx = "users" }
    next
  }
  if (ctx == "keys") { if (dash) out("key", "", unq(substr(t, 2))); next }
  if (ctx != "users") next
  if (dash && (!in_item || i <= it_indent)) {    # a new users: entry
    end_item(); in_item = 1; it_indent = i
    rest = trim(substr(t, 2))
    if (rest == "default") it_default = 1
    else if (rest ~ /^[A-Za-z_-]+:/) item_field(rest)
    else if (rest != "") it_name = unq(rest)
    next
  }
  if (!in_item) next
  if (dash && it_sub == "keys") { it_keys[++it_nkeys] = unq(substr(t, 2)); next }
  if (!dash && t ~ /^[A-Za-z_-]+:/) item_field(t)
}
END { end_item() }
EOF
  chmod 755 "$r/etc/init.d/rcS" "$r/etc/init.d/rcK" "$r/etc/acpi/PWRF/00000080" "$r/etc/udhcpc.script" "$r/usr/sbin/tiny-cloud-init"
}

# ================================================================ real guest
REAL_PKGS=systemd-sysv,udev,dbus,kmod,openssh-server,cloud-init,cloud-guest-utils,sudo,e2fsprogs,ifupdown,isc-dhcp-client,iproute2,linux-image-cloud-amd64,initramfs-tools,zstd,python3-cffi-backend

build_real() {
  local out=$WORK/$REAL tree=$WORK/real-root mir
  mir=$(mirror)
  mkdir -p "$out"
  log "real: mirror $mir, package cache $CACHE_ROOT/debootstrap"
  # Two stages, so that the initramfs and dpkg settings are in place before the
  # packages are configured (the kernel's postinst then builds the small initrd once).
  run_debootstrap() {
    if ! debootstrap --foreign --variant=minbase --cache-dir="$CACHE_ROOT/debootstrap" --include="$REAL_PKGS" \
      "$SUITE" "$tree" "$mir" >"$WORK/debootstrap.log" 2>&1; then
      tail -n 40 "$WORK/debootstrap.log" >&2
      die "debootstrap (first stage) failed (log above)"
    fi
    # No fsync per file while installing (the image is written by mke2fs later anyway).
    mkdir -p "$tree/etc/dpkg/dpkg.cfg.d"
    echo force-unsafe-io >"$tree/etc/dpkg/dpkg.cfg.d/golem-build-unsafe-io"
    # A small initrd: virtio only (ext4 is built into the cloud kernel); 5 MB instead of 13 MB.
    mkdir -p "$tree/etc/initramfs-tools/conf.d" "$tree/usr/share/initramfs-tools/modules.d"
    echo MODULES=list >"$tree/etc/initramfs-tools/conf.d/golem-test-guest.conf"
    printf 'virtio_pci\nvirtio_blk\n' >"$tree/usr/share/initramfs-tools/modules.d/golem-test-guest"
    if ! chroot "$tree" /debootstrap/debootstrap --second-stage >>"$WORK/debootstrap.log" 2>&1; then
      tail -n 20 "$WORK/debootstrap.log" >&2
      [[ -f $tree/debootstrap/debootstrap.log ]] && tail -n 40 "$tree/debootstrap/debootstrap.log" >&2
      die "debootstrap (second stage) failed (log above)"
    fi
    rm -f "$tree/etc/dpkg/dpkg.cfg.d/golem-build-unsafe-io"
    rm -f "$tree"/var/cache/apt/archives/*.deb "$tree"/var/cache/apt/*.bin
    rm -rf "$tree"/var/lib/apt/lists/*
  }
  # The installed tree is cached too (keyed by the debootstrap step's code, the
  # package list and the mirror; refreshed after 14 days), so a change to the rest
  # of this script rebuilds in seconds instead of minutes of dpkg in a chroot.
  local tkey tarball
  read -r tkey _ < <({ declare -f run_debootstrap; echo "$SUITE $REAL_PKGS $mir"; } | sha256sum)
  tarball=$CACHE_ROOT/rootfs/$SUITE-${tkey:0:16}.tar.zst
  unpack_tree() { mkdir -p "$tree" && zstd -dcq "$tarball" | tar -C "$tree" --numeric-owner --xattrs --xattrs-include='*' -xpf -; }
  save_tree() {
    local tmp
    tmp=$(mktemp "$CACHE_ROOT/rootfs/.tree.XXXXXX")
    tar -C "$tree" --numeric-owner --xattrs --xattrs-include='*' -cf - . | zstd -q -3 -T0 -f -o "$tmp"
    mv -f "$tmp" "$tarball"
  }
  if [[ -f $tarball ]]; then
    step "real: unpack the cached debootstrap tree $(basename "$tarball")" unpack_tree
  else
    step "real: debootstrap --variant=minbase $SUITE" run_debootstrap
    unmount_under "$tree"
    step "real: save the debootstrap tree as $(basename "$tarball")" save_tree
  fi

  local t0=$EPOCHREALTIME
  configure_real "$tree"
  log "real: tree configured in $(since "$t0") s"
  local kver
  kver=$(find "$tree/usr/lib/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | head -n1)
  cp "$tree/boot/vmlinuz-$kver" "$out/vmlinuz"
  cp "$tree/boot/initrd.img-$kver" "$out/initrd.img"
  log "real: kernel $kver"

  local tree_mb size_mb
  tree_mb=$(du -s --block-size=1M "$tree" | cut -f1)
  size_mb=$((tree_mb * 13 / 10 + 256))
  step "real: mke2fs -d (${tree_mb} MiB tree, ${size_mb} MiB fs) + qemu-img convert" mk_disk "$tree" "$size_mb" "$out/disk.qcow2" debian-root
  remove_tree "$tree"
  finish_guest "$REAL" "$out" 512
}

configure_real() {
  local t=$1
  echo "$REAL" >"$t/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$t/etc/hosts"
  printf '# <device> <mount point> <type> <options> <dump> <pass>\n/dev/vda\t/\text4\tdefaults,errors=remount-ro\t0\t1\n' >"$t/etc/fstab"
  cat >"$t/etc/network/interfaces" <<'EOF'
# cloud-init writes the interface configuration to /etc/network/interfaces.d/
auto lo
iface lo inet loopback

source /etc/network/interfaces.d/*
EOF
  mkdir -p "$t/etc/network/interfaces.d"
  echo "LANG=C.UTF-8" >"$t/etc/default/locale"

  cat >"$t/etc/cloud/cloud.cfg.d/90_dpkg.cfg" <<'EOF'
# to update this file, run dpkg-reconfigure cloud-init
datasource_list: [ NoCloud, None ]
EOF
  cat >"$t/etc/cloud/cloud.cfg.d/99_golem_test_guest.cfg" <<EOF
# Golem provider test guest: NoCloud only, fast first boot under TCG.
datasource_list: [ NoCloud, None ]
# RSA-3072 host key generation alone takes ~7 s under TCG.
ssh_genkeytypes: [ed25519, ecdsa]
# The default locale is not generated in a minbase tree.
locale: C.UTF-8
# Without it the new hostname does not resolve.
manage_etc_hosts: true
# Saves ~2 s of CPU after SSH is up (the keys are in the journal anyway).
ssh:
  emit_keys_to_console: false
# No bootloader in the image.
grub_dpkg:
  enabled: false
# Log in as "$DEFAULT_USER", like on the production Ubuntu images.
system_info:
  default_user:
    name: $DEFAULT_USER
    lock_passwd: true
    gecos: Default user
    groups: [adm, sudo]
    sudo: ["ALL=(ALL) NOPASSWD:ALL"]
    shell: /bin/bash
EOF

  # Per-VM identity: cloud-init creates the host keys, systemd the machine id.
  rm -f "$t"/etc/ssh/ssh_host_*
  : >"$t/etc/machine-id"
  rm -f "$t/var/lib/dbus/machine-id"
  ln -s /etc/machine-id "$t/var/lib/dbus/machine-id"

  # Units that only burn CPU under TCG (e2scrub_reap: ~10 s) or reach out to the network.
  local u
  for u in e2scrub_reap.service e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer fstrim.timer; do
    ln -sf /dev/null "$t/etc/systemd/system/$u"
  done

  # Leave no package lists, downloaded packages or logs from the build.
  rm -f "$t"/var/cache/apt/archives/*.deb "$t"/var/cache/apt/*.bin
  rm -rf "$t"/var/lib/apt/lists/*
  mkdir -p "$t/var/lib/apt/lists/partial"
  rm -rf "$t/debootstrap"
  find "$t/var/log" -type f -delete
  rm -rf "$t"/tmp/* "$t"/var/tmp/*
}

# ================================================================ main
T_ALL=$EPOCHREALTIME
for g in "${WANTED[@]}"; do
  if [[ -f $KEY_DIR/$g/meta.env ]]; then
    log "$g: cached"
    continue
  fi
  t_guest=$EPOCHREALTIME
  case $g in
    "$TINY") build_tiny ;;
    "$REAL") build_real ;;
  esac
  log "$g: built in $(since "$t_guest") s"
done
write_catalog

# Drop the images of other script versions not used for two days.
find "$CACHE_ROOT" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9a-f]{16}' \
  ! -path "$KEY_DIR" -mtime +2 -exec rm -rf --one-file-system {} + 2>/dev/null || true
touch "$KEY_DIR"

log "all done in $(since "$T_ALL") s: $KEY_DIR"
echo "$KEY_DIR/catalog.json" >&3
