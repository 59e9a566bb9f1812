// The real connector against real sockets on 127.0.0.1. The timeout path is
// covered in checker.test.ts with an injected connect: a port that drops SYNs
// cannot be made on loopback without changing the host's firewall.
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { classifySocketError, tcpConnect } from './tcp-connect.js'

const listen = async (t: TestContext): Promise<{ accepted: () => number; port: number }> => {
  let accepted = 0
  const server = createServer((socket) => {
    accepted += 1
    socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const address = server.address()
  assert.ok(address !== null && typeof address === 'object')
  return { accepted: () => accepted, port: address.port }
}

const closedPort = async (): Promise<number> => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  assert.ok(address !== null && typeof address === 'object')
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return address.port
}

const opts = (signal: AbortSignal = AbortSignal.timeout(5_000)) => ({ timeoutMs: 2_000, signal })

test('an open port is open: the listener sees exactly one connection', async (t) => {
  const { accepted, port } = await listen(t)
  assert.deepEqual(await tcpConnect('127.0.0.1', port, opts()), { kind: 'open' })
  for (let i = 0; i < 100 && accepted() === 0; i += 1) await sleep(10)
  assert.equal(accepted(), 1)
})

test('a closed port is refused', async () => {
  assert.deepEqual(await tcpConnect('127.0.0.1', await closedPort(), opts()), { kind: 'refused' })
})

test('an aborted signal ends the attempt as aborted', async () => {
  assert.deepEqual(await tcpConnect('127.0.0.1', 9, opts(AbortSignal.abort())), { kind: 'aborted' })
})

test('never resolves a hostname', async () => {
  assert.deepEqual(await tcpConnect('localhost', 9, opts()), { kind: 'failed', message: 'not an IP address: localhost' })
})

test('socket errors in the words of the C library', () => {
  const err = (code: string, message = code) => Object.assign(new Error(message), { code })
  assert.deepEqual(classifySocketError(err('ECONNREFUSED')), { kind: 'refused' })
  assert.deepEqual(classifySocketError(err('ETIMEDOUT')), { kind: 'timeout' })
  assert.deepEqual(classifySocketError(err('EHOSTUNREACH')), { kind: 'failed', message: 'No route to host' })
  assert.deepEqual(classifySocketError(err('ENETUNREACH')), { kind: 'failed', message: 'Network is unreachable' })
  assert.deepEqual(classifySocketError(err('EWHATEVER', 'odd failure')), { kind: 'failed', message: 'odd failure' })
})
