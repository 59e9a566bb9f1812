import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CheckPortsRequest, CheckPortsResponseCompat, serializeCheckPortsResponse } from '@golem-vm/protocol'
import { buildResponse } from './report.js'

test('success = at least one port open; all_accessible = every port; counts distinct ports', () => {
  const response = buildResponse([
    { port: 7466, accessible: true, error: null },
    { port: 1, accessible: false, error: 'Connection refused' },
  ])
  assert.deepEqual(response, {
    success: true,
    all_accessible: false,
    results: { 7466: { accessible: true, error: null }, 1: { accessible: false, error: 'Connection refused' } },
    message: 'Successfully verified 1 out of 2 ports',
  })
})

test('all open → all_accessible; none → neither; empty → neither, "0 out of 0"', () => {
  assert.equal(buildResponse([{ port: 1, accessible: true, error: null }]).all_accessible, true)
  const none = buildResponse([{ port: 1, accessible: false, error: 'Connection timed out' }])
  assert.equal(none.success, false)
  assert.equal(none.all_accessible, false)
  const empty = buildResponse([])
  assert.deepEqual(empty, { success: false, all_accessible: false, results: {}, message: 'Successfully verified 0 out of 0 ports' })
})

test('the wire text lists results in request order, not in JavaScript key order', () => {
  const outcomes = [
    { port: 50900, accessible: true, error: null },
    { port: 22, accessible: false, error: 'Connection refused' },
  ]
  const text = serializeCheckPortsResponse(buildResponse(outcomes), [50900, 22])
  assert.equal(
    text,
    '{"success":true,"all_accessible":false,"results":{"50900":{"accessible":true,"error":null},"22":{"accessible":false,"error":"Connection refused"}},' +
      '"message":"Successfully verified 1 out of 2 ports"}',
  )
  assert.ok(CheckPortsResponseCompat.safeParse(JSON.parse(text)).success)
})

test('the serializer refuses an order that does not match the results', () => {
  const response = buildResponse([{ port: 1, accessible: true, error: null }])
  assert.throws(() => serializeCheckPortsResponse(response, [2]), /does not match/)
  assert.throws(() => serializeCheckPortsResponse(response, [1, 1]), /does not match/)
})

test("clients accept the original checker's body, which has no all_accessible", () => {
  const original = { success: true, results: { 7466: { accessible: true, error: null } }, message: 'Successfully verified 1 out of 1 ports' }
  assert.ok(CheckPortsResponseCompat.safeParse(original).success)
})

test('the request schema lists every bad port and refuses strings, fractions and hostnames that are numbers', () => {
  const result = CheckPortsRequest.safeParse({ provider_ip: '999.1.1.1', ports: [0, 65536, '80', 1.5, 80] })
  assert.ok(!result.success)
  assert.deepEqual(
    result.error.issues.map((i) => i.path.join('.')),
    ['provider_ip', 'ports.0', 'ports.1', 'ports.2', 'ports.3'],
  )
  for (const ip of ['203.0.113.7', '2001:db8::1', '::ffff:1.2.3.4', 'provider.example']) {
    assert.ok(CheckPortsRequest.safeParse({ provider_ip: ip, ports: [1] }).success, ip)
  }
  for (const ip of ['', '1.2.3.4\n', '01.2.3.4', 'fe80::1%eth0', 'a b']) {
    assert.ok(!CheckPortsRequest.safeParse({ provider_ip: ip, ports: [1] }).success, ip)
  }
})
