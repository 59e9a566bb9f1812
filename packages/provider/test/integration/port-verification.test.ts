/**
 * Port verification against the real port-check server (a child process on
 * 127.0.0.1), with real listeners and real sockets: all open; some ports held
 * by another process; the checker down; one of two checkers down.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, before, test, type TestContext } from 'node:test'
import pino from 'pino'
import { PortVerificationReport } from '@golem-vm/protocol'
import { assertPortsReady, PortVerificationError } from '../../src/app/port-verification-advice.js'
import { PortVerifier } from '../../src/app/port-verification-verifier.js'
import type { PortVerificationDeps, PortVerificationSettings } from '../../src/app/port-verification.js'
import { holdPorts } from '../../src/infra/port-check/hold-ports.js'
import { portCheckClient } from '../../src/infra/port-check/port-check-client.js'
import type { PortCheckFn } from '../../src/app/ports/port-check.js'
import { REPO_ROOT } from '../helpers/daemon.js'

const CHECKER_BIN = join(REPO_ROOT, 'packages/port-checker/bin/golem-port-checker.js')
const HOST = '127.0.0.1'
const RANGE_SIZE = 5
const START_TIMEOUT_MS = 15_000

let checkerUrl = ''

// Starts the real checker on 127.0.0.1:0 and learns its port from the "listening" log record.
async function startChecker(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CHECKER_BIN], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PORT_CHECKER_HOST: HOST,
      PORT_CHECKER_PORT: '0',
      PORT_CHECKER_RATE_LIMIT_PER_MINUTE: '10000',
      PORT_CHECKER_CONNECT_TIMEOUT_MS: '1000',
      PORT_CHECKER_ATTEMPTS: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the port checker did not start: ${stderr}`)), START_TIMEOUT_MS)
    createInterface({ input: child.stdout }).on('line', (line) => {
      const record = JSON.parse(line) as { event?: string; url?: string }
      if (record.event === 'listening' && record.url !== undefined) {
        clearTimeout(timer)
        resolve(record.url)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the port checker exited with ${code}: ${stderr}`))
    })
  })
  return { child, url }
}

let checker: ChildProcess | undefined
before(async () => {
  if (!existsSync(join(REPO_ROOT, 'packages/port-checker/dist/src/main.js'))) {
    throw new Error('the port checker is not built: run `npx tsc -b` (or `npx tsc -b packages/port-checker`) first')
  }
  const started = await startChecker()
  checker = started.child
  checkerUrl = started.url
})
after(async () => {
  if (checker === undefined || checker.exitCode !== null) return
  const exited = once(checker, 'exit')
  checker.kill('SIGTERM')
  await exited
})

const canBind = async (ports: readonly number[]): Promise<boolean> => {
  const held = await holdPorts(HOST, ports)
  await held.release()
  return held.failed.length === 0
}

// A free API port and a free range of RANGE_SIZE ports right after it; bounded attempts.
async function freePorts(): Promise<{ api: number; range: { start: number; end: number }; ssh: number[] }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const api = 20_000 + Math.floor(Math.random() * 40_000)
    const ssh = Array.from({ length: RANGE_SIZE }, (_, i) => api + 1 + i)
    if (await canBind([api, ...ssh])) return { api, range: { start: api + 1, end: api + RANGE_SIZE }, ssh }
  }
  throw new Error('no free port range found on 127.0.0.1')
}

// A separate process that holds `ports` on 127.0.0.1 until the test ends.
async function otherProcessHolding(t: TestContext, ports: readonly number[]): Promise<void> {
  const script = `const net=require('node:net');let n=0;for(const p of ${JSON.stringify(ports)}){net.createServer(s=>s.destroy()).listen(p,'${HOST}',()=>{if(++n===${ports.length})console.log('ready')})}`
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(async () => {
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  })
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', () => resolve())
    child.once('exit', (code) => reject(new Error(`the port holder exited with ${code}`)))
  })
}

interface Setup {
  readonly verifier: PortVerifier
  readonly requests: { url: string; ports: number[] }[]
  readonly ports: Awaited<ReturnType<typeof freePorts>>
}

function setup(t: TestContext, ports: Setup['ports'], servers: readonly string[], own: ReadonlySet<number> = new Set(), publicIp = HOST): Setup {
  const requests: Setup['requests'] = []
  const client = portCheckClient({ timeoutMs: 10_000 })
  const check: PortCheckFn = (url, ip, list, signal) => {
    requests.push({ url, ports: [...list] })
    return client(url, ip, list, signal)
  }
  const settings: PortVerificationSettings = { mode: 'verified', host: HOST, apiPort: ports.api, range: ports.range, servers }
  const deps: PortVerificationDeps = {
    check,
    hold: holdPorts,
    publicIp: () => Promise.resolve(publicIp),
    ownPorts: () => own,
    apiListener: () => null,
    clock: () => new Date(),
    logger: pino({ level: 'silent' }),
  }
  const verifier = new PortVerifier({ settings, deps })
  t.after(() => verifier.stop())
  return { verifier, requests, ports }
}

const deadUrl = async (): Promise<string> => {
  const { api } = await freePorts()
  return `http://${HOST}:${api}`
}

test('all ports open: every port is reached from outside, then released', async (t) => {
  const { verifier, ports } = setup(t, await freePorts(), [checkerUrl])
  const report = PortVerificationReport.parse(await verifier.reverify())
  assert.equal(report.ready, true, report.problems.join('; '))
  assert.deepEqual(report.api_port, { port: ports.api, internal: true, external: true, error: null })
  assert.deepEqual(report.ssh_ports.usable, ports.ssh)
  assert.deepEqual(verifier.usable(), ports.ssh)
  assert.deepEqual(report.servers, [{ url: checkerUrl, ok: true, error: null }])
  assert.equal(await canBind([ports.api, ...ports.ssh]), true, 'temporary listeners are closed')
})

test('ports held by another process are reported, never sent, never usable; own listeners are not re-bound', async (t) => {
  const ports = await freePorts()
  const [a, b, c, d, e] = ports.ssh as [number, number, number, number, number]
  await otherProcessHolding(t, [b, d])
  const own = net.createServer((s) => s.destroy())
  await new Promise<void>((resolve) => own.listen(e, HOST, resolve))
  t.after(() => new Promise<void>((resolve) => own.close(() => resolve())))
  const { verifier, requests } = setup(t, ports, [checkerUrl], new Set([e]))
  const report = await verifier.reverify()
  assert.equal(report.ready, true, report.problems.join('; '))
  assert.deepEqual(report.ssh_ports.usable, [a, c, e])
  assert.deepEqual(report.ssh_ports.closed, [
    { port: b, reason: 'in use by another process' },
    { port: d, reason: 'in use by another process' },
  ])
  assert.deepEqual(
    requests.map((r) => r.ports),
    [[ports.api, a, c, e]],
  )
  assert.match(report.warnings.join('\n'), new RegExp(`2 SSH ports held by other processes and not offered: ${b}, ${d}`))
})

test('checker down: the provider is not ready, and the error explains what to do', async (t) => {
  const dead = await deadUrl()
  const { verifier } = setup(t, await freePorts(), [dead])
  const report = await verifier.reverify()
  assert.equal(report.ready, false)
  assert.deepEqual(verifier.usable(), [])
  assert.deepEqual(report.servers, [{ url: dead, ok: false, error: 'cannot connect (ECONNREFUSED)' }])
  assert.throws(
    () => assertPortsReady(report),
    (error: unknown) => {
      assert.ok(error instanceof PortVerificationError)
      assert.match(error.message, /No port-check server could be reached/)
      assert.match(error.message, /GOLEM_PROVIDER_PORT_CHECK_SERVERS/)
      assert.match(error.message, /README\.md#troubleshooting-port-verification/)
      return true
    },
  )
})

test("a public address that is not this host's: the checker refuses it (403 FOREIGN_ADDRESS), and the advice says so", async (t) => {
  const { verifier } = setup(t, await freePorts(), [checkerUrl], new Set(), '198.51.100.1')
  const report = await verifier.reverify()
  assert.equal(report.ready, false)
  assert.match(
    report.servers[0]?.error ?? '',
    /^HTTP 403 FOREIGN_ADDRESS: provider_ip 198\.51\.100\.1 is not the address this request comes from \(127\.0\.0\.1\)/,
  )
  assert.match(report.problems.join('\n'), /The port-check servers refused to check 198\.51\.100\.1: it is not the address this host's requests come from/)
  assert.doesNotMatch(report.problems.join('\n'), /could be reached/)
  assert.match(report.fixes[0] ?? '', /^Set GOLEM_PROVIDER_PUBLIC_IP to the address this host's connections leave from/)
  assert.doesNotMatch(report.fixes.join('\n'), /can reach the port-check servers/)
  assert.throws(
    () => assertPortsReady(report),
    /Likely cause: the public address this provider was given \(GOLEM_PROVIDER_PUBLIC_IP\) differs from the address its requests leave from/,
  )
})

test('one of two checkers down: the other one decides, the failure is reported', async (t) => {
  const dead = await deadUrl()
  const { verifier, ports } = setup(t, await freePorts(), [dead, checkerUrl])
  const report = await verifier.reverify()
  assert.equal(report.ready, true, report.problems.join('; '))
  assert.deepEqual(report.ssh_ports.usable, ports.ssh)
  assert.deepEqual(
    report.servers.map((s) => s.ok),
    [false, true],
  )
  assert.match(
    report.warnings.join('\n'),
    new RegExp(`Port-check server ${dead} failed: cannot connect \\(ECONNREFUSED\\); the other servers' results are used`),
  )
})
