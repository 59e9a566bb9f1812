/**
 * `golem-vm info`: a VM's current state from its provider, with what is
 * recorded about it here.
 *
 * @module
 */
import type { VmAddress } from '../app/locate.js'
import type { VmView } from '../app/rental-actions.js'
import { showVm } from '../app/rental-actions.js'
import type { CommandContext, JsonOption } from './context.js'
import { describeMapping } from '../domain/ports.js'
import { describeProvider, describeResources, printJson, say } from './output.js'
import { streamLines } from './payments.js'

/** Options shared by the commands that act on one VM. */
export interface VmOptions extends JsonOption {
  readonly providerId?: string | undefined
  readonly allowUnverified?: boolean | undefined
}

/** How a command with {@link VmOptions} names its VM. */
export const vmAddress = (name: string, opts: VmOptions): VmAddress => ({ name, providerId: opts.providerId, allowUnverified: opts.allowUnverified })

// What the VM was given: as rented when it is recorded here (an original provider reports memory and storage wrongly).
function resourcesLine(view: VmView): string {
  if (view.rental !== null) return describeResources(view.rental.resources)
  return view.vm.resources === null ? 'not reported' : `${describeResources(view.vm.resources)} (as the provider reports them)`
}

// A paid VM: the provider's view (state, paid-until, notice) and the stream's own figures from the chain.
function paymentLines(view: VmView): [string, string][] {
  const p = view.vm.payment
  const lines: [string, string][] = []
  if (p !== null) {
    const runway = p.runway_seconds === null ? '' : `, ${p.runway_seconds} s left`
    lines.push(['payment', `${p.state}${p.paid_until === null ? '' : `, paid until ${p.paid_until}`}${runway}`])
    if (p.notice !== null) lines.push(['', p.notice])
  }
  if (view.stream !== undefined && view.stream !== null) lines.push(...streamLines(view.stream))
  if (view.stream_error !== undefined && view.stream_error !== null) lines.push(['stream', `not read: ${view.stream_error}`])
  return lines
}

/** Prints a VM for people. */
export function printVm(ctx: CommandContext, view: VmView): void {
  const { rental, vm } = view
  const lines: [string, string][] = [
    ['name', vm.id],
    ['status', `${vm.status}${vm.error_message === null ? '' : ` (${vm.error_message})`}`],
    ['resources', resourcesLine(view)],
    ['image', vm.image ?? rental?.image ?? 'not reported'],
  ]
  if (rental !== null) {
    lines.push(['provider', `${describeProvider(rental)} at ${rental.provider_url}`])
    lines.push([
      'ssh',
      rental.ssh_port === null ? 'no port yet' : `${rental.ssh_user}@${rental.ssh_host} port ${rental.ssh_port} (golem-vm ssh ${rental.name})`,
    ])
    lines.push(['ssh key', rental.ssh_key_fingerprint])
  } else if (vm.ssh_port !== null) {
    lines.push(['ssh port', String(vm.ssh_port)])
  }
  for (const [i, mapping] of vm.ports.entries()) lines.push([i === 0 ? 'ports' : '', describeMapping(mapping)])
  lines.push(...paymentLines(view))
  lines.push(['created', rental?.created_at ?? vm.created_at ?? 'not reported'])
  for (const [label, value] of lines) say(ctx.io, `${(label === '' ? '' : `${label}:`).padEnd(11)}${value}`)
}

/** Shows one VM; returns the exit code. */
export async function infoCommand(ctx: CommandContext, name: string, opts: VmOptions): Promise<number> {
  const view = await showVm(ctx.deps, vmAddress(name, opts))
  if (opts.json === true) printJson(ctx.io, view)
  else printVm(ctx, view)
  return 0
}
