import assert from 'node:assert/strict'
import dgram from 'node:dgram'
import { once } from 'node:events'
import { test, type TestContext } from 'node:test'
import { freePortRange } from '@golem-vm/common'
import { LOOSE } from '../../../test/helpers/relay.js'
import { connectTo, fakeVm, waitFor } from '../../../test/helpers/tcp.js'
import { Relay, type RelayStats } from './relay.js'

// A guest's UDP echo on 127.0.0.1: answers every datagram with "echo:" and the datagram.
async function udpEcho(t: TestContext): Promise<{ host: string; port: number }> {
  const socket = dgram.createSocket('udp4')
  socket.on('message', (msg, from) => socket.send(Buffer.concat([Buffer.from('echo:'), msg]), from.port, from.address))
  socket.bind(0, '127.0.0.1')
  await once(socket, 'listening')
  t.after(() => socket.close())
  return { host: '127.0.0.1', port: socket.address().port }
}

// A renter's UDP socket; `ask` sends and waits (bounded) for one answer, or resolves null.
async function renter(t: TestContext, port: number) {
  const socket = dgram.createSocket('udp4')
  socket.bind(0, '127.0.0.1')
  await once(socket, 'listening')
  t.after(() => socket.close())
  return {
    ask: async (text: string, waitMs = 2000): Promise<string | null> => {
      const answer = once(socket, 'message', { signal: AbortSignal.timeout(waitMs) }).then(
        ([msg]) => String(msg),
        () => null,
      )
      socket.send(text, port, '127.0.0.1')
      return answer
    },
  }
}

async function udpRelay(t: TestContext, limits: { udpMaxFlows?: number; udpIdleTimeoutMs?: number } = {}) {
  const stats: RelayStats[] = []
  const relay = new Relay({ ...LOOSE, ...limits }, { log: () => undefined, stats: (_id, s) => stats.push(s) })
  t.after(() => relay.closeAll())
  const { start: port } = await freePortRange(1)
  return { relay, port, stats }
}

test('a mapped UDP port relays each renter to the guest and the answers back, counting bytes', async (t) => {
  const guest = await udpEcho(t)
  const { relay, port } = await udpRelay(t)
  await relay.open('vm#1', port, guest, 'udp')
  const a = await renter(t, port)
  const b = await renter(t, port)
  assert.equal(await a.ask('a1'), 'echo:a1')
  assert.equal(await b.ask('b1'), 'echo:b1')
  assert.equal(await a.ask('a2'), 'echo:a2')
  assert.deepEqual(relay.stats('vm#1'), { activeConnections: 2, totalConnections: 2, refusedConnections: 0, bytesIn: 6, bytesOut: 21 })
})

test('the flow table is bounded: a renter past the cap is dropped and counted, the others keep working; idle flows close', async (t) => {
  const guest = await udpEcho(t)
  const { relay, port } = await udpRelay(t, { udpMaxFlows: 1, udpIdleTimeoutMs: 400 })
  await relay.open('vm#1', port, guest, 'udp')
  const a = await renter(t, port)
  const b = await renter(t, port)
  assert.equal(await a.ask('first'), 'echo:first')
  assert.equal(await b.ask('second', 500), null)
  assert.equal(relay.stats('vm#1')?.refusedConnections, 1)
  assert.equal(await a.ask('again'), 'echo:again')
  await waitFor('the idle flow to close', () => relay.stats('vm#1')?.activeConnections === 0, 5000)
  assert.equal(await b.ask('now'), 'echo:now', 'the freed slot serves the next renter')
})

test("a stopped VM's UDP port drops datagrams; pointed at the guest again it answers; closed, the port is free", async (t) => {
  const guest = await udpEcho(t)
  const { relay, port } = await udpRelay(t)
  await relay.open('vm#1', port, null, 'udp')
  const a = await renter(t, port)
  assert.equal(await a.ask('stopped', 400), null)
  relay.setTarget('vm#1', guest)
  assert.equal(await a.ask('started'), 'echo:started')
  await relay.close('vm#1')
  const again = dgram.createSocket('udp4')
  t.after(() => again.close())
  await new Promise<void>((resolve, reject) => again.once('error', reject).bind(port, '127.0.0.1', resolve))
})

test('a mapped TCP port relays any bytes (no SSH checks) even when the SSH listeners check handshakes', async (t) => {
  const vm = await fakeVm(t, (socket) => socket.pipe(socket))
  const { start: port } = await freePortRange(1)
  const strict = new Relay({ ...LOOSE, handshakeTimeoutMs: 200 }, { log: () => undefined, stats: () => undefined })
  t.after(() => strict.closeAll())
  await strict.open('vm#2', port, vm.endpoint, 'tcp')
  const client = await connectTo(t, port)
  client.write('GET / HTTP/1.0\r\n\r\n')
  const [echoed] = (await once(client, 'data')) as [Buffer]
  assert.equal(String(echoed), 'GET / HTTP/1.0\r\n\r\n')
  await new Promise((resolve) => setTimeout(resolve, 400))
  assert.equal(client.destroyed, false, 'no handshake deadline on a mapped port')
})
