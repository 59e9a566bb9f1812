import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PortVerificationReport, type PortVerificationReport as Report } from '@golem-vm/protocol'
import { fakeWorld, SETTINGS } from '../../test/helpers/port-check-fakes.js'
import { assertPortsReady, formatPorts, PortVerificationError } from './port-verification-advice.js'
import { verifyPorts, type VerificationProgress } from './port-verification.js'

const RANGE = [50800, 50801, 50802, 50803]
const TWO = ['http://checker-a:9000', 'http://checker-b:9000']

// Every report the use case builds must match the wire schema the status endpoint declares.
const valid = (report: Report): Report => PortVerificationReport.parse(report)

test('all ports open: every port is verified while held, then released', async () => {
  const world = fakeWorld()
  const events: VerificationProgress[] = []
  const report = valid(await verifyPorts(SETTINGS, world.deps, { onProgress: (e) => events.push(e) }))
  assert.equal(report.mode, 'verified')
  assert.equal(report.ready, true)
  assert.equal(report.public_ip, '203.0.113.7')
  assert.equal(report.checked_at, '2026-01-02T03:04:05.000Z')
  assert.deepEqual(report.api_port, { port: 7466, internal: true, external: true, error: null })
  assert.deepEqual(report.ssh_ports.usable, RANGE)
  assert.deepEqual(report.ssh_ports.closed, [])
  assert.deepEqual(report.servers, [{ url: 'http://checker-a:9000', ok: true, error: null }])
  assert.deepEqual([report.problems, report.warnings, report.fixes], [[], [], []])
  assert.deepEqual(
    world.requests.map((r) => [r.ip, r.ports, r.heldDuring]),
    [['203.0.113.7', [7466, ...RANGE], [7466, ...RANGE]]],
  )
  assert.equal(world.holding.size, 0, 'temporary listeners are closed afterwards')
  assert.deepEqual(
    events.map((e) => `${e.phase}:${e.status}`),
    ['bind:running', 'bind:done', 'public-ip:running', 'public-ip:done', 'server:running', 'server:done'],
  )
})

test('SSH ports another process holds are reported, never sent to a checker, never usable', async () => {
  const world = fakeWorld()
  world.taken.add(50801).add(50803)
  const report = valid(await verifyPorts(SETTINGS, world.deps))
  assert.equal(report.ready, true)
  assert.deepEqual(report.ssh_ports.usable, [50800, 50802])
  assert.deepEqual(report.ssh_ports.closed, [
    { port: 50801, reason: 'in use by another process' },
    { port: 50803, reason: 'in use by another process' },
  ])
  assert.deepEqual(report.ssh_ports.ports[1], { port: 50801, internal: false, external: null, error: 'in use by another process' })
  assert.deepEqual(world.requests[0]?.ports, [7466, 50800, 50802])
  assert.match(report.warnings.join('\n'), /2 SSH ports held by other processes and not offered: 50801, 50803/)
  assert.match(report.fixes.join('\n'), /ss -ltnp 'sport = :50801'/)
})

test('checker down: start-up must stop with the causes, the fixes and the README pointer', async () => {
  const world = fakeWorld()
  world.servers.set('http://checker-a:9000', { kind: 'fail', reason: 'cannot connect (ECONNREFUSED)' })
  const report = valid(await verifyPorts(SETTINGS, world.deps))
  assert.equal(report.ready, false)
  assert.deepEqual(report.ssh_ports.usable, [])
  assert.deepEqual(report.servers, [{ url: 'http://checker-a:9000', ok: false, error: 'cannot connect (ECONNREFUSED)' }])
  assert.deepEqual(report.problems, ['No port-check server could be reached (http://checker-a:9000: cannot connect (ECONNREFUSED))'])
  assert.equal(report.ssh_ports.closed[0]?.reason, 'not checked: no port-check server answered')
  assert.match(report.fixes[0] ?? '', /GOLEM_PROVIDER_PORT_CHECK_SERVERS/)
  assert.match(report.fixes.at(-1) ?? '', /GOLEM_PROVIDER_SKIP_PORT_VERIFICATION=true/)
  assert.throws(
    () => assertPortsReady(report),
    (error: unknown) => {
      assert.ok(error instanceof PortVerificationError)
      assert.equal(error.code, 'PORT_VERIFICATION_FAILED')
      assert.equal(error.report, report)
      assert.match(error.message, /cannot reach the port-check servers/)
      assert.match(error.message, /README\.md#troubleshooting-port-verification$/)
      return true
    },
  )
})

test('one of two checkers down: the other decides, the failure is a warning', async () => {
  const world = fakeWorld(TWO)
  world.servers.set(TWO[1]!, { kind: 'fail', reason: 'HTTP 503: busy' })
  const report = valid(await verifyPorts({ ...SETTINGS, servers: TWO }, world.deps))
  assert.equal(report.ready, true)
  assert.deepEqual(report.ssh_ports.usable, RANGE)
  assert.deepEqual(
    report.servers.map((s) => [s.url, s.ok, s.error]),
    [
      [TWO[0], true, null],
      [TWO[1], false, 'HTTP 503: busy'],
    ],
  )
  assert.deepEqual(report.warnings, [`Port-check server ${TWO[1]} failed: HTTP 503: busy; the other servers' results are used`])
  assert.doesNotThrow(() => assertPortsReady(report))
})

test('checkers are asked concurrently, and a port is verified when any checker reached it', async () => {
  const world = fakeWorld(TWO)
  world.servers.set(TWO[0]!, { kind: 'answer', reach: (p) => p !== 50801 })
  world.servers.set(TWO[1]!, { kind: 'answer', reach: (p) => p !== 50802 && p !== 50801 })
  let inFlight = 0
  let most = 0
  world.duringCheck = async () => {
    most = Math.max(most, ++inFlight)
    await new Promise((resolve) => setImmediate(resolve))
    inFlight--
  }
  const report = valid(await verifyPorts({ ...SETTINGS, servers: TWO }, world.deps))
  assert.equal(most, 2)
  assert.deepEqual(report.ssh_ports.usable, [50800, 50802, 50803])
  assert.deepEqual(report.ssh_ports.closed, [{ port: 50801, reason: 'not reachable from outside: Connection timed out' }])
  assert.match(report.warnings.join('\n'), /1 SSH port not reachable from the internet and not offered: 50801/)
  assert.match(report.fixes.join('\n'), /forward TCP ports 7466 and 50800-50803/)
})

test('API port unreachable from outside: a critical problem with router, firewall and CGNAT fixes', async () => {
  const world = fakeWorld()
  world.servers.set(SETTINGS.servers[0]!, { kind: 'answer', reach: (p) => p !== 7466 })
  const report = valid(await verifyPorts(SETTINGS, world.deps))
  assert.equal(report.ready, false)
  assert.deepEqual(report.api_port, { port: 7466, internal: true, external: false, error: 'not reachable from outside: Connection timed out' })
  assert.deepEqual(report.problems, ['Provider port 7466 is not reachable from the internet (Connection timed out), so renters cannot reach the provider'])
  assert.deepEqual(
    report.fixes.map((f) => f.split(':')[0]),
    ['Router', 'Firewall', 'CGNAT'],
  )
  assert.match(report.fixes[2] ?? '', /is not 203\.0\.113\.7/)
})

test('no SSH port reachable although the checker answered: start-up must stop', async () => {
  const world = fakeWorld()
  world.servers.set(SETTINGS.servers[0]!, { kind: 'answer', reach: (p) => p === 7466 })
  const report = valid(await verifyPorts(SETTINGS, world.deps))
  assert.equal(report.ready, false)
  assert.deepEqual(report.problems, ['No SSH port of 50800-50803 is reachable from the internet, so renters could not reach any VM'])
  const message = new PortVerificationError(report).message
  assert.match(message, /router does not forward.*firewall.*CGNAT/s)
  assert.match(message, /Router: forward TCP ports 7466 and 50800-50803 to this machine \(127\.0\.0\.1\)/)
})

test('skip and development modes: nothing leaves the host, every bindable port is usable, and the report says so', async () => {
  for (const mode of ['skipped', 'development'] as const) {
    const world = fakeWorld()
    world.taken.add(50802)
    world.ip.value = new Error('must not be asked')
    const report = valid(await verifyPorts({ ...SETTINGS, mode }, world.deps))
    assert.equal(report.mode, mode)
    assert.equal(report.ready, true)
    assert.equal(report.public_ip, null)
    assert.deepEqual(world.requests, [])
    assert.deepEqual(report.ssh_ports.usable, [50800, 50801, 50803])
    assert.deepEqual(report.api_port, { port: 7466, internal: true, external: null, error: null })
    assert.match(report.warnings[0] ?? '', mode === 'skipped' ? /SKIP_PORT_VERIFICATION=true/ : /Development mode: ports are not verified/)
  }
})

test('own listeners (restored VMs, the running API) are checked from outside but never re-bound', async () => {
  const world = fakeWorld()
  world.own.add(50802)
  world.api.listening = true
  const report = valid(await verifyPorts(SETTINGS, world.deps))
  assert.deepEqual(world.bindCalls, [[50800, 50801, 50803]])
  assert.deepEqual(world.requests[0]?.ports, [7466, ...RANGE])
  assert.deepEqual(report.ssh_ports.usable, RANGE)
  assert.equal(report.api_port.internal, true)
})

test("a port a VM took between the look-up and the bind is ours, not another process's", async () => {
  const world = fakeWorld()
  world.taken.add(50801)
  const deps = {
    ...world.deps,
    ownPorts: (() => {
      let calls = 0
      return () => (calls++ === 0 ? new Set<number>() : new Set([50801]))
    })(),
  }
  const report = valid(await verifyPorts(SETTINGS, deps))
  assert.equal(report.ssh_ports.ports[1]?.internal, true)
  assert.deepEqual(report.ssh_ports.usable, RANGE)
})

test('an unknown public address is a critical problem and no checker is asked', async () => {
  const world = fakeWorld()
  world.ip.value = new Error('the public address could not be detected')
  const report = valid(await verifyPorts(SETTINGS, world.deps))
  assert.equal(report.ready, false)
  assert.deepEqual(world.requests, [])
  assert.deepEqual(report.problems, ['The public address is unknown, so no port could be checked: the public address could not be detected'])
  assert.match(report.fixes[0] ?? '', /GOLEM_PROVIDER_PUBLIC_IP/)
})

test('more ports than one request may hold go in sequential batches', async () => {
  const world = fakeWorld()
  const report = valid(await verifyPorts({ ...SETTINGS, batchSize: 2 }, world.deps))
  assert.deepEqual(
    world.requests.map((r) => r.ports),
    [[7466, 50800], [50801, 50802], [50803]],
  )
  assert.deepEqual(report.ssh_ports.usable, RANGE)
})

test('when no checker answers a re-check, the previous verdicts are kept and the report says so', async () => {
  const world = fakeWorld()
  const first = await verifyPorts(SETTINGS, world.deps)
  world.servers.set(SETTINGS.servers[0]!, { kind: 'fail', reason: 'no answer within 30 s' })
  world.taken.add(50803)
  const again = valid(await verifyPorts(SETTINGS, world.deps, { previous: first }))
  assert.equal(again.ready, true)
  assert.deepEqual(again.ssh_ports.usable, [50800, 50801, 50802])
  assert.match(again.warnings.join('\n'), /No port-check server answered; the results of 2026-01-02T03:04:05.000Z are kept/)
})

test('every SSH port held by other processes is named as such', async () => {
  const world = fakeWorld()
  for (const p of RANGE) world.taken.add(p)
  const report = valid(await verifyPorts(SETTINGS, world.deps))
  assert.equal(report.ready, false)
  assert.deepEqual(report.problems, ['Every SSH port of 50800-50803 is held by another process'])
})

test('port lists are compressed into ranges', () => {
  assert.equal(formatPorts([50802, 50800, 50801, 50805, 50805]), '50800-50802, 50805')
  assert.equal(formatPorts([]), '')
  assert.equal(formatPorts([1, 3, 5, 7], 2), '1, 3 and 2 more')
})

test('API port 0 (tests): unchecked before the server listens, the real port once it does', async () => {
  const world = fakeWorld()
  const before = valid(await verifyPorts({ ...SETTINGS, apiPort: 0 }, world.deps))
  assert.equal(before.ready, true)
  assert.deepEqual(before.api_port, { port: 0, internal: true, external: null, error: 'not checked: the port is chosen when the API server listens (PORT=0)' })
  assert.deepEqual(world.bindCalls[0], RANGE)
  assert.deepEqual(world.requests[0]?.ports, RANGE)
  world.api.listening = true
  const after = valid(await verifyPorts({ ...SETTINGS, apiPort: 0 }, world.deps))
  assert.deepEqual(after.api_port, { port: 7466, internal: true, external: true, error: null })
  assert.deepEqual(world.bindCalls[1], RANGE)
})
