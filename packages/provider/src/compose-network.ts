/**
 * The VM network's part of the composition: whether renters' VMs are
 * isolated on this host, and the parts that follow from it. Isolated (QEMU,
 * root, nftables, `/dev/net/tun`; or Multipass, root, nftables and its
 * bridge): the provider's bridge (QEMU) or Multipass's, and the firewall
 * (`app/isolated-network.ts` on `infra/network/`) and public ports forwarded
 * by the kernel (`app/kernel-forwarder.ts`). Otherwise: QEMU's user-mode
 * network and the user-space SSH proxy, which a production provider accepts
 * only with `ALLOW_UNISOLATED_VMS`.
 *
 * @module
 */
import { networkInterfaces } from 'node:os'
import type { Logger } from 'pino'
import { IsolatedNetwork, NetworkSetupError, type IsolationPolicy, type NetworkLayout } from './app/isolated-network.js'
import { KernelForwarder, type PortHold } from './app/kernel-forwarder.js'
import { KernelTraffic } from './app/kernel-traffic.js'
import type { PortForwarder } from './app/ports/port-forwarder.js'
import { PortBindError, type SshForwarder } from './app/ports/ssh-forwarder.js'
import type { Config } from './config.js'
import { isIpv4 } from './domain/ipv4.js'
import { planVmNetwork } from './domain/vm-network.js'
import type { VmDriver } from './drivers/driver.js'
import { MULTIPASS_BRIDGES } from './drivers/multipass/vm-network.js'
import { isolationProblems } from './infra/network/isolation-check.js'
import { LinuxNetworkDevices } from './infra/network/linux-network-devices.js'
import { holdPorts, holdUdpPort } from './infra/port-check/hold-ports.js'
import { SshProxy } from './infra/ssh-proxy/ssh-proxy.js'

/** How often the firewall is checked against the kernel (restored if someone removed it). */
const FIREWALL_CHECK_INTERVAL_MS = 30_000
/** How often the kernel's traffic counters are read for the metrics and the dashboard. */
const TRAFFIC_READ_INTERVAL_MS = 5_000

/** The forwarder of renters' SSH connections, whichever kind. */
export type Forwarder = SshForwarder & PortForwarder & { closeAll(): Promise<void> }

export type VmNetworking =
  | { readonly isolated: true; readonly network: IsolatedNetwork; readonly forwarder: KernelForwarder; readonly traffic: KernelTraffic }
  | { readonly isolated: false; readonly network: undefined; readonly forwarder: SshProxy; readonly reason: string }

/** A start-up problem of the VM network the operator must fix; compose turns it into a StartupError. */
export class VmIsolationError extends Error {
  override readonly name = 'VmIsolationError'
  constructor(
    readonly code: 'VM_ISOLATION_UNAVAILABLE' | 'VM_NETWORK_INVALID',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/**
 * Decides and builds the VM network: isolated when the host allows it, on
 * the provider's own bridge (QEMU) or on Multipass's (`mpqemubr0`/`mpbr0`:
 * the same filtering and kernel forwarding, its DHCP and DNS kept). When it does not, a production provider refuses to
 * start unless the operator accepted the risk; development warns.
 * Nothing is created on the host here: `prepare` the network afterwards.
 */
export async function composeVmNetworking(
  config: Config,
  driver: VmDriver,
  store: IsolatedNetworkStore,
  log: Logger,
  check: (needs: { tun: boolean }) => Promise<string[]> = (needs) => isolationProblems(process.getuid?.(), needs),
  multipassBridge: () => string | undefined = findMultipassBridge,
): Promise<VmNetworking> {
  const bridge = driver.name === 'multipass' ? multipassBridge() : undefined
  const problems =
    driver.name === 'qemu'
      ? await check({ tun: true })
      : driver.name === 'multipass'
        ? [
            ...(bridge === undefined
              ? [`Multipass's bridge (${MULTIPASS_BRIDGES.join(' or ')}) was not found with an IPv4 address; start Multipass first`]
              : []),
            ...(await check({ tun: false })),
          ]
        : [`the ${driver.name} backend manages its VMs' network itself; this provider does not filter it`]
  if (problems.length > 0) return unisolated(config, driver, problems, log)
  const plan = planVmNetwork({ dataDir: config.dataDir, bridge: config.vmNetwork.bridge, subnet: config.vmNetwork.subnet, dns: config.vmNetwork.dns })
  const layout: NetworkLayout = bridge === undefined ? { kind: 'own', plan } : { kind: 'foreign', bridge, table: plan.table }
  // The forwarder and the network refer to each other: the network reads the forwards, the forwarder asks it to re-apply.
  const late: { network?: IsolatedNetwork } = {}
  const forwarder = new KernelForwarder({
    hold: (port, protocol) => holdPort(config.host, port, protocol),
    refresh: () => late.network?.refresh() ?? Promise.resolve(),
  })
  const network = new IsolatedNetwork({
    layout,
    devices: new LinuxNetworkDevices(config.dataDir),
    store,
    forwards: () => forwarder.forwards(),
    counted: () => forwarder.counted(),
    policy: isolationPolicy(config),
    logger: log.child({ part: 'vm-network' }),
    checkIntervalMs: FIREWALL_CHECK_INTERVAL_MS,
  })
  late.network = network
  const traffic = new KernelTraffic({
    read: () => network.traffic(),
    portsOf: (vmId) => forwarder.portsOf(vmId),
    intervalMs: TRAFFIC_READ_INTERVAL_MS,
    logger: log.child({ part: 'vm-traffic' }),
  })
  return { isolated: true, network, forwarder, traffic }
}

// Multipass's bridge on this host: the first of its known names that has an IPv4 address.
function findMultipassBridge(): string | undefined {
  const interfaces = networkInterfaces()
  return MULTIPASS_BRIDGES.find((name) => interfaces[name]?.some((a) => a.family === 'IPv4') === true)
}

type IsolatedNetworkStore = ConstructorParameters<typeof IsolatedNetwork>[0]['store']

function unisolated(config: Config, driver: VmDriver, problems: string[], log: Logger): VmNetworking {
  const reason = problems.join('; ')
  const risk =
    "renters' VMs can reach every service on this host's 127.0.0.1 (the provider API among them), its LAN and, on a cloud server, the metadata service"
  if (driver.name === 'qemu' && config.environment === 'production' && !config.allowUnisolatedVms) {
    throw new VmIsolationError(
      'VM_ISOLATION_UNAVAILABLE',
      `VMs cannot be isolated from this host: ${reason}. Fix that, or set GOLEM_PROVIDER_ALLOW_UNISOLATED_VMS=true to run anyway, knowing that ${risk}`,
    )
  }
  log.warn({ why: reason, allowed: config.allowUnisolatedVms }, `VMS ARE NOT ISOLATED: ${risk}`)
  return {
    isolated: false,
    network: undefined,
    forwarder: new SshProxy({ host: config.host, logger: log.child({ part: 'ssh-proxy' }), ...config.proxy }),
    reason,
  }
}

/** For the status: isolated or not, and the bridge, subnet and table (or why not). */
export function vmNetworkStatus(networking: VmNetworking): { isolated: boolean; detail: string } {
  if (!networking.isolated) return { isolated: false, detail: networking.reason }
  const d = networking.network.describe()
  return { isolated: true, detail: `bridge ${d.bridge}, subnet ${d.subnet}, nftables table ${d.table}; ports forwarded by the kernel` }
}

/** What the firewall lets VMs reach, where renters arrive, and the limits per VM. */
function isolationPolicy(config: Config): IsolationPolicy {
  return {
    // A provider bound to one address forwards only that one (and 127.0.0.1 for the host's own clients).
    publicAddresses: isIpv4(config.host) && config.host !== '0.0.0.0' ? [config.host] : 'local',
    allowed: config.vmNetwork.allowed,
    blockSmtp: config.vmNetwork.blockSmtp,
    limits: {
      newConnectionsPerSecond: config.vmNetwork.newConnectionsPerSecond,
      conntrackEntries: config.vmNetwork.conntrackEntries,
      connectionsPerSource: config.proxy.maxConnectionsPerSource,
      connectionsPerVm: config.proxy.maxConnectionsPerVm,
    },
    maxVms: config.maxVms,
  }
}

// A VM's public port, held by a listener that accepts and closes (TCP) or a bound socket (UDP): no other process can take it.
async function holdPort(host: string, port: number, protocol: 'tcp' | 'udp'): Promise<PortHold> {
  if (protocol === 'udp') return holdUdpPort(host, port)
  const held = await holdPorts(host, [port])
  const failure = held.failed[0]
  if (failure === undefined) return held
  await held.release()
  throw new PortBindError(port, new Error(failure.reason))
}

export { NetworkSetupError }
