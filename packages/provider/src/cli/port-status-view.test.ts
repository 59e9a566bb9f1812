import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PortProbe, PortVerificationReport } from '@golem-vm/protocol'
import type { VerificationProgress } from '../app/port-verification.js'
import { PortStatusDisplay } from './port-status-view-display.js'
import { applyProgress, initialProgress, renderProgress, renderProgressLine } from './port-status-view-progress.js'
import { renderPlainSummary, renderSummary } from './port-status-view.js'

const open = (port: number): PortProbe => ({ port, internal: true, external: true, error: null })
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g

function ready(): PortVerificationReport {
  return {
    mode: 'verified',
    checked_at: '2026-01-02T03:04:05.000Z',
    public_ip: '203.0.113.7',
    ready: true,
    api_port: open(7466),
    ssh_ports: { range: { start: 50800, end: 50802 }, ports: [open(50800), open(50801), open(50802)], usable: [50800, 50801, 50802], closed: [] },
    servers: [{ url: 'http://checker-a:9000', ok: true, error: null }],
    problems: [],
    warnings: [],
    fixes: [],
  }
}

function failing(): PortVerificationReport {
  const r = ready()
  return {
    ...r,
    ready: false,
    api_port: { port: 7466, internal: true, external: false, error: 'not reachable from outside: Connection timed out' },
    ssh_ports: { ...r.ssh_ports, usable: [50800, 50802], closed: [{ port: 50801, reason: 'in use by another process' }] },
    servers: [...r.servers, { url: 'http://checker-b:9000', ok: false, error: 'cannot connect (ECONNREFUSED)' }],
    problems: ['Provider port 7466 is not reachable from the internet'],
    warnings: ['Port-check server http://checker-b:9000 failed'],
    fixes: ['Router: forward TCP ports', 'Firewall: allow them'],
  }
}

const skipped = (): PortVerificationReport => ({
  ...ready(),
  mode: 'skipped',
  public_ip: null,
  servers: [],
  api_port: { port: 7466, internal: true, external: null, error: null },
  warnings: ['Port verification is skipped'],
})

test("all open: exactly the seed's summary", () => {
  assert.equal(
    renderSummary(ready()),
    [
      '🌟 Port Verification Status',
      '==========================',
      '[✅] Provider Port 7466: External ✓ | Internal ✓',
      '[✅] VM Access Ports: 3 ports available (50800-50802)',
      '[✅] Overall Status: Provider Ready',
      '└─ Can handle up to 3 concurrent VMs',
    ].join('\n'),
  )
})

test('failures: ❌/⚠️ lines, critical issues, warnings, quick fixes and the README pointer', () => {
  assert.equal(
    renderSummary(failing()),
    [
      '🌟 Port Verification Status',
      '==========================',
      '[❌] Provider Port 7466: External ✗ | Internal ✓',
      '[⚠️] VM Access Ports: 2 ports available (50800, 50802); 1 not usable (50801)',
      '[❌] Overall Status: Provider Not Ready',
      '└─ Renters cannot use this provider until the critical issues below are fixed',
      '',
      '❌ Critical Issues:',
      '  • Provider port 7466 is not reachable from the internet',
      '',
      '⚠️ Warnings:',
      '  • Port-check server http://checker-b:9000 failed',
      '',
      '💡 Quick Fixes:',
      '  1. Router: forward TCP ports',
      '  2. Firewall: allow them',
      '',
      '📖 Troubleshooting: README.md#troubleshooting-port-verification',
    ].join('\n'),
  )
})

test('skip mode says plainly that nothing was verified', () => {
  assert.equal(
    renderSummary(skipped(), { vmLimit: 2 }),
    [
      '🌟 Port Verification Status',
      '==========================',
      '[⚠️] Provider Port 7466: External – (not checked) | Internal ✓',
      '[⚠️] VM Access Ports: 3 ports available (50800-50802), not verified from outside',
      '[⚠️] Overall Status: Provider Ready (ports not verified: verification skipped)',
      '└─ Can handle up to 2 concurrent VMs',
      '',
      '⚠️ Warnings:',
      '  • Port verification is skipped',
    ].join('\n'),
  )
})

test('no usable SSH port at all', () => {
  const r = { ...failing(), ssh_ports: { ...ready().ssh_ports, usable: [], closed: [50800, 50801, 50802].map((port) => ({ port, reason: 'x' })) } }
  assert.match(renderSummary(r), /^\[❌\] VM Access Ports: no ports available \(0 of 3\)$/m)
})

test('colour only adds ANSI codes around the same text', () => {
  for (const r of [ready(), failing(), skipped()]) {
    const coloured = renderSummary(r, { color: true })
    assert.match(coloured, ANSI)
    assert.equal(coloured.replace(ANSI, ''), renderSummary(r))
  }
})

test('plain summary: log lines without ANSI codes or emoji', () => {
  assert.equal(
    renderPlainSummary(ready()),
    [
      'port verification: mode verified, public address 203.0.113.7, checked at 2026-01-02T03:04:05.000Z',
      'port verification: provider port 7466: external ok, internal ok',
      'port verification: VM access ports: 3 available (50800-50802)',
      'port verification: server http://checker-a:9000: ok',
      'port verification: overall: provider ready, up to 3 concurrent VMs',
    ].join('\n'),
  )
  assert.equal(
    renderPlainSummary(failing()),
    [
      'port verification: mode verified, public address 203.0.113.7, checked at 2026-01-02T03:04:05.000Z',
      'port verification: provider port 7466: external failed, internal ok',
      'port verification: VM access ports: 2 available (50800, 50802), 1 not usable (50801)',
      'port verification: server http://checker-a:9000: ok',
      'port verification: server http://checker-b:9000: failed: cannot connect (ECONNREFUSED)',
      'port verification: overall: provider NOT ready',
      'port verification: critical: Provider port 7466 is not reachable from the internet',
      'port verification: warning: Port-check server http://checker-b:9000 failed',
      'port verification: fix: Router: forward TCP ports',
      'port verification: fix: Firewall: allow them',
      'port verification: see README.md#troubleshooting-port-verification',
    ].join('\n'),
  )
  assert.match(renderPlainSummary(skipped()), /overall: provider ready \(ports not verified: verification skipped\), up to 3 concurrent VMs/)
})

const EVENTS: VerificationProgress[] = [
  { phase: 'bind', status: 'running', ports: 4 },
  { phase: 'bind', status: 'done', held: 3, failed: 1 },
  { phase: 'public-ip', status: 'running' },
  { phase: 'public-ip', status: 'done', ip: '203.0.113.7' },
  { phase: 'server', url: 'http://checker-a:9000', status: 'running', ports: 3 },
  { phase: 'server', url: 'http://checker-b:9000', status: 'failed', error: 'cannot connect (ECONNREFUSED)' },
]
const SERVERS = ['http://checker-a:9000', 'http://checker-b:9000']

test('progress: one line per phase, with a spinner for running phases', () => {
  let state = initialProgress(SERVERS, 'verified')
  assert.equal(
    renderProgress(state),
    [
      '🔍 Verifying ports…',
      '  · Local bind: waiting',
      '  · Public address: waiting',
      '  · Port checker http://checker-a:9000: waiting',
      '  · Port checker http://checker-b:9000: waiting',
    ].join('\n'),
  )
  for (const e of EVENTS) state = applyProgress(state, e)
  assert.equal(
    renderProgress(state, { frame: 1 }),
    [
      '🔍 Verifying ports…',
      '  ✓ Local bind: 3 ports held, 1 in use by other processes',
      '  ✓ Public address: 203.0.113.7',
      '  ⠙ Port checker http://checker-a:9000: checking 3 ports',
      '  ✗ Port checker http://checker-b:9000: cannot connect (ECONNREFUSED)',
    ].join('\n'),
  )
  assert.equal(renderProgress(initialProgress(SERVERS, 'development')).split('\n')[2], '  – Public address: not checked (development mode)')
})

test('progress without a terminal: one plain line per event', () => {
  assert.deepEqual(EVENTS.map(renderProgressLine), [
    'port verification: local bind: binding 4 ports',
    'port verification: local bind: 3 ports held, 1 in use by other processes',
    'port verification: public address: asking',
    'port verification: public address: 203.0.113.7',
    'port verification: port checker http://checker-a:9000: checking 3 ports',
    'port verification: port checker http://checker-b:9000: failed: cannot connect (ECONNREFUSED)',
  ])
})

function collector(isTTY: boolean) {
  const chunks: string[] = []
  return { chunks, stream: { isTTY, write: (s: string) => chunks.push(s) } }
}

test('display without a terminal: plain lines, then the plain summary; no ANSI, no \\r', () => {
  const { chunks, stream } = collector(false)
  const display = new PortStatusDisplay(stream, { servers: SERVERS, mode: 'verified' })
  for (const e of EVENTS) display.progress(e)
  display.finish(ready())
  const text = chunks.join('')
  assert.equal(text, `${EVENTS.map(renderProgressLine).join('\n')}\n${renderPlainSummary(ready())}\n`)
  assert.doesNotMatch(text, /\x1b|\r/) // eslint-disable-line no-control-regex
})

test('display in a terminal: the block is redrawn in place, then the coloured summary follows', () => {
  const { chunks, stream } = collector(true)
  const display = new PortStatusDisplay(stream, { servers: SERVERS, mode: 'verified', spinnerMs: 0 })
  display.progress(EVENTS[0]!)
  display.progress(EVENTS[1]!)
  display.finish(ready())
  assert.equal(chunks.length, 4)
  assert.doesNotMatch(chunks[0]!, /\x1b\[\d+A/, 'the first draw does not move up') // eslint-disable-line no-control-regex
  assert.ok(chunks[1]!.startsWith('\x1b[5A\r\x1b[2K🔍 Verifying ports…\n'))
  assert.equal(chunks[3], `\n${renderSummary(ready(), { color: true })}\n`)
})

test('display in a terminal animates the spinner while a phase runs, and stops', async () => {
  const { chunks, stream } = collector(true)
  const display = new PortStatusDisplay(stream, { servers: SERVERS, mode: 'verified', spinnerMs: 5, color: false })
  display.progress(EVENTS[0]!)
  for (let i = 0; i < 100 && chunks.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 5))
  assert.ok(chunks.length >= 3)
  assert.notEqual(chunks[1], chunks[2])
  display.stop()
  const seen = chunks.length
  await new Promise((resolve) => setTimeout(resolve, 30))
  assert.equal(chunks.length, seen)
})
