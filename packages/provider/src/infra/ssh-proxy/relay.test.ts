/**
 * The relay on this thread, over real TCP on 127.0.0.1: a renter socket, the
 * relay's listener, and a stand-in for the VM's SSH server. Without SSH
 * checks (relay-limits.test.ts has them), so any bytes may flow.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import net from 'node:net'
import { test } from 'node:test'
import { LOOSE, relayUnderTest as setup, VM_ID as VM } from '../../../test/helpers/relay.js'
import { closed, closedByPeer, connectTo, countBytes, pump, readToEnd, waitFor } from '../../../test/helpers/tcp.js'
import { Relay } from './relay.js'
import type { Connect } from './relay-connection.js'

const MiB = 1024 * 1024

test('relays bytes both ways and counts them per VM, live and after the close', async (t) => {
  const { relay, vm, port, stats, untilStats } = await setup(t)
  const renter = await connectTo(t, port)
  const server = await vm.nextConnection()
  const toVm = Buffer.alloc(300_000, 'r')
  const toRenter = Buffer.alloc(200_000, 'v')
  const atVm = readToEnd(server)
  const atRenter = readToEnd(renter)
  renter.end(toVm)
  assert.deepEqual(await atVm, toVm)
  server.end(toRenter)
  assert.deepEqual(await atRenter, toRenter)
  await closed(renter)
  await untilStats((s) => s.activeConnections === 0)
  assert.deepEqual(relay.stats(VM), { activeConnections: 0, totalConnections: 1, refusedConnections: 0, bytesIn: 300_000, bytesOut: 200_000 })
  assert.deepEqual(stats.at(-1), relay.stats(VM), 'the last reported stats are the final ones')
  assert.equal(stats[0]?.activeConnections, 1, 'the open was reported')
})

test('counts the bytes of open connections as they flow', async (t) => {
  const { relay, vm, port } = await setup(t)
  const renter = await connectTo(t, port)
  const server = await vm.nextConnection()
  const atVm = countBytes(server)
  renter.write(Buffer.alloc(1000))
  await waitFor('1000 bytes at the VM', () => atVm.bytes === 1000)
  assert.equal(relay.stats(VM)?.bytesIn, 1000)
  assert.equal(relay.stats(VM)?.activeConnections, 1)
})

test('an idle connection is closed on both sides after the idle timeout', async (t) => {
  const { vm, port, untilStats, endReasons } = await setup(t, { idleTimeoutMs: 300 })
  const renter = await connectTo(t, port)
  const server = await vm.nextConnection()
  await Promise.all([closedByPeer(renter), closedByPeer(server)])
  await untilStats((s) => s.activeConnections === 0)
  assert.deepEqual(endReasons(), ['idle timeout'])
})

test('a VM that does not accept within the connect timeout: the renter is disconnected', async (t) => {
  // A socket that never connects stands in for a VM that drops SYNs; the relay's timers are mocked.
  const stalled: net.Socket[] = []
  const neverConnects: Connect = () => {
    const socket = new net.Socket()
    stalled.push(socket)
    return socket
  }
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const { relay, port, untilStats, endReasons } = await setup(t, { connectTimeoutMs: 10_000 }, neverConnects)
  const renter = await connectTo(t, port)
  await untilStats((s) => s.activeConnections === 1)
  t.mock.timers.tick(9_999)
  assert.deepEqual(endReasons(), [])
  t.mock.timers.tick(1)
  assert.deepEqual(endReasons(), ['the VM did not accept in time'])
  await closedByPeer(renter)
  await untilStats((s) => s.activeConnections === 0)
  assert.equal(relay.connections(VM).length, 0)
  assert.equal(stalled.length, 1)
  assert.equal(stalled[0]?.destroyed, true, 'the pending connect was abandoned')
})

test('the per-VM connection cap refuses the connection past it and keeps the others', async (t) => {
  const { relay, vm, port, untilStats } = await setup(t, { maxConnectionsPerVm: 2 })
  const first = await connectTo(t, port)
  const second = await connectTo(t, port)
  await vm.nextConnection()
  await vm.nextConnection()
  const third = await connectTo(t, port)
  await closedByPeer(third)
  await untilStats((s) => s.refusedConnections === 1)
  assert.equal(relay.connections(VM).length, 2)
  assert.equal(vm.sockets.length, 2, 'the refused connection never reached the VM')
  for (const renter of [first, second]) {
    const server = vm.sockets[renter === first ? 0 : 1]!
    const got = once(server, 'data')
    renter.write('still here')
    assert.equal(String((await got)[0]), 'still here')
  }
})

for (const first of ['renter', 'VM'] as const) {
  const other = first === 'renter' ? 'VM' : 'renter'
  test(`half-close by the ${first}: its end reaches the ${other}, whose direction keeps flowing`, async (t) => {
    const { vm, port } = await setup(t)
    const renter = await connectTo(t, port)
    const server = await vm.nextConnection()
    const [ender, peer] = first === 'renter' ? [renter, server] : [server, renter]
    const atPeer = readToEnd(peer)
    ender.end(`last bytes of the ${first}`)
    assert.equal(String(await atPeer), `last bytes of the ${first}`, `the ${other} got the data and the end`)
    assert.equal(peer.writable, true)
    const atEnder = readToEnd(ender)
    peer.end(`the ${other} still sends`)
    assert.equal(String(await atEnder), `the ${other} still sends`)
  })
}

for (const direction of ['toVm', 'toRenter'] as const) {
  const [from, to] = direction === 'toVm' ? ['renter', 'VM'] : ['VM', 'renter']
  test(`backpressure ${from} → ${to}: a ${to} that stops reading stalls the ${from}; nothing piles up in the provider`, async (t) => {
    const { relay, vm, port } = await setup(t)
    const renter = await connectTo(t, port)
    const server = await vm.nextConnection()
    const [sender, receiver] = direction === 'toVm' ? [renter, server] : [server, renter]
    receiver.pause()
    const total = 64 * MiB
    const sending = pump(sender, total)
    await waitFor(`the relay to stop reading the ${from}`, () => relay.connections(VM)[0]?.[direction].reading === false, 30_000)
    const state = relay.connections(VM)[0]!
    const relayed = direction === 'toVm' ? state.bytesIn : state.bytesOut
    assert.ok(state[direction].buffered <= MiB, `held ${state[direction].buffered} bytes for the ${to}`)
    assert.ok(relayed < total / 2, `relayed ${relayed} of ${total} bytes`)
    const received = countBytes(receiver)
    receiver.resume()
    await sending
    sender.end()
    await once(receiver, 'end')
    assert.equal(received.bytes, total, `every byte arrived once the ${to} read again`)
  })
}

test('a VM without a target refuses connections; setTarget points new ones at the VM', async (t) => {
  const { relay, vm, port } = await setup(t)
  relay.setTarget(VM, null)
  const refused = await connectTo(t, port)
  await closedByPeer(refused)
  assert.equal(vm.sockets.length, 0)
  assert.deepEqual(relay.stats(VM), { activeConnections: 0, totalConnections: 0, refusedConnections: 1, bytesIn: 0, bytesOut: 0 }, 'counted as refused')
  relay.setTarget(VM, vm.endpoint)
  await connectTo(t, port)
  await vm.nextConnection()
})

test("close() ends the VM's connections and frees its port; opening a taken port fails with the bind error", async (t) => {
  const { relay, vm, port } = await setup(t)
  const renter = await connectTo(t, port)
  const server = await vm.nextConnection()
  await assert.rejects(new Relay(LOOSE, { log: () => undefined, stats: () => undefined }).open('other', port, vm.endpoint), { code: 'EADDRINUSE' })
  await relay.close(VM)
  await Promise.all([closedByPeer(renter), closedByPeer(server)])
  assert.equal(relay.stats(VM), undefined)
  await relay.open(VM, port, vm.endpoint)
})
