import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeNetwork, detectBridgeSubnets, forwardTarget, parseSubnet, vmNetwork } from './vm-network.js'

const iface = (address: string, cidr: string) => ({ address, netmask: '', family: 'IPv4' as const, mac: '00:00:00:00:00:00', internal: false, cidr })

test('subnets parse to their first address; anything else is refused', () => {
  assert.deepEqual(parseSubnet('10.13.177.1/24'), { address: '10.13.177.0', prefix: 24 })
  assert.deepEqual(parseSubnet(' 127.0.0.0/8 '), { address: '127.0.0.0', prefix: 8 })
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/0', '10.0.0.0/31', '300.0.0.0/24', 'fd00::/64', 'auto', ''])
    assert.equal(parseSubnet(bad), undefined, bad)
})

test('the bridges Multipass made are the VM network; other interfaces are not', () => {
  const interfaces = {
    lo: [iface('127.0.0.1', '127.0.0.1/8')],
    eth0: [iface('192.168.1.20', '192.168.1.20/24')],
    mpqemubr0: [iface('10.13.177.1', '10.13.177.1/24')],
  }
  assert.deepEqual(detectBridgeSubnets(interfaces), [{ address: '10.13.177.0', prefix: 24 }])
  assert.deepEqual(detectBridgeSubnets({ eth0: interfaces.eth0 }), [])
  const network = vmNetwork(detectBridgeSubnets(interfaces), interfaces)
  assert.equal(describeNetwork(network), '10.13.177.0/24')
  assert.equal(forwardTarget(['192.168.1.20', '10.13.177.1', '10.13.177.9'], network), '10.13.177.9', "neither a LAN address nor the host's own bridge address")
  assert.equal(forwardTarget(['10.13.177.255'], network), undefined, 'not the broadcast address')
})
