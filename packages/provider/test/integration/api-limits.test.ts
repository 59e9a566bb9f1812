/**
 * Issue 15, item 2, against the real daemon: a request body that never
 * finishes is cut off by the request deadline; a request whose headers
 * cannot be authentic is refused before its body is sent; one address
 * cannot hold more than its share of API connections, while another
 * address still gets in. Each attack leaves the daemon serving as before.
 * The daemon raises its open-file limit at start and warns when it stays low.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { api, startDaemon, type Daemon } from '../helpers/daemon.js'
import { multipassWorld } from '../helpers/multipass-world.js'

interface RawExchange {
  readonly socket: net.Socket
  /** Everything the daemon sent until it closed the connection (bounded wait). */
  readonly answer: Promise<{ text: string; closedAfterMs: number }>
}

// A raw TCP client: sends `head` (and nothing more) from `localAddress`, and collects what comes back.
async function rawRequest(t: TestContext, daemon: Daemon, head: string, localAddress = '127.0.0.1'): Promise<RawExchange> {
  const url = new URL(daemon.baseUrl)
  const socket = net.connect({ host: url.hostname, port: Number(url.port), localAddress })
  t.after(() => socket.destroy())
  socket.on('error', () => undefined)
  await once(socket, 'connect')
  const started = performance.now()
  let text = ''
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  const answer = new Promise<{ text: string; closedAfterMs: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the daemon kept the connection open; it sent: ${text}`)), 60_000)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve({ text, closedAfterMs: performance.now() - started })
    })
  })
  answer.catch(() => undefined)
  socket.write(head)
  return { socket, answer }
}

const statusOf = (text: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
const health = async (d: Daemon) => (await api(d.baseUrl, 'GET', '/health')).status

test('a create body that never finishes is answered 408 and closed at the request deadline', async (t) => {
  const w = await multipassWorld(t, { GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: 'true', GOLEM_PROVIDER_REQUEST_TIMEOUT: '2' })
  const daemon = await startDaemon(t, { env: w.env })
  const body = JSON.stringify({ name: 'slow', ssh_key: w.key.publicKey })
  const head = `POST /api/v1/vms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`
  const slow = await rawRequest(t, daemon, head + body.slice(0, 10))
  const { text, closedAfterMs } = await slow.answer
  assert.equal(statusOf(text), 408, text)
  const answer = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { code: string; message: string }
  assert.equal(answer.code, 'REQUEST_TIMEOUT', 'a JSON error body with a stable code, like every other error')
  assert.match(answer.message, /within the request deadline/)
  assert.match(text, /content-type: application\/json/i)
  assert.ok(closedAfterMs < 10_000, `closed after ${Math.round(closedAfterMs)} ms`)
  assert.equal(await health(daemon), 200)
  const vms = await api<unknown[]>(daemon.baseUrl, 'GET', '/api/v1/vms')
  assert.deepEqual(vms.body, [], 'nothing was created')
})

test('signed mode: a request whose signature headers cannot be authentic is refused before its body is sent', async (t) => {
  const w = await multipassWorld(t)
  const daemon = await startDaemon(t, { env: w.env })
  const cases = {
    'no signature': '',
    'stale timestamp': `X-Golem-Requestor: 0x${'1'.repeat(40)}\r\nX-Golem-Signature: 0x${'a'.repeat(130)}\r\nX-Golem-Timestamp: 1000\r\nX-Golem-Nonce: ${'b'.repeat(32)}\r\n`,
    'malformed signature': `X-Golem-Requestor: 0x${'1'.repeat(40)}\r\nX-Golem-Signature: nonsense\r\nX-Golem-Timestamp: ${Date.now()}\r\nX-Golem-Nonce: ${'b'.repeat(32)}\r\n`,
    'wrong admin token': 'Authorization: Bearer wrong\r\n',
  }
  for (const [name, headers] of Object.entries(cases)) {
    // A 1 MB body announced, none of it sent: the answer must come from the headers alone.
    const head = `POST /api/v1/vms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n${headers}\r\n`
    const exchange = await rawRequest(t, daemon, head)
    const { text } = await exchange.answer
    assert.equal(statusOf(text), 401, `${name}: ${text}`)
    assert.match(text, /"code":"UNAUTHORIZED"/, name)
    assert.match(text, /connection: close/i, name)
  }
  assert.equal(await health(daemon), 200)
})

test('one address holds at most its share of API connections; another address still gets in', async (t) => {
  const w = await multipassWorld(t, {
    GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: 'true',
    GOLEM_PROVIDER_MAX_CONNECTIONS_PER_ADDRESS: '4',
    GOLEM_PROVIDER_REQUEST_TIMEOUT: '60',
  })
  const daemon = await startDaemon(t, { env: w.env })
  // Four connections that never finish their request hold the share of 127.0.0.2.
  const held = await Promise.all(
    Array.from({ length: 4 }, () => rawRequest(t, daemon, 'POST /api/v1/vms HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{', '127.0.0.2')),
  )
  const fifth = await rawRequest(t, daemon, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n', '127.0.0.2')
  const refused = await fifth.answer
  assert.equal(refused.text, '', 'the connection over the cap is closed without an answer')
  assert.equal(await health(daemon), 200, 'another address is served')
  const logged = daemon.logs.find((l) => l.msg === 'API connection refused: too many open connections from one address')
  assert.equal(logged?.source, '127.0.0.2')
  for (const h of held) h.socket.destroy()
  await Promise.all(held.map((h) => h.answer.catch(() => undefined)))
  // The daemon sees the closes shortly after; a bounded retry waits for that.
  let status = 0
  for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
    if (attempt > 0) await sleep(100)
    const again = await rawRequest(t, daemon, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', '127.0.0.2')
    status = statusOf((await again.answer).text)
  }
  assert.equal(status, 200, 'the address gets in again once its connections closed')
})

// Whether this process may raise a hard limit (CAP_SYS_RESOURCE, bit 24 of the effective set); containers often lack it.
const maySetHardLimits = (): boolean =>
  ((BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`) >> 24n) & 1n) === 1n

test('at start the open-file limit goes up where allowed; a limit that stays low is a warning', async (t) => {
  const w = await multipassWorld(t)
  const limitsOf = (d: Daemon) => readFileSync(`/proc/${d.process.pid ?? 0}/limits`, 'utf8')
  const hard = Number(/^Max open files\s+\S+\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1])
  assert.ok(hard >= 8192, `this test needs a hard open-file limit of at least 8192, not ${hard}`)
  const roomy = await startDaemon(t, { env: w.env, launcher: ['prlimit', `--nofile=256:${hard}`, '--'] })
  assert.ok(Number(roomy.logs.find((l) => l.msg === 'open-file limit')?.openFileLimit) >= hard, 'the soft limit is raised at least to the hard one')
  assert.ok(!roomy.logs.some((l) => String(l.msg).startsWith('the open-file limit is')))
  await roomy.stop()
  const low = await startDaemon(t, { env: w.env, launcher: ['prlimit', '--nofile=256:2048', '--'] })
  if (maySetHardLimits()) {
    assert.match(limitsOf(low), /^Max open files\s+65536\s+65536/m, 'with CAP_SYS_RESOURCE the hard limit goes up too')
  } else {
    assert.match(limitsOf(low), /^Max open files\s+2048\s+2048/m)
    assert.ok(
      low.logs.some((l) => l.level === 40 && String(l.msg).startsWith('the open-file limit is 2048 (raising it failed')),
      'a limit below 8192 is a warning',
    )
  }
})
