import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ephemeralOverlapWarning, parseLocalPortRange, parseReservedPorts, unreservedEphemeralPorts } from './ephemeral-ports.js'

const DEFAULT = { start: 50800, end: 50900 }
const LINUX = { start: 32768, end: 60999 }

test('reads the kernel files as Linux writes them', () => {
  assert.deepEqual(parseLocalPortRange('32768\t60999\n'), LINUX)
  assert.equal(parseLocalPortRange('garbage'), undefined)
  assert.equal(parseLocalPortRange('60999 32768'), undefined)
  assert.deepEqual(parseReservedPorts('\n'), [])
  assert.deepEqual(parseReservedPorts('50800-50900,60000\n'), [
    { start: 50800, end: 50900 },
    { start: 60000, end: 60000 },
  ])
})

test('the default range inside the default ephemeral range is exposed; reserving it, or a range below, is not', () => {
  assert.deepEqual(unreservedEphemeralPorts(DEFAULT, LINUX, []), [DEFAULT])
  assert.deepEqual(unreservedEphemeralPorts(DEFAULT, LINUX, parseReservedPorts('50800-50900')), [])
  assert.deepEqual(unreservedEphemeralPorts({ start: 20000, end: 20100 }, LINUX, []), [])
  assert.deepEqual(unreservedEphemeralPorts(DEFAULT, LINUX, parseReservedPorts('50810-50890')), [
    { start: 50800, end: 50809 },
    { start: 50891, end: 50900 },
  ])
  assert.deepEqual(unreservedEphemeralPorts(DEFAULT, { start: 50850, end: 60999 }, []), [{ start: 50850, end: 50900 }])
})

test('the warning says how many, which, and the exact sysctl that keeps the reservations already made', () => {
  assert.equal(ephemeralOverlapWarning(DEFAULT, LINUX, parseReservedPorts('50800-50900')), undefined)
  const warning = ephemeralOverlapWarning(DEFAULT, LINUX, parseReservedPorts('8080'))
  assert.match(warning ?? '', /^101 SSH port\(s\) of 50800-50900 \(50800-50900\) lie in the kernel's ephemeral range 32768-60999/)
  assert.match(warning ?? '', /sysctl -w net\.ipv4\.ip_local_reserved_ports=8080,50800-50900 /)
})
