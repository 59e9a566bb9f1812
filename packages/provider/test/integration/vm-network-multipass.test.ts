/**
 * The VM network on a bridge another manager owns, as with Multipass (its
 * `mpqemubr0` with its own address, DHCP and DNS), on the real kernel: a
 * bridge made here stands for Multipass's, network namespaces on its ports
 * for two Multipass VMs, and the provider's rule set (the same machinery as
 * for its own bridge, `foreign` layout) decides what they reach. Uninstall
 * removes the provider's table and settings and leaves the manager's bridge.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import net from 'node:net'
import { test, type TestContext } from 'node:test'
import { pino } from 'pino'
import { IsolatedNetwork, uninstallVmNetwork } from '../../src/app/isolated-network.js'
import { KernelForwarder } from '../../src/app/kernel-forwarder.js'
import { planVmNetwork } from '../../src/domain/vm-network.js'
import { holdPorts } from '../../src/infra/port-check/hold-ports.js'
import { LinuxNetworkDevices } from '../../src/infra/network/linux-network-devices.js'
import { SqliteVmStore } from '../../src/infra/store/sqlite-vm-store.js'
import { freePortRange, tempDir } from '../helpers/daemon.js'
import { ip, Lab, netnsUnavailable, outsideWorld } from '../helpers/netns.js'
import { firstLine, reserveVm } from '../helpers/vm-network-world.js'

const skip = netnsUnavailable()

function hostListener(t: TestContext, host: string, port = 0): Promise<number> {
  const server = net.createServer((s) => {
    s.on('error', () => undefined)
    s.end('host\r\n')
  })
  t.after(() => {
    server.close()
  })
  return new Promise((resolve) => server.listen({ host, port }, () => resolve((server.address() as net.AddressInfo).port)))
}

test(
  "Multipass's bridge: its VMs reach the internet and their manager's DNS, nothing else; renters reach them through the kernel-forwarded port; uninstall leaves the bridge",
  { skip, timeout: 120_000 },
  async (t) => {
    const lab = new Lab(t)
    const dataDir = tempDir(t, 'golem-mpnet-')
    const plan = planVmNetwork({ dataDir, dns: [] })
    const devices = new LinuxNetworkDevices(dataDir)
    // Multipass's bridge: its own, with its own address (Multipass serves DHCP and DNS there).
    const n = Number.parseInt(lab.suffix.slice(-2), 36) % 250
    const bridge = `mp${lab.suffix}`
    const prefix = `10.77.${n}.`
    ip('link', 'add', bridge, 'type', 'bridge')
    lab.atCleanup(() => ip('link', 'del', bridge))
    ip('addr', 'add', `${prefix}1/24`, 'dev', bridge)
    ip('link', 'set', bridge, 'up')
    lab.atCleanup(() => uninstallVmNetwork(plan, devices))
    const vms = ['vm1', 'vm2'].map((role, i) => {
      const ns = lab.namespace(role)
      const port = `tm${lab.suffix}${i}`
      lab.veth(port, ns)
      ip('link', 'set', port, 'master', bridge)
      ip('-n', ns, 'addr', 'add', `${prefix}${i + 2}/24`, 'dev', 'eth0')
      ip('-n', ns, 'route', 'add', 'default', 'via', `${prefix}1`)
      return { ns, address: `${prefix}${i + 2}` }
    })
    const [vm1, vm2] = vms as [(typeof vms)[number], (typeof vms)[number]]

    const store = new SqliteVmStore(':memory:')
    t.after(() => store.close())
    const late: { network?: IsolatedNetwork } = {}
    const forwarder = new KernelForwarder({
      hold: async (port) => holdPorts('0.0.0.0', [port]),
      refresh: () => late.network?.refresh() ?? Promise.resolve(),
    })
    const network = new IsolatedNetwork({
      layout: { kind: 'foreign', bridge, table: plan.table },
      devices,
      store,
      forwards: () => forwarder.forwards(),
      counted: () => forwarder.counted(),
      policy: {
        publicAddresses: 'local',
        allowed: [],
        blockSmtp: true,
        limits: { newConnectionsPerSecond: 20, conntrackEntries: 64, connectionsPerSource: 8, connectionsPerVm: 16 },
        maxVms: 10,
      },
      logger: pino({ level: 'silent' }),
      checkIntervalMs: 60_000,
    })
    late.network = network
    t.after(async () => {
      network.stop()
      await forwarder.closeAll()
    })
    await network.prepare()
    await network.activate()
    assert.equal(network.describe().subnet, `${prefix}0/24`, "the VMs' subnet is read from the manager's bridge")

    const range = await freePortRange(2)
    for (const [i, vm] of vms.entries()) {
      const id = `mp-${i + 1}`
      reserveVm(store, id, range.start + i)
      assert.equal(await network.attach(id), undefined, 'the manager gives the VM its address')
      await forwarder.open(id, range.start + i, { host: vm.address, port: 22 })
      await lab.listen(vm.ns, '0.0.0.0', 22, `SSH-2.0-vm${i + 1}`)
    }
    const out = await outsideWorld(lab)
    const hostPort = await hostListener(t, '0.0.0.0')
    const dnsPort = await hostListener(t, `${prefix}1`, 53).catch(() => undefined)

    assert.equal(await lab.reach(vm1.ns, out.internet, 80), 'internet', 'a VM reaches the internet')
    const walled = await lab.connect(vm1.ns, [
      { host: out.lan, port: 80 },
      { host: '169.254.169.254', port: 80 },
      { host: `${prefix}1`, port: hostPort },
      { host: out.hostFromInternet, port: hostPort },
      { host: vm2.address, port: 22 },
    ])
    assert.deepEqual(
      walled.results.map((r) => r.ok),
      [false, false, false, false, false],
      `LAN, metadata, the host by the bridge's address and its other address, the other VM: ${JSON.stringify(walled.results)}`,
    )
    if (dnsPort !== undefined) assert.equal(await lab.reach(vm1.ns, `${prefix}1`, 53), 'host', "the manager's DNS (TCP 53 on the bridge) stays reachable")

    // Renters: on the host itself and from the internet, through the public ports.
    assert.equal(await firstLine('127.0.0.1', range.start), 'SSH-2.0-vm1')
    assert.equal(await lab.reach(out.ns.internet, out.hostFromInternet, range.start + 1), 'SSH-2.0-vm2')
    assert.equal(await lab.reach(out.ns.lan, vm1.address, 22), undefined, "nobody reaches a VM's address directly")

    network.stop()
    await forwarder.closeAll()
    const removed = await uninstallVmNetwork(plan, devices)
    assert.ok(
      removed.some((l) => l.startsWith('nftables tables')),
      removed.join('; '),
    )
    assert.ok(!execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).includes(plan.table), 'no table is left')
    assert.ok(execFileSync('ip', ['link', 'show', bridge], { encoding: 'utf8' }).includes(bridge), "the manager's bridge is left alone")
  },
)
