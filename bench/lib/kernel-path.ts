/**
 * The kernel forwarding path of an isolated provider, for the ssh-proxy
 * benchmark: the provider's own VM network (`IsolatedNetwork`: bridge,
 * nftables table, forwarding) and `KernelForwarder` with one VM, exactly as
 * `compose-network.ts` wires them, except that the VM is a network namespace
 * on a veth port of the bridge named like its TAP (a QEMU guest under
 * software emulation could not source or sink a GiB at a useful speed; the
 * forwarding measured is the host's either way). A renter connects to
 * 127.0.0.1:<public port>; nftables DNATs it through the bridge to the VM's
 * address, port 22, where the peer server runs inside the namespace.
 *
 * Everything made is removed by the scope: the peer, the namespace and its
 * veth, the bridge, the tables and the host settings (`uninstallVmNetwork`).
 *
 * @module
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { IsolatedNetwork, uninstallVmNetwork } from '../../packages/provider/dist/src/app/isolated-network.js'
import { KernelForwarder } from '../../packages/provider/dist/src/app/kernel-forwarder.js'
import { planVmNetwork } from '../../packages/provider/dist/src/domain/vm-network.js'
import { LinuxNetworkDevices } from '../../packages/provider/dist/src/infra/network/linux-network-devices.js'
import { holdPorts } from '../../packages/provider/dist/src/infra/port-check/hold-ports.js'
import { SqliteVmStore } from '../../packages/provider/dist/src/infra/store/sqlite-vm-store.js'
import { reserveVm } from '../../packages/provider/dist/test/helpers/vm-network-world.js'
import type { Endpoint } from './peer.js'
import { freePort } from './ports.js'
import type { Scope } from './proc.js'

/** What the benchmark connects to: the public port (kernel path) and the VM's own address (over the bridge, no DNAT). */
export interface KernelPath {
  readonly publicPort: Endpoint
  readonly vmAddress: Endpoint
  /** The VM's namespace, for `ip netns exec`. */
  readonly namespace: string
  /** Maps a renter's TCP port to the VM's `guest` port, as `POST /vms/{id}/ports` does: the public port it gets. */
  mapTcp(guest: number): Promise<Endpoint>
}

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

/** Why the kernel path cannot be built here, or undefined. */
export function kernelPathUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (bridge, namespace, nftables)'
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' })
    execFileSync('ip', ['-V'], { stdio: 'ignore' })
  } catch {
    return 'needs nftables and iproute2'
  }
  return undefined
}

/**
 * Builds the provider's network with one VM namespace and forwards a public
 * port to its port 22. The limits are the provider's defaults raised out of
 * the way of 1,000 simultaneous connections from one address.
 */
export async function buildKernelPath(scope: Scope): Promise<KernelPath> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-vmnet-'))
  scope.defer('remove the VM network data dir', () => rmSync(dataDir, { recursive: true, force: true }))
  const plan = planVmNetwork({ dataDir, dns: ['1.1.1.1'] })
  const devices = new LinuxNetworkDevices(dataDir)
  scope.defer('uninstall the VM network', () => uninstallVmNetwork(plan, devices))
  const store = new SqliteVmStore(':memory:')
  scope.defer('close the VM store', () => store.close())
  const late: { network?: IsolatedNetwork } = {}
  const forwarder = new KernelForwarder({
    hold: async (port) => holdPorts('127.0.0.1', [port]),
    refresh: () => late.network?.refresh() ?? Promise.resolve(),
  })
  const network = new IsolatedNetwork({
    layout: { kind: 'own', plan },
    devices,
    store,
    forwards: () => forwarder.forwards(),
    counted: () => forwarder.counted(),
    policy: {
      publicAddresses: 'local',
      allowed: [],
      blockSmtp: true,
      limits: { newConnectionsPerSecond: 200, conntrackEntries: 16_384, connectionsPerSource: 100_000, connectionsPerVm: 100_000 },
      maxVms: 10,
    },
    logger: pino({ level: 'silent' }),
    checkIntervalMs: 60_000,
  })
  late.network = network
  scope.defer('stop the VM network and release the public port', async () => {
    network.stop()
    await forwarder.closeAll()
  })
  await network.prepare()
  await network.activate()

  const port = await freePort()
  const id = 'bench-vm'
  reserveVm(store, id, port)
  // The namespace and its veth first, named like the VM's TAP: attaching then enslaves it to the bridge.
  const namespace = `gb-${randomBytes(3).toString('hex')}-vm`
  ip('netns', 'add', namespace)
  scope.defer('delete the VM namespace', () => ip('netns', 'del', namespace))
  const nic = await attachWithNamespace(network, plan.tapPrefix, id, namespace, scope)
  await forwarder.open(id, port, { host: nic.address, port: 22 })
  const mapTcp = async (guest: number): Promise<Endpoint> => {
    const publicPort = await freePort()
    await forwarder.openPort(id, { guest, protocol: 'tcp', publicPort }, { host: nic.address, port: guest })
    return { host: '127.0.0.1', port: publicPort }
  }
  return { publicPort: { host: '127.0.0.1', port }, vmAddress: { host: nic.address, port: 22 }, namespace, mapTcp }
}

// The VM's port on the bridge is a veth whose other end (eth0) is in the namespace, with the VM's MAC and address.
async function attachWithNamespace(network: IsolatedNetwork, tapPrefix: string, id: string, namespace: string, scope: Scope) {
  const tap = `${tapPrefix}1`
  ip('link', 'add', tap, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace)
  scope.defer('delete the VM port', () => {
    try {
      ip('link', 'del', tap)
    } catch {
      /* gone with the namespace or the network */
    }
  })
  const nic = await network.attach(id)
  if (nic === undefined || nic.tap !== tap) throw new Error(`the bench VM got ${nic?.tap ?? 'no port'}, expected ${tap}`)
  ip('link', 'set', tap, 'up')
  ip('-n', namespace, 'link', 'set', 'lo', 'up')
  ip('-n', namespace, 'link', 'set', 'eth0', 'address', nic.mac)
  ip('-n', namespace, 'addr', 'add', `${nic.address}/${nic.prefixLength}`, 'dev', 'eth0')
  ip('-n', namespace, 'link', 'set', 'eth0', 'up')
  ip('-n', namespace, 'route', 'add', 'default', 'via', nic.gateway)
  return nic
}
