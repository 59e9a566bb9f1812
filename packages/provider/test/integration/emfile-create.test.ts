/**
 * Issue 15, item 2, the last part, against the real daemon: a create that
 * fails because the process has used every file descriptor (EMFILE, here
 * under a low open-file limit while other clients hold connections) frees
 * its reservation like any other failure. Its undo meets the same shortage
 * and retries the backend's destroy until the shortage passes, instead of
 * keeping an `error` record that holds capacity.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { readdirSync } from 'node:fs'
import net from 'node:net'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { api, startDaemon, type Daemon } from '../helpers/daemon.js'
import { multipassWorld } from '../helpers/multipass-world.js'

/** The daemon's open-file limit: low enough to fill with a few hundred connections. */
const FD_LIMIT = 320
/** Connections per source address, below the daemon's per-address cap of 64. */
const PER_ADDRESS = 60

const openFiles = (d: Daemon): number => readdirSync(`/proc/${d.process.pid ?? 0}/fd`).length

// Connects from `localAddress` and sends a request head that announces a body it never sends.
async function holdConnection(t: TestContext, port: number, localAddress: string): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress })
  t.after(() => socket.destroy())
  socket.on('error', () => undefined)
  await once(socket, 'connect')
  socket.write('POST /api/v1/vms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{')
  return socket
}

// Holds connections from 127.0.0.2, .3, … until the daemon has used every descriptor (bounded).
async function exhaustDescriptors(t: TestContext, daemon: Daemon): Promise<net.Socket[]> {
  const port = Number(new URL(daemon.baseUrl).port)
  const held: net.Socket[] = []
  for (let host = 2; host < 2 + Math.ceil(FD_LIMIT / PER_ADDRESS) + 1 && openFiles(daemon) < FD_LIMIT - 1; host++) {
    held.push(...(await Promise.all(Array.from({ length: PER_ADDRESS }, () => holdConnection(t, port, `127.0.0.${host}`)))))
    await sleep(200) // the daemon accepts them
  }
  return held
}

test('a create that fails on EMFILE frees its reservation once the shortage passes (issue 15, item 2)', async (t) => {
  const w = await multipassWorld(t, {
    GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: 'true',
    GOLEM_PROVIDER_REQUEST_TIMEOUT: '120',
    GOLEM_PROVIDER_MAX_CONNECTIONS_PER_ADDRESS: '64',
  })
  // Without CAP_SYS_RESOURCE the daemon cannot lift the limit again (it would, as root, at start).
  const daemon = await startDaemon(t, {
    env: w.env,
    launcher: ['setpriv', '--bounding-set=-sys_resource', '--', 'prlimit', `--nofile=${FD_LIMIT}:${FD_LIMIT}`, '--'],
  })
  assert.ok(openFiles(daemon) < FD_LIMIT / 2, `the daemon starts with room to spare: ${openFiles(daemon)} open files`)

  // The create's headers and most of its body arrive while descriptors are free; its last byte once they are gone.
  const body = JSON.stringify({ name: 'emfile-victim', ssh_key: w.key.publicKey, resources: { cpu: 1, memory: 1, storage: 10 } })
  const url = new URL(daemon.baseUrl)
  const create = net.connect({ host: url.hostname, port: Number(url.port) })
  t.after(() => create.destroy())
  await once(create, 'connect')
  let answer = ''
  create.on('data', (chunk: Buffer) => {
    answer += chunk.toString()
  })
  create.write(
    `POST /api/v1/vms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, -1)}`,
  )

  const held = await exhaustDescriptors(t, daemon)
  assert.ok(openFiles(daemon) >= FD_LIMIT - 2, `every descriptor is in use: ${openFiles(daemon)} of ${FD_LIMIT}`)
  create.write(body.slice(-1))
  // The launch fails at once (multipass cannot be started); its undo then retries the destroy while the shortage lasts.
  for (let i = 0; i < 100 && !daemon.logs.some((l) => String(l.msg).startsWith('backend instance not removed yet')); i++) await sleep(100)
  assert.ok(
    daemon.logs.some((l) => String(l.msg).startsWith('backend instance not removed yet')),
    'the undo met the shortage too, and retries',
  )
  for (const socket of held) socket.destroy()

  for (let i = 0; i < 300 && !answer.includes('"code"'); i++) await sleep(100)
  assert.match(answer, /^HTTP\/1\.1 503 /, answer)
  assert.match(answer, /"code":"BACKEND_UNAVAILABLE"/)
  assert.match(answer, /out of open files or processes \(EMFILE\)/)
  create.destroy()

  const vms = await api<unknown[]>(daemon.baseUrl, 'GET', '/api/v1/vms')
  assert.deepEqual(vms.body, [], 'no record is left')
  const status = await api<{ capacity: { allocated: Record<string, number> } }>(daemon.baseUrl, 'GET', '/api/v1/provider/status')
  assert.deepEqual(status.body.capacity.allocated, { cpu: 0, memory: 0, storage: 0 }, 'the reservation is free')
  assert.ok(
    daemon.logs.some((l) => l.undo === 'reservation' && l.msg === 'undone'),
    'the reservation was released by the undo',
  )
})
