/**
 * `golem-vm stop`: stops a running VM; its disk and SSH port are kept.
 *
 * @module
 */
import { stopVm } from '../app/rental-actions.js'
import type { CommandContext } from './context.js'
import { vmAddress, type VmOptions } from './info.js'
import { printJson, say } from './output.js'
import { interruptible, startProgress } from './progress.js'

/** Stops the VM `name`; returns the exit code. */
export async function stopCommand(ctx: CommandContext, name: string, opts: VmOptions): Promise<number> {
  const progress = startProgress(ctx.io, `stopping "${name}"`)
  const view = await interruptible((signal) => stopVm(ctx.deps, vmAddress(name, opts), signal)).finally(() => progress.stop())
  if (opts.json === true) printJson(ctx.io, view)
  else say(ctx.io, `VM "${name}" is ${view.vm.status}; golem-vm start ${name} starts it again.`)
  return 0
}
