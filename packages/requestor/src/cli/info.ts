/**
 * `golem-vm info`: a VM's current state from its provider, with what is
 * recorded about it here.
 *
 * @module
 */
import type { VmView } from '../app/rental-actions.js'
import { showVm } from '../app/rental-actions.js'
import type { CommandContext, JsonOption } from './context.js'
import { describeProvider, describeResources, printJson, say } from './output.js'

/** Options shared by the commands that act on one VM. */
export interface VmOptions extends JsonOption {
  readonly providerId?: string | undefined
}

/** Prints a VM for people. */
export function printVm(ctx: CommandContext, view: VmView): void {
  const { rental, vm } = view
  const lines: [string, string][] = [
    ['name', vm.name],
    ['status', `${vm.status}${vm.error_message === null ? '' : ` (${vm.error_message})`}`],
    ['resources', describeResources(vm.resources)],
    ['image', vm.image],
  ]
  if (rental !== null) {
    lines.push(['provider', `${describeProvider(rental)} at ${rental.provider_url}`])
    lines.push(['ssh', rental.ssh_port === null ? 'no port yet' : `${rental.ssh_user}@${rental.ssh_host} port ${rental.ssh_port} (golem-vm ssh ${rental.name})`])
    lines.push(['ssh key', rental.ssh_key_fingerprint])
  } else if (vm.ssh_port !== null) {
    lines.push(['ssh port', String(vm.ssh_port)])
  }
  lines.push(['created', vm.created_at], ['updated', vm.updated_at])
  for (const [label, value] of lines) say(ctx.io, `${`${label}:`.padEnd(11)}${value}`)
}

/** Shows one VM; returns the exit code. */
export async function infoCommand(ctx: CommandContext, name: string, opts: VmOptions): Promise<number> {
  const view = await showVm(ctx.deps, name, opts.providerId)
  if (opts.json === true) printJson(ctx.io, view)
  else printVm(ctx, view)
  return 0
}
