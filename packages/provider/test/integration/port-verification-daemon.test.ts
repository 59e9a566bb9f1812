/**
 * The real provider daemon with port verification against the real port-check
 * server, both on 127.0.0.1: all open; some SSH ports held by another process
 * (reported, never allocated); checker down (start-up stops); skip mode.
 */
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { test, type TestContext } from 'node:test'
import { ProviderStatus } from '@golem-vm/protocol'
import { api, freePortRange, REPO_ROOT, startDaemon, tempDir } from '../helpers/daemon.js'
import { ed25519Key } from '../helpers/keys.js'
import { startPortChecker } from '../helpers/services.js'

const FAKE_DIR = join(REPO_ROOT, 'packages/provider/test/fixtures/multipass')
// One real checker per test (started by `daemon` unless a test points elsewhere); reaped with the test.
async function checkerUrl(t: TestContext): Promise<string> {
  return (await startPortChecker(t, { PORT_CHECKER_ATTEMPTS: '1' })).url
}

async function choosePorts() {
  const all = await freePortRange(4)
  return { api: all.start, range: { start: all.start + 1, end: all.end } }
}

async function daemon(t: TestContext, extra: Record<string, string>, ports?: Awaited<ReturnType<typeof choosePorts>>) {
  const dir = tempDir(t)
  const fakeState = join(dir, 'fake')
  const { api: apiPort, range } = ports ?? (await choosePorts())
  t.after(() => {
    execFileSync(join(FAKE_DIR, 'multipass'), ['--fake-reset'], { env: { ...process.env, FAKE_MULTIPASS_STATE: fakeState } })
  })
  const d = await startDaemon(t, {
    env: {
      PATH: `${FAKE_DIR}:${process.env.PATH ?? ''}`,
      FAKE_MULTIPASS_STATE: fakeState,
      GOLEM_PROVIDER_DATA_DIR: join(dir, 'data'),
      GOLEM_PROVIDER_BACKEND: 'multipass',
      GOLEM_PROVIDER_MULTIPASS_NETWORK: '127.0.0.0/8',
      GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: 'true',
      GOLEM_PROVIDER_OFFER_CPU_CORES: '4',
      GOLEM_PROVIDER_PORT: String(apiPort),
      GOLEM_PROVIDER_PORT_RANGE_START: String(range.start),
      GOLEM_PROVIDER_PORT_RANGE_END: String(range.end),
      GOLEM_PROVIDER_SKIP_PORT_VERIFICATION: 'false',
      GOLEM_PROVIDER_PORT_CHECK_SERVERS: extra.GOLEM_PROVIDER_PORT_CHECK_SERVERS ?? (await checkerUrl(t)),
      ...extra,
    },
  })
  return { d, api: apiPort, range }
}

test('all open: the status endpoint reports the verification, VMs get verified ports', async (t) => {
  const { d, api: apiPort, range } = await daemon(t, {})
  const status = ProviderStatus.parse((await api(d.baseUrl, 'GET', '/api/v1/provider/status')).body)
  assert.equal(status.ports.verification, 'verified')
  assert.ok(status.ports.report)
  assert.equal(status.ports.report.ready, true)
  assert.deepEqual(status.ports.report.api_port, { port: apiPort, internal: true, external: true, error: null })
  assert.deepEqual(status.ports.free, [range.start, range.start + 1, range.start + 2])
  const created = await api<{ ssh_port: number }>(d.baseUrl, 'POST', '/api/v1/vms', { name: 'one', ssh_key: ed25519Key() })
  assert.equal(created.status, 201)
  assert.equal(created.body.ssh_port, range.start)
  const cli = execFileSync(process.execPath, [join(REPO_ROOT, 'packages/provider/bin/golem-provider.js'), 'status', '--json', '--url', d.baseUrl], {
    encoding: 'utf8',
  })
  const fromCli = ProviderStatus.parse(JSON.parse(cli))
  assert.deepEqual(fromCli.ports.free, [range.start + 1, range.start + 2])
  assert.equal(fromCli.ports.report?.mode, 'verified')
})

test('an SSH port another process holds is reported and never allocated', async (t) => {
  const ports = await choosePorts()
  const taken = ports.range.start
  const holder = spawn(process.execPath, ['-e', `require('node:net').createServer(s=>s.destroy()).listen(${taken},'127.0.0.1',()=>console.log('ready'))`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.after(async () => {
    const e = once(holder, 'exit')
    holder.kill('SIGKILL')
    await e
  })
  await once(createInterface({ input: holder.stdout }), 'line')
  const { d, range } = await daemon(t, {}, ports)
  const status = ProviderStatus.parse((await api(d.baseUrl, 'GET', '/api/v1/provider/status')).body)
  assert.deepEqual(status.ports.report?.ssh_ports.closed, [{ port: taken, reason: 'in use by another process' }])
  assert.deepEqual(status.ports.free, [range.start + 1, range.start + 2])
  const got: number[] = []
  for (const name of ['one', 'two', 'three']) {
    const r = await api<{ ssh_port?: number; code?: string }>(d.baseUrl, 'POST', '/api/v1/vms', { name, ssh_key: ed25519Key() })
    if (r.body.ssh_port !== undefined) got.push(r.body.ssh_port)
    else assert.equal(r.body.code, 'NO_FREE_PORT')
  }
  assert.deepEqual(got, [range.start + 1, range.start + 2])
})

test('checker down: start-up stops with the explanation', async (t) => {
  await assert.rejects(
    daemon(t, { GOLEM_PROVIDER_PORT_CHECK_SERVERS: 'http://127.0.0.1:9' }),
    /port verification failed[\s\S]*No port-check server could be reached[\s\S]*README\.md#troubleshooting-port-verification/,
  )
})

test('skip mode: starts without a checker and says so', async (t) => {
  const { d } = await daemon(t, { GOLEM_PROVIDER_PORT_CHECK_SERVERS: 'http://127.0.0.1:9', GOLEM_PROVIDER_SKIP_PORT_VERIFICATION: 'true' })
  const status = ProviderStatus.parse((await api(d.baseUrl, 'GET', '/api/v1/provider/status')).body)
  assert.equal(status.ports.verification, 'skipped')
  assert.match(status.ports.report?.warnings[0] ?? '', /skipped/)
})
