import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { deadlineSignal } from './deadline.js'

const gc = (globalThis as { gc?: () => void }).gc

test('the deadline fires even when nothing else holds its timeout signal', async () => {
  const outer = new AbortController()
  const signal = deadlineSignal(200, outer.signal)
  const fired = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
  for (let i = 0; i < 5; i++) {
    gc?.()
    await sleep(20)
  }
  const result = await Promise.race([fired.then(() => 'fired'), sleep(3000).then(() => 'lost')])
  assert.equal(result, 'fired')
  assert.equal(outer.signal.aborted, false)
})

test('the other signals still abort it first', () => {
  const outer = new AbortController()
  const signal = deadlineSignal(60_000, outer.signal)
  outer.abort(new Error('shutdown'))
  assert.equal(signal.aborted, true)
})
