import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sourceKey } from './source-key.js'

test('an IPv4 address is its own key; an IPv4-mapped IPv6 address counts as the IPv4 address', () => {
  assert.equal(sourceKey('203.0.113.7'), '203.0.113.7')
  assert.equal(sourceKey('::ffff:203.0.113.7'), '203.0.113.7')
  assert.equal(sourceKey('::FFFF:cb00:7107'), '203.0.113.7')
})

test('IPv6 addresses of one /64 share a key, in any spelling', () => {
  const key = '2001:db8:1:2::/64'
  for (const address of [
    '2001:db8:1:2::1',
    '2001:DB8:1:2:ffff:ffff:ffff:ffff',
    '2001:0db8:0001:0002:0:0:0:9',
    'fe80::1%eth0'.replace('fe80::1', '2001:db8:1:2::7'),
  ]) {
    assert.equal(sourceKey(address), key, address)
  }
  assert.notEqual(sourceKey('2001:db8:1:3::1'), key)
  assert.equal(sourceKey('::1'), '0:0:0:0::/64')
})

test('anything that is not an IP address is its own key', () => {
  assert.equal(sourceKey(undefined), 'unknown')
  assert.equal(sourceKey('/run/x.sock'), '/run/x.sock')
})
