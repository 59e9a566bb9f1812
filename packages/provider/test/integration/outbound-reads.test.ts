/**
 * Issue 15, item 6, against the real daemon: a public-address service or a
 * port checker that answers without end is read only up to a small cap,
 * within its deadline. The daemon uses the honest service next to the
 * hostile one, and its peak memory stays small (before the cap an 800 MB
 * answer took it to 1.6 GB).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { freePortRange, REPO_ROOT, startDaemon, tempDir, type Daemon } from '../helpers/daemon.js'
import { startPortChecker } from '../helpers/services.js'

const FAKE_DIR = join(REPO_ROOT, 'packages/provider/test/fixtures/multipass')

// A server on 127.0.0.1; `endless` answers 200 with a body that never ends, anything else is the answer's text.
async function answering(t: TestContext, answer: string): Promise<{ url: string; asked: () => number }> {
  let served = 0
  const server: Server = createServer((_req, res) => {
    served++
    res.on('error', () => undefined)
    if (answer !== 'endless') {
      res.end(answer)
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    const chunk = Buffer.alloc(1024 * 1024, 0x20)
    const more = (): void => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', more)
    }
    more()
  })
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked: () => served }
}

const peakRssMb = (d: Daemon): number => Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${d.process.pid ?? 0}/status`, 'utf8'))?.[1] ?? 0) / 1024

async function daemonEnv(t: TestContext): Promise<Record<string, string>> {
  const dir = tempDir(t)
  const fakeState = join(dir, 'fake')
  t.after(() => {
    execFileSync(join(FAKE_DIR, 'multipass'), ['--fake-reset'], { env: { ...process.env, FAKE_MULTIPASS_STATE: fakeState } })
  })
  const all = await freePortRange(3)
  return {
    PATH: `${FAKE_DIR}:${process.env.PATH ?? ''}`,
    FAKE_MULTIPASS_STATE: fakeState,
    GOLEM_PROVIDER_DATA_DIR: join(dir, 'data'),
    GOLEM_PROVIDER_BACKEND: 'multipass',
    GOLEM_PROVIDER_MULTIPASS_NETWORK: '127.0.0.0/8',
    GOLEM_PROVIDER_OFFER_CPU_CORES: '2',
    GOLEM_PROVIDER_PORT: String(all.start),
    GOLEM_PROVIDER_PORT_RANGE_START: String(all.start + 1),
    GOLEM_PROVIDER_PORT_RANGE_END: String(all.end),
  }
}

test('an address service that answers without end is cut off at its cap; the next service gives the address', async (t) => {
  const hostile = await answering(t, 'endless')
  const honest = await answering(t, '127.0.0.1\n')
  const daemon = await startDaemon(t, {
    env: {
      ...(await daemonEnv(t)),
      GOLEM_PROVIDER_PUBLIC_IP: 'auto',
      GOLEM_PROVIDER_PUBLIC_IP_SERVICES: `${hostile.url}/ip,${honest.url}/ip`,
      GOLEM_PROVIDER_SKIP_PORT_VERIFICATION: 'true',
    },
  })
  const ready = daemon.logs.find((l) => l.msg === 'provider accepting VM requests')
  assert.equal(ready?.sshHost, '127.0.0.1')
  assert.ok(peakRssMb(daemon) < 300, `peak memory ${Math.round(peakRssMb(daemon))} MB`)
})

test('a port checker that answers without end is cut off at its cap; the honest checker verifies the ports', async (t) => {
  const hostile = await answering(t, 'endless')
  const checker = await startPortChecker(t, { PORT_CHECKER_ATTEMPTS: '1' })
  const daemon = await startDaemon(t, {
    env: {
      ...(await daemonEnv(t)),
      GOLEM_PROVIDER_SKIP_PORT_VERIFICATION: 'false',
      GOLEM_PROVIDER_PORT_CHECK_SERVERS: `${hostile.url},${checker.url}`,
    },
    timeoutMs: 90_000,
  })
  const ready = daemon.logs.find((l) => l.msg === 'provider accepting VM requests')
  assert.equal(ready?.ports, 2, 'both SSH ports verified through the honest checker')
  assert.ok(hostile.asked() > 0, 'the hostile checker was asked')
  assert.ok(peakRssMb(daemon) < 300, `peak memory ${Math.round(peakRssMb(daemon))} MB`)
})
