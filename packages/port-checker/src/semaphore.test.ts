import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Semaphore } from './semaphore.js'

test('grants up to capacity at once, then queues first come, first served', async () => {
  const slots = new Semaphore(2)
  const a = await slots.acquire()
  await slots.acquire()
  assert.equal(slots.inUse, 2)
  const order: string[] = []
  const third = slots.acquire().then((release) => (order.push('third'), release))
  const fourth = slots.acquire().then((release) => (order.push('fourth'), release))
  assert.equal(slots.waiting, 2)
  a()
  ;(await third)()
  ;(await fourth)()
  assert.deepEqual(order, ['third', 'fourth'])
  assert.equal(slots.waiting, 0)
})

test('releasing twice frees one slot only', async () => {
  const slots = new Semaphore(1)
  const release = await slots.acquire()
  release()
  release()
  assert.equal(slots.inUse, 0)
  await slots.acquire()
  assert.equal(slots.inUse, 1)
})

test('a waiter whose signal aborts leaves the queue and holds nothing', async () => {
  const slots = new Semaphore(1)
  const release = await slots.acquire()
  const controller = new AbortController()
  const waiting = slots.acquire(controller.signal)
  controller.abort(new Error('deadline'))
  await assert.rejects(waiting, /deadline/)
  assert.equal(slots.waiting, 0)
  release()
  assert.equal(slots.inUse, 0)
})

test('an already aborted signal is refused at once', async () => {
  const slots = new Semaphore(1)
  await assert.rejects(slots.acquire(AbortSignal.abort(new Error('late'))), /late/)
  assert.equal(slots.inUse, 0)
})

test('capacity must be a whole number of at least 1', () => {
  assert.throws(() => new Semaphore(0), RangeError)
  assert.throws(() => new Semaphore(1.5), RangeError)
})
