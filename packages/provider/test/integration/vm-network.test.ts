/**
 * The VM network's firewall on the real kernel, without QEMU: network
 * namespaces stand in for two VMs (on the provider's bridge, through ports
 * named like its TAPs), the internet (a TEST-NET address routed through the
 * host), the operator's LAN and the cloud metadata service. The rules the
 * provider generates decide what each can reach.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import net from 'node:net'
import { test, type TestContext } from 'node:test'
import { uninstallVmNetwork } from '../../src/app/isolated-network.js'
import { attachmentAt } from '../../src/domain/vm-network.js'
import { ip, netnsUnavailable } from '../helpers/netns.js'
import { tcpSyn } from '../helpers/raw-frames.js'
import { addVm, firstLine, LIMITS, world, type World } from '../helpers/vm-network-world.js'

const skip = netnsUnavailable()
function hostListener(t: TestContext, host: string): Promise<{ port: number; accepted: () => number }> {
  let accepted = 0
  const server = net.createServer((s) => {
    accepted++
    s.end('host\r\n')
  })
  t.after(() => {
    server.close()
  })
  return new Promise((resolve) =>
    server.listen({ host, port: 0 }, () => resolve({ port: (server.address() as net.AddressInfo).port, accepted: () => accepted })),
  )
}

test('VMs reach the internet and nothing else; renters reach each VM through its public port', { skip, timeout: 120_000 }, async (t) => {
  const w = await world(t)
  const [p1 = 0, p2 = 0] = w.ports
  const vm1 = await addVm(w, 'vm-a', p1)
  await addVm(w, 'vm-b', p2)
  const host = await hostListener(t, '0.0.0.0')
  const loopbackOnly = await hostListener(t, '127.0.0.1')

  assert.equal(await w.lab.reach(w.ns.vm1, w.at.internet, 80), 'internet', 'a VM reaches the internet')
  const walled = await w.lab.connect(w.ns.vm1, [
    { host: w.at.lan, port: 80 },
    { host: '169.254.169.254', port: 80 },
    { host: w.plan.gateway, port: host.port },
    { host: w.at.hostFromInternet, port: host.port },
    { host: attachmentAt(w.plan, 2).address, port: 22 },
  ])
  assert.deepEqual(
    walled.results.map((r) => r.ok),
    [false, false, false, false, false],
    `LAN, metadata, the host by its gateway and its other address, the other VM: ${JSON.stringify(walled.results)}`,
  )
  assert.equal(host.accepted(), 0)

  // Renters: from the internet, from the LAN, and on the host itself (127.0.0.1 and its own address).
  assert.equal(await w.lab.reach(w.ns.internet, w.at.hostFromInternet, p1), 'SSH-2.0-vm1')
  assert.equal(await w.lab.reach(w.ns.internet, w.at.hostFromInternet, p2), 'SSH-2.0-vm2')
  assert.equal(await w.lab.reach(w.ns.lan, `${w.at.lan.slice(0, -1)}1`, p1), 'SSH-2.0-vm1')
  assert.equal(await firstLine('127.0.0.1', p1), 'SSH-2.0-vm1')
  assert.equal(await firstLine(w.at.hostFromInternet, p2), 'SSH-2.0-vm2')
  // Nobody reaches a VM's address directly, not even a neighbour on the LAN routing through the host.
  assert.equal(await w.lab.reach(w.ns.lan, vm1, 22), undefined)

  // A packet a VM crafts for the host's loopback (allowed out of the bridge for the host's own clients) gets no answer,
  // while the same packet for the internet does: the test itself can tell an answer from none.
  const answers = async (dst: string, port: number) => {
    const before = tcpInSegs(w.ns.vm1)
    sendFrame(w.ns.vm1, tcpSyn({ srcMac: attachmentAt(w.plan, 1).mac, dstMac: gatewayMac(w), src: vm1, dst, srcPort: 40000 + (port % 1000), dstPort: port }))
    await new Promise((resolve) => setTimeout(resolve, 700))
    return tcpInSegs(w.ns.vm1) - before
  }
  assert.ok((await answers(w.at.internet, 80)) > 0, 'a crafted SYN to the internet is answered')
  assert.equal(await answers('127.0.0.1', loopbackOnly.port), 0, "a crafted SYN to the host's loopback is not")
  assert.equal(loopbackOnly.accepted(), 0)
})

test("a VM cannot pose as another: another VM's address, or its own address with another MAC, gets nowhere", { skip, timeout: 120_000 }, async (t) => {
  const w = await world(t)
  const [p1 = 0, p2 = 0] = w.ports
  await addVm(w, 'vm-a', p1)
  const vm2 = await addVm(w, 'vm-b', p2)
  const readdress = (address: string, mac: string) => {
    ip('-n', w.ns.vm1, 'addr', 'flush', 'dev', 'eth0')
    ip('-n', w.ns.vm1, 'link', 'set', 'eth0', 'address', mac)
    ip('-n', w.ns.vm1, 'addr', 'add', `${address}/${w.plan.subnet.prefixLength}`, 'dev', 'eth0')
    ip('-n', w.ns.vm1, 'route', 'add', 'default', 'via', w.plan.gateway)
  }
  const own = attachmentAt(w.plan, 1)
  assert.equal(await w.lab.reach(w.ns.vm1, w.at.internet, 80), 'internet')
  readdress(vm2, own.mac)
  assert.equal(await w.lab.reach(w.ns.vm1, w.at.internet, 80), undefined, "another VM's address")
  readdress(vm2, attachmentAt(w.plan, 2).mac)
  assert.equal(await w.lab.reach(w.ns.vm1, w.at.internet, 80), undefined, "another VM's address and MAC")
  readdress(own.address, '52:54:00:aa:bb:cc')
  assert.equal(await w.lab.reach(w.ns.vm1, w.at.internet, 80), undefined, 'its own address with another MAC')
  readdress(own.address, own.mac)
  assert.equal(await w.lab.reach(w.ns.vm1, w.at.internet, 80), 'internet', 'itself again')
})

test('limits per VM: new connections per second, connection-tracking entries, connections per source and per VM', { skip, timeout: 120_000 }, async (t) => {
  const w = await world(t)
  const [p1 = 0] = w.ports
  await addVm(w, 'vm-a', p1)
  // Held connections from the VM: at most `conntrackEntries` at once.
  const held = await w.lab.connect(
    w.ns.vm1,
    Array.from({ length: 10 }, () => ({ host: w.at.internet, port: 80 })),
    { holdMs: 4000 },
  )
  assert.equal(held.results.filter((r) => r.ok).length, LIMITS.conntrackEntries, JSON.stringify(held.results))
  await held.closed
  // Renters: one source holds at most `connectionsPerSource`; another source still gets in, up to `connectionsPerVm` in all.
  const first = await w.lab.connect(
    w.ns.internet,
    Array.from({ length: 5 }, () => ({ host: w.at.hostFromInternet, port: p1 })),
    { holdMs: 8000 },
  )
  assert.equal(first.results.filter((r) => r.ok).length, LIMITS.connectionsPerSource, JSON.stringify(first.results))
  const second = await w.lab.connect(
    w.ns.lan,
    Array.from({ length: 5 }, () => ({ host: `${w.at.lan.slice(0, -1)}1`, port: p1 })),
    { holdMs: 1000 },
  )
  assert.equal(second.results.filter((r) => r.ok).length, LIMITS.connectionsPerVm - LIMITS.connectionsPerSource, JSON.stringify(second.results))
  await Promise.all([first.closed, second.closed])
  // The kernel counted the turned-away attempts for the VM's port (each dropped SYN, retries included).
  const refused = (await w.network.traffic()).get(`tcp_${p1}_refused`)?.packets ?? 0
  assert.ok(refused >= 5 + 5 - LIMITS.connectionsPerVm, `refused attempts counted: ${refused}`)
})

test('limits per VM: a burst of new connections is cut at the rate limit', { skip, timeout: 120_000 }, async (t) => {
  const w = await world(t, { ...LIMITS, conntrackEntries: 1000 })
  await addVm(w, 'vm-a', w.ports[0] ?? 0)
  // About `newConnectionsPerSecond` × 2 (the burst) get through at once, and the rate after that; the rest are dropped.
  const burst = await w.lab.connect(
    w.ns.vm1,
    Array.from({ length: 100 }, () => ({ host: w.at.internet, port: 80 })),
    { timeoutMs: 1500 },
  )
  const passed = burst.results.filter((r) => r.ok).length
  assert.ok(passed >= LIMITS.newConnectionsPerSecond * 2 && passed <= 70, `${passed} of 100 passed the rate limit`)
})

test('detaching a VM removes its port and rules; uninstall removes everything', { skip, timeout: 120_000 }, async (t) => {
  const w = await world(t)
  const [p1 = 0, p2 = 0] = w.ports
  await addVm(w, 'vm-a', p1)
  await addVm(w, 'vm-b', p2)
  await w.forwarder.close('vm-a')
  await w.network.detach('vm-a')
  w.store.remove('vm-a')
  const tap = attachmentAt(w.plan, 1).tap
  assert.equal(links().includes(tap), false, 'the TAP is gone')
  const table =
    execFileSync('nft', ['list', 'table', 'inet', w.plan.table], { encoding: 'utf8' }) +
    execFileSync('nft', ['list', 'table', 'bridge', w.plan.table], { encoding: 'utf8' })
  assert.ok(!table.includes(tap) && !table.includes(`${p1} :`), 'no rule names the VM or its port')
  assert.equal(await firstLine('127.0.0.1', p2), 'SSH-2.0-vm2', 'the other VM is still reachable')

  w.network.stop()
  await w.forwarder.closeAll()
  const removed = await uninstallVmNetwork(w.plan, w.devices)
  assert.ok(removed.includes(`bridge ${w.plan.bridge}`), removed.join('; '))
  assert.equal(links().includes(w.plan.bridge), false)
  assert.ok(!links().some((l) => l.startsWith(w.plan.tapPrefix)))
  assert.ok(!execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).includes(w.plan.table))
})

const links = () => (JSON.parse(ip('-j', 'link', 'show')) as { ifname: string }[]).map((l) => l.ifname)
const gatewayMac = (w: World) => (JSON.parse(ip('-j', 'link', 'show', w.plan.bridge)) as { address: string }[])[0]?.address ?? ''

function tcpInSegs(ns: string): number {
  const snmp = execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/snmp'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.startsWith('Tcp:'))
  const [names = '', values = ''] = snmp
  return Number(values.split(/\s+/)[names.split(/\s+/).indexOf('InSegs')])
}

function sendFrame(ns: string, frame: Buffer): void {
  execFileSync('ip', ['netns', 'exec', ns, 'socat', '-u', 'STDIN', 'INTERFACE:eth0'], { input: frame })
}
