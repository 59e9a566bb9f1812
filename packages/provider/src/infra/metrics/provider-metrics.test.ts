import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import type { PortVerificationReport, ProviderStatus, VmStatus } from '@golem-vm/protocol'
import { delta, parseSamples, sample, type Samples } from '../../../test/helpers/prometheus-text.js'
import type { ForwardingStats } from '../../app/ports/telemetry.js'
import { ProviderMetrics, tokenUnits, type MetricsSources } from './provider-metrics.js'

const GIB = 2 ** 30

const status = (over: Partial<ProviderStatus> = {}): ProviderStatus => ({
  version: '0.2.0',
  provider_id: '0xabc',
  backend: { name: 'fake', version: '1.0', detail: 'in-memory fake backend' },
  capacity: {
    source: 'offer',
    total: { cpu: 4, memory: 8, storage: 60 },
    allocated: { cpu: 1, memory: 2, storage: 10 },
    free: { cpu: 3, memory: 6, storage: 50 },
    overcommitted_cpu: false,
  },
  vms: { count: 1, max: 10, can_create: 3 },
  ports: { range: { start: 50800, end: 50803 }, verification: 'development', checking: false, usable: 4, free: [50801, 50802, 50803], report: null },
  ...over,
})

function world(sources: Partial<MetricsSources> = {}) {
  const vms: { id: string; status: VmStatus }[] = [{ id: 'web-1', status: 'running' }]
  const traffic = new Map<string, ForwardingStats>([['web-1', { open: 1, accepted: 3, refused: 2, bytesIn: 100, bytesOut: 5000 }]])
  const metrics = new ProviderMetrics({ status: () => status(), vms: () => vms, forwarding: (id) => traffic.get(id), ...sources }, { processMetrics: false })
  const scrape = async (): Promise<Samples> => parseSamples(await metrics.render())
  return { metrics, vms, traffic, scrape }
}

test('operations: in progress while running, then counted by result and code, with a duration per phase', async () => {
  const { metrics, scrape } = world()
  const before = await scrape()
  assert.equal(sample(before, 'golem_provider_vm_operations_total', { operation: 'create', result: 'ok', code: 'none' }), 0, 'zero series exist from the start')
  metrics.operationStarted({ operation: 'create', vmId: 'a' })
  const during = await scrape()
  assert.equal(sample(during, 'golem_provider_vm_operations_in_progress', { operation: 'create' }), 1)
  metrics.operationFinished({ operation: 'create', vmId: 'a', code: null, durationMs: 2500, phasesMs: { launch: 2000, ssh: 400, proxy: 3 } })
  metrics.operationStarted({ operation: 'stop', vmId: 'a' })
  metrics.operationFinished({ operation: 'stop', vmId: 'a', code: 'BACKEND_TIMEOUT', durationMs: 120_000, phasesMs: { stop: 120_000 } })
  const after = await scrape()
  assert.equal(sample(after, 'golem_provider_vm_operations_in_progress', { operation: 'create' }), 0)
  assert.equal(delta(before, after, 'golem_provider_vm_operations_total', { operation: 'create', result: 'ok', code: 'none' }), 1)
  assert.equal(delta(before, after, 'golem_provider_vm_operations_total', { operation: 'stop', result: 'error', code: 'BACKEND_TIMEOUT' }), 1)
  for (const phase of ['total', 'launch', 'ssh', 'proxy']) {
    assert.equal(sample(after, 'golem_provider_vm_operation_duration_seconds_count', { operation: 'create', phase }), 1, phase)
  }
  assert.equal(sample(after, 'golem_provider_vm_operation_duration_seconds_sum', { operation: 'create', phase: 'launch' }), 2)
  assert.equal(sample(after, 'golem_provider_vm_operation_duration_seconds_bucket', { operation: 'create', phase: 'total', le: '2.5' }), 1)
  assert.equal(sample(after, 'golem_provider_vm_operation_duration_seconds_bucket', { operation: 'create', phase: 'total', le: '1' }), 0)
})

test('the ledger, ports and forwarders are read at every scrape; a deleted VM loses its series', async () => {
  const { vms, traffic, scrape } = world()
  const first = await scrape()
  assert.equal(sample(first, 'golem_provider_cpu_cores', { state: 'total' }), 4)
  assert.equal(sample(first, 'golem_provider_memory_bytes', { state: 'allocated' }), 2 * GIB)
  assert.equal(sample(first, 'golem_provider_storage_bytes', { state: 'free' }), 50 * GIB)
  assert.deepEqual([sample(first, 'golem_provider_ssh_ports', { state: 'usable' }), sample(first, 'golem_provider_ssh_ports', { state: 'free' })], [4, 3])
  assert.deepEqual([sample(first, 'golem_provider_vms_max'), sample(first, 'golem_provider_vms_can_create')], [10, 3])
  assert.equal(sample(first, 'golem_provider_info', { version: '0.2.0', backend: 'fake' }), 1)
  assert.equal(sample(first, 'golem_provider_vms', { status: 'running' }), 1)
  assert.equal(sample(first, 'golem_provider_vms', { status: 'stopped' }), 0, 'every status has a series')
  assert.equal(sample(first, 'golem_provider_forwarded_connections_open', { vm: 'web-1' }), 1)
  assert.equal(sample(first, 'golem_provider_forwarded_connections_accepted_total', { vm: 'web-1' }), 3)
  assert.equal(sample(first, 'golem_provider_forwarded_connections_refused_total', { vm: 'web-1' }), 2)
  assert.equal(sample(first, 'golem_provider_forwarded_bytes_total', { vm: 'web-1', direction: 'in' }), 100)
  assert.equal(sample(first, 'golem_provider_forwarded_bytes_total', { vm: 'web-1', direction: 'out' }), 5000)

  traffic.set('web-1', { open: 0, accepted: 4, refused: 2, bytesIn: 150, bytesOut: 7000 })
  const second = await scrape()
  assert.equal(delta(first, second, 'golem_provider_forwarded_bytes_total', { vm: 'web-1', direction: 'out' }), 2000, 'set from the source, not added to')
  assert.equal(sample(second, 'golem_provider_forwarded_connections_open', { vm: 'web-1' }), 0)

  vms.splice(0, 1)
  const third = await scrape()
  assert.equal(sample(third, 'golem_provider_forwarded_bytes_total', { vm: 'web-1', direction: 'in' }), undefined)
  assert.equal(sample(third, 'golem_provider_vms', { status: 'running' }), 0)
})

test('a source that is not ready yet is left out; the scrape still answers', async () => {
  const notYet = () => {
    throw new Error('read before start-up set it')
  }
  const { scrape } = world({ status: notYet, vms: notYet })
  const samples = await scrape()
  assert.equal(sample(samples, 'golem_provider_cpu_cores', { state: 'total' }), undefined)
  assert.equal(sample(samples, 'golem_provider_vms', { status: 'running' }), undefined)
  assert.equal(sample(samples, 'golem_provider_vm_operations_total', { operation: 'delete', result: 'ok', code: 'none' }), 0)
})

test('backend calls, advertisements, port verifications and API requests', async () => {
  const { metrics, scrape } = world()
  metrics.backendCalled({ backend: 'qemu', command: 'launch', code: null, durationMs: 40_000 })
  metrics.backendCalled({ backend: 'qemu', command: 'inspect', code: 'BACKEND_FAILED', durationMs: 3 })
  metrics.advertisementSent({ kind: 'post', result: 'unreachable', at: new Date(1_000_000) })
  metrics.advertisementSent({ kind: 'post', result: 'ok', at: new Date(1_700_000_000_500) })
  const report: PortVerificationReport = {
    mode: 'verified',
    checked_at: '2026-01-02T03:04:05.000Z',
    public_ip: '203.0.113.7',
    ready: true,
    api_port: { port: 7466, internal: true, external: true, error: null },
    ssh_ports: { range: { start: 50800, end: 50802 }, ports: [], usable: [50800, 50801], closed: [{ port: 50802, reason: 'not reached' }] },
    servers: [],
    problems: [],
    warnings: [],
    fixes: [],
  }
  metrics.portsVerified(report)
  metrics.httpRequest({ method: 'GET', route: '/api/v1/vms/:id', status: 404, durationMs: 2 })
  metrics.httpRequest({ method: 'BREW', route: 'unmatched', status: 404, durationMs: 1 })
  const s = await scrape()
  assert.equal(sample(s, 'golem_provider_backend_command_duration_seconds_count', { backend: 'qemu', command: 'launch' }), 1)
  assert.equal(sample(s, 'golem_provider_backend_command_duration_seconds_count', { backend: 'qemu', command: 'inspect' }), 1)
  assert.equal(sample(s, 'golem_provider_backend_command_failures_total', { backend: 'qemu', command: 'inspect', code: 'BACKEND_FAILED' }), 1)
  assert.equal(sample(s, 'golem_provider_backend_command_failures_total', { backend: 'qemu', command: 'launch', code: 'BACKEND_FAILED' }), undefined)
  assert.equal(sample(s, 'golem_provider_advertisements_total', { kind: 'post', result: 'ok' }), 1)
  assert.equal(sample(s, 'golem_provider_advertisements_total', { kind: 'post', result: 'unreachable' }), 1)
  assert.equal(sample(s, 'golem_provider_advertisement_last_success_timestamp_seconds'), 1_700_000_000.5)
  assert.equal(sample(s, 'golem_provider_port_verifications_total', { result: 'ready' }), 1)
  assert.equal(sample(s, 'golem_provider_port_verification_ssh_ports', { result: 'unreachable' }), 1)
  assert.equal(sample(s, 'golem_provider_port_verification_api_port_reachable', { check: 'external' }), 1)
  assert.equal(sample(s, 'golem_provider_port_verification_last_timestamp_seconds'), Date.parse(report.checked_at) / 1000)
  assert.equal(sample(s, 'golem_provider_http_requests_total', { method: 'GET', route: '/api/v1/vms/:id', status: '404' }), 1)
  assert.equal(
    sample(s, 'golem_provider_http_requests_total', { method: 'OTHER', route: 'unmatched', status: '404' }),
    1,
    'a made-up method is not a label value',
  )
})

test('earnings per token in token units, exact in the whole part', async () => {
  const { scrape } = world({
    earnings: () => [{ token: 'GLM', decimals: 18, earned: 12_345_678_900_000_000_000_000n, withdrawn: 10n ** 18n, pending: 5n * 10n ** 17n }],
  })
  const s = await scrape()
  assert.equal(sample(s, 'golem_provider_earnings', { token: 'GLM', state: 'earned' }), 12_345.6789)
  assert.equal(sample(s, 'golem_provider_earnings', { token: 'GLM', state: 'withdrawn' }), 1)
  assert.equal(sample(s, 'golem_provider_earnings', { token: 'GLM', state: 'pending' }), 0.5)
  assert.equal(tokenUnits(9_007_199_254_740_993n * 10n ** 6n, 6), 9_007_199_254_740_992, 'whole units beyond 2^53 round once, not twice')
})

test('promtool accepts the output, process metrics included', async () => {
  const metrics = new ProviderMetrics({
    status: () => status(),
    vms: () => [{ id: 'web-1', status: 'running' }],
    forwarding: () => ({ open: 0, accepted: 0, refused: 0, bytesIn: 0, bytesOut: 0 }),
  })
  metrics.operationFinished({ operation: 'create', vmId: 'web-1', code: 'BACKEND_FAILED', durationMs: 10, phasesMs: { launch: 9 } })
  const text = await metrics.render()
  assert.match(text, /^process_resident_memory_bytes \d+/m)
  assert.match(text, /^nodejs_eventloop_lag_seconds /m)
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
  assert.equal(check.error, undefined, 'promtool runs (Debian package prometheus)')
  assert.equal(check.status, 0, `${check.stdout}${check.stderr}`)
  assert.equal(`${check.stdout}${check.stderr}`.trim(), '', 'no lint findings either')
})
