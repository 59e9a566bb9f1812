/**
 * Renters' port mappings: a guest port and protocol, reachable from outside
 * on a public port the provider picks from its verified range (the range SSH
 * ports come from). Pure: the checks a request must pass before anything is
 * reserved, and the pick of public ports from what the ledger has free.
 *
 * @module
 */
import { SSH_GUEST_PORT, type PortProtocol } from '@golem-vm/protocol'
import { ProviderError } from './errors.js'

/** A guest port a renter asks for. */
export interface GuestPort {
  readonly guest: number
  readonly protocol: PortProtocol
}

/** A guest port with the public port it holds for the VM's life (until the mapping is removed). */
export interface PortMapping extends GuestPort {
  readonly publicPort: number
}

/** What the provider offers for mappings besides SSH. */
export interface PortMappingPolicy {
  /** Most mappings one VM may hold (GOLEM_PROVIDER_MAX_PORTS_PER_VM); 0 turns mappings off. */
  readonly maxPerVm: number
  /** Whether UDP mappings are offered. */
  readonly udp: boolean
}

export const describePort = (p: GuestPort): string => `${p.guest}/${p.protocol}`

/**
 * Refuses a list of requested ports that the VM cannot get whatever the free
 * ports: port 22 (SSH has its own mapping), a port listed twice or already
 * mapped, UDP when it is not offered, more than the per-VM limit. Every
 * problem of one kind is named in the message.
 */
export function checkPortRequests(requested: readonly GuestPort[], existing: readonly GuestPort[], policy: PortMappingPolicy): void {
  if (requested.length > 0 && policy.maxPerVm === 0) {
    throw new ProviderError(
      'PORTS_NOT_OFFERED',
      'this provider maps no ports besides SSH; ask for none or choose a provider whose advertisement offers ports (resources.ports_per_vm)',
    )
  }
  const ssh = requested.filter((p) => p.guest === SSH_GUEST_PORT)
  if (ssh.length > 0) {
    throw new ProviderError('PORT_RESERVED', `port ${SSH_GUEST_PORT} is SSH, which every VM already has on its ssh_port; ask only for other guest ports`)
  }
  const seen = new Set(existing.map(describePort))
  const twice: string[] = []
  for (const port of requested) {
    const key = describePort(port)
    if (seen.has(key)) twice.push(key)
    seen.add(key)
  }
  if (twice.length > 0) {
    throw new ProviderError(
      'PORT_DUPLICATE',
      `${twice.join(', ')} ${twice.length === 1 ? 'is' : 'are'} asked for twice or already mapped; each guest port and protocol has one mapping`,
    )
  }
  if (!policy.udp && requested.some((p) => p.protocol === 'udp')) {
    throw new ProviderError('UDP_NOT_OFFERED', 'this provider does not forward UDP ports; ask for TCP ports only or choose another provider')
  }
  const total = existing.length + requested.length
  if (total > policy.maxPerVm) {
    const held = existing.length > 0 ? ` (the VM holds ${existing.length})` : ''
    throw new ProviderError('TOO_MANY_PORTS', `a VM may have at most ${policy.maxPerVm} mapped ports besides SSH on this provider; ${total} asked for${held}`)
  }
}

/**
 * Gives each requested port a public port from `free` (in order), or refuses
 * with NO_FREE_PORT when there are not enough.
 */
export function assignPublicPorts(requested: readonly GuestPort[], free: readonly number[]): PortMapping[] {
  if (requested.length > free.length) {
    throw new ProviderError(
      'NO_FREE_PORT',
      `${requested.length} public port${requested.length === 1 ? ' is' : 's are'} needed but ${free.length} verified port${free.length === 1 ? ' is' : 's are'} free on this provider; ask for fewer ports or try another provider`,
    )
  }
  return requested.map((p, i) => ({ guest: p.guest, protocol: p.protocol, publicPort: free[i] as number }))
}

/**
 * What the advertisement says about mappings: how many ports one VM can get
 * now (the per-VM limit, or fewer when fewer public ports are free besides
 * the VM's SSH port) and whether UDP is offered (1) or not (0).
 */
export function portOffer(policy: PortMappingPolicy, freePublicPorts: number): { ports_per_vm: number; udp: number } {
  const perVm = Math.max(0, Math.min(policy.maxPerVm, freePublicPorts - 1))
  return { ports_per_vm: perVm, udp: policy.udp && policy.maxPerVm > 0 ? 1 : 0 }
}
