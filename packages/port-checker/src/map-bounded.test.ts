import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { mapBounded } from './map-bounded.js'

test('keeps the input order and never runs more than the limit at once', async () => {
  let running = 0
  let most = 0
  const results = await mapBounded([5, 1, 4, 2, 3], 2, async (n) => {
    running += 1
    most = Math.max(most, running)
    await sleep(n)
    running -= 1
    return n * 10
  })
  assert.deepEqual(results, [50, 10, 40, 20, 30])
  assert.equal(most, 2)
})

test('an empty list gives an empty result', async () => {
  assert.deepEqual(await mapBounded([], 4, () => Promise.resolve(1)), [])
})
