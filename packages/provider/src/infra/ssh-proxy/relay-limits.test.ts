/**
 * The relay's defences against a renter being locked out of its VM (issue
 * 15, item 1), over real TCP: connections must speak SSH and finish the key
 * exchange in time, caps per source address, and no side kept open long
 * after the other ended. Timers the relay sets are mocked where a deadline is
 * tested, so nothing waits on the clock.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type net from 'node:net'
import { test, type TestContext } from 'node:test'
import { relayUnderTest, VM_ID as VM, type RelayUnderTest } from '../../../test/helpers/relay.js'
import { sshStart } from '../../../test/helpers/ssh-wire.js'
import { closedByPeer, connectTo, readToEnd } from '../../../test/helpers/tcp.js'
import type { RelayConfig } from './relay.js'

const SSH: Partial<RelayConfig> = { handshakeTimeoutMs: 20_000 }

/** Resolves once `socket` has received `bytes` bytes. */
async function received(socket: net.Socket, bytes: number): Promise<void> {
  let got = 0
  while (got < bytes) got += ((await once(socket, 'data')) as [Buffer])[0].length
}

/** A renter connection from `from` (127.0.0.x) and the VM's side of it. */
async function pair(t: TestContext, r: RelayUnderTest, from = '127.0.0.1'): Promise<{ renter: net.Socket; server: net.Socket }> {
  const renter = await connectTo(t, r.port, { localAddress: from })
  return { renter, server: await r.vm.nextConnection() }
}

/** Both sides' clear-text starts through the relay: the handshake is finished. */
async function handshake(renter: net.Socket, server: net.Socket): Promise<void> {
  const client = sshStart('client')
  const vm = sshStart('server')
  const atVm = received(server, client.length)
  const atRenter = received(renter, vm.length)
  renter.write(client)
  server.write(vm)
  await Promise.all([atVm, atRenter])
}

test('a renter that does not open with an SSH identification is closed at once; the VM never gets its bytes', async (t) => {
  const r = await relayUnderTest(t, SSH)
  const { renter, server } = await pair(t, r)
  const atVm: Buffer[] = []
  server.on('data', (chunk: Buffer) => atVm.push(chunk))
  renter.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
  await Promise.all([closedByPeer(renter), closedByPeer(server)])
  assert.deepEqual(atVm, [])
  assert.match(r.endReasons()[0] ?? '', /^not SSH from the renter: the client did not start with an SSH identification line/)
})

test('a VM that answers with something other than SSH is cut off too', async (t) => {
  const r = await relayUnderTest(t, SSH)
  const { renter, server } = await pair(t, r)
  server.write(`SSH-2.0-x\r\n${'\0'.repeat(16)}`) // a packet length of zero
  await Promise.all([closedByPeer(renter), closedByPeer(server)])
  assert.match(r.endReasons()[0] ?? '', /^not SSH from the VM: clear-text packet of 0 bytes/)
})

test('a connection that has not finished the key exchange by the deadline is closed on both sides', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const r = await relayUnderTest(t, SSH)
  const { renter, server } = await pair(t, r)
  const ident = Buffer.from('SSH-2.0-slowloris\r\n')
  const atVm = received(server, ident.length)
  renter.write(ident) // identifies itself, then stalls
  await atVm
  t.mock.timers.tick(19_999)
  assert.deepEqual(r.endReasons(), [])
  t.mock.timers.tick(1)
  assert.deepEqual(r.endReasons(), ['no finished SSH handshake in time'])
  await Promise.all([closedByPeer(renter), closedByPeer(server)])
})

test('a connection that finished its key exchange outlives the handshake deadline', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const r = await relayUnderTest(t, SSH)
  const { renter, server } = await pair(t, r)
  await handshake(renter, server)
  assert.equal(r.relay.connections(VM)[0]?.handshakeDone, true)
  t.mock.timers.tick(60_000)
  assert.deepEqual(r.endReasons(), [])
  const atVm = received(server, 4)
  renter.write('more') // encrypted traffic from here on: not looked at
  await atVm
})

test('per source: unfinished handshakes are capped; other sources and finished handshakes are not held back', async (t) => {
  const r = await relayUnderTest(t, { ...SSH, maxHandshakesPerSource: 2, maxConnectionsPerSource: 3 })
  // An attacker holds the cap of idle connections from one address.
  const held = [await pair(t, r, '127.0.0.2'), await pair(t, r, '127.0.0.2')]
  const refused = await connectTo(t, r.port, { localAddress: '127.0.0.2' })
  await closedByPeer(refused)
  await r.untilStats((s) => s.refusedConnections === 1)
  // The renter, from another address, gets through and finishes its handshake.
  const renter = await pair(t, r, '127.0.0.3')
  await handshake(renter.renter, renter.server)
  // The attacker's held connections are still open: the cap refused only the extra one.
  assert.equal(r.relay.connections(VM).length, 3)
  for (const { renter: socket } of held) assert.equal(socket.readableEnded, false)

  // A finished handshake frees its handshake slot, but counts towards the source's connections.
  await handshake(held[0]!.renter, held[0]!.server)
  const third = await pair(t, r, '127.0.0.2')
  await handshake(third.renter, third.server)
  const fourth = await connectTo(t, r.port, { localAddress: '127.0.0.2' })
  await closedByPeer(fourth)
  await r.untilStats((s) => s.refusedConnections === 2)
  assert.equal(r.relay.connections(VM).length, 4)

  // A closed connection gives its place back.
  held[1]!.renter.destroy()
  held[1]!.server.destroy()
  await r.untilStats((s) => s.activeConnections === 3)
  await pair(t, r, '127.0.0.2')
})

for (const first of ['renter', 'VM'] as const) {
  test(`the ${first} ends and the other side never does: both are closed after the half-close timeout`, async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const r = await relayUnderTest(t, { halfCloseTimeoutMs: 10_000 })
    const { renter, server } = await pair(t, r)
    const [ender, lingerer] = first === 'renter' ? [renter, server] : [server, renter]
    const lingererGotEnd = readToEnd(lingerer)
    ender.end('goodbye')
    assert.equal(String(await lingererGotEnd), 'goodbye')
    // Within the timeout the other direction still flows.
    t.mock.timers.tick(9_999)
    const late = received(ender, 4)
    lingerer.write('late')
    await late
    assert.deepEqual(r.endReasons(), [])
    t.mock.timers.tick(1)
    assert.deepEqual(r.endReasons(), ['half-close timeout'])
    await closedByPeer(lingerer)
    await r.untilStats((s) => s.activeConnections === 0)
  })
}

test('without SSH checks (handshake timeout 0) any bytes are relayed and handshakes are not counted', async (t) => {
  const r = await relayUnderTest(t, { handshakeTimeoutMs: 0, maxHandshakesPerSource: 1 })
  const a = await pair(t, r)
  const b = await pair(t, r)
  const atVm = readToEnd(b.server)
  b.renter.end('GET / HTTP/1.1\r\n\r\n')
  assert.equal(String(await atVm), 'GET / HTTP/1.1\r\n\r\n')
  assert.equal(a.renter.readableEnded, false)
  assert.equal(r.relay.connections(VM)[0]?.handshakeDone, true)
})
