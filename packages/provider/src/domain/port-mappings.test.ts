import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assignPublicPorts, checkPortRequests, portOffer, type GuestPort } from './port-mappings.js'

const tcp = (guest: number): GuestPort => ({ guest, protocol: 'tcp' })
const udp = (guest: number): GuestPort => ({ guest, protocol: 'udp' })
const policy = { maxPerVm: 3, udp: true }

test('port 22, duplicates, UDP when not offered and more than the per-VM limit are refused with their own codes', () => {
  assert.doesNotThrow(() => checkPortRequests([tcp(8080), udp(8080), udp(27015)], [], policy))
  assert.throws(() => checkPortRequests([tcp(22)], [], policy), { code: 'PORT_RESERVED', message: /port 22 is SSH/ })
  assert.throws(() => checkPortRequests([udp(22)], [], policy), { code: 'PORT_RESERVED' })
  assert.throws(() => checkPortRequests([tcp(80), tcp(80)], [], policy), { code: 'PORT_DUPLICATE', message: /^80\/tcp is asked for twice/ })
  assert.throws(() => checkPortRequests([tcp(80)], [tcp(80)], policy), { code: 'PORT_DUPLICATE' })
  assert.throws(() => checkPortRequests([udp(53)], [], { ...policy, udp: false }), { code: 'UDP_NOT_OFFERED' })
  assert.throws(() => checkPortRequests([tcp(1), tcp(2)], [tcp(3), tcp(4)], policy), {
    code: 'TOO_MANY_PORTS',
    message: /at most 3 .* 4 asked for \(the VM holds 2\)/,
  })
  assert.throws(() => checkPortRequests([tcp(1)], [], { ...policy, maxPerVm: 0 }), { code: 'PORTS_NOT_OFFERED' })
})

test('public ports are taken from the free ones in order, or NO_FREE_PORT when too few are free', () => {
  assert.deepEqual(assignPublicPorts([tcp(80), udp(53)], [50810, 50812, 50813]), [
    { guest: 80, protocol: 'tcp', publicPort: 50810 },
    { guest: 53, protocol: 'udp', publicPort: 50812 },
  ])
  assert.deepEqual(assignPublicPorts([], []), [])
  assert.throws(() => assignPublicPorts([tcp(80), udp(53)], [50810]), { code: 'NO_FREE_PORT' })
})

test('the advertisement offers the per-VM limit, or fewer when fewer ports are free besides SSH; UDP as 1 or 0', () => {
  assert.deepEqual(portOffer({ maxPerVm: 8, udp: true }, 100), { ports_per_vm: 8, udp: 1 })
  assert.deepEqual(portOffer({ maxPerVm: 8, udp: true }, 4), { ports_per_vm: 3, udp: 1 })
  assert.deepEqual(portOffer({ maxPerVm: 8, udp: false }, 0), { ports_per_vm: 0, udp: 0 })
  assert.deepEqual(portOffer({ maxPerVm: 0, udp: true }, 50), { ports_per_vm: 0, udp: 0 })
})
