import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { orderRefusal } from './write-order.js'

test('signed writes go strictly forward in (time, nonce) order', () => {
  const last = { signedAt: 1000, nonce: '00000000000000b0' }
  const signed = (signedAt: number, nonce: string) => ({ signed: true as const, signedAt, nonce })
  assert.equal(orderRefusal(signed(1, 'aa'), undefined), null, 'a first write is accepted')
  assert.equal(orderRefusal({ signed: false }, undefined), null)
  assert.equal(orderRefusal({ signed: false }, last), 'SIGNED_ONLY')
  assert.equal(orderRefusal(signed(1001, '0000000000000000'), last), null)
  assert.equal(orderRefusal(signed(999, 'ffffffffffffffff'), last), 'OUTDATED')
  assert.equal(orderRefusal(signed(1000, '00000000000000b0'), last), 'REPLAYED')
  assert.equal(orderRefusal(signed(1000, '00000000000000a0'), last), 'OUTDATED')
  assert.equal(orderRefusal(signed(1000, '00000000000000c0'), last), null)
})
