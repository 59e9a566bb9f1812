import assert from 'node:assert/strict'
import { test } from 'node:test'
import { addressIndex, cidrContains, cidrsOverlap, cidrText, nthAddress, parseIpv4Cidr, type Ipv4Cidr } from './ipv4.js'
import { allocateAttachment, attachmentAt, defaultSubnet, INTERFACE_NAME, networkId, planVmNetwork, vmSlots } from './vm-network.js'

const parsed = (text: string): Ipv4Cidr => {
  const c = parseIpv4Cidr(text)
  if (typeof c === 'string') throw new Error(c)
  return c
}

test('IPv4 networks: parse and normalise, refuse what is not one', () => {
  assert.deepEqual(parseIpv4Cidr('10.1.2.3/24'), { network: '10.1.2.0', prefixLength: 24 })
  assert.deepEqual(parseIpv4Cidr('192.168.7.9'), { network: '192.168.7.9', prefixLength: 32 })
  assert.deepEqual(parseIpv4Cidr(' 172.20.0.0/14 '), { network: '172.20.0.0', prefixLength: 14 })
  for (const bad of ['10.1.2/24', '10.1.2.3/33', '10.1.2.3/', '10.1.2.3/2/3', '::1/64', '010.1.2.3/8', 'x', '10.1.2.256/24']) {
    assert.equal(typeof parseIpv4Cidr(bad), 'string', bad)
  }
})

test('IPv4 networks: containment, overlap, positions', () => {
  const net = parsed('10.20.30.0/24')
  assert.equal(cidrText(net), '10.20.30.0/24')
  assert.ok(cidrContains(net, '10.20.30.255'))
  assert.ok(!cidrContains(net, '10.20.31.0'))
  assert.ok(cidrsOverlap(net, parsed('10.0.0.0/8')))
  assert.ok(cidrsOverlap(parsed('10.0.0.0/8'), net))
  assert.ok(!cidrsOverlap(net, parsed('10.20.31.0/24')))
  assert.equal(nthAddress(net, 1), '10.20.30.1')
  assert.equal(nthAddress(parsed('10.0.0.0/16'), 300), '10.0.1.44')
  assert.equal(addressIndex(net, '10.20.30.77'), 77)
  assert.throws(() => nthAddress(net, 256), RangeError)
})

test('names and the default subnet derive from the data dir: stable, distinct per provider, valid interface names', () => {
  const a = planVmNetwork({ dataDir: '/srv/golem/a', dns: ['1.1.1.1'] })
  const again = planVmNetwork({ dataDir: '/srv/golem/a', dns: ['1.1.1.1'] })
  const b = planVmNetwork({ dataDir: '/srv/golem/b', dns: ['1.1.1.1'] })
  assert.deepEqual(a, again)
  assert.notEqual(a.bridge, b.bridge)
  assert.notEqual(a.table, b.table)
  assert.notEqual(a.tapPrefix, b.tapPrefix)
  assert.equal(a.bridge, `golem-${networkId('/srv/golem/a')}`)
  assert.match(a.table, /^golem_[0-9a-f]{7}$/)
  assert.ok(INTERFACE_NAME.test(a.bridge))
  assert.equal(a.subnet.prefixLength, 24)
  assert.ok(cidrContains(parsed('10.128.0.0/10'), a.subnet.network), cidrText(a.subnet))
  assert.equal(a.gateway, nthAddress(a.subnet, 1))
  // The same id always gives the same /24, and different ids spread over the range.
  const subnets = new Set(Array.from({ length: 200 }, (_, i) => cidrText(defaultSubnet(networkId(`/data/${i}`)))))
  assert.ok(subnets.size > 190, `${subnets.size} distinct subnets of 200`)
})

test('explicit bridge and subnet win over the derived ones', () => {
  const plan = planVmNetwork({ dataDir: '/x', bridge: 'golem0', subnet: parsed('192.168.200.0/28'), dns: [] })
  assert.equal(plan.bridge, 'golem0')
  assert.equal(plan.gateway, '192.168.200.1')
  assert.equal(vmSlots(plan.subnet), 13)
})

test('attachments: address after the gateway, MAC from the address, TAP names fit in 15 characters', () => {
  const plan = planVmNetwork({ dataDir: '/x', subnet: parsed('10.0.0.0/16'), dns: [] })
  const first = attachmentAt(plan, 1)
  assert.deepEqual(first, { tap: `${plan.tapPrefix}1`, mac: '52:54:00:00:00:02', address: '10.0.0.2' })
  const last = attachmentAt(plan, vmSlots(plan.subnet))
  assert.equal(last.address, '10.0.255.254')
  assert.equal(last.mac, '52:54:00:00:ff:fe')
  assert.ok(INTERFACE_NAME.test(last.tap) && last.tap.length <= 15, last.tap)
  assert.throws(() => attachmentAt(plan, 0), RangeError)
  assert.throws(() => attachmentAt(plan, vmSlots(plan.subnet) + 1), RangeError)
})

test('allocation takes the lowest free slot and stops when the subnet is full', () => {
  const plan = planVmNetwork({ dataDir: '/x', subnet: parsed('10.9.9.0/29'), dns: [] })
  assert.equal(vmSlots(plan.subnet), 5)
  const taken = [attachmentAt(plan, 1), attachmentAt(plan, 3)]
  assert.deepEqual(allocateAttachment(plan, taken), attachmentAt(plan, 2))
  const all = [1, 2, 3, 4, 5].map((s) => attachmentAt(plan, s))
  assert.equal(allocateAttachment(plan, all), undefined)
  // A TAP name held by a VM with an address from an older subnet is not given out again either.
  const oldTap = { ...attachmentAt(plan, 1), address: '10.7.7.7' }
  assert.deepEqual(allocateAttachment(plan, [oldTap]), attachmentAt(plan, 2))
})
