import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { timed, withDeadline } from './phases.js'

test('timed records a duration whether the step succeeds or fails', async () => {
  const phases: Record<string, number> = {}
  assert.equal(
    await timed(phases, 'ok', async () => {
      await sleep(20)
      return 7
    }),
    7,
  )
  await assert.rejects(
    timed(phases, 'bad', () => Promise.reject(new Error('no'))),
    /no/,
  )
  assert.ok((phases.ok ?? 0) >= 15)
  assert.equal(typeof phases.bad, 'number')
})

test('withDeadline fires even after garbage collection, and follows the caller', async () => {
  const caller = new AbortController()
  const deadline = withDeadline(caller.signal, 300)
  // Without its own listener the timeout could be collected here and never fire (Node 20).
  const gc = (globalThis as { gc?: () => void }).gc
  for (let i = 0; i < 10 && !deadline.aborted; i++) {
    gc?.()
    await sleep(100)
  }
  assert.equal(deadline.aborted, true)
  const early = withDeadline(caller.signal, 60_000)
  caller.abort()
  assert.equal(early.aborted, true)
})
