import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeMapping, parsePortAsk, parsePortAsks } from './ports.js'

test('--port takes a guest port with an optional protocol; every bad one and every duplicate is named', () => {
  assert.deepEqual(parsePortAsk('8080'), { guest: 8080, protocol: 'tcp' })
  assert.deepEqual(parsePortAsk('27015/udp'), { guest: 27015, protocol: 'udp' })
  assert.deepEqual(parsePortAsk('443/TCP'), { guest: 443, protocol: 'tcp' })
  for (const bad of ['0', '65536', 'http', '80/sctp', '80/', '-1', '1e3']) assert.throws(() => parsePortAsk(bad), { code: 'INVALID_ARGUMENT' }, bad)
  assert.throws(() => parsePortAsks(['80', '80/tcp', 'x']), { code: 'INVALID_ARGUMENT', message: /80\/tcp is given twice; .*got "x"/ })
  assert.deepEqual(parsePortAsks([]), [])
})

test('a mapping is shown as an address ready to paste', () => {
  assert.equal(describeMapping({ guest: 8080, protocol: 'tcp', public_port: 50812, host: '203.0.113.7' }), '203.0.113.7:50812 → 8080/tcp')
  assert.equal(describeMapping({ guest: 53, protocol: 'udp', public_port: 50813, host: '2001:db8::7' }), '[2001:db8::7]:50813 → 53/udp')
})
