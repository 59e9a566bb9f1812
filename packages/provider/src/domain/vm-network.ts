/**
 * The provider's own VM network as data: the names of its bridge, nftables
 * table and TAP devices, its subnet, and each VM's place on it (address,
 * MAC, TAP). Names and the default subnet derive from the data dir, so two
 * providers on one host (one per data dir) never share a bridge, a table or
 * a TAP. `infra/network/` creates what this describes.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { cidrSize, cidrText, nthAddress, type Ipv4Cidr } from './ipv4.js'

/** A VM's place on the provider's network; kept in its record for its whole life. */
export interface VmAttachment {
  /** The TAP device on the bridge (at most 15 characters, like every Linux interface name). */
  readonly tap: string
  /** The guest's MAC address, `52:54:00:` (QEMU's prefix) plus the address's last three bytes. */
  readonly mac: string
  /** The guest's fixed IPv4 address inside the subnet. */
  readonly address: string
}

export interface VmNetworkPlan {
  /** Seven hex digits from the data dir: every derived name and the default subnet come from it. */
  readonly id: string
  readonly bridge: string
  /** The nftables table (one in the `inet` family, one in the `bridge` family, same name). */
  readonly table: string
  /** Every TAP of this provider is named `<tapPrefix><n>`. */
  readonly tapPrefix: string
  readonly subnet: Ipv4Cidr
  /** The bridge's address: the guests' gateway. */
  readonly gateway: string
  /** Resolvers the guests are told to use (never the host: it is walled off). */
  readonly dns: readonly string[]
}

export interface VmNetworkSettings {
  /** The data dir's absolute path: names and the default subnet derive from it. */
  readonly dataDir: string
  readonly bridge?: string | undefined
  readonly subnet?: Ipv4Cidr | undefined
  readonly dns: readonly string[]
}

/** Linux interface names: at most 15 characters; these are safe in any command and rule set. */
export const INTERFACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/

/** Seven hex digits from the data dir's path: the provider's network identity on this host. */
export const networkId = (dataDir: string): string => createHash('sha256').update(dataDir).digest('hex').slice(0, 7)

/** The table of the provider whose data dir is `dataDir` (also what `uninstall-network` removes). */
export const tableName = (dataDir: string): string => `golem_${networkId(dataDir)}`

/**
 * A /24 in 10.128.0.0/10 picked by the id, so that providers on one host get
 * different ones; start-up refuses it if the host already routes any of it.
 */
export function defaultSubnet(id: string): Ipv4Cidr {
  const n = Number.parseInt(id.slice(0, 4), 16)
  return { network: `10.${128 + ((n >> 10) % 64)}.${n % 256}.0`, prefixLength: 24 }
}

/** Other /24s of the same range, in order, to suggest when the default one clashes. */
export function subnetSuggestions(id: string, count = 64): Ipv4Cidr[] {
  const n = Number.parseInt(id.slice(0, 4), 16)
  return Array.from({ length: count }, (_, i) => ({ network: `10.${128 + (((n >> 10) + i + 1) % 64)}.${n % 256}.0`, prefixLength: 24 }))
}

/** A guest's MAC: QEMU's prefix `52:54:00` and the last three bytes of its address (unique on one bridge). */
export function macOf(address: string): string {
  const [, b, c, d] = address.split('.').map((part) => Number(part).toString(16).padStart(2, '0'))
  return `52:54:00:${b ?? '00'}:${c ?? '00'}:${d ?? '00'}`
}

/** Names, subnet and gateway of the provider's network, from its settings. */
export function planVmNetwork(s: VmNetworkSettings): VmNetworkPlan {
  const id = networkId(s.dataDir)
  const subnet = s.subnet ?? defaultSubnet(id)
  return {
    id,
    bridge: s.bridge ?? `golem-${id}`,
    table: `golem_${id}`,
    tapPrefix: `gt${id}-`,
    subnet,
    gateway: nthAddress(subnet, 1),
    dns: s.dns,
  }
}

/** How many VMs the subnet holds: every address but the network's, the gateway's and the broadcast. */
export const vmSlots = (subnet: Ipv4Cidr): number => Math.max(0, cidrSize(subnet) - 3)

/** The attachment of the VM at `slot` (1 = the first address after the gateway). */
export function attachmentAt(plan: VmNetworkPlan, slot: number): VmAttachment {
  if (!Number.isInteger(slot) || slot < 1 || slot > vmSlots(plan.subnet)) throw new RangeError(`${cidrText(plan.subnet)} has no VM slot ${slot}`)
  const address = nthAddress(plan.subnet, slot + 1)
  return { tap: `${plan.tapPrefix}${slot}`, mac: macOf(address), address }
}

/**
 * The attachment for a new VM: the lowest slot whose address and TAP no VM
 * holds. Undefined when the subnet is full.
 */
export function allocateAttachment(plan: VmNetworkPlan, taken: readonly VmAttachment[]): VmAttachment | undefined {
  const addresses = new Set(taken.map((a) => a.address))
  const taps = new Set(taken.map((a) => a.tap))
  for (let slot = 1; slot <= vmSlots(plan.subnet); slot++) {
    const candidate = attachmentAt(plan, slot)
    if (!addresses.has(candidate.address) && !taps.has(candidate.tap)) return candidate
  }
  return undefined
}

/** What a guest is told about its network (cloud-init's `network-config`) and what QEMU needs (TAP, MAC). */
export interface GuestNetwork extends VmAttachment {
  readonly prefixLength: number
  readonly gateway: string
  readonly dns: readonly string[]
}

export const guestNetwork = (plan: VmNetworkPlan, attachment: VmAttachment): GuestNetwork => ({
  ...attachment,
  prefixLength: plan.subnet.prefixLength,
  gateway: plan.gateway,
  dns: plan.dns,
})
