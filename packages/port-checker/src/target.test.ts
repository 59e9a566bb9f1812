import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PortCheckError } from './errors.js'
import { resolveTarget, type Lookup, type TargetPolicy } from './target.js'

const STRICT: TargetPolicy = { allowForeignAddress: false, allowHostnames: false }
const noLookup: Lookup = () => assert.fail('must not resolve')
const table =
  (entries: Record<string, string[]>): Lookup =>
  (hostname) =>
    entries[hostname] === undefined ? Promise.reject(new Error(`getaddrinfo ENOTFOUND ${hostname}`)) : Promise.resolve(entries[hostname])

const rejectsWith = (promise: Promise<unknown>, code: string, message?: RegExp) =>
  assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PortCheckError)
    assert.equal(error.code, code)
    if (message !== undefined) assert.match(error.message, message)
    return true
  })

test("by default only the caller's own address is checked", async () => {
  assert.equal(await resolveTarget('203.0.113.7', '203.0.113.7', STRICT, noLookup), '203.0.113.7')
  await rejectsWith(resolveTarget('198.51.100.1', '203.0.113.7', STRICT, noLookup), 'FOREIGN_ADDRESS', /198\.51\.100\.1 .*\(203\.0\.113\.7\)/)
})

test('IPv4-mapped IPv6 on either side counts as the IPv4 address', async () => {
  assert.equal(await resolveTarget('::ffff:203.0.113.7', '203.0.113.7', STRICT, noLookup), '203.0.113.7')
  assert.equal(await resolveTarget('203.0.113.7', '::ffff:203.0.113.7', STRICT, noLookup), '203.0.113.7')
})

test('IPv6 spellings of the same address are the same address', async () => {
  assert.equal(await resolveTarget('2001:DB8:0:0::1', '2001:db8::1', STRICT, noLookup), '2001:db8::1')
})

test('a foreign address is checked when the operator allows it', async () => {
  const policy = { ...STRICT, allowForeignAddress: true }
  assert.equal(await resolveTarget('198.51.100.1', '203.0.113.7', policy, noLookup), '198.51.100.1')
})

test('hostnames are refused, and never resolved, unless allowed', async () => {
  await rejectsWith(resolveTarget('provider.example', '203.0.113.7', STRICT, noLookup), 'HOSTNAME_NOT_ALLOWED', /yours is 203\.0\.113\.7/)
  await rejectsWith(resolveTarget('provider.example', '203.0.113.7', { ...STRICT, allowForeignAddress: true }, noLookup), 'HOSTNAME_NOT_ALLOWED')
})

test("an allowed hostname must still resolve to the caller's address unless foreign addresses are allowed", async () => {
  const lookup = table({ 'provider.example': ['2001:db8::5', '::ffff:203.0.113.7'], 'other.example': ['198.51.100.1'] })
  const hostnames = { ...STRICT, allowHostnames: true }
  assert.equal(await resolveTarget('provider.example', '203.0.113.7', hostnames, lookup), '203.0.113.7')
  await rejectsWith(resolveTarget('other.example', '203.0.113.7', hostnames, lookup), 'FOREIGN_ADDRESS', /other\.example \(198\.51\.100\.1\)/)
  assert.equal(await resolveTarget('other.example', '203.0.113.7', { allowHostnames: true, allowForeignAddress: true }, lookup), '198.51.100.1')
})

test('an allowed hostname that does not resolve is HOSTNAME_NOT_RESOLVED', async () => {
  const hostnames = { ...STRICT, allowHostnames: true }
  await rejectsWith(resolveTarget('nowhere.example', '203.0.113.7', hostnames, table({})), 'HOSTNAME_NOT_RESOLVED', /ENOTFOUND/)
  await rejectsWith(resolveTarget('empty.example', '203.0.113.7', hostnames, table({ 'empty.example': [] })), 'HOSTNAME_NOT_RESOLVED')
})
