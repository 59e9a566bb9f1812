import assert from 'node:assert/strict'
import { test } from 'node:test'
import { firewallScript, removalScript, SPECIAL_PURPOSE_RANGES, type FirewallSpec } from './firewall.js'
import { attachmentAt, planVmNetwork } from './vm-network.js'

const plan = planVmNetwork({ dataDir: '/srv/provider', dns: ['1.1.1.1'] })
const [a, b] = [attachmentAt(plan, 1), attachmentAt(plan, 2)]
const spec: FirewallSpec = {
  table: plan.table,
  bridge: plan.bridge,
  subnet: plan.subnet,
  gateway: plan.gateway,
  bridgeKind: 'own',
  vms: [b, a],
  forwards: [
    { protocol: 'tcp', publicPort: 50802, address: b.address, port: 22 },
    { protocol: 'tcp', publicPort: 50800, address: a.address, port: 22 },
    { protocol: 'udp', publicPort: 50801, address: a.address, port: 5353 },
  ],
  publicAddresses: 'local',
  blocked: SPECIAL_PURPOSE_RANGES,
  allowed: [{ network: { network: '192.168.1.10', prefixLength: 32 }, port: 3128, protocol: 'tcp' }],
  blockSmtp: true,
  limits: { newConnectionsPerSecond: 100, conntrackEntries: 4096, connectionsPerSource: 16, connectionsPerVm: 512 },
}
const lines = (script: string) => script.split('\n').map((l) => l.trim())

test('both tables are replaced in one script: created if missing, deleted, defined', () => {
  const script = firewallScript(spec)
  const l = lines(script)
  for (const family of ['inet', 'bridge']) {
    const create = l.indexOf(`table ${family} ${plan.table} {}`)
    const del = l.indexOf(`delete table ${family} ${plan.table}`)
    const define = l.indexOf(`table ${family} ${plan.table} {`)
    assert.ok(create >= 0 && create < del && del < define, family)
  }
  assert.equal(firewallScript(spec), script, 'the same input gives the same script')
})

test('forwards: one map per protocol, sorted by public port, guest address and port', () => {
  const l = lines(firewallScript(spec))
  assert.ok(
    l.includes(`map tcp_forwards { type inet_service : ipv4_addr . inet_service; elements = { 50800 : ${a.address} . 22, 50802 : ${b.address} . 22 }; }`),
  )
  assert.ok(l.includes(`map udp_forwards { type inet_service : ipv4_addr . inet_service; elements = { 50801 : ${a.address} . 5353 }; }`))
  assert.ok(l.includes('fib daddr type local dnat ip to tcp dport map @tcp_forwards'))
  const listed = lines(firewallScript({ ...spec, publicAddresses: ['203.0.113.7', '127.0.0.1'] }))
  assert.ok(listed.includes('ip daddr { 127.0.0.1, 203.0.113.7 } dnat ip to tcp dport map @tcp_forwards'))
  assert.throws(
    () => firewallScript({ ...spec, forwards: [...spec.forwards, { protocol: 'tcp', publicPort: 50800, address: b.address, port: 80 }] }),
    /forwarded twice/,
  )
})

test('what VMs may reach: allowed destinations before the blocked ranges, SMTP off, no VM-to-VM, limits per VM', () => {
  const l = lines(firewallScript(spec))
  const at = (text: string) => l.findIndex((line) => line.startsWith(text))
  assert.ok(at(`ip daddr ${plan.subnet.network}/24 drop`) < at('ip daddr 192.168.1.10/32 meta l4proto tcp th dport 3128 accept'))
  assert.ok(at('ip daddr 192.168.1.10/32 meta l4proto tcp th dport 3128 accept') < at('ip daddr @blocked drop'))
  assert.ok(at('tcp dport 25 drop') > at('ip daddr @blocked drop'))
  assert.ok(l.includes('ct state new add @new_connections { ip saddr limit rate over 100/second burst 200 packets } drop'))
  assert.ok(l.includes('ct state new add @vm_connections { ip saddr ct count over 4096 } drop'))
  // A refused renter connection is counted for its VM's port before the drop (domain/traffic-counters.ts).
  const counted = 'counter name ip daddr . meta l4proto . th dport map @connections_refused drop'
  assert.ok(l.includes(`ct state new add @per_source { ip daddr . ip saddr ct count over 16 } ${counted}`))
  assert.ok(l.includes(`ct state new add @per_vm { ip daddr ct count over 512 } ${counted}`))
  assert.ok(!lines(firewallScript({ ...spec, blockSmtp: false })).some((line) => line.startsWith('tcp dport 25')))
  for (const range of ['10.0.0.0/8', '100.64.0.0/10', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '224.0.0.0/4']) {
    assert.ok(l.find((line) => line.startsWith('set blocked'))?.includes(range), range)
  }
})

test("the own bridge checks each TAP's MAC and address; a foreign bridge keeps its manager's DHCP and DNS", () => {
  const own = lines(firewallScript(spec))
  assert.ok(
    own.includes(
      `set vm_arp { type ifname . ether_addr . ipv4_addr; elements = { "${a.tap}" . ${a.mac} . ${a.address}, "${b.tap}" . ${b.mac} . ${b.address} }; }`,
    ),
  )
  assert.ok(own.includes('iifname @vm_ports drop'))
  assert.ok(!own.some((line) => line.includes('dport 67')))
  const foreign = lines(firewallScript({ ...spec, bridgeKind: 'foreign', vms: [] }))
  assert.ok(foreign.includes(`delete table bridge ${plan.table}`))
  assert.ok(!foreign.includes(`table bridge ${plan.table} {`), 'no bridge table is defined')
  assert.ok(foreign.some((line) => line.startsWith('udp sport 68 udp dport 67 accept')))
  assert.ok(foreign.some((line) => line.startsWith(`ip daddr ${plan.gateway} meta l4proto { tcp, udp } th dport 53 accept`)))
})

test('nothing from outside can add a rule: names, addresses and numbers are checked', () => {
  const bad: Partial<FirewallSpec>[] = [
    { bridge: 'br0" accept; #' },
    { table: 'golem; flush ruleset' },
    { gateway: '10.0.0.1 } accept' },
    { vms: [{ ...a, tap: 'x y' }] },
    { vms: [{ ...a, mac: '52:54:00:00:00:0g' }] },
    { forwards: [{ protocol: 'tcp', publicPort: 70000, address: a.address, port: 22 }] },
    { publicAddresses: ['0.0.0.0; drop'] },
    { limits: { ...spec.limits, connectionsPerVm: 0 } },
  ]
  for (const change of bad) assert.throws(() => firewallScript({ ...spec, ...change }), /firewall:/, JSON.stringify(change))
  assert.equal(
    removalScript(plan.table),
    `table inet ${plan.table} {}\ndelete table inet ${plan.table}\ntable bridge ${plan.table} {}\ndelete table bridge ${plan.table}\n`,
  )
  assert.throws(() => removalScript('x;y'), /firewall:/)
})
