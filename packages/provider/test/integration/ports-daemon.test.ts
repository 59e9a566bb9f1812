/**
 * Renters' mapped ports against the real daemon as a process, with the fake
 * `multipass` (a real sshd per VM on 127.0.0.N): a TCP server and a UDP echo
 * started inside the VM over SSH are reached through their public ports
 * (user-space forwarding); a port added on the running VM is reached, a
 * removed one is closed; stop/start, a restart and a SIGKILL keep every
 * public port; delete frees them all.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { isListening, startDaemon, type Daemon } from '../helpers/daemon.js'
import { multipassWorld, type MultipassWorld } from '../helpers/multipass-world.js'
import { publicPort, tcpAnswer, udpAnswer, type Mapping } from '../helpers/port-clients.js'
import { renter, type Renter } from '../helpers/renter.js'

interface Vm {
  ssh_port: number
  ip_address: string
  ports: Mapping[]
}

// Guest ports unlikely to be in use by an earlier run on the same 127.0.0.N.
const base = 20_000 + Math.floor(Math.random() * 20_000)
const WEB = base
const GAME = base + 1
const EXTRA = base + 2

// Inside the VM: TCP servers on WEB and EXTRA answering with the hostname and port, a UDP echo on GAME.
// Bound to the VM's own address only; the script ends by itself after 5 minutes.
const GUEST_SERVERS = `
import socket, threading, sys
ip = sys.argv[1]; name = socket.gethostname()
def tcp(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((ip, port)); s.listen(16)
    while True:
        c, _ = s.accept(); c.sendall(f"tcp {port} from {name}\\n".encode()); c.close()
def udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((ip, port))
    while True:
        data, peer = s.recvfrom(2048); s.sendto(b"echo:" + data, peer)
for f, p in ((tcp, ${WEB}), (tcp, ${EXTRA}), (udp, ${GAME})):
    threading.Thread(target=f, args=(p,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait(300)
`

// Starts the servers in the VM through its SSH port, as a renter would; resolves once they listen.
async function startGuestServers(t: TestContext, w: MultipassWorld, vm: Vm): Promise<void> {
  const child = spawn(
    'ssh',
    [
      '-i',
      w.key.privateKeyPath,
      '-p',
      String(vm.ssh_port),
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'LogLevel=ERROR',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'ConnectTimeout=15',
      'ubuntu@127.0.0.1',
      `exec python3 -c '${GUEST_SERVERS}' ${vm.ip_address}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  t.after(() => {
    child.kill('SIGKILL')
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += String(chunk)
  })
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (String(chunk).includes('ready')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`guest servers exited (${code}): ${stderr}`)))
  })
  await Promise.race([
    ready,
    sleep(60_000).then(() => {
      throw new Error(`guest servers not ready: ${stderr}`)
    }),
  ])
}

async function getVm(r: Renter, name: string): Promise<Vm> {
  const res = await r.api('GET', `/api/v1/vms/${name}`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body as Vm
}

async function freePorts(d: Daemon): Promise<number[]> {
  const res = await fetch(`${d.baseUrl}/api/v1/provider/status`)
  return ((await res.json()) as { ports: { free: number[] } }).ports.free
}

test('a renter reaches a TCP server and a UDP echo inside the VM on stable public ports; delete frees them', async (t) => {
  const w = await multipassWorld(t, {}, 6)
  let daemon = await startDaemon(t, { env: w.env })
  const aliceKey = `0x${randomBytes(32).toString('hex')}`
  const alice = renter(daemon, aliceKey)
  const allFree = await freePorts(daemon)
  assert.equal(allFree.length, 6)

  const created = await alice.api('POST', '/api/v1/vms', { name: 'game', ssh_key: w.key.publicKey, ports: [{ guest: WEB }, { guest: GAME, protocol: 'udp' }] })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  let vm = created.body as Vm
  assert.deepEqual(
    vm.ports.map((p) => [p.guest, p.protocol, p.host]),
    [
      [WEB, 'tcp', '127.0.0.1'],
      [GAME, 'udp', '127.0.0.1'],
    ],
  )
  const access = (await alice.api('GET', '/api/v1/vms/game/access')).body as { ssh_port: number; ports: Mapping[] }
  assert.deepEqual([access.ssh_port, access.ports], [vm.ssh_port, vm.ports], '/access reports the same mapping next to ssh_port')
  vm = await getVm(alice, 'game')
  await startGuestServers(t, w, vm)
  assert.equal(await tcpAnswer(publicPort(vm, WEB)), `tcp ${WEB} from game`)
  assert.equal(await udpAnswer(t, publicPort(vm, GAME), 'ping'), 'echo:ping')

  // Another renter can neither see nor change the VM's ports.
  const mallory = renter(daemon)
  assert.equal((await mallory.api('POST', '/api/v1/vms/game/ports', { ports: [{ guest: EXTRA }] })).status, 404)
  assert.equal((await mallory.api('DELETE', `/api/v1/vms/game/ports/${publicPort(vm, WEB)}`)).status, 404)

  // A third port on the running VM is reached at once; removing the first closes it.
  const added = await alice.api('POST', '/api/v1/vms/game/ports', { ports: [{ guest: EXTRA, protocol: 'tcp' }] })
  assert.equal(added.status, 200, JSON.stringify(added.body))
  vm = added.body as Vm
  assert.equal(await tcpAnswer(publicPort(vm, EXTRA)), `tcp ${EXTRA} from game`)
  const webPort = publicPort(vm, WEB)
  const removed = await alice.api('DELETE', `/api/v1/vms/game/ports/${webPort}`)
  assert.equal(removed.status, 200, JSON.stringify(removed.body))
  assert.equal(await isListening(webPort), false, 'the removed mapping no longer listens')
  vm = removed.body as Vm
  const kept = vm.ports.map((p) => p.public_port)

  // Stop: nothing answers; start: the same public ports reach the guest again.
  assert.equal((await alice.api('POST', '/api/v1/vms/game/stop')).status, 200)
  assert.equal(await udpAnswer(t, publicPort(vm, GAME), 'stopped', 1500), null)
  assert.match(await tcpAnswer(publicPort(vm, EXTRA)), /^(closed|error:)/)
  const started = await alice.api('POST', '/api/v1/vms/game/start')
  assert.equal(started.status, 200, JSON.stringify(started.body))
  vm = await getVm(alice, 'game')
  assert.deepEqual(
    vm.ports.map((p) => p.public_port),
    kept,
  )
  await startGuestServers(t, w, vm)
  assert.equal(await tcpAnswer(publicPort(vm, EXTRA)), `tcp ${EXTRA} from game`)
  assert.equal(await udpAnswer(t, publicPort(vm, GAME), 'after start'), 'echo:after start')

  // A graceful restart and a SIGKILL: the VM runs on, and its ports come back on the same numbers.
  assert.equal(await daemon.stop(), 0)
  daemon = await startDaemon(t, { env: w.env })
  assert.equal(await udpAnswer(t, publicPort(vm, GAME), 'restarted'), 'echo:restarted')
  await daemon.kill()
  daemon = await startDaemon(t, { env: w.env })
  const aliceAgain = renter(daemon, aliceKey)
  assert.deepEqual(
    (await getVm(aliceAgain, 'game')).ports.map((p) => p.public_port),
    kept,
  )
  assert.equal(await tcpAnswer(publicPort(vm, EXTRA)), `tcp ${EXTRA} from game`)
  assert.equal(await udpAnswer(t, publicPort(vm, GAME), 'killed'), 'echo:killed')

  // Delete frees every port: the status offers them again and a new create can take them.
  assert.equal((await aliceAgain.api('DELETE', '/api/v1/vms/game')).status, 200)
  for (const port of [vm.ssh_port, ...kept]) assert.equal(await isListening(port), false, `port ${port} closed`)
  assert.deepEqual(await freePorts(daemon), allFree)
  const next = await aliceAgain.api('POST', '/api/v1/vms', {
    name: 'next',
    ssh_key: w.key.publicKey,
    ports: [{ guest: 80 }, { guest: 81 }, { guest: 82 }, { guest: 83 }, { guest: 84 }],
  })
  assert.equal(next.status, 201, JSON.stringify(next.body))
  assert.deepEqual([(next.body as Vm).ssh_port, ...(next.body as Vm).ports.map((p) => p.public_port)], allFree)
  const none = await aliceAgain.api('POST', '/api/v1/vms', { name: 'none', ssh_key: w.key.publicKey })
  assert.equal((none.body as { code: string }).code, 'NO_FREE_PORT')
})
