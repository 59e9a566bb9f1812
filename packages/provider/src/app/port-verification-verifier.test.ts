import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PortVerificationReport } from '@golem-vm/protocol'
import { fakeWorld, SETTINGS } from '../../test/helpers/port-check-fakes.js'
import { PortVerifier } from './port-verification-verifier.js'

const RANGE = [50800, 50801, 50802, 50803]

// Waits, a bounded number of turns, until `done` holds.
async function eventually(done: () => boolean, turns = 200): Promise<void> {
  for (let i = 0; i < turns && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  assert.ok(done(), 'condition not met in time')
}

function verifier(world = fakeWorld(), settings = SETTINGS) {
  const changes: PortVerificationReport[] = []
  const v = new PortVerifier({ settings, deps: world.deps, onChange: (r) => changes.push(r) })
  return { v, world, changes }
}

test('before the first run nothing is usable; after it, the verified ports are', async (t) => {
  const { v, changes } = verifier()
  t.after(() => v.stop())
  assert.deepEqual(v.usable(), [])
  assert.equal(v.report(), undefined)
  const report = await v.reverify()
  assert.equal(v.report(), report)
  assert.deepEqual(v.usable(), RANGE)
  assert.equal(changes.length, 1)
})

test('while a re-check holds ports, admission is not offered them; own ports stay offered', async (t) => {
  const { v, world } = verifier()
  t.after(() => v.stop())
  await v.reverify()
  world.own.add(50801)
  let during: number[] = []
  world.duringCheck = () => {
    during = v.usable()
  }
  await v.reverify()
  assert.deepEqual(during, [50801])
  assert.equal(v.checking(), false)
  assert.deepEqual(v.usable(), RANGE)
})

test('newly closed ports stop being offered, newly open ones are added, and the change is announced', async (t) => {
  const { v, world, changes } = verifier()
  t.after(() => v.stop())
  world.servers.set(SETTINGS.servers[0]!, { kind: 'answer', reach: (p) => p !== 50803 })
  await v.reverify()
  assert.deepEqual(v.usable(), [50800, 50801, 50802])
  world.servers.set(SETTINGS.servers[0]!, { kind: 'answer', reach: (p) => p !== 50800 })
  await v.reverify()
  assert.deepEqual(v.usable(), [50801, 50802, 50803])
  await v.reverify()
  assert.deepEqual(
    changes.map((r) => r.ssh_ports.usable),
    [
      [50800, 50801, 50802],
      [50801, 50802, 50803],
    ],
    'an unchanged result is not announced',
  )
})

test('calls during a run join it', async (t) => {
  const { v, world } = verifier()
  t.after(() => v.stop())
  const [a, b] = await Promise.all([v.reverify(), v.reverify()])
  assert.equal(a, b)
  assert.equal(world.requests.length, 1)
})

test('start() re-verifies periodically; stop() ends it', async () => {
  const { v, world } = verifier()
  v.start({ intervalMs: 10, apiPort: SETTINGS.apiPort })
  await eventually(() => world.requests.length >= 2)
  await v.stop()
  const seen = world.requests.length
  await new Promise((resolve) => setTimeout(resolve, 40))
  assert.equal(world.requests.length, seen)
  await assert.rejects(v.reverify(), /stopped/)
})

test('every finished run is reported, changed or not', async (t) => {
  const reports: PortVerificationReport[] = []
  const v = new PortVerifier({ settings: SETTINGS, deps: fakeWorld().deps, onReport: (r) => reports.push(r) })
  t.after(() => v.stop())
  const first = await v.reverify()
  const second = await v.reverify()
  assert.deepEqual(reports, [first, second])
})
