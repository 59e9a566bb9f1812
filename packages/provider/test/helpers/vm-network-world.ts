/**
 * The VM network on the real kernel for tests, without QEMU: the provider's
 * bridge, firewall and kernel forwarder, network namespaces as VMs (on ports
 * named like their TAPs), the internet, the operator's LAN and the cloud
 * metadata service. Everything is removed after the test.
 *
 * @module
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import type { TestContext } from 'node:test'
import { pino } from 'pino'
import { IsolatedNetwork, uninstallVmNetwork } from '../../src/app/isolated-network.js'
import { KernelForwarder } from '../../src/app/kernel-forwarder.js'
import { attachmentAt, planVmNetwork, type VmNetworkPlan } from '../../src/domain/vm-network.js'
import { holdPorts } from '../../src/infra/port-check/hold-ports.js'
import { LinuxNetworkDevices } from '../../src/infra/network/linux-network-devices.js'
import { SqliteVmStore } from '../../src/infra/store/sqlite-vm-store.js'
import { freePortRange, tempDir } from './daemon.js'
import { ip, Lab, outsideWorld } from './netns.js'

/** The per-VM limits of the test world's firewall. */
export const LIMITS = { newConnectionsPerSecond: 20, conntrackEntries: 6, connectionsPerSource: 3, connectionsPerVm: 5 }

export interface World {
  readonly lab: Lab
  readonly plan: VmNetworkPlan
  readonly store: SqliteVmStore
  readonly network: IsolatedNetwork
  readonly forwarder: KernelForwarder
  readonly devices: LinuxNetworkDevices
  /** Namespaces: two VMs, the internet, the LAN, the metadata service. */
  readonly ns: Record<'vm1' | 'vm2' | 'internet' | 'lan' | 'metadata', string>
  /** Addresses: the internet listener, the host as the internet reaches it, the LAN listener. */
  readonly at: { internet: string; hostFromInternet: string; lan: string }
  readonly ports: number[]
}

// A namespace as a VM: its port on the host is named like the TAP the network gives it.
function vmNamespace(w: Pick<World, 'lab' | 'plan'>, role: string, slot: number): string {
  const ns = w.lab.namespace(role)
  const a = attachmentAt(w.plan, slot)
  w.lab.veth(a.tap, ns)
  ip('-n', ns, 'link', 'set', 'eth0', 'address', a.mac)
  ip('-n', ns, 'addr', 'add', `${a.address}/${w.plan.subnet.prefixLength}`, 'dev', 'eth0')
  ip('-n', ns, 'route', 'add', 'default', 'via', w.plan.gateway)
  return ns
}

/** The world: the network prepared and active, two VM namespaces with an SSH-like listener on port 22, the outside world. */
export async function world(t: TestContext, limits = LIMITS): Promise<World> {
  // The lab's cleanup (uninstall among it) runs before the data dir with the network's state file is removed.
  const lab = new Lab(t)
  const dataDir = tempDir(t, 'golem-vmnet-')
  const plan = planVmNetwork({ dataDir, dns: ['1.1.1.1'] })
  const devices = new LinuxNetworkDevices(dataDir)
  lab.atCleanup(() => uninstallVmNetwork(plan, devices))
  const store = new SqliteVmStore(':memory:')
  t.after(() => store.close())
  const range = await freePortRange(2)
  // eslint-disable-next-line prefer-const -- the forwarder and the network refer to each other
  let network: IsolatedNetwork
  const forwarder = new KernelForwarder({
    hold: async (port) => holdPorts('0.0.0.0', [port]),
    refresh: () => network.refresh(),
  })
  network = new IsolatedNetwork({
    layout: { kind: 'own', plan },
    devices,
    store,
    forwards: () => forwarder.forwards(),
    counted: () => forwarder.counted(),
    policy: { publicAddresses: 'local', allowed: [], blockSmtp: true, limits, maxVms: 10 },
    logger: pino({ level: 'silent' }),
    checkIntervalMs: 60_000,
  })
  t.after(async () => {
    network.stop()
    await forwarder.closeAll()
  })
  await network.prepare()
  await network.activate()

  const ns = {
    vm1: vmNamespace({ lab, plan }, 'vm1', 1),
    vm2: vmNamespace({ lab, plan }, 'vm2', 2),
  }
  const outside = await outsideWorld(lab)
  for (const role of ['vm1', 'vm2'] as const) await lab.listen(ns[role], '0.0.0.0', 22, `SSH-2.0-${role}`)
  return {
    lab,
    plan,
    store,
    network,
    forwarder,
    devices,
    ns: { ...ns, ...outside.ns },
    at: { internet: outside.internet, hostFromInternet: outside.hostFromInternet, lan: outside.lan },
    ports: [range.start, range.start + 1],
  }
}

/** Reserves a small VM's record with `port` as its SSH port, as a create does first. */
export function reserveVm(store: SqliteVmStore, id: string, port: number): void {
  store.reserve(
    {
      id,
      name: id,
      scope: 'unsigned',
      instance: `golem-${id}-x`,
      owner: null,
      resources: { cpu: 1, memory: 1, storage: 10 },
      image: 'i',
      sshUser: 'ubuntu',
      sshKey: 'k',
      createdAt: new Date(),
    },
    () => ({ sshPort: port, ports: [] }),
  )
}

/** The first line a TCP server at host:port sends, or undefined (3 s at most). */
export function firstLine(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (v: string | undefined) => {
      socket.destroy()
      resolve(v)
    }
    socket.setTimeout(3000, () => done(undefined))
    socket.on('error', () => done(undefined))
    socket.on('data', (d: Buffer) => done(d.toString().trim()))
  })
}

// Reserves a VM record and attaches it, as a create does before launching.
export async function addVm(w: World, id: string, port: number): Promise<string> {
  reserveVm(w.store, id, port)
  const nic = await w.network.attach(id)
  assert.ok(nic !== undefined)
  await w.forwarder.open(id, port, { host: nic.address, port: 22 })
  return nic.address
}
