/**
 * `golem-provider status` for a person: the status endpoint's figures as a short table.
 *
 * @module
 */
import { ProviderStatus } from '@golem-vm/protocol'
import { renderSummary } from './port-status-view.js'

const fmt = (r: { cpu: number; memory: number; storage: number }) => `${r.cpu} CPU, ${r.memory} GB memory, ${r.storage} GB storage`

// The ports renters may map besides SSH, in the words of `golem-vm providers` (`8 tcp/udp`).
export function mappedLine(m: { per_vm: number; available: number; udp: boolean }): string {
  if (m.per_vm === 0) return 'none besides SSH (GOLEM_PROVIDER_MAX_PORTS_PER_VM=0)'
  return `up to ${m.per_vm} per VM, ${m.udp ? 'TCP and UDP' : 'TCP only (GOLEM_PROVIDER_PORTS_UDP=false)'}; ${m.available} for a new VM now`
}

export function printStatus(body: unknown): void {
  const s = ProviderStatus.parse(body)
  const lines = [
    `Golem VM provider ${s.version}${s.provider_id === null ? '' : ` (${s.provider_id})`}`,
    `Backend:    ${s.backend.detail}`,
    `Capacity:   ${fmt(s.capacity.total)} (${s.capacity.source === 'offer' ? 'operator offer' : 'host × thresholds'}${s.capacity.overcommitted_cpu ? ', CPU over-committed' : ''})`,
    `Allocated:  ${fmt(s.capacity.allocated)}`,
    `Free:       ${fmt(s.capacity.free)}`,
    `VMs:        ${s.vms.count} of at most ${s.vms.max}; room for ${s.vms.can_create} more`,
    `SSH ports:  ${s.ports.free.length} free of ${s.ports.usable} usable in ${s.ports.range.start}-${s.ports.range.end} (${s.ports.verification})`,
    ...(s.ports.mapped === undefined ? [] : [`Other ports: ${mappedLine(s.ports.mapped)}`]),
    ...(s.vms.unknown ?? []).map(
      (u) =>
        `Unknown:    ${u.instance} holds ${fmt(u)}: no record (lost, or another provider's); delete it to free this (README: "Instances without a record")`,
    ),
    ...(s.vm_network === undefined ? [] : [`VM network: ${s.vm_network.isolated ? 'isolated' : 'NOT ISOLATED'}: ${s.vm_network.detail}`]),
  ]
  console.log(lines.join('\n'))
  if (s.ports.report !== null) console.log(`\n${renderSummary(s.ports.report, { color: process.stdout.isTTY, vmLimit: s.vms.max })}`)
}
