/**
 * The real daemon as a process on the fake `multipass` (a real sshd per VM):
 * scrapes `/metrics` on the API port (with the admin token) and on the
 * loopback scrape listener, creates, stops, starts and deletes a VM through
 * the API, logs in with `ssh` through the proxy, and checks that each counter
 * and gauge moved by exactly what happened. `promtool check metrics`
 * (Debian's `prometheus` package) accepts every scrape.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { api, startDaemon } from '../helpers/daemon.js'
import { multipassWorld } from '../helpers/multipass-world.js'
import { delta, parseSamples, sample, type Samples } from '../helpers/prometheus-text.js'
import { sshRun } from '../helpers/ssh.js'

const GIB = 2 ** 30
const P = 'golem_provider_'

function promtool(text: string): void {
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
  assert.equal(check.error, undefined, 'promtool runs (Debian package prometheus)')
  assert.equal(check.status, 0, `${check.stdout}${check.stderr}`)
  assert.equal(`${check.stdout}${check.stderr}`.trim(), '', 'no lint findings either')
}

// Polls a scrape until `done` holds (the relay reports a connection's counters a moment after it closes); bounded.
async function until(scrape: () => Promise<Samples>, done: (s: Samples) => boolean): Promise<Samples> {
  let last = await scrape()
  for (let i = 0; i < 100 && !done(last); i++) {
    await sleep(100)
    last = await scrape()
  }
  return last
}

test('every counter and gauge moves by exactly what create, ssh, stop, start, a refusal and delete did', async (t) => {
  const w = await multipassWorld(t, { GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: 'true', GOLEM_PROVIDER_METRICS_LISTEN: '127.0.0.1:0' })
  const daemon = await startDaemon(t, { env: w.env, timeoutMs: 120_000 })
  const token = readFileSync(join(w.dataDir, 'admin-token'), 'utf8').trim()
  const listenerUrl = String(daemon.logs.find((l) => l.msg === 'metrics listener ready')?.url)
  assert.match(listenerUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
  const text = async (): Promise<string> => {
    const res = await fetch(`${daemon.baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
    return res.text()
  }
  const scrape = async () => parseSamples(await text())

  const refused = await fetch(`${daemon.baseUrl}/metrics`)
  assert.equal(refused.status, 401, 'the API port wants the admin token')
  assert.equal(((await refused.json()) as { code: string }).code, 'UNAUTHORIZED')
  const fromListener = await fetch(listenerUrl)
  assert.equal(fromListener.status, 200, 'the loopback listener needs none')
  const listened = parseSamples(await fromListener.text())
  assert.equal(sample(listened, `${P}vms_max`), 10)

  const s0 = await scrape()
  promtool(await text())
  const info = [...s0].filter(([key]) => key.startsWith(`${P}info{`))
  assert.equal(info.length, 1)
  assert.match(info[0]![0], /backend="multipass",version="\d+\.\d+\.\d+/)
  assert.equal(info[0]![1], 1)
  assert.equal(sample(s0, `${P}cpu_cores`, { state: 'total' }), 4)
  assert.equal(sample(s0, `${P}memory_bytes`, { state: 'total' }), 8 * GIB)
  assert.equal(sample(s0, `${P}ssh_ports`, { state: 'usable' }), 4)
  assert.equal(sample(s0, `${P}port_verifications_total`, { result: 'ready' }), 1)
  assert.equal(sample(s0, `${P}vms`, { status: 'running' }), 0)
  assert.ok((sample(s0, 'process_resident_memory_bytes') ?? 0) > 0)
  assert.ok(sample(s0, 'nodejs_eventloop_lag_seconds') !== undefined)

  const created = await api<{ ssh_port: number }>(daemon.baseUrl, 'POST', '/api/v1/vms', {
    name: 'm-1',
    ssh_key: w.key.publicKey,
    resources: { cpu: 2, memory: 2, storage: 20 },
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  // VMs are labelled by the provider's unique id (the backend instance), as renters' names are unique per owner only.
  const vm = (await api<{ multipass_name: string }>(daemon.baseUrl, 'GET', '/api/v1/vms/m-1/access')).body.multipass_name
  // The provider's own readiness check already went through the public port (the renter's path), so the login is
  // counted from what the create left.
  const afterCreate = await until(
    scrape,
    (s) => (sample(s, `${P}forwarded_connections_accepted_total`, { vm }) ?? 0) >= 1 && sample(s, `${P}forwarded_connections_open`, { vm }) === 0,
  )
  const acceptedBefore = sample(afterCreate, `${P}forwarded_connections_accepted_total`, { vm }) ?? 0
  const login = await sshRun({ port: created.body.ssh_port, user: 'ubuntu', key: w.key.privateKeyPath, command: 'head -c 100000 /dev/zero' })
  assert.equal(login.code, 0, login.stderr)
  const s1 = await until(
    scrape,
    (s) => sample(s, `${P}forwarded_connections_accepted_total`, { vm }) === acceptedBefore + 1 && sample(s, `${P}forwarded_connections_open`, { vm }) === 0,
  )
  const d = (name: string, labels: Record<string, string> = {}, before = s0, after = s1) => delta(before, after, P + name, labels)
  assert.equal(d('vm_operations_total', { operation: 'create', result: 'ok', code: 'none' }), 1)
  assert.equal(d('vm_operation_duration_seconds_count', { operation: 'create', phase: 'total' }), 1)
  assert.equal(d('vm_operation_duration_seconds_count', { operation: 'create', phase: 'launch' }), 1)
  assert.equal(d('vm_operation_duration_seconds_count', { operation: 'create', phase: 'ssh' }), 1)
  assert.equal(d('vm_operations_in_progress', { operation: 'create' }), 0)
  assert.equal(d('backend_command_duration_seconds_count', { backend: 'multipass', command: 'launch' }), 1)
  assert.equal(d('vms', { status: 'running' }), 1)
  assert.equal(d('cpu_cores', { state: 'allocated' }), 2)
  assert.equal(d('cpu_cores', { state: 'free' }), -2)
  assert.equal(d('memory_bytes', { state: 'allocated' }), 2 * GIB)
  assert.equal(d('storage_bytes', { state: 'free' }), -20 * GIB)
  assert.equal(d('ssh_ports', { state: 'free' }), -1)
  assert.equal(d('ssh_ports', { state: 'usable' }), 0)
  assert.equal(d('http_requests_total', { method: 'POST', route: '/api/v1/vms', status: '201' }), 1)
  assert.equal(d('forwarded_connections_accepted_total', { vm }, afterCreate, s1), 1)
  assert.equal(sample(s1, `${P}forwarded_connections_refused_total`, { vm }), 0)
  assert.ok((sample(s1, `${P}forwarded_bytes_total`, { vm, direction: 'out' }) ?? 0) > 100_000, 'the 100 kB the guest sent, plus SSH')
  assert.ok((sample(s1, `${P}forwarded_bytes_total`, { vm, direction: 'in' }) ?? 0) > 0)

  assert.equal((await api(daemon.baseUrl, 'POST', '/api/v1/vms/m-1/stop')).status, 200)
  const s2 = await scrape()
  assert.equal(d('vm_operations_total', { operation: 'stop', result: 'ok', code: 'none' }, s1, s2), 1)
  assert.equal(d('vm_operation_duration_seconds_count', { operation: 'stop', phase: 'stop' }, s1, s2), 1)
  assert.equal(d('backend_command_duration_seconds_count', { backend: 'multipass', command: 'stop' }, s1, s2), 1)
  assert.equal(d('vms', { status: 'running' }, s1, s2), -1)
  assert.equal(d('vms', { status: 'stopped' }, s1, s2), 1)
  assert.equal(d('cpu_cores', { state: 'allocated' }, s1, s2), 0, 'a stopped VM keeps its reservation')
  const shut = await sshRun({ port: created.body.ssh_port, user: 'ubuntu', key: w.key.privateKeyPath, command: 'true', timeoutMs: 20_000 })
  assert.notEqual(shut.code, 0)
  const s2b = await until(scrape, (s) => (sample(s, `${P}forwarded_connections_refused_total`, { vm }) ?? 0) >= 1)
  assert.equal(d('forwarded_connections_refused_total', { vm }, s2, s2b), 1, 'a stopped VM refuses')

  assert.equal((await api(daemon.baseUrl, 'POST', '/api/v1/vms/m-1/start')).status, 200)
  const taken = await api<{ code: string }>(daemon.baseUrl, 'POST', '/api/v1/vms', { name: 'm-1', ssh_key: w.key.publicKey })
  assert.equal(taken.body.code, 'VM_NAME_TAKEN')
  const s3 = await scrape()
  assert.equal(d('vm_operations_total', { operation: 'start', result: 'ok', code: 'none' }, s2b, s3), 1)
  assert.equal(d('vm_operations_total', { operation: 'create', result: 'error', code: 'VM_NAME_TAKEN' }, s2b, s3), 1)
  assert.equal(d('vm_operations_total', { operation: 'create', result: 'ok', code: 'none' }, s2b, s3), 0)
  assert.equal(d('http_requests_total', { method: 'POST', route: '/api/v1/vms', status: '409' }, s2b, s3), 1)
  assert.equal(d('vms', { status: 'running' }, s2b, s3), 1)

  assert.equal((await api(daemon.baseUrl, 'DELETE', '/api/v1/vms/m-1')).status, 200)
  const s4 = await scrape()
  assert.equal(d('vm_operations_total', { operation: 'delete', result: 'ok', code: 'none' }, s3, s4), 1)
  assert.equal(d('backend_command_duration_seconds_count', { backend: 'multipass', command: 'destroy' }, s3, s4), 1)
  assert.equal(d('vms', { status: 'running' }, s0, s4), 0)
  assert.equal(d('cpu_cores', { state: 'free' }, s0, s4), 0, 'everything given back')
  assert.equal(d('ssh_ports', { state: 'free' }, s0, s4), 0)
  assert.equal(sample(s4, `${P}forwarded_connections_accepted_total`, { vm }), undefined, 'a deleted VM has no series')
  assert.equal(d('http_requests_total', { method: 'GET', route: '/metrics', status: '200' }, s3, s4), 1, 'the previous scrape')
  assert.equal(d('backend_command_failures_total', { backend: 'multipass', command: 'launch', code: 'BACKEND_FAILED' }, s0, s4), 0)
  promtool(await text())

  // Discovery is unreachable in tests (127.0.0.1:9): the advertiser's first attempt is counted as such.
  const s5 = await until(scrape, (s) => (sample(s, `${P}advertisements_total`, { kind: 'post', result: 'unreachable' }) ?? 0) >= 1)
  assert.ok((sample(s5, `${P}advertisements_total`, { kind: 'post', result: 'unreachable' }) ?? 0) >= 1)
  assert.equal(sample(s5, `${P}advertisement_last_success_timestamp_seconds`), 0)
})
