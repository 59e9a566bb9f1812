/**
 * The host's IPv4 routes, judged for the VM network: which ones clash with
 * its subnet (start-up refuses them), and which networks the host is
 * directly attached to (its LANs, which VMs must not reach).
 *
 * @module
 */
import { cidrsOverlap, cidrText, type Ipv4Cidr } from './ipv4.js'

/** An IPv4 route of any routing table. */
export interface HostRoute {
  readonly destination: Ipv4Cidr | 'default'
  readonly device: string | undefined
  /** `unicast`, `local`, `broadcast`, `blackhole`, … */
  readonly type: string
  /** `link` for directly attached networks. */
  readonly scope: string | undefined
  readonly table: string
}

const describe = (r: HostRoute) =>
  `${r.destination === 'default' ? 'default' : cidrText(r.destination)}${r.device === undefined ? '' : ` dev ${r.device}`}${r.table === 'main' ? '' : ` table ${r.table}`}`

/**
 * Routes that send some of `subnet` elsewhere than `bridge` (the default
 * route aside): another network of the host (a LAN, a VPN, a container
 * network) already uses those addresses. One line each, as `ip route` shows them.
 */
export function clashingRoutes(routes: readonly HostRoute[], subnet: Ipv4Cidr, bridge: string): string[] {
  return routes.filter((r) => r.destination !== 'default' && r.device !== bridge && cidrsOverlap(r.destination, subnet)).map(describe)
}

/** The networks the host is directly attached to, other than `bridge` and loopback: its LANs. */
export function attachedNetworks(routes: readonly HostRoute[], bridge: string): Ipv4Cidr[] {
  const out = new Map<string, Ipv4Cidr>()
  for (const r of routes) {
    if (r.destination === 'default' || r.type !== 'unicast' || r.scope !== 'link' || r.device === bridge || r.device === 'lo') continue
    out.set(cidrText(r.destination), r.destination)
  }
  return [...out.values()]
}
