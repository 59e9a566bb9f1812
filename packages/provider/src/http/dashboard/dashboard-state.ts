/**
 * What the operator's dashboard shows, in one JSON answer
 * (`GET /ui/api/state`): the status endpoint's figures, the port
 * verification in the terminal display's words, every VM with its owner,
 * resources, port, uptime and traffic, and the last log events.
 *
 * @module
 */
import { z } from 'zod'
import { ProviderStatus, VmResources, VmStatus } from '@golem-vm/protocol'
import type { VmRecord } from '../../domain/vm.js'
import type { ForwardingStats } from '../../app/ports/telemetry.js'
import type { LogEvent } from '../../infra/logs/recent-logs.js'

/** `open` is null with kernel forwarding (isolated VMs): the kernel's counters count bytes and connections, not open ones. */
const Traffic = z.object({
  open: z.number().int().nullable(),
  accepted: z.number().int(),
  refused: z.number().int(),
  bytes_in: z.number(),
  bytes_out: z.number(),
})

export const DashboardVm = z.object({
  /** The provider's unique id of the VM (its instance name): what the operator's actions address. */
  id: z.string(),
  /** The renter's name for it (unique per owner only). */
  name: z.string(),
  status: VmStatus,
  owner: z.string().nullable(),
  resources: VmResources,
  image: z.string(),
  ssh_port: z.number().int(),
  /** The VM's network: `isolated` (the provider's own, with its address) or `backend` (the backend's). */
  network: z.string(),
  created_at: z.string(),
  /** When the current status began (the record's last change). */
  status_since: z.string(),
  error_message: z.string().nullable(),
  traffic: Traffic.nullable(),
})
export type DashboardVm = z.infer<typeof DashboardVm>

export const DashboardState = z.object({
  now: z.string(),
  status: ProviderStatus,
  /** The port verification as `golem-provider status` prints it; null before the first one. */
  port_summary: z.string().nullable(),
  vms: z.array(DashboardVm),
  events: z.array(z.object({ time: z.string(), level: z.string(), msg: z.string(), fields: z.record(z.string(), z.string()) })),
})
export type DashboardState = z.infer<typeof DashboardState>

export interface DashboardSources {
  readonly status: () => ProviderStatus
  /** Every VM (the operator's view). */
  readonly vms: () => readonly VmRecord[]
  readonly forwarding: (vmId: string) => ForwardingStats | undefined
  /** The port verification in the terminal's words. */
  readonly portSummary: (status: ProviderStatus) => string | null
  readonly events: () => readonly LogEvent[]
  readonly now?: () => Date
}

/** Reads every source once and shapes the answer. */
export function dashboardState(s: DashboardSources): DashboardState {
  const status = s.status()
  return {
    now: (s.now?.() ?? new Date()).toISOString(),
    status,
    port_summary: s.portSummary(status),
    vms: s.vms().map((vm) => toDashboardVm(vm, s.forwarding(vm.id))),
    events: [...s.events()],
  }
}

function toDashboardVm(vm: VmRecord, traffic: ForwardingStats | undefined): DashboardVm {
  return {
    id: vm.id,
    name: vm.name,
    status: vm.status,
    owner: vm.owner,
    resources: vm.resources,
    image: vm.image,
    ssh_port: vm.sshPort,
    network: vm.attachment === null ? 'backend' : `isolated ${vm.attachment.address}`,
    created_at: vm.createdAt.toISOString(),
    status_since: vm.updatedAt.toISOString(),
    error_message: vm.errorMessage,
    traffic:
      traffic === undefined
        ? null
        : { open: traffic.open ?? null, accepted: traffic.accepted, refused: traffic.refused, bytes_in: traffic.bytesIn, bytes_out: traffic.bytesOut },
  }
}
