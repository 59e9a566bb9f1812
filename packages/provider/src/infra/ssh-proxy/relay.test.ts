/**
 * The relay on this thread, over real TCP on 127.0.0.1: a renter socket, the
 * relay's listener, and a stand-in for the VM's SSH server.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import net from 'node:net'
import { test, type TestContext } from 'node:test'
import { freePortRange } from '@golem-vm/common'
import { closed, closedByPeer, connectTo, countBytes, fakeVm, pump, readToEnd, waitFor, type FakeVm } from '../../../test/helpers/tcp.js'
import { Relay, type RelayConfig, type RelayStats } from './relay.js'
import type { Connect } from './relay-connection.js'

const VM = 'vm-1'
const MiB = 1024 * 1024

interface Setup {
  readonly relay: Relay
  readonly vm: FakeVm
  readonly port: number
  readonly stats: RelayStats[]
  readonly logs: string[]
}

async function setup(t: TestContext, config: Partial<RelayConfig> = {}, connect?: Connect): Promise<Setup> {
  const vm = await fakeVm(t)
  const stats: RelayStats[] = []
  const logs: string[] = []
  const relay = new Relay(
    { host: '127.0.0.1', connectTimeoutMs: 5000, idleTimeoutMs: 0, maxConnectionsPerVm: 100, ...config },
    { log: (_level, _fields, msg) => logs.push(msg), stats: (_vm, s) => stats.push(s) },
    connect,
  )
  t.after(() => relay.closeAll())
  const { start: port } = await freePortRange(1)
  await relay.open(VM, port, vm.endpoint)
  return { relay, vm, port, stats, logs }
}

test('relays bytes both ways and counts them per VM, live and after the close', async (t) => {
  const { relay, vm, port, stats } = await setup(t)
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
  await waitFor('the connection to be counted as closed', () => relay.stats(VM)?.activeConnections === 0)
  assert.deepEqual(relay.stats(VM), { activeConnections: 0, totalConnections: 1, bytesIn: 300_000, bytesOut: 200_000 })
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
  const { relay, vm, port } = await setup(t, { idleTimeoutMs: 300 })
  const renter = await connectTo(t, port)
  const server = await vm.nextConnection()
  await Promise.all([closedByPeer(renter), closedByPeer(server)])
  await waitFor('the relay to drop the connection', () => relay.connections(VM).length === 0)
})

test('traffic keeps a connection open past the idle timeout', async (t) => {
  const { relay, vm, port } = await setup(t, { idleTimeoutMs: 1000 })
  const renter = await connectTo(t, port)
  const server = await vm.nextConnection()
  const atVm = countBytes(server)
  // 30 bytes, one every 100 ms: 3 s of traffic, three times the idle timeout, with no gap near it.
  for (let i = 1; i <= 30; i++) {
    renter.write('x')
    await waitFor(`byte ${i} at the VM`, () => atVm.bytes === i)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.equal(relay.connections(VM).length, 1)
  assert.equal(renter.closed, false)
})

test('a VM that does not accept within the connect timeout: the renter is disconnected', async (t) => {
  // A socket that never connects stands in for a VM that drops SYNs.
  const stalled: net.Socket[] = []
  const neverConnects: Connect = () => {
    const socket = new net.Socket()
    stalled.push(socket)
    return socket
  }
  const { relay, port, logs } = await setup(t, { connectTimeoutMs: 200 }, neverConnects)
  const renter = await connectTo(t, port)
  await closedByPeer(renter)
  await waitFor('the relay to drop the connection', () => relay.connections(VM).length === 0)
  assert.equal(stalled.length, 1)
  assert.equal(stalled[0]?.destroyed, true, 'the pending connect was abandoned')
  assert.ok(logs.includes('ssh connection closed'))
})

test('the per-VM connection cap refuses the connection past it and keeps the others', async (t) => {
  const { relay, vm, port } = await setup(t, { maxConnectionsPerVm: 2 })
  const first = await connectTo(t, port)
  const second = await connectTo(t, port)
  await vm.nextConnection()
  await vm.nextConnection()
  const third = await connectTo(t, port)
  await closedByPeer(third)
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
  relay.setTarget(VM, vm.endpoint)
  await connectTo(t, port)
  await vm.nextConnection()
})

test('close() ends the VM\'s connections and frees its port; opening a taken port fails with the bind error', async (t) => {
  const { relay, vm, port } = await setup(t)
  const renter = await connectTo(t, port)
  const server = await vm.nextConnection()
  await assert.rejects(new Relay({ host: '127.0.0.1', connectTimeoutMs: 1000, idleTimeoutMs: 0, maxConnectionsPerVm: 1 }, { log: () => undefined, stats: () => undefined }).open('other', port, vm.endpoint), { code: 'EADDRINUSE' })
  await relay.close(VM)
  await Promise.all([closedByPeer(renter), closedByPeer(server)])
  assert.equal(relay.stats(VM), undefined)
  await relay.open(VM, port, vm.endpoint)
})
