import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { QmpError, withQmp } from './qmp-client.js'
import { parseForwardedPort, queryVm, readConsoleRing } from './qmp-queries.js'

type Handler = (msg: Record<string, unknown>, reply: (value: unknown) => void) => void

// A fake QEMU: greets, accepts qmp_capabilities, and hands other commands to `handle`.
async function fakeQemu(t: TestContext, handle: Handler, opts: { listenPath?: string; greet?: boolean } = {}): Promise<string> {
  let path = opts.listenPath
  if (path === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'qmp-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    path = join(dir, 'qmp.sock')
  }
  const server = net.createServer((socket) => {
    const reply = (value: unknown) => socket.write(`${JSON.stringify(value)}\r\n`)
    if (opts.greet !== false) reply({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 } }, capabilities: ['oob'] } })
    let buffer = ''
    socket.on('data', (chunk) => {
      buffer += chunk.toString()
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        const msg = JSON.parse(buffer.slice(0, i)) as Record<string, unknown>
        buffer = buffer.slice(i + 1)
        if (msg.execute === 'qmp_capabilities') reply({ return: {}, id: msg.id })
        else handle(msg, reply)
      }
    })
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return path
}

const USERNET =
  'Hub -1 (n0):\r\n  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\r\n  TCP[HOST_FORWARD]  14       127.0.0.1 46771       10.0.2.15    22     0     0\r\n'

test('negotiates, runs commands matched by id, and reads the forwarded port', async (t) => {
  const path = await fakeQemu(t, (msg, reply) => {
    reply({ event: 'RESUME', timestamp: { seconds: 1, microseconds: 0 } })
    if (msg.execute === 'query-status') reply({ return: { status: 'running', running: true }, id: msg.id })
    if (msg.execute === 'human-monitor-command') reply({ return: USERNET, id: msg.id })
  })
  assert.deepEqual(await queryVm(path, { timeoutMs: 2000 }), { status: 'running', sshPort: 46771 })
})

test('the console ring is read as bytes (base64 on the wire), and a QEMU without a ring gives none', async (t) => {
  const bytes = Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0xff, 0x00, 0x0a, 0x79])
  const reads: unknown[] = []
  const withRing = await fakeQemu(t, (msg, reply) => {
    if (msg.execute === 'ringbuf-read') {
      reads.push(msg.arguments)
      reply({ return: bytes.toString('base64'), id: msg.id })
    } else if (msg.execute === 'query-status') reply({ return: { status: 'shutdown', running: false }, id: msg.id })
    else reply({ return: USERNET, id: msg.id })
  })
  assert.deepEqual(await queryVm(withRing, { timeoutMs: 2000 }, true), { status: 'shutdown', sshPort: 46771, console: bytes })
  assert.deepEqual(reads, [{ device: 'console0', size: 1024 * 1024, format: 'base64' }])
  const noRing = await fakeQemu(t, (msg, reply) => reply({ error: { class: 'GenericError', desc: "Device 'console0' not found" }, id: msg.id }))
  assert.equal(await withQmp(noRing, { timeoutMs: 2000 }, readConsoleRing), undefined)
})

test('an error reply rejects that command only', async (t) => {
  const path = await fakeQemu(t, (msg, reply) => {
    if (msg.execute === 'bogus') reply({ error: { class: 'CommandNotFound', desc: 'The command bogus has not been found' }, id: msg.id })
    else reply({ return: 'ok', id: msg.id })
  })
  await withQmp(path, { timeoutMs: 2000 }, async (qmp) => {
    await assert.rejects(qmp.execute('bogus'), (e: unknown) => e instanceof QmpError && e.kind === 'command' && /bogus has not been found/.test(e.message))
    assert.equal(await qmp.execute('query-name'), 'ok')
  })
})

test('events are delivered, including ones that arrived before the wait', async (t) => {
  const path = await fakeQemu(t, (msg, reply) => {
    reply({ return: {}, id: msg.id })
    reply({ event: 'POWERDOWN', timestamp: {} })
    setTimeout(() => reply({ event: 'SHUTDOWN', data: { guest: true, reason: 'guest-shutdown' }, timestamp: {} }), 50)
  })
  await withQmp(path, { timeoutMs: 2000 }, async (qmp) => {
    await qmp.execute('system_powerdown')
    assert.equal((await qmp.nextEvent('POWERDOWN')).event, 'POWERDOWN')
    assert.deepEqual((await qmp.nextEvent('SHUTDOWN')).data, { guest: true, reason: 'guest-shutdown' })
  })
})

test('nothing listening is a connect error', async () => {
  await assert.rejects(
    withQmp('/nonexistent/qmp.sock', { timeoutMs: 1000 }, async () => undefined),
    (e: unknown) => e instanceof QmpError && e.kind === 'connect',
  )
})

test('a QEMU that never greets hits the deadline', async (t) => {
  const path = await fakeQemu(t, () => undefined, { greet: false })
  const started = performance.now()
  await assert.rejects(
    withQmp(path, { timeoutMs: 300 }, async () => undefined),
    (e: unknown) => e instanceof QmpError && e.kind === 'timeout',
  )
  assert.ok(performance.now() - started < 2000)
})

test('a command without reply hits the deadline; an abort ends the session too', async (t) => {
  const path = await fakeQemu(t, () => undefined)
  await assert.rejects(
    withQmp(path, { timeoutMs: 300 }, (qmp) => qmp.execute('query-status')),
    (e: unknown) => e instanceof QmpError && e.kind === 'timeout',
  )
  const aborted = withQmp(path, { timeoutMs: 10_000, signal: AbortSignal.timeout(200) }, (qmp) => qmp.execute('query-status'))
  await assert.rejects(aborted, (e: unknown) => e instanceof QmpError && e.kind === 'timeout' && /aborted/.test(e.message))
})

test('QEMU going away mid-command is reported as closed', async (t) => {
  const path = await fakeQemuClosing(t)
  await assert.rejects(
    withQmp(path, { timeoutMs: 2000 }, (qmp) => qmp.execute('quit')),
    (e: unknown) => e instanceof QmpError && e.kind === 'closed',
  )
})

async function fakeQemuClosing(t: TestContext): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'qmp-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'qmp.sock')
  const server = net.createServer((socket) => {
    socket.write('{"QMP": {"version": {}, "capabilities": []}}\r\n')
    socket.on('data', (chunk) => {
      if (chunk.toString().includes('qmp_capabilities')) socket.write(`{"return": {}, "id": "golem-1"}\r\n`)
      else socket.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return path
}

test('a socket path longer than a socket address can hold is still reached', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'qmp-long-'))
  t.after(() => rmSync(base, { recursive: true, force: true }))
  const deep = join(base, 'x'.repeat(60), 'golem-a-very-long-vm-name-that-fills-the-path-20260101-120000')
  mkdirSync(deep, { recursive: true })
  assert.ok(join(deep, 'qmp.sock').length > 107)
  // The fake server binds a short relative path from inside the folder, as QEMU does.
  const cwd = process.cwd()
  process.chdir(deep)
  try {
    await fakeQemu(t, (msg, reply) => reply({ return: { status: 'running' }, id: msg.id }), { listenPath: 'qmp.sock' })
  } finally {
    process.chdir(cwd)
  }
  assert.deepEqual(await withQmp(join(deep, 'qmp.sock'), { timeoutMs: 2000 }, (qmp) => qmp.execute('query-status')), { status: 'running' })
})

test('parseForwardedPort ignores other forwards and lines', () => {
  assert.equal(parseForwardedPort(USERNET), 46771)
  assert.equal(parseForwardedPort(USERNET, 80), undefined)
  assert.equal(parseForwardedPort('Hub -1 (n0):\r\n  Protocol[State]    FD  Source Address  Port\r\n'), undefined)
  assert.equal(
    parseForwardedPort('  TCP[HOST_FORWARD]  14  127.0.0.1 8080  10.0.2.15  80  0  0\n  TCP[HOST_FORWARD]  15  127.0.0.1 2222  10.0.2.15  22  0  0'),
    2222,
  )
  const both = '  TCP[HOST_FORWARD]  13  127.0.0.1 46155  10.0.2.15  5353  0  0\n  UDP[HOST_FORWARD]  14  127.0.0.1 34630  10.0.2.15  5353  0  0'
  assert.deepEqual(
    [parseForwardedPort(both, 5353, 'udp'), parseForwardedPort(both, 5353, 'tcp'), parseForwardedPort(both, 53, 'udp')],
    [34630, 46155, undefined],
  )
})
