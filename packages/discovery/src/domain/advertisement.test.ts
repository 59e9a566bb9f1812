import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { getAddress } from 'ethers'
import { AdvertisementBody } from '@golem-vm/protocol'
import { normaliseProviderId, toAdvertisementInput, toWire } from './advertisement.js'

const ID = '0x5150000000000000000000000000000000000001'
const POST = { path: '/api/v1/advertisements', body: '{}', timestamp: 5, nonce: 'ab'.repeat(8), signature: `0x${'1'.repeat(130)}` }
const VALID = { ip_address: '203.0.113.7', country: 'se', resources: { cpu: 4, memory: 8, storage: 100 } }

test('provider ids are accepted in any letter case and returned checksummed', () => {
  const lower = '0xabcdef0000000000000000000000000000000001'
  const checksummed = getAddress(lower)
  assert.notEqual(checksummed, lower)
  assert.equal(normaliseProviderId(lower), checksummed)
  assert.equal(normaliseProviderId(`0x${lower.slice(2).toUpperCase()}`), checksummed)
  assert.equal(normaliseProviderId('0xABCDEF0000000000000000000000000000000001'.replace('B', 'b')), checksummed, 'a wrong checksum is only a letter case')
  for (const bad of ['', 'abc0000000000000000000000000000000000001', '0x123', `${checksummed}0`, 'XE7338O073KYGTWWZN0F2WZ0R8PX5ZPPZS']) {
    assert.equal(normaliseProviderId(bad), undefined, bad)
  }
})

test("the body schema accepts the original advertiser's post and the optional additions", () => {
  assert.ok(AdvertisementBody.safeParse(VALID).success)
  assert.ok(
    AdvertisementBody.safeParse({
      ...VALID,
      ip_address: '2001:DB8::7',
      resources: { cpu: 1, memory: 1, storage: 1, gpu: 0 },
      provider_name: "Ada's rack",
      version: '0.2.0',
      arch: 'x86_64',
      api_port: 7466,
      ssh_ports_free: 40,
    }).success,
  )
})

test('the body schema lists every problem, unknown keys included', () => {
  const result = AdvertisementBody.safeParse({
    ip_address: '999.1.1.1',
    country: 'xx',
    resources: { cpu: 0, memory: 1.5, Storage: 3 },
    api_port: 0,
    extra: true,
  })
  assert.ok(!result.success)
  const paths = result.error.issues.map((i) => i.path.join('.'))
  for (const path of ['ip_address', 'country', 'resources.memory', 'resources.storage', 'resources.cpu', 'api_port', '']) {
    assert.ok(paths.includes(path), `problem at "${path}" is listed (got ${paths.join(', ')})`)
  }
  const messages = result.error.issues.map((i) => i.message).join('\n')
  assert.match(messages, /storage is required/)
  assert.match(messages, /cpu must be at least 1/)
  assert.match(messages, /Unrecognized key: "extra"/)
})

test('addresses a requestor cannot use, or that are not addresses, are refused', () => {
  for (const ip of ['0.0.0.0', '::', 'example.com', '1.2.3.4\n', ' 1.2.3.4', 'fe80::1%eth0', '1.2.3']) {
    assert.ok(!AdvertisementBody.safeParse({ ...VALID, ip_address: ip }).success, JSON.stringify(ip))
  }
})

test('a post becomes a normalised record, and a record renders in the original key order', () => {
  const body = AdvertisementBody.parse({ ...VALID, ip_address: '2001:DB8::7', resources: { cpu: 4, memory: 8, storage: 100, gpu: 1 } })
  const input = toAdvertisementInput(body, ID, POST)
  assert.equal(input.country, 'SE')
  assert.equal(input.ipAddress, '2001:db8::7')
  const wire = toWire({ ...input, createdAt: Date.parse('2026-11-24T10:00:00Z'), updatedAt: Date.parse('2026-11-24T10:04:00Z') })
  assert.deepEqual(Object.keys(wire), ['provider_id', 'ip_address', 'country', 'resources', 'created_at', 'updated_at', 'provider_name', 'signed', 'proof'])
  assert.deepEqual(wire.proof, { scheme: 'golem-vm-request/1', ...POST })
  assert.equal(wire.provider_name, ID, 'provider_name defaults to the provider id')
  assert.equal(wire.created_at, '2026-11-24T10:00:00.000Z')
  assert.deepEqual(Object.keys(wire.resources), ['cpu', 'memory', 'storage', 'gpu'])
})

test('optional additions appear only when posted', () => {
  const body = AdvertisementBody.parse({ ...VALID, provider_name: 'rack', api_port: 7466, version: '0.2.0', arch: 'aarch64', ssh_ports_free: 3 })
  const wire = toWire({ ...toAdvertisementInput(body, ID, null), createdAt: 0, updatedAt: 0 })
  assert.deepEqual(
    { name: wire.provider_name, port: wire.api_port, version: wire.version, arch: wire.arch, free: wire.ssh_ports_free, signed: wire.signed },
    { name: 'rack', port: 7466, version: '0.2.0', arch: 'aarch64', free: 3, signed: false },
  )
})
