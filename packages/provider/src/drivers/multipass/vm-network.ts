/**
 * Multipass's own VM network: the subnet of the bridge its daemon made on
 * the host (`mpqemubr0` with the QEMU backend, `mpbr0` with LXD), or the
 * subnets the operator names (GOLEM_PROVIDER_MULTIPASS_NETWORK). Multipass
 * lists addresses the guest reports about itself as well as the one it gave
 * it, so a guest could otherwise point its SSH forward anywhere: at the
 * provider host's own services, at another VM, or at a machine on the LAN.
 * The forward goes only to an address inside this network that is not the
 * host's own (the bridge's gateway address) nor the subnet's network or
 * broadcast address.
 *
 * @module
 */
import { BlockList, isIPv4 } from 'node:net'
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os'

/** The bridges Multipass creates on a Linux host for its VMs. */
export const MULTIPASS_BRIDGES = ['mpqemubr0', 'mpbr0'] as const

/** An IPv4 subnet, e.g. 10.13.177.0/24. */
export interface Subnet {
  readonly address: string
  readonly prefix: number
}

export interface VmNetwork {
  readonly subnets: readonly Subnet[]
  /** Addresses inside the subnets that are never a VM's: the host's own, network and broadcast addresses. */
  readonly excluded: ReadonlySet<string>
}

const toInt = (ip: string): number => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0)
const toIp = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')

/** Parses `a.b.c.d/n` (the address is reduced to the subnet's first address); undefined when it is not one. */
export function parseSubnet(text: string): Subnet | undefined {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text.trim())
  if (match === null) return undefined
  const [, address = '', bits = ''] = match
  const prefix = Number(bits)
  if (!isIPv4(address) || prefix < 8 || prefix > 30) return undefined
  const size = 2 ** (32 - prefix)
  return { address: toIp(Math.floor(toInt(address) / size) * size), prefix }
}

/** The network, with every host address in it (from `interfaces`) excluded. */
export function vmNetwork(subnets: readonly Subnet[], interfaces: Record<string, NetworkInterfaceInfo[] | undefined> = networkInterfaces()): VmNetwork {
  const excluded = new Set<string>()
  for (const { address, prefix } of subnets) {
    excluded.add(address)
    excluded.add(toIp(toInt(address) + 2 ** (32 - prefix) - 1))
  }
  for (const list of Object.values(interfaces)) for (const i of list ?? []) if (i.family === 'IPv4') excluded.add(i.address)
  return { subnets, excluded }
}

/** The subnets of Multipass's bridges on this host; empty when none exists (Multipass not running, or another backend). */
export function detectBridgeSubnets(interfaces: Record<string, NetworkInterfaceInfo[] | undefined> = networkInterfaces()): Subnet[] {
  const found: Subnet[] = []
  for (const name of MULTIPASS_BRIDGES) {
    for (const i of interfaces[name] ?? []) {
      const subnet = i.family === 'IPv4' ? parseSubnet(i.cidr ?? '') : undefined
      if (subnet !== undefined) found.push(subnet)
    }
  }
  return found
}

/**
 * The first of the instance's addresses that may be its SSH forward's
 * target: inside the VM network, and not excluded. Undefined when none is.
 */
export function forwardTarget(addresses: readonly string[], network: VmNetwork): string | undefined {
  const inside = new BlockList()
  for (const { address, prefix } of network.subnets) inside.addSubnet(address, prefix, 'ipv4')
  return addresses.find((a) => isIPv4(a) && inside.check(a, 'ipv4') && !network.excluded.has(a))
}

/** The network as text for messages: `10.13.177.0/24, …`. */
export const describeNetwork = (network: VmNetwork): string => network.subnets.map((s) => `${s.address}/${s.prefix}`).join(', ')
