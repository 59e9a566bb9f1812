import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { checkPorts, type CheckOptions, type Connect, type ConnectOutcome } from './checker.js'
import { FairSemaphore } from './fair-semaphore.js'

// A deadline whose timer keeps the event loop alive (AbortSignal.timeout's timer does not).
const deadline = (ms: number): AbortSignal => {
  const controller = new AbortController()
  setTimeout(() => controller.abort(new Error('deadline')), ms)
  return controller.signal
}

const options = (connect: Connect, overrides: Partial<CheckOptions> = {}): CheckOptions => ({
  connect,
  attempts: 2,
  timeoutMs: 20,
  retryDelayMs: 5,
  concurrency: 8,
  slots: new FairSemaphore(64),
  caller: '198.51.100.1',
  signal: deadline(5_000),
  ...overrides,
})

// A connect that answers per port from a table and records every call.
const scripted = (table: Record<number, ConnectOutcome[]>) => {
  const calls: number[] = []
  const connect: Connect = (_ip, port) => {
    calls.push(port)
    const answers = table[port] ?? [{ kind: 'refused' }]
    return Promise.resolve(answers[Math.min(calls.filter((p) => p === port).length, answers.length) - 1] ?? { kind: 'refused' })
  }
  return { connect, calls }
}

// A connect that behaves like a filtered port: no answer until its own timeout (or the deadline).
const silent: Connect = async (_ip, _port, { timeoutMs, signal }) => {
  try {
    await sleep(timeoutMs, undefined, { signal })
    return { kind: 'timeout' }
  } catch {
    return { kind: 'aborted' }
  }
}

test('maps outcomes to the wire: open, refused, timed out, other errors', async () => {
  const { connect } = scripted({
    1: [{ kind: 'open' }],
    2: [{ kind: 'refused' }],
    3: [{ kind: 'timeout' }],
    4: [{ kind: 'failed', message: 'No route to host' }],
  })
  assert.deepEqual(await checkPorts('198.51.100.1', [1, 2, 3, 4], options(connect)), [
    { port: 1, accessible: true, error: null },
    { port: 2, accessible: false, error: 'Connection refused' },
    { port: 3, accessible: false, error: 'Connection timed out' },
    { port: 4, accessible: false, error: 'No route to host' },
  ])
})

test('a filtered port times out on every attempt: "Connection timed out" after attempts × timeout + pauses', async () => {
  let attempts = 0
  const counting: Connect = (ip, port, o) => ((attempts += 1), silent(ip, port, o))
  const started = performance.now()
  const [result] = await checkPorts('198.51.100.1', [7], options(counting, { attempts: 3, timeoutMs: 30, retryDelayMs: 10 }))
  const elapsed = performance.now() - started
  assert.deepEqual(result, { port: 7, accessible: false, error: 'Connection timed out' })
  assert.equal(attempts, 3)
  assert.ok(elapsed >= 3 * 30 + 2 * 10 - 5, `took ${elapsed} ms`)
})

test('retries a timeout and reports the port open when a later attempt connects', async () => {
  const { connect, calls } = scripted({ 9: [{ kind: 'timeout' }, { kind: 'open' }] })
  assert.deepEqual(await checkPorts('198.51.100.1', [9], options(connect)), [{ port: 9, accessible: true, error: null }])
  assert.deepEqual(calls, [9, 9])
})

test('does not retry an answer: open and refused are tried once', async () => {
  const { connect, calls } = scripted({ 1: [{ kind: 'open' }], 2: [{ kind: 'refused' }] })
  await checkPorts('198.51.100.1', [1, 2], options(connect, { attempts: 5 }))
  assert.deepEqual(calls.sort(), [1, 2])
})

test('duplicates are probed once and listed once, in first-seen order', async () => {
  const { connect, calls } = scripted({ 80: [{ kind: 'open' }] })
  const results = await checkPorts('198.51.100.1', [443, 80, 443, 22, 80], options(connect))
  assert.deepEqual(
    results.map((r) => r.port),
    [443, 80, 22],
  )
  assert.equal(calls.length, 3)
})

test('a connect that throws counts as a failed port, not a failed request', async () => {
  const throwing: Connect = () => Promise.reject(new Error('socket exploded'))
  assert.deepEqual(await checkPorts('198.51.100.1', [5], options(throwing, { attempts: 1 })), [{ port: 5, accessible: false, error: 'socket exploded' }])
})

test('the deadline ends the check: undecided ports report "Check deadline exceeded"', async () => {
  const { connect } = scripted({ 1: [{ kind: 'open' }] })
  const mixed: Connect = (ip, port, o) => (port === 1 ? connect(ip, port, o) : silent(ip, port, o))
  const started = performance.now()
  const results = await checkPorts('198.51.100.1', [1, 2, 3], options(mixed, { timeoutMs: 10_000, signal: deadline(50) }))
  assert.ok(performance.now() - started < 2_000)
  assert.deepEqual(results, [
    { port: 1, accessible: true, error: null },
    { port: 2, accessible: false, error: 'Check deadline exceeded' },
    { port: 3, accessible: false, error: 'Check deadline exceeded' },
  ])
})

test('a port waiting for a connect slot at the deadline also reports "Check deadline exceeded"', async () => {
  const slots = new FairSemaphore(1)
  const hold = await slots.acquire('someone else')
  const results = await checkPorts('198.51.100.1', [1], options(silent, { slots, signal: deadline(30) }))
  hold()
  assert.deepEqual(results, [{ port: 1, accessible: false, error: 'Check deadline exceeded' }])
  assert.equal(slots.inUse, 0)
})

// Counts connects in flight, overall and per call.
const gauge = () => {
  const state = { running: 0, most: 0 }
  const connect: Connect = async () => {
    state.running += 1
    state.most = Math.max(state.most, state.running)
    await sleep(10)
    state.running -= 1
    return { kind: 'open' }
  }
  return { state, connect }
}

test('at most `concurrency` ports of one call are probed at once', async () => {
  const { state, connect } = gauge()
  await checkPorts(
    '198.51.100.1',
    Array.from({ length: 20 }, (_, i) => i + 1),
    options(connect, { concurrency: 3 }),
  )
  assert.equal(state.most, 3)
})

test('the shared semaphore caps connects across concurrent calls and is fully released', async () => {
  const { state, connect } = gauge()
  const slots = new FairSemaphore(4)
  const ports = Array.from({ length: 12 }, (_, i) => i + 1)
  await Promise.all([1, 2, 3].map(() => checkPorts('198.51.100.1', ports, options(connect, { slots, concurrency: 3 }))))
  assert.equal(state.most, 4)
  assert.equal(slots.inUse, 0)
})

test('an empty list gives an empty result without connecting', async () => {
  const { connect, calls } = scripted({})
  assert.deepEqual(await checkPorts('198.51.100.1', [], options(connect)), [])
  assert.equal(calls.length, 0)
})
