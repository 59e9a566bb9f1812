/**
 * `golem-vm list`: the renter's rentals from the data dir (no network), or
 * with `--provider-id` the renter's VMs as that provider reports them.
 *
 * @module
 */
import { listOnProvider } from '../app/rental-actions.js'
import type { CommandContext, JsonOption } from './context.js'
import { printJson, say, table } from './output.js'

/** Options of `golem-vm list`. */
export interface ListOptions extends JsonOption {
  readonly providerId?: string | undefined
}

/** Lists rentals; returns the exit code. */
export async function listCommand(ctx: CommandContext, opts: ListOptions): Promise<number> {
  if (opts.providerId !== undefined) return listRemote(ctx, opts.providerId, opts.json === true)
  const rentals = await ctx.deps.store.list()
  if (opts.json === true) {
    printJson(ctx.io, { rentals })
    return 0
  }
  if (rentals.length === 0) {
    say(ctx.io, 'You have no VMs. Find a provider with golem-vm providers, then golem-vm create NAME --provider-id ID --size small.')
    return 0
  }
  const rows = rentals.map((r) => [r.name, r.status, r.provider_id, `${r.resources.cpu}/${r.resources.memory}/${r.resources.storage}`, r.ssh_port === null ? '-' : `${r.ssh_host}:${r.ssh_port}`, r.created_at])
  say(ctx.io, table(['NAME', 'STATUS (LAST SEEN)', 'PROVIDER', 'CPU/GB/GB', 'SSH', 'CREATED'], rows))
  return 0
}

async function listRemote(ctx: CommandContext, providerId: string, json: boolean): Promise<number> {
  const result = await listOnProvider(ctx.deps, providerId)
  if (json) {
    printJson(ctx.io, result)
    return 0
  }
  if (result.vms.length === 0) {
    say(ctx.io, `You have no VMs on provider ${result.provider_id}.`)
    return 0
  }
  const rows = result.vms.map((vm) => [vm.name, vm.status, `${vm.resources.cpu}/${vm.resources.memory}/${vm.resources.storage}`, vm.ssh_port === null ? '-' : String(vm.ssh_port), vm.created_at])
  say(ctx.io, table(['NAME', 'STATUS', 'CPU/GB/GB', 'SSH PORT', 'CREATED'], rows))
  return 0
}
