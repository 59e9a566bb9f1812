/**
 * The capacity ledger's arithmetic: what the provider offers, what its VMs
 * hold, what is free, and whether one more VM fits. Pure: the store calls
 * `admit` inside the transaction that inserts the VM record, so the check and
 * the reservation can never be separated by another request.
 *
 * @module
 */
import type { VmResources } from '@golem-vm/protocol'
import { ProviderError } from './errors.js'
import { assignPublicPorts, type GuestPort, type PortMapping } from './port-mappings.js'

export interface ResourceAmounts {
  readonly cpu: number
  readonly memory: number
  readonly storage: number
}

export const ZERO: ResourceAmounts = { cpu: 0, memory: 0, storage: 0 }

/** What the host has, measured once at start. */
export interface HostFacts {
  readonly cpuCores: number
  readonly memoryGb: number
  /** Free space of the filesystem that holds the VM disks, plus what this provider's VMs already hold. */
  readonly storageGb: number
}

export interface CapacitySettings {
  /** Percentages of the host kept for renters when no offer is set (CPU 90, memory 85, storage 90). */
  readonly thresholds: ResourceAmounts
  /** Operator-set totals; each replaces the host-derived figure. */
  readonly offer: Partial<ResourceAmounts>
  /** How many vCPUs per host core an offer may promise. */
  readonly cpuOvercommit: number
}

export interface OfferedCapacity {
  readonly totals: ResourceAmounts
  readonly source: 'host' | 'offer'
  readonly overcommittedCpu: boolean
}

const pct = (value: number, percent: number) => Math.floor((value * percent) / 100)

/**
 * The totals the provider offers, or every reason the operator's offer is refused.
 * CPU may exceed the host's cores up to the over-commit factor; memory and storage
 * never exceed the host's figures times their thresholds (over-committed memory gets VMs killed).
 */
export function offeredCapacity(host: HostFacts, s: CapacitySettings): OfferedCapacity | { problems: string[] } {
  const problems: string[] = []
  const hostTotals = {
    cpu: pct(host.cpuCores, s.thresholds.cpu),
    memory: pct(host.memoryGb, s.thresholds.memory),
    storage: pct(host.storageGb, s.thresholds.storage),
  }
  const cpuLimit = Math.floor(host.cpuCores * s.cpuOvercommit)
  if (s.offer.cpu !== undefined && s.offer.cpu > cpuLimit) {
    problems.push(
      `the CPU offer of ${s.offer.cpu} cores exceeds ${cpuLimit} (${host.cpuCores} host cores × over-commit ${s.cpuOvercommit}); lower the offer or raise GOLEM_PROVIDER_CPU_OVERCOMMIT`,
    )
  }
  if (s.offer.memory !== undefined && s.offer.memory > hostTotals.memory) {
    problems.push(
      `the memory offer of ${s.offer.memory} GB exceeds what this host can give (${hostTotals.memory} GB: ${host.memoryGb} GB × ${s.thresholds.memory}%); memory cannot be over-committed`,
    )
  }
  if (s.offer.storage !== undefined && s.offer.storage > hostTotals.storage) {
    problems.push(
      `the storage offer of ${s.offer.storage} GB exceeds the free space for VM disks (${hostTotals.storage} GB: ${host.storageGb} GB × ${s.thresholds.storage}%)`,
    )
  }
  if (problems.length > 0) return { problems }
  const totals = {
    cpu: s.offer.cpu ?? hostTotals.cpu,
    memory: s.offer.memory ?? hostTotals.memory,
    storage: s.offer.storage ?? hostTotals.storage,
  }
  const offered = s.offer.cpu !== undefined || s.offer.memory !== undefined || s.offer.storage !== undefined
  return { totals, source: offered ? 'offer' : 'host', overcommittedCpu: totals.cpu > host.cpuCores }
}

/**
 * A backend instance of the provider's naming (`golem-*`) that no record names (its record was lost).
 * It holds what the backend reports it holds (the minimum VM size where the backend does not say),
 * and counts against capacity and the VM limit until the operator deletes it.
 */
export interface UnknownInstance {
  readonly instance: string
  readonly resources: ResourceAmounts
}

/** Everything the ledger needs to decide, read inside one transaction. */
export interface LedgerSnapshot {
  readonly allocated: ResourceAmounts
  readonly vmCount: number
  /** Every public port a VM holds: SSH ports and mapped ports. */
  readonly usedPorts: ReadonlySet<number>
}

/** The public ports a new VM gets: its SSH port and one per requested mapping. */
export interface PortAllocation {
  readonly sshPort: number
  readonly ports: readonly PortMapping[]
}

export interface AdmissionPolicy {
  readonly totals: ResourceAmounts
  readonly maxVms: number
  readonly minimums: ResourceAmounts
  /** Ports verified as reachable, in the order they should be handed out. */
  readonly usablePorts: readonly number[]
}

export const sum = (a: ResourceAmounts, b: ResourceAmounts): ResourceAmounts => ({
  cpu: a.cpu + b.cpu,
  memory: a.memory + b.memory,
  storage: a.storage + b.storage,
})

/** Free capacity, never negative (a lowered offer may leave existing VMs above it). */
export const freeCapacity = (totals: ResourceAmounts, allocated: ResourceAmounts): ResourceAmounts => ({
  cpu: Math.max(0, totals.cpu - allocated.cpu),
  memory: Math.max(0, totals.memory - allocated.memory),
  storage: Math.max(0, totals.storage - allocated.storage),
})

export const freePorts = (policy: AdmissionPolicy, used: ReadonlySet<number>): number[] => policy.usablePorts.filter((p) => !used.has(p))

/** How many more VMs of the minimum size still fit (bounded by MAX_VMS and free ports). */
export function vmsThatFit(policy: AdmissionPolicy, snap: LedgerSnapshot): number {
  const free = freeCapacity(policy.totals, snap.allocated)
  const byResource = (['cpu', 'memory', 'storage'] as const).map((k) => Math.floor(free[k] / Math.max(1, policy.minimums[k])))
  return Math.max(0, Math.min(policy.maxVms - snap.vmCount, freePorts(policy, snap.usedPorts).length, ...byResource))
}

/**
 * Decides whether a VM of `request` with `ports` mapped fits, and which public
 * ports it gets (SSH first). Throws the ProviderError the client should see when it does not.
 */
export function admit(request: VmResources, snap: LedgerSnapshot, policy: AdmissionPolicy, ports: readonly GuestPort[] = []): PortAllocation {
  const below = (['cpu', 'memory', 'storage'] as const).filter((k) => request[k] < policy.minimums[k])
  if (below.length > 0) {
    const wanted = below.map((k) => `${k} ≥ ${policy.minimums[k]}`).join(', ')
    throw new ProviderError('VALIDATION_FAILED', `this provider only runs VMs with ${wanted}`)
  }
  if (snap.vmCount >= policy.maxVms) {
    throw new ProviderError('VM_LIMIT_REACHED', `this provider runs at most ${policy.maxVms} VMs and all are taken; try another provider or later`)
  }
  const free = freeCapacity(policy.totals, snap.allocated)
  const short = (['cpu', 'memory', 'storage'] as const).filter((k) => request[k] > free[k])
  if (short.length > 0) {
    const have = `${free.cpu} CPU, ${free.memory} GB memory, ${free.storage} GB storage`
    throw new ProviderError(
      'INSUFFICIENT_RESOURCES',
      `Insufficient resources available on provider: ${short.join(', ')} requested exceeds what is free (${have}); ask for less or try another provider`,
    )
  }
  const [sshPort, ...rest] = freePorts(policy, snap.usedPorts)
  if (sshPort === undefined) {
    throw new ProviderError('NO_FREE_PORT', 'every verified SSH port of this provider is taken; try another provider or later')
  }
  return { sshPort, ports: assignPublicPorts(ports, rest) }
}
