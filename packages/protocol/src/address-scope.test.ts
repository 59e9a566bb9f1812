import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { addressScope } from './address-scope.js'

test('addresses are classified by their special-purpose range; everything else is public', () => {
  const cases: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fd00::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.254', 'shared'],
    ['0.1.2.3', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::', 'reserved'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['2001:4860::8888', 'public'],
    ['::ffff:8.8.8.8', 'public'],
  ]
  for (const [ip, scope] of cases) assert.equal(addressScope(ip), scope, ip)
  assert.throws(() => addressScope('example.com'), /not an IP address/)
})
