/**
 * Renters' mapped ports for real: the daemon as a process, the QEMU backend
 * and the tiny test guest, in both forwarding modes. Inside the VM, `socat`
 * serves TCP on two ports and echoes UDP on a third; from the host, each
 * public port reaches its listener; a port added on the running VM is
 * reached, a removed one is closed; stop/start, a provider restart and a
 * SIGKILL keep every public port; delete frees them all.
 *
 * - kernel: the provider runs as root and isolates its VMs, so the public
 *   ports are nftables DNAT entries to the guest's address on the bridge.
 * - proxy: the same provider run as an unprivileged user cannot isolate
 *   (user-mode network): QEMU forwards each guest port to a loopback port
 *   (`hostfwd_add`) and the provider's user-space proxy relays to it.
 */
import assert from 'node:assert/strict'
import { chmodSync, chownSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { api, bootRequest, freePortRange, isListening, startDaemon, type Daemon } from '../helpers/daemon.js'
import { netnsUnavailable } from '../helpers/netns.js'
import { publicPort, tcpAnswer, udpAnswer, type Mapping } from '../helpers/port-clients.js'
import { parseSamples, sample } from '../helpers/prometheus-text.js'
import { assertIssuedHostKey, sshRun } from '../helpers/ssh.js'
import { qemuWorld, type QemuWorld } from '../helpers/test-guest.js'

/** A create or start under software emulation on a busy 2-core host; below fetch's 300 s header timeout. */
const BOOT_LIMIT_S = 240
const NOBODY = 65_534
const WEB = 8080
const EXTRA = 8081
const GAME = 5353

interface Vm {
  readonly ssh_port: number
  readonly status: string
  readonly ports: readonly Mapping[]
}
interface Status {
  readonly ports: { readonly free: readonly number[] }
  readonly vm_network?: { readonly isolated: boolean }
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the type is the caller's claim about the response
const slowApi = <T>(base: string, method: string, path: string, body?: unknown) => bootRequest<T>(base, method, path, body, (BOOT_LIMIT_S + 30) * 1000)

// Inside the guest: TCP on WEB and EXTRA answering with the port and hostname, a UDP echo on GAME; detached from the SSH session.
const GUEST_SERVERS = [
  ...[WEB, EXTRA].map((p) => `setsid socat TCP4-LISTEN:${p},fork,reuseaddr SYSTEM:'echo tcp ${p} from $(hostname)' </dev/null >/dev/null 2>&1 &`),
  `setsid socat -T 5 UDP4-RECVFROM:${GAME},fork EXEC:cat </dev/null >/dev/null 2>&1 &`,
  // Ready once all three listen (bounded).
  `for i in $(seq 50); do [ "$(netstat -ln | grep -cE ':(${WEB}|${EXTRA}|${GAME}) ')" -ge 3 ] && exit 0; sleep 0.2; done; netstat -ln; exit 1`,
].join('\n')

async function startGuestServers(w: QemuWorld, vm: Vm): Promise<void> {
  const r = await sshRun({ port: vm.ssh_port, user: 'root', key: w.key.privateKeyPath, command: GUEST_SERVERS, timeoutMs: 90_000 })
  assert.equal(r.code, 0, `servers in the guest: ${r.stdout} ${r.stderr}`)
}

// The first answer within `limitMs`: the kernel's rules and QEMU's forwards apply at once, a relay after a restart a moment later.
async function eventually(probe: () => Promise<string | null>, expected: string, limitMs = 30_000): Promise<string | null> {
  const end = Date.now() + limitMs
  let last = await probe()
  while (last !== expected && Date.now() < end) {
    await sleep(500)
    last = await probe()
  }
  return last
}

// The VM's forwarded traffic in the metrics once it shows bytes both ways (the kernel's counters are read every 5 s).
async function trafficMetrics(d: Daemon, dataDir: string, vm: string): Promise<{ in: number; out: number; accepted: number }> {
  const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()
  let seen = { in: 0, out: 0, accepted: 0 }
  for (let i = 0; i < 30 && (seen.in === 0 || seen.out === 0); i++) {
    if (i > 0) await sleep(1000)
    const res = await fetch(`${d.baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })
    const s = parseSamples(await res.text())
    const bytes = (direction: string) => sample(s, 'golem_provider_forwarded_bytes_total', { vm, direction }) ?? 0
    seen = { in: bytes('in'), out: bytes('out'), accepted: sample(s, 'golem_provider_forwarded_connections_accepted_total', { vm }) ?? 0 }
  }
  return seen
}

async function freePorts(d: Daemon): Promise<Status> {
  return (await api<Status>(d.baseUrl, 'GET', '/api/v1/provider/status')).body
}

// The proxy mode's provider: QEMU's provider as `nobody` (no root, so no isolation), its data dir its own.
function unprivileged(w: QemuWorld): readonly string[] {
  chmodSync(dirname(w.dataDir), 0o711)
  mkdirSync(w.dataDir, { recursive: true })
  chownSync(w.dataDir, NOBODY, NOBODY)
  return ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--']
}

async function scenario(t: TestContext, mode: 'kernel' | 'proxy'): Promise<void> {
  const range = await freePortRange(4)
  const w = await qemuWorld(t, 'tiny-test', {
    GOLEM_PROVIDER_CREATE_TIMEOUT: String(BOOT_LIMIT_S),
    GOLEM_PROVIDER_PORT_RANGE_START: String(range.start),
    GOLEM_PROVIDER_PORT_RANGE_END: String(range.end),
    ...(mode === 'proxy' ? { HOME: '/tmp' } : {}),
  })
  const launcher = mode === 'proxy' ? unprivileged(w) : undefined
  const start = (): Promise<Daemon> => startDaemon(t, { env: w.env, timeoutMs: 120_000, ...(launcher === undefined ? {} : { launcher }) })
  let daemon = await start()
  const before = await freePorts(daemon)
  assert.equal(before.vm_network?.isolated, mode === 'kernel', `the ${mode} mode: ${JSON.stringify(before.vm_network)}`)
  assert.equal(before.ports.free.length, 4)

  const created = await slowApi<Vm>(daemon.baseUrl, 'POST', '/api/v1/vms', {
    name: 'game',
    ssh_key: w.key.publicKey,
    image: 'tiny-test',
    resources: { cpu: 1, memory: 1, storage: 10 },
    ports: [{ guest: WEB }, { guest: GAME, protocol: 'udp' }],
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  let vm = created.body
  const get = async (): Promise<Vm> => (await api<Vm>(daemon.baseUrl, 'GET', '/api/v1/vms/game')).body
  // The tiny guest applies the host key the provider issued in the seed (ssh_keys), so a pinned ssh works.
  const hostKey = { name: 'game', user: 'root', key: w.key.privateKeyPath }
  await assertIssuedHostKey({ ...hostKey, baseUrl: daemon.baseUrl, port: vm.ssh_port })
  await startGuestServers(w, vm)
  assert.equal(await eventually(() => tcpAnswer(publicPort(vm, WEB)), `tcp ${WEB} from game`), `tcp ${WEB} from game`)
  assert.equal(await eventually(() => udpAnswer(t, publicPort(vm, GAME), 'ping'), 'ping'), 'ping', 'the UDP echo answers through the public port')

  // A third port on the running VM is reached at once; removing the first closes it.
  const added = await api<Vm>(daemon.baseUrl, 'POST', '/api/v1/vms/game/ports', { ports: [{ guest: EXTRA, protocol: 'tcp' }] })
  assert.equal(added.status, 200, JSON.stringify(added.body))
  vm = added.body
  assert.equal(await eventually(() => tcpAnswer(publicPort(vm, EXTRA)), `tcp ${EXTRA} from game`), `tcp ${EXTRA} from game`)
  const webPort = publicPort(vm, WEB)
  const removed = await api<Vm>(daemon.baseUrl, 'DELETE', `/api/v1/vms/game/ports/${webPort}`)
  assert.equal(removed.status, 200, JSON.stringify(removed.body))
  vm = removed.body
  assert.equal(await isListening(webPort), false, 'the removed mapping no longer listens')
  assert.match(await tcpAnswer(webPort), /^(closed|error:)/, 'nothing answers on the removed port')
  const kept = vm.ports.map((p) => p.public_port)

  // Stop: nothing answers; start: the same public ports reach the guest again (its servers started anew).
  assert.equal((await slowApi<Vm>(daemon.baseUrl, 'POST', '/api/v1/vms/game/stop')).body.status, 'stopped')
  assert.match(await tcpAnswer(publicPort(vm, EXTRA)), /^(closed|error:)/)
  assert.equal(await udpAnswer(t, publicPort(vm, GAME), 'stopped', 1500), null)
  const started = await slowApi<Vm>(daemon.baseUrl, 'POST', '/api/v1/vms/game/start')
  assert.equal(started.body.status, 'running', JSON.stringify(started.body))
  vm = await get()
  assert.deepEqual(
    vm.ports.map((p) => p.public_port),
    kept,
  )
  await startGuestServers(w, vm)
  await assertIssuedHostKey({ ...hostKey, baseUrl: daemon.baseUrl, port: vm.ssh_port }) // the same key after a reboot
  const reached = async (label: string): Promise<void> => {
    assert.equal(await eventually(() => tcpAnswer(publicPort(vm, EXTRA)), `tcp ${EXTRA} from game`), `tcp ${EXTRA} from game`, label)
    assert.equal(await eventually(() => udpAnswer(t, publicPort(vm, GAME), label), label), label, `${label}: UDP`)
  }
  await reached('after stop and start')

  // A graceful restart and a SIGKILL: the VM runs on, and its ports answer on the same numbers.
  assert.equal(await daemon.stop(), 0)
  daemon = await start()
  await reached('after a provider restart')
  await daemon.kill()
  daemon = await start()
  assert.deepEqual(
    (await get()).ports.map((p) => p.public_port),
    kept,
  )
  await reached('after SIGKILL and a restart')
  // Kernel forwarding: the traffic of the VM's mapped ports reaches the metrics (and the dashboard, from the same
  // source) from the kernel's counters. In the proxy mode it does not yet: after the mapped-port checks above the
  // VM's series showed 0 bytes in (full suite, 2026-12-02), although the proxy's per-VM figures sum its mapped
  // listeners (SshProxy.vmStats, unit-tested); open, see the issue 19 note.
  if (mode === 'kernel') {
    const instance = (await api<{ multipass_name: string }>(daemon.baseUrl, 'GET', '/api/v1/vms/game/access')).body.multipass_name
    const traffic = await trafficMetrics(daemon, w.dataDir, instance)
    assert.ok(traffic.in > 0 && traffic.out > 0 && traffic.accepted > 0, `forwarded traffic in the metrics: ${JSON.stringify(traffic)}`)
  }

  // Delete frees every port: the status offers all of them again.
  assert.equal((await api(daemon.baseUrl, 'DELETE', '/api/v1/vms/game')).status, 200)
  for (const port of [vm.ssh_port, ...kept]) assert.equal(await isListening(port), false, `port ${port} closed`)
  assert.deepEqual((await freePorts(daemon)).ports.free, before.ports.free)
  assert.equal(await daemon.stop(), 0)
}

test(
  'kernel forwarding (isolated VM): a TCP listener and a UDP echo in a QEMU guest on stable public ports',
  { skip: netnsUnavailable(), timeout: 20 * 60_000 },
  (t) => scenario(t, 'kernel'),
)

test(
  "user-space proxy (unprivileged provider, QEMU's user-mode network): the same",
  { skip: process.getuid?.() === 0 ? false : 'needs root to run the provider as another user', timeout: 20 * 60_000 },
  (t) => scenario(t, 'proxy'),
)
