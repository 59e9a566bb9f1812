import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { test } from 'node:test'
import { stopOnSignals } from './shutdown.js'

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined }

// A stand-in process: signals are events, exits are recorded.
function fakeProcess() {
  const exits: number[] = []
  const proc = Object.assign(new EventEmitter(), {
    exit: (code = 0) => {
      exits.push(code)
    },
  })
  return { proc, exits }
}

test('the first signal stops once and exits 0; a second signal exits 1 at once', async () => {
  const { proc, exits } = fakeProcess()
  let stops = 0
  let finish = (): void => undefined
  stopOnSignals({
    logger: silent,
    process: proc,
    stop: () => {
      stops++
      return new Promise<void>((resolve) => {
        finish = resolve
      })
    },
  })
  proc.emit('SIGTERM', 'SIGTERM')
  assert.equal(stops, 1)
  proc.emit('SIGINT', 'SIGINT')
  assert.deepEqual(exits, [1], 'the impatient second signal')
  finish()
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(exits, [1, 0])
  assert.equal(stops, 1)
})

test('a stop that fails exits 1; one that outlasts its limit exits 1 when the limit passes', async (t) => {
  const failing = fakeProcess()
  stopOnSignals({ logger: silent, process: failing.proc, stop: () => Promise.reject(new Error('store busy')) })
  failing.proc.emit('SIGINT', 'SIGINT')
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(failing.exits, [1])

  t.mock.timers.enable({ apis: ['setTimeout'] })
  const slow = fakeProcess()
  stopOnSignals({ logger: silent, process: slow.proc, timeoutMs: 10_000, stop: () => new Promise<void>(() => undefined) })
  slow.proc.emit('SIGTERM', 'SIGTERM')
  t.mock.timers.tick(9_999)
  assert.deepEqual(slow.exits, [])
  t.mock.timers.tick(1)
  assert.deepEqual(slow.exits, [1])
})
