import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NonceCache } from './signing.js'

test('a nonce is refused again within the window and accepted once the window has passed', () => {
  const cache = new NonceCache(1000, 10)
  assert.equal(cache.remember('a', 0), true)
  assert.equal(cache.remember('a', 500), false, 'a replay inside the window')
  assert.equal(cache.has('a', 1000), true, "still remembered at the window's edge")
  assert.equal(cache.has('a', 1001), false, 'evicted once older than the window')
  assert.equal(cache.remember('a', 1001), true)
})

test('eviction goes oldest first and stops at the first nonce still inside the window', () => {
  const cache = new NonceCache(1000, 10)
  cache.remember('old', 0)
  cache.remember('mid', 600)
  cache.remember('new', 900)
  assert.equal(cache.has('old', 1500), false)
  assert.equal(cache.has('mid', 1500), true)
  assert.equal(cache.has('new', 1500), true)
  assert.equal(cache.has('mid', 1601), false)
  assert.equal(cache.has('new', 1601), true)
})

test('a full cache refuses new nonces (fails closed) until old ones leave the window', () => {
  const cache = new NonceCache(1000, 3)
  for (const key of ['a', 'b', 'c']) assert.equal(cache.remember(key, 100), true)
  assert.equal(cache.remember('d', 200), false, 'full: refused rather than forgetting a nonce that could be replayed')
  assert.equal(cache.has('d', 200), false, 'the refused nonce is not recorded')
  assert.equal(cache.remember('d', 1101), true, 'room again once the first three are older than the window')
})
