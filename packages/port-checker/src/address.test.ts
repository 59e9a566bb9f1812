import assert from 'node:assert/strict'
import { test } from 'node:test'
import { canonicalIp } from './address.js'

test('IPv4 stays as given', () => {
  assert.equal(canonicalIp('203.0.113.7'), '203.0.113.7')
})

test('IPv4-mapped IPv6 becomes the IPv4 address it maps, in any spelling', () => {
  assert.equal(canonicalIp('::ffff:1.2.3.4'), '1.2.3.4')
  assert.equal(canonicalIp('::FFFF:127.0.0.1'), '127.0.0.1')
  assert.equal(canonicalIp('0:0:0:0:0:ffff:7f00:1'), '127.0.0.1')
  assert.equal(canonicalIp('::ffff:ffff:ffff'), '255.255.255.255')
})

test('IPv6 is compressed and lower-cased, so equal addresses compare equal', () => {
  assert.equal(canonicalIp('0:0:0:0:0:0:0:1'), '::1')
  assert.equal(canonicalIp('2001:DB8:0:0:0:0:0:1'), '2001:db8::1')
  assert.equal(canonicalIp('2001:db8::1'), '2001:db8::1')
})

test('anything else is not an IP literal', () => {
  for (const text of ['localhost', 'example.com', '01.2.3.4', '999.1.1.1', 'fe80::1%eth0', '[::1]', '1.2.3.4\n', '']) {
    assert.equal(canonicalIp(text), undefined, text)
  }
})
