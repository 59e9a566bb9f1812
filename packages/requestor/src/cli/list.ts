/**
 * `golem-vm list`: the renter's rentals from the data dir (no network), or
 * with `--provider-id` the renter's VMs as that provider reports them.
 *
 * @module
 */
import { listOnProvider } from '../app/rental-actions.js'
import type { CommandContext, JsonOption } from './context.js'
import { note, printJson, say, table } from './output.js'

/** Options of `golem-vm list`. */
export interface ListOptions extends JsonOption {
  readonly providerId?: string | undefined
  readonly allowUnverified?: boolean | undefined
}

/** Lists rentals; returns the exit code. */
export async function listCommand(ctx: CommandContext, opts: ListOptions): Promise<number> {
  if (opts.providerId !== undefined) return listRemote(ctx, opts.providerId, opts)
  const rentals = await ctx.deps.store.list()
  if (opts.json === true) {
    printJson(ctx.io, { rentals })
    return 0
  }
  if (rentals.length === 0) {
    say(ctx.io, 'You have no VMs. Find a provider with golem-vm providers, then golem-vm create NAME --provider-id ID --size small.')
    return 0
  }
  const rows = rentals.map((r) => [
    r.name,
    r.status,
    r.provider_id,
    `${r.resources.cpu}/${r.resources.memory}/${r.resources.storage}`,
    r.ssh_port === null ? '-' : `${r.ssh_host}:${r.ssh_port}`,
    r.created_at,
  ])
  say(ctx.io, table(['NAME', 'STATUS (LAST SEEN)', 'PROVIDER', 'CPU/GB/GB', 'SSH', 'CREATED'], rows))
  return 0
}

async function listRemote(ctx: CommandContext, providerId: string, opts: ListOptions): Promise<number> {
  const result = await listOnProvider(ctx.deps, providerId, opts.allowUnverified === true)
  if (opts.json === true) {
    printJson(ctx.io, result)
    return 0
  }
  if (result.vms.length === 0) say(ctx.io, `Provider ${result.provider_id} lists no VMs for you.`)
  else {
    const resources = (r: { cpu: number; memory: number; storage: number } | null): string => (r === null ? '-' : `${r.cpu}/${r.memory}/${r.storage}`)
    const rows = result.vms.map((vm) => [vm.id, vm.status, resources(vm.resources), vm.ssh_port === null ? '-' : String(vm.ssh_port), vm.created_at ?? '-'])
    say(ctx.io, table(['NAME', 'STATUS', 'CPU/GB/GB', 'SSH PORT', 'CREATED'], rows))
  }
  if (result.all_renters)
    note(
      ctx.io,
      `provider ${result.provider_id} runs the original API, which knows no owners: it lists every renter's VMs, not only yours (and reports memory and storage wrongly)`,
    )
  if (result.hidden_malformed > 0)
    note(ctx.io, `${result.hidden_malformed} entr${result.hidden_malformed === 1 ? 'y' : 'ies'} of the provider's list hidden: not VMs golem-vm can read`)
  return 0
}
