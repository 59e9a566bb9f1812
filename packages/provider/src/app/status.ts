/**
 * The provider's status, from the same ledger that admission reads: what the
 * status endpoint, the CLI and the advertiser show can never disagree with
 * what a create request would be told.
 *
 * @module
 */
import type { OfferPricing, PortVerificationReport, ProviderStatus } from '@golem-vm/protocol'
import { freeCapacity, freePorts, vmsThatFit, type AdmissionPolicy, type OfferedCapacity } from '../domain/capacity.js'
import { portOffer, type PortMappingPolicy } from '../domain/port-mappings.js'
import type { DriverInfo } from '../drivers/driver.js'
import type { VmStore } from './ports/vm-store.js'

export interface StatusDeps {
  readonly store: Pick<VmStore, 'snapshot'> & Partial<Pick<VmStore, 'unknownInstances'>>
  readonly policy: () => AdmissionPolicy
  readonly capacity: OfferedCapacity
  readonly driver: DriverInfo
  readonly version: string
  readonly providerId: () => string | null
  readonly portRange: { readonly start: number; readonly end: number }
  /** The latest port verification; null before the first one finished. */
  readonly portReport: () => PortVerificationReport | null
  /** True while a re-verification holds ports (they are left out of `usable` meanwhile). */
  readonly portsChecking: () => boolean
  /** Whether VMs are isolated from the host, and how (or why not). */
  readonly vmNetwork?: () => { readonly isolated: boolean; readonly detail: string }
  /** What renters may map besides SSH (the same policy the create request is checked against). */
  readonly portMapping?: () => PortMappingPolicy
  /** The prices renters pay; null when the provider is free. */
  readonly pricing?: OfferPricing | null
}

// The public status names programs, never where things live on the host: an absolute path becomes its last part.
const withoutHostPaths = (text: string): string => text.replace(/(?<![\w:/.~-])\/(?:[^\s/(),:;'"]+\/)*([^\s/(),:;'"]+)/g, '$1')

export function providerStatus(d: StatusDeps): ProviderStatus {
  const snap = d.store.snapshot()
  const policy = d.policy()
  const free = freePorts(policy, snap.usedPorts)
  return {
    version: d.version,
    provider_id: d.providerId(),
    backend: { name: d.driver.name, version: d.driver.version, detail: withoutHostPaths(d.driver.detail) },
    capacity: {
      source: d.capacity.source,
      total: { ...d.capacity.totals },
      allocated: { ...snap.allocated },
      free: freeCapacity(policy.totals, snap.allocated),
      overcommitted_cpu: d.capacity.overcommittedCpu,
    },
    vms: {
      count: snap.vmCount,
      max: policy.maxVms,
      can_create: vmsThatFit(policy, snap),
      unknown: (d.store.unknownInstances?.() ?? []).map((u) => ({ instance: u.instance, ...u.resources })),
    },
    pricing: d.pricing ?? null,
    ports: {
      range: { ...d.portRange },
      verification: d.portReport()?.mode ?? 'verified',
      checking: d.portsChecking(),
      usable: policy.usablePorts.length,
      free,
      report: d.portReport(),
      ...(d.portMapping === undefined ? {} : { mapped: mappedPorts(d.portMapping(), free.length) }),
    },
    ...(d.vmNetwork === undefined ? {} : { vm_network: d.vmNetwork() }),
  }
}

// The per-VM limit and UDP as the create request is checked, and what one VM could get now as the advertisement says.
function mappedPorts(policy: PortMappingPolicy, freePublicPorts: number): { per_vm: number; available: number; udp: boolean } {
  const offer = portOffer(policy, freePublicPorts)
  return { per_vm: policy.maxPerVm, available: offer.ports_per_vm, udp: offer.udp === 1 }
}
