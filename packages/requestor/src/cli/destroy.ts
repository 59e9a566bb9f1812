/**
 * `golem-vm destroy`: deletes a VM on its provider and forgets it here.
 *
 * @module
 */
import { destroyVm } from '../app/rental-actions.js'
import type { CommandContext } from './context.js'
import { vmAddress, type VmOptions } from './info.js'
import { printJson, say } from './output.js'
import { endingText } from './payments.js'
import { interruptible, startProgress } from './progress.js'

/** Destroys the VM `name`; returns the exit code. */
export async function destroyCommand(ctx: CommandContext, name: string, opts: VmOptions): Promise<number> {
  const progress = startProgress(ctx.io, `destroying "${name}"`)
  const result = await interruptible((signal) => destroyVm(ctx.deps, vmAddress(name, opts), signal)).finally(() => progress.stop())
  if (opts.json === true) printJson(ctx.io, result)
  else if (result.status === 'already_gone') say(ctx.io, `VM "${name}" was already gone from provider ${result.provider_id}; its local record is removed.`)
  else say(ctx.io, `VM "${name}" is deleted on provider ${result.provider_id}; its local record is removed.`)
  if (opts.json !== true && result.payment !== null) say(ctx.io, `Its payment: ${endingText(result.payment)}.`)
  return 0
}
