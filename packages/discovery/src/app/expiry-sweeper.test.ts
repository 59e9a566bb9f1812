import { strict as assert } from 'node:assert'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import pino from 'pino'
import { startExpirySweeper } from './expiry-sweeper.js'

function countingStore(fail: boolean) {
  let calls = 0
  const store = {
    prune: () => {
      calls++
      return fail ? Promise.reject(new Error('disk full')) : Promise.resolve({ advertisements: 1, signers: 0 })
    },
  }
  return { store, calls: () => calls }
}

test('sweeps at start and every interval, and stops when asked', async (t) => {
  const { store, calls } = countingStore(false)
  const stop = startExpirySweeper(store, 10, pino({ level: 'silent' }))
  t.after(stop)
  for (let i = 0; i < 3; i++) await Promise.resolve() // microtasks only: no timer can have fired yet
  assert.equal(calls(), 1, 'one sweep at start')
  for (let i = 0; i < 100 && calls() < 3; i++) await sleep(10)
  assert.ok(calls() >= 3)
  await stop()
  const after = calls()
  await sleep(50)
  assert.equal(calls(), after)
})

test('a failing sweep is logged and retried, never thrown', async (t) => {
  const { store, calls } = countingStore(true)
  const stop = startExpirySweeper(store, 10, pino({ level: 'silent' }))
  t.after(stop)
  for (let i = 0; i < 100 && calls() < 2; i++) await sleep(10)
  assert.ok(calls() >= 2)
})
