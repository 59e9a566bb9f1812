/**
 * `golem-vm start`: starts a stopped VM; waits until it runs.
 *
 * @module
 */
import { startVm } from '../app/rental-actions.js'
import type { CommandContext } from './context.js'
import { printVm, vmAddress, type VmOptions } from './info.js'
import { printJson, say } from './output.js'
import { interruptible, startProgress } from './progress.js'

/** Starts the VM `name`; returns the exit code. */
export async function startCommand(ctx: CommandContext, name: string, opts: VmOptions): Promise<number> {
  const progress = startProgress(ctx.io, `starting "${name}"`)
  const view = await interruptible((signal) => startVm(ctx.deps, vmAddress(name, opts), signal)).finally(() => progress.stop())
  if (opts.json === true) {
    printJson(ctx.io, view)
    return 0
  }
  say(ctx.io, `VM "${name}" is ${view.vm.status}.`)
  printVm(ctx, view)
  return 0
}
