# shellcheck shell=bash
# Helpers shared by build.sh, tiny.sh and debian.sh (sourced, not run).
# Expects CACHE_ROOT (the cache directory) and, in the guest builds, WORK (a
# scratch directory removed by build.sh) in the environment.

SUITE=bookworm
APT_OPTS=(-q -o APT::Sandbox::User=root)

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

# Unmounts everything mounted below $1 (deepest first), then removes $1.
unmount_under() {
  local m
  awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
remove_tree() {
  unmount_under "$1"
  rm -rf --one-file-system "$1"
}

# Copies the files of an overlay tree into a root tree, owned by root, with
# the modes git keeps (644, or 755 for executables); symlinks stay symlinks.
copy_overlay() {
  (umask 022 && cp -R --no-preserve=ownership --remove-destination "$1/." "$2/")
}

# A stable digest of files and directories (names, modes, symlink targets and
# contents; not owners or times), for cache keys.
digest() {
  local sum
  read -r sum _ < <(tar -C "$1" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --mode=go-w \
    -cf - "${@:2}" | sha256sum)
  echo "${sum:0:16}"
}

# The archive apt uses here for $SUITE; GOLEM_TEST_GUEST_MIRROR overrides it.
mirror() {
  local m=${GOLEM_TEST_GUEST_MIRROR:-}
  # shellcheck disable=SC2016 # $(REPO_URI) is apt's field syntax
  [[ -n $m ]] || m=$(apt-get indextargets --format '$(REPO_URI)' "Release: $SUITE" 'Target-Of: deb' | head -n1)
  [[ -n $m ]] || die "no '$SUITE' Debian mirror in apt's sources; set GOLEM_TEST_GUEST_MIRROR"
  echo "${m%/}"
}

# fetch_debs OUTVAR pkg...: downloads the candidate versions into the package
# cache (apt-get skips files already there) and sets OUTVAR to their paths.
# The package lists are updated once if a package cannot be downloaded.
fetch_debs() {
  local -n _out=$1
  shift
  local cache=$CACHE_ROOT/debs uri name _rest
  if ! (cd "$cache" && apt-get download "${APT_OPTS[@]}" "$@" >"$WORK/apt-download.log" 2>&1); then
    log "apt-get download failed; running apt-get update once and retrying"
    apt-get update -q >"$WORK/apt-update.log" 2>&1 || { cat "$WORK/apt-update.log" >&2; die "apt-get update failed"; }
    (cd "$cache" && apt-get download "${APT_OPTS[@]}" "$@" >"$WORK/apt-download.log" 2>&1) ||
      { cat "$WORK/apt-download.log" >&2; die "apt-get download $* failed"; }
  fi
  _out=()
  while read -r uri name _rest; do
    [[ -f $cache/$name ]] || die "downloaded package not found: $cache/$name ($uri)"
    _out+=("$cache/$name")
  done < <(apt-get download --print-uris "${APT_OPTS[@]}" "$@")
}

# mk_disk TREE SIZE_MB OUT.qcow2 LABEL: an ext4 image of TREE spanning the
# whole disk (no partition table, so the guest grows it with plain resize2fs),
# converted to qcow2. 4 KiB blocks: a small image would get 1 KiB ones.
mk_disk() {
  local tree=$1 size_mb=$2 out=$3 label=$4 raw=$WORK/disk-$RANDOM.raw
  mke2fs -q -F -t ext4 -T default -b 4096 -L "$label" -d "$tree" "$raw" "${size_mb}M"
  qemu-img convert -f raw -O qcow2 "$raw" "$out"
  rm -f "$raw"
}
