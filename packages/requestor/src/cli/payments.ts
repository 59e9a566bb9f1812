/**
 * `golem-vm topup` and `golem-vm identity`: paying for more time, and the
 * address to fund. Also how a stream and a refund are printed for people.
 *
 * @module
 */
import { topUpRental, type StreamEnding, type StreamView } from '../app/payments.js'
import { runwaySeconds, tokenText } from '../domain/payment.js'
import type { CommandContext, JsonOption } from './context.js'
import { printJson, say } from './output.js'
import { interruptible, startProgress } from './progress.js'

/** The lines `info` shows for a paid VM's stream. */
export function streamLines(stream: StreamView): [string, string][] {
  const amount = (v: string) => tokenText(BigInt(v), stream)
  return [
    ['stream', `${stream.stream_id}${stream.ended ? ' (ended)' : ''}, ${amount(stream.rate_per_second)} per second`],
    ['deposit', `${amount(stream.deposit)} (paid to the provider so far: ${amount(stream.paid)})`],
    ['paid until', stream.paid_until],
    ['refund', `${amount(stream.refund_if_ended_now)} if destroyed now`],
  ]
}

/** One sentence about an ended stream. */
export const endingText = (e: StreamEnding): string =>
  `its payment stream ${e.stream_id} is ended: ${tokenText(BigInt(e.refunded), e)} came back to you, ${tokenText(BigInt(e.paid_to_provider), e)} went to the provider`

/** Adds paid time to a VM's stream; returns the exit code. */
export async function topupCommand(ctx: CommandContext, name: string, opts: JsonOption & { readonly hours: string }): Promise<number> {
  const seconds = runwaySeconds(opts.hours)
  const progress = startProgress(ctx.io, `topping up the payment stream of "${name}"`)
  const result = await interruptible(() => topUpRental(ctx.deps, name, seconds)).finally(() => progress.stop())
  if (opts.json === true) printJson(ctx.io, result)
  else say(ctx.io, `Stream ${result.stream_id} of "${name}" got ${tokenText(BigInt(result.added), result)} more: paid until ${result.paid_until}.`)
  return 0
}

/** Prints the renter's address; returns the exit code. */
export async function identityCommand(ctx: CommandContext, opts: JsonOption): Promise<number> {
  const identity = await ctx.deps.identity()
  if (opts.json === true) printJson(ctx.io, { address: identity.address, file: identity.file, created: identity.created })
  else {
    say(ctx.io, identity.address)
    if (identity.created) say(ctx.io, `(a new identity, made in ${identity.file}; keep it: it owns your VMs and their payment streams)`)
  }
  return 0
}
