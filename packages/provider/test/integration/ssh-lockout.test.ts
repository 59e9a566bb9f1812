/**
 * Issue 15, item 1, against the real daemon (fake `multipass`: a real sshd
 * per VM) with the default caps: an attacker holds as many idle connections
 * to a VM's SSH port as one address may, while the renter logs in with the
 * real `ssh` from another address; the idle connections are closed at the
 * handshake deadline, and a client that does not speak SSH at once.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type net from 'node:net'
import { test } from 'node:test'
import { startDaemon } from '../helpers/daemon.js'
import { multipassWorld } from '../helpers/multipass-world.js'
import { renter } from '../helpers/renter.js'
import { sshRun } from '../helpers/ssh.js'
import { closedByPeer, connectTo, waitFor } from '../helpers/tcp.js'

/** The default `GOLEM_PROVIDER_PROXY_MAX_HANDSHAKES_PER_SOURCE`. */
const HANDSHAKES_PER_SOURCE = 8
const ATTACKER = '127.0.0.202'
const RENTER = '127.0.0.203'
const SCANNER = '127.0.0.204'
/** Long enough for the renter's login on a loaded machine, short enough to wait for. */
const HANDSHAKE_TIMEOUT_S = 30

test('an attacker holding its cap of idle connections does not lock the renter out; they end at the handshake deadline', { timeout: 180_000 }, async (t) => {
  const w = await multipassWorld(t, { GOLEM_PROVIDER_PROXY_HANDSHAKE_TIMEOUT: String(HANDSHAKE_TIMEOUT_S), GOLEM_PROVIDER_LOG_LEVEL: 'debug' })
  const daemon = await startDaemon(t, { env: w.env })
  const created = await renter(daemon).api('POST', '/api/v1/vms', { name: 'target', ssh_key: w.key.publicKey, resources: { cpu: 1, memory: 1, storage: 10 } })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const port = (created.body as { ssh_port: number }).ssh_port

  // The attack: idle TCP connections from one address, each relayed to the VM (whose sshd greets it).
  const held: net.Socket[] = []
  for (let i = 0; i < HANDSHAKES_PER_SOURCE; i++) {
    const socket = await connectTo(t, port, { localAddress: ATTACKER })
    const [banner] = (await once(socket, 'data')) as [Buffer]
    assert.match(String(banner), /^SSH-2\.0-OpenSSH/, 'the connection reaches the VM')
    held.push(socket)
  }
  const endedEarly: number[] = []
  held.forEach((socket, i) => socket.once('end', () => endedEarly.push(i)))
  const oneMore = await connectTo(t, port, { localAddress: ATTACKER })
  await closedByPeer(oneMore)

  // The renter logs in from its own address while the attacker holds every connection it may.
  const login = await sshRun({ port, user: 'ubuntu', key: w.key.privateKeyPath, command: 'hostname', bindAddress: RENTER })
  assert.equal(login.code, 0, login.stderr)
  assert.equal(login.stdout, 'target')
  assert.deepEqual(endedEarly, [], 'the attacker still held its connections during the login')

  // Something that is not an SSH client is closed at once, not at the deadline.
  const scanner = await connectTo(t, port, { localAddress: SCANNER })
  scanner.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
  await closedByPeer(scanner)
  assert.deepEqual(endedEarly, [], 'the scanner was refused before the held connections reached their deadline')

  // The held connections never started an SSH handshake: the deadline closes them.
  await Promise.all(held.map((socket) => closedByPeer(socket)))
  const reasons = () => daemon.logs.filter((l) => l.msg === 'ssh connection ended by the proxy').map((l) => String(l.reason))
  await waitFor('the daemon to log why it ended each connection', () => reasons().length === HANDSHAKES_PER_SOURCE + 1)
  assert.equal(reasons().filter((r) => r === 'no finished SSH handshake in time').length, HANDSHAKES_PER_SOURCE)
  assert.equal(reasons().filter((r) => r.startsWith('not SSH from the renter')).length, 1)
  const refused = daemon.logs.filter((l) => l.msg === 'ssh connection refused').map((l) => String(l.reason))
  assert.deepEqual(refused, ['handshake cap per source'])

  // Afterwards the attacker's address may connect again, and the renter still logs in.
  const again = await sshRun({ port, user: 'ubuntu', key: w.key.privateKeyPath, command: 'echo back', bindAddress: ATTACKER })
  assert.equal(again.stdout, 'back', again.stderr)
})
