#!/usr/bin/env bash
# Builds the guest images that the provider's tests boot under QEMU (TCG).
#
#   tiny-test       Debian cloud kernel + hand-made busybox initramfs + a small
#                   ext4 root disk (busybox, dropbear, resize2fs) whose init reads
#                   the NoCloud seed itself. SSH in ~5 s under TCG.   (tiny.sh)
#   debian-12-test  Debian bookworm minbase (debootstrap) with systemd,
#                   openssh-server and the real cloud-init (NoCloud). (debian.sh)
#
# Usage: build.sh [--only tiny|debian-12-test]
#
# Images are cached under ${GOLEM_TEST_GUEST_CACHE:-<repo>/.cache/test-guest}/<key>/
# where <key> is a digest of the scripts and the guests' file trees. Progress
# goes to stderr; the last line of stdout is the absolute path of
# <key>/catalog.json. Needs root (debootstrap, file ownership inside the images).
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
CACHE_ROOT=${GOLEM_TEST_GUEST_CACHE:-${HERE%/scripts/test-guest}/.cache/test-guest}
[[ $CACHE_ROOT == /* ]] || CACHE_ROOT=$(realpath -m "$CACHE_ROOT")
# shellcheck source=lib.sh
. "$HERE/lib.sh"

TINY=tiny-test
REAL=debian-12-test
GUESTS=("$REAL" "$TINY")
declare -A SCRIPT=([$TINY]=tiny.sh [$REAL]=debian.sh) MIN_MEMORY_MB=([$TINY]=128 [$REAL]=512)
APPEND="root=/dev/vda rw console=ttyS0"
DEFAULT_USER=ubuntu # the guests' files name it too; the guest scripts check that they agree
export CACHE_ROOT DEFAULT_USER

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; }
WANTED=("${GUESTS[@]}")
while [[ $# -gt 0 ]]; do
  case $1 in
    --only)
      case ${2:-} in
        tiny | "$TINY") WANTED=("$TINY") ;;
        real | debian | "$REAL") WANTED=("$REAL") ;;
        *) die "--only: unknown guest '${2:-}' (tiny or $REAL)" ;;
      esac
      shift 2
      ;;
    -h | --help) usage; exit 0 ;;
    *) usage; die "unknown argument: $1" ;;
  esac
done

KEY_DIR=$CACHE_ROOT/$(digest "$HERE" build.sh lib.sh tiny.sh debian.sh tiny debian)

# ---------------------------------------------------------------- catalog
# A finished guest is a directory <key>/<name>/ holding meta.env (written
# last, before the directory is renamed into place). The catalog lists every
# finished guest of the key; it is rewritten atomically.
json_str() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }
# shellcheck disable=SC1091,SC2153 # NAME and SHA256 come from meta.env
catalog_entry() (
  . "$1/meta.env"
  printf '    {"name": %s, "format": "qcow2", "path": %s, "sha256": %s,\n' \
    "$(json_str "$NAME")" "$(json_str "$1/disk.qcow2")" "$(json_str "$SHA256")"
  printf '     "kernel": %s, "initrd": %s, "append": %s,\n' \
    "$(json_str "$1/vmlinuz")" "$(json_str "$1/initrd.img")" "$(json_str "$APPEND")"
  printf '     "default_user": %s, "min_memory_mb": %s}' "$(json_str "$DEFAULT_USER")" "${MIN_MEMORY_MB[$NAME]}"
)
write_catalog() {
  local tmp sep="" g
  tmp=$(mktemp "$KEY_DIR/.catalog.XXXXXX")
  {
    printf '{"images": [\n'
    for g in "${GUESTS[@]}"; do
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
built() { [[ -f $KEY_DIR/$1/meta.env ]]; }
all_built() {
  local g
  for g in "${WANTED[@]}"; do built "$g" || return 1; done
}
catalog_fresh() { # catalog.json newer than every finished guest
  local g
  [[ -f $KEY_DIR/catalog.json ]] || return 1
  for g in "${GUESTS[@]}"; do
    ! built "$g" || [[ $KEY_DIR/catalog.json -nt $KEY_DIR/$g/meta.env ]] || return 1
  done
}

# Fast path: everything wanted is already built for these inputs.
if all_built; then
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
for tool in apt-get apt-cache dpkg-deb debootstrap depmod modprobe mke2fs qemu-img cpio flock sha256sum tar zstd; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done
mkdir -p "$CACHE_ROOT"/{tmp,debs,debootstrap,rootfs} "$KEY_DIR"

# One builder at a time per cache root; anything under tmp/ while we hold the
# lock is left over from a crashed build.
exec 9>"$CACHE_ROOT/.lock"
if ! flock -n 9; then
  log "another build holds $CACHE_ROOT/.lock; waiting (up to 30 min) ..."
  flock -w 1800 9 || die "timed out waiting for $CACHE_ROOT/.lock"
fi
for stale in "$CACHE_ROOT"/tmp/*; do
  [[ -e $stale ]] || continue
  log "removing a stale build directory: $stale"
  remove_tree "$stale"
done
rm -f "$CACHE_ROOT"/rootfs/.tree.*
find "$CACHE_ROOT/rootfs" -name '*.tar.zst' -mtime +14 -delete

WORK=$(mktemp -d "$CACHE_ROOT/tmp/build.XXXXXX")
export WORK
cleanup() {
  local rc=$?
  [[ -d $WORK ]] && remove_tree "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Builds one guest under WORK, then renames it into <key>/<name>: the rename is
# what makes the cache entry valid.
build_guest() {
  local name=$1 dir=$WORK/$1 sha t0=$EPOCHREALTIME
  bash "$HERE/${SCRIPT[$name]}" "$dir" 3>&-
  read -r sha _ < <(sha256sum "$dir/disk.qcow2")
  printf "NAME='%s'\nSHA256='%s'\n" "$name" "$sha" >"$dir/meta.env"
  chmod 755 "$dir"
  rm -rf --one-file-system "${KEY_DIR:?}/$name"
  mv "$dir" "$KEY_DIR/$name"
  log "$name: built in $(since "$t0") s: $(du -sh "$KEY_DIR/$name/disk.qcow2" | cut -f1) disk.qcow2, $(du -sh "$KEY_DIR/$name/initrd.img" | cut -f1) initrd.img"
}

T_ALL=$EPOCHREALTIME
for g in "${WANTED[@]}"; do
  if built "$g"; then log "$g: cached"; else build_guest "$g"; fi
done
write_catalog

# Drop the images of other inputs not used for two days.
find "$CACHE_ROOT" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9a-f]{16}' \
  ! -path "$KEY_DIR" -mtime +2 -exec rm -rf --one-file-system {} + 2>/dev/null || true
touch "$KEY_DIR"

log "all done in $(since "$T_ALL") s: $KEY_DIR"
echo "$KEY_DIR/catalog.json" >&3
