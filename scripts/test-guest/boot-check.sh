#!/usr/bin/env bash
# Boots one guest of a test-guest catalog the way the provider's QEMU driver
# does, and checks it: qcow2 overlay (12G), NoCloud seed ISO, TCG, user-mode
# networking with a forwarded SSH port picked by QEMU, SSH as the default user
# and as root, then a clean ACPI power-off through QMP. Prints each phase's time.
#
# Usage: boot-check.sh <catalog.json> <image-name>
# Environment: BOOT_TIMEOUT (s, default 90 for tiny-test, 240 otherwise),
#              MEM_MB (default 1024), SMP (default 2), DISK_GB (default 12),
#              KEEP=1 keeps the work directory (serial log) for inspection.
set -euo pipefail

[[ $# -eq 2 ]] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
CATALOG=$1
IMAGE=$2
MEM_MB=${MEM_MB:-1024}
SMP=${SMP:-2}
DISK_GB=${DISK_GB:-12}
SHUTDOWN_TIMEOUT=${SHUTDOWN_TIMEOUT:-60}

log() { printf '[boot-check %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

for tool in node qemu-img qemu-system-x86_64 genisoimage ssh ssh-keygen timeout; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done

# --- the catalog entry
# shellcheck disable=SC2016 # JavaScript, not shell
mapfile -t F < <(node -e '
  const [file, name] = process.argv.slice(1);
  const img = JSON.parse(require("fs").readFileSync(file, "utf8")).images.find((i) => i.name === name);
  if (!img) { console.error(`no image ${name} in ${file}`); process.exit(1); }
  for (const k of ["path", "format", "kernel", "initrd", "append", "default_user"]) console.log(img[k] ?? "");
' "$CATALOG" "$IMAGE") || die "cannot read $IMAGE from $CATALOG"
BASE=${F[0]} FORMAT=${F[1]} KERNEL=${F[2]} INITRD=${F[3]} APPEND=${F[4]} USER_NAME=${F[5]}
[[ -f $BASE && -f $KERNEL && -f $INITRD ]] || die "catalog paths missing: $BASE $KERNEL $INITRD"
if [[ $IMAGE == tiny-test ]]; then BOOT_TIMEOUT=${BOOT_TIMEOUT:-90}; else BOOT_TIMEOUT=${BOOT_TIMEOUT:-240}; fi

# --- work dir and cleanup
WORK=$(mktemp -d /tmp/boot-check.XXXXXX)
QEMU_PID=""
cleanup() {
  local rc=$? i
  if [[ -n $QEMU_PID ]] && kill -0 "$QEMU_PID" 2>/dev/null; then
    log "cleanup: stopping qemu (pid $QEMU_PID)"
    kill -TERM "$QEMU_PID" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$QEMU_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -f $WORK/serial.log ]]; then
    log "last lines of the serial console:"
    tail -n 40 "$WORK/serial.log" >&2 || true
  fi
  if [[ ${KEEP:-0} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# qmp COMMAND [ARGUMENTS-JSON]: one QMP command through the unix socket; prints
# the "return" value (a string as is, anything else as JSON). Bounded to 10 s.
qmp() {
  node -e '
    const net = require("net");
    const [sock, execute, args] = process.argv.slice(1);
    const s = net.connect(sock);
    const timer = setTimeout(() => { console.error("qmp: timeout"); process.exit(2); }, 10000);
    let buf = "", sent = false;
    s.on("data", (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const m = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (m.QMP) s.write(JSON.stringify({ execute: "qmp_capabilities" }) + "\n");
        else if (m.error) { console.error("qmp: " + JSON.stringify(m.error)); process.exit(1); }
        else if ("return" in m && !sent) {
          sent = true;
          s.write(JSON.stringify(args ? { execute, arguments: JSON.parse(args) } : { execute }) + "\n");
        } else if ("return" in m) {
          console.log(typeof m.return === "string" ? m.return : JSON.stringify(m.return));
          clearTimeout(timer);
          s.end();
          process.exit(0);
        }
      }
    });
    s.on("error", (e) => { console.error("qmp: " + e.message); process.exit(1); });
  ' "$WORK/qmp.sock" "$@"
}

# --- per-VM files: key, seed, overlay
T0=$EPOCHREALTIME
SUFFIX=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
HOST_NAME=bc-$SUFFIX
ssh-keygen -q -t ed25519 -N "" -C "boot-check@$HOST_NAME" -f "$WORK/id_ed25519"
mkdir "$WORK/seed"
cat >"$WORK/seed/user-data" <<EOF
#cloud-config
hostname: $HOST_NAME
ssh_authorized_keys:
  - $(cat "$WORK/id_ed25519.pub")
disable_root: false
EOF
printf 'instance-id: iid-%s\nlocal-hostname: %s\n' "$SUFFIX" "$HOST_NAME" >"$WORK/seed/meta-data"
genisoimage -quiet -output "$WORK/seed.iso" -volid cidata -joliet -rock "$WORK/seed/user-data" "$WORK/seed/meta-data"
qemu-img create -q -f qcow2 -F "$FORMAT" -b "$BASE" "$WORK/overlay.qcow2" "${DISK_GB}G"
log "prepare (key, seed ISO, ${DISK_GB}G overlay): $(since "$T0") s"

# --- start QEMU
T_START=$EPOCHREALTIME
qemu-system-x86_64 \
  -name "$IMAGE" -accel tcg -machine q35 -nodefaults -nographic \
  -smp "$SMP" -m "$MEM_MB" \
  -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" \
  -drive "file=$WORK/overlay.qcow2,format=qcow2,if=virtio" \
  -drive "file=$WORK/seed.iso,format=raw,if=virtio,readonly=on" \
  -netdev user,id=n0,hostfwd=tcp:127.0.0.1:0-:22 -device virtio-net-pci,netdev=n0 \
  -device virtio-rng-pci \
  -serial "file:$WORK/serial.log" \
  -qmp "unix:$WORK/qmp.sock,server=on,wait=off" \
  -pidfile "$WORK/qemu.pid" \
  </dev/null >"$WORK/qemu.out" 2>"$WORK/qemu.err" &
QEMU_PID=$!
alive() { kill -0 "$QEMU_PID" 2>/dev/null; }
cpu_s() { # CPU time (user + system) QEMU has used so far: a load-independent measure
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.1f", ($12 + $13) / hz }' "/proc/$QEMU_PID/stat" 2>/dev/null || echo "?"
}

for ((i = 0; i < 100; i++)); do
  [[ -S $WORK/qmp.sock ]] && break
  alive || die "qemu exited at once: $(cat "$WORK/qemu.err")"
  sleep 0.1
done
[[ -S $WORK/qmp.sock ]] || die "no QMP socket after 10 s"
USERNET=$(qmp human-monitor-command '{"command-line": "info usernet"}')
PORT=$(awk '$1 ~ /HOST_FORWARD/ && $6 == 22 { print $4; exit }' <<<"$USERNET")
[[ $PORT =~ ^[0-9]+$ ]] || die "no forwarded port in 'info usernet': $USERNET"
log "qemu pid $QEMU_PID, SSH forwarded from 127.0.0.1:$PORT (info usernet), $(since "$T_START") s after start"

# --- wait for the SSH banner (TCP connects succeed before the guest is up)
banner() {
  local fd line
  exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" 2>/dev/null || return 1
  IFS= read -r -t 2 -u "$fd" line || true
  exec {fd}<&-
  [[ $line == SSH-* ]] && printf '%s' "${line%$'\r'}"
}
BANNER=""
DEADLINE=$((SECONDS + BOOT_TIMEOUT))
while ((SECONDS < DEADLINE)); do
  alive || die "qemu exited during boot"
  if BANNER=$(banner); then break; fi
  BANNER=""
  sleep 0.5
done
[[ -n $BANNER ]] || die "no SSH banner within ${BOOT_TIMEOUT} s"
log "SSH banner '$BANNER' $(since "$T_START") s after qemu start (qemu CPU time $(cpu_s) s, load average $(cut -d' ' -f1 /proc/loadavg))"

# --- log in
SSH_OPTS=(-i "$WORK/id_ed25519" -p "$PORT" -o BatchMode=yes -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10 -o IdentitiesOnly=yes)
# shellcheck disable=SC2016 # expanded in the guest
CHECK='echo "hostname=$(hostname)"; echo "nproc=$(nproc)"; echo "id=$(id -un)"; df -k / | tail -n 1 | awk "{ print \"root_kb=\" \$2 }"; df -h /'
for who in "$USER_NAME" root; do
  T_SSH=$EPOCHREALTIME
  OUT=""
  for ((try = 1; try <= 5; try++)); do
    if OUT=$(timeout 60 ssh "${SSH_OPTS[@]}" "$who@127.0.0.1" "$CHECK" 2>"$WORK/ssh.err"); then break; fi
    OUT=""
    log "ssh as $who: attempt $try failed: $(tr '\n' ' ' <"$WORK/ssh.err")"
    sleep 2
  done
  [[ -n $OUT ]] || die "cannot log in as $who"
  log "ssh as $who: $(since "$T_SSH") s"
  while IFS= read -r line; do printf '    %s\n' "$line" >&2; done <<<"$OUT"
  get() { sed -n "s/^$1=//p" <<<"$OUT"; }
  [[ $(get id) == "$who" ]] || die "logged in as $(get id), expected $who"
  [[ $(get hostname) == "$HOST_NAME" ]] || die "hostname is '$(get hostname)', expected $HOST_NAME"
  [[ $(get nproc) == "$SMP" ]] || die "nproc is '$(get nproc)', expected $SMP"
  ROOT_KB=$(get root_kb)
  ((ROOT_KB > (DISK_GB * 1024 * 1024) * 90 / 100 && ROOT_KB <= DISK_GB * 1024 * 1024)) ||
    die "root filesystem is $ROOT_KB KiB, expected about ${DISK_GB}G"
done
log "checks passed: users $USER_NAME and root, hostname $HOST_NAME, nproc $SMP, root fs $((ROOT_KB / 1024)) MiB"

# --- clean power-off through ACPI
T_OFF=$EPOCHREALTIME
qmp system_powerdown >/dev/null
for ((i = 0; i < SHUTDOWN_TIMEOUT * 10; i++)); do
  alive || break
  sleep 0.1
done
alive && die "guest did not power off within ${SHUTDOWN_TIMEOUT} s of system_powerdown"
wait "$QEMU_PID" || true
QEMU_PID=""
log "power-off (QMP system_powerdown -> qemu exit): $(since "$T_OFF") s"
log "OK $IMAGE: banner ${BANNER}; total $(since "$T0") s"
