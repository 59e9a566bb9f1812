import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import { holdPorts } from './hold-ports.js'

// A port the system picks, free again when this resolves (a tiny race the tests accept).
async function freePort(): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}

const connect = (port: number) =>
  new Promise<string>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
    socket.on('close', () => resolve('closed-by-peer'))
  })

test('holds free ports, accepts and closes connections, reports ports another process holds, and releases', async (t) => {
  const other = net.createServer()
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => other.close(() => resolve())))
  const taken = (other.address() as net.AddressInfo).port
  const free = await freePort()
  const held = await holdPorts('127.0.0.1', [free, taken])
  assert.deepEqual(held.bound, [free])
  assert.deepEqual(held.failed, [{ port: taken, code: 'EADDRINUSE', reason: 'in use by another process' }])
  assert.equal(await connect(free), 'closed-by-peer')
  await held.release()
  await held.release()
  assert.equal(await connect(free), 'ECONNREFUSED')
})

test('an address that is not on this host is named as such', async () => {
  const held = await holdPorts('192.0.2.1', [await freePort()])
  assert.deepEqual(
    held.failed.map((f) => [f.code, f.reason]),
    [['EADDRNOTAVAIL', 'the bind address is not an address of this host']],
  )
  await held.release()
})
