import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FairSemaphore } from './fair-semaphore.js'

test("grants up to capacity at once; one caller's waiters are served first come, first served", async () => {
  const slots = new FairSemaphore(2)
  const a = await slots.acquire('a')
  await slots.acquire('a')
  assert.equal(slots.inUse, 2)
  const order: string[] = []
  const third = slots.acquire('a').then((release) => (order.push('third'), release))
  const fourth = slots.acquire('a').then((release) => (order.push('fourth'), release))
  assert.equal(slots.waiting, 2)
  a()
  ;(await third)()
  ;(await fourth)()
  assert.deepEqual(order, ['third', 'fourth'])
  assert.equal(slots.waiting, 0)
})

test('a freed slot goes to the waiting caller that holds the fewest, however many the other queued first', async () => {
  const slots = new FairSemaphore(4)
  const held = await Promise.all([1, 2, 3, 4].map(() => slots.acquire('big')))
  const order: string[] = []
  const queued = Array.from({ length: 20 }, () =>
    slots.acquire('big').then((release) => {
      order.push('big')
      return release
    }),
  )
  const small = [
    slots.acquire('small').then((r) => {
      order.push('small')
      return r
    }),
    slots.acquire('small').then((r) => {
      order.push('small')
      return r
    }),
  ]
  held[0]?.()
  await small[0]
  assert.deepEqual(order, ['small'], 'the newcomer gets the first free slot')
  held[1]?.()
  await small[1]
  assert.deepEqual(order, ['small', 'small'], 'and the next, while it still holds fewer')
  assert.equal(slots.heldBy('small'), 2)
  assert.equal(slots.heldBy('big'), 2)
  for (const next of small) (await next)()
  held[2]?.()
  held[3]?.()
  for (const next of queued) (await next)()
  assert.equal(order.filter((o) => o === 'big').length, 20)
  assert.equal(slots.inUse, 0)
})

test('among callers holding as many, the one whose oldest waiter came first goes first', async () => {
  const slots = new FairSemaphore(1)
  const first = await slots.acquire('x')
  const order: string[] = []
  const b = slots.acquire('b').then((r) => {
    order.push('b')
    return r
  })
  const c = slots.acquire('c').then((r) => {
    order.push('c')
    return r
  })
  first()
  ;(await b)()
  ;(await c)()
  assert.deepEqual(order, ['b', 'c'])
})

test('releasing twice frees one slot only', async () => {
  const slots = new FairSemaphore(1)
  const release = await slots.acquire('a')
  release()
  release()
  assert.equal(slots.inUse, 0)
  await slots.acquire('a')
  assert.equal(slots.inUse, 1)
})

test('a waiter whose signal aborts leaves the queue and holds nothing', async () => {
  const slots = new FairSemaphore(1)
  const release = await slots.acquire('a')
  const controller = new AbortController()
  const waiting = slots.acquire('b', controller.signal)
  controller.abort(new Error('deadline'))
  await assert.rejects(waiting, /deadline/)
  assert.equal(slots.waiting, 0)
  release()
  assert.equal(slots.inUse, 0)
  assert.equal(slots.heldBy('a'), 0)
})

test('an already aborted signal is refused at once', async () => {
  const slots = new FairSemaphore(1)
  await assert.rejects(slots.acquire('a', AbortSignal.abort(new Error('late'))), /late/)
  assert.equal(slots.inUse, 0)
})

test('capacity must be a whole number of at least 1', () => {
  assert.throws(() => new FairSemaphore(0), RangeError)
  assert.throws(() => new FairSemaphore(1.5), RangeError)
})
