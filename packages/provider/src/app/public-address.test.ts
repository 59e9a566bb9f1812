import assert from 'node:assert/strict'
import { test } from 'node:test'
import pino from 'pino'
import { PublicAddress } from './public-address.js'

// An address source a test controls: each ask returns `value` (or fails), and counts.
function source(first: string) {
  const state = { value: first as string | Error, asked: 0 }
  const detect = () => {
    state.asked++
    return state.value instanceof Error ? Promise.reject(state.value) : Promise.resolve(state.value)
  }
  return { state, address: new PublicAddress({ detect, logger: pino({ level: 'silent' }) }) }
}

test('reading the address before it was resolved is a wiring defect', () => {
  const { address } = source('203.0.113.7')
  assert.throws(() => address.current(), /before it was first resolved/)
})

test('refresh keeps the newest address and tells listeners only of a change', async () => {
  const { state, address } = source('203.0.113.7')
  const heard: [string, string][] = []
  address.onChange((now, before) => heard.push([now, before]))
  assert.equal(await address.refresh(), '203.0.113.7')
  await address.refresh()
  assert.deepEqual(heard, [], 'the first answer and a repeated one are no change')
  state.value = '198.51.100.9'
  await address.refresh()
  assert.equal(address.current(), '198.51.100.9')
  assert.deepEqual(heard, [['198.51.100.9', '203.0.113.7']])
})

test('polling asks again on its interval; a failed ask keeps the last address; stop ends it', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] })
  const { state, address } = source('203.0.113.7')
  await address.refresh()
  const heard: string[] = []
  address.onChange((now) => heard.push(now))
  address.start(300_000)
  state.value = '198.51.100.9'
  t.mock.timers.tick(299_999)
  assert.equal(state.asked, 1, 'not asked before the interval')
  t.mock.timers.tick(1)
  await address.refresh() // the poll's ask has run by the time a second one returns
  assert.deepEqual(heard, ['198.51.100.9'])
  state.value = new Error('no service answers')
  t.mock.timers.tick(300_000)
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(address.current(), '198.51.100.9', 'the last address is kept')
  address.stop()
  const asked = state.asked
  t.mock.timers.tick(900_000)
  assert.equal(state.asked, asked, 'no ask after stop')
})

test('a poll interval of 0 never asks', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] })
  const { state, address } = source('203.0.113.7')
  address.start(0)
  t.mock.timers.tick(10_000_000)
  assert.equal(state.asked, 0)
})
