/**
 * What the renter keeps and computes about paying a provider: the payment
 * part of a rental record (which stream pays for the VM, on which chain and
 * contract, in which token, at which rate), the runway asked for with
 * `--hours` as whole seconds, and amounts shown in token units. Exact: hours
 * and amounts never go through a floating-point number.
 *
 * @module
 */
import { formatTokenAmount, OfferPricing, parseTokenAmount } from '@golem-vm/protocol'
import { z } from 'zod'
import { RequestorError } from './errors.js'

/** How the rental's VM is paid for (absent for a VM on a free provider). Amounts are decimal strings of base units. */
export const RentalPayment = z.object({
  stream_id: z.string(),
  chain_id: z.number().int(),
  contract: z.string(),
  token: z.string(),
  token_symbol: z.string(),
  token_decimals: z.number().int(),
  rate_per_second: z.string(),
})
export type RentalPayment = z.infer<typeof RentalPayment>

/** Most hours one `--hours` may ask for (ten years). */
export const MAX_HOURS = 87_600
const HOURS_DECIMALS = 6

/**
 * `--hours` as whole seconds, rounded up: "3" is 10800, "0.05" is 180.
 * Throws INVALID_ARGUMENT for anything but a positive decimal up to {@link MAX_HOURS}.
 */
export function runwaySeconds(hours: string, flag = '--hours'): number {
  const parsed = parseTokenAmount(hours, HOURS_DECIMALS)
  const scale = 10n ** BigInt(HOURS_DECIMALS)
  if (!parsed.ok || parsed.value <= 0n || parsed.value > BigInt(MAX_HOURS) * scale) {
    throw new RequestorError(
      'INVALID_ARGUMENT',
      `${flag} must be a number of hours above 0 and at most ${MAX_HOURS}, with up to ${HOURS_DECIMALS} decimals, such as 3 or 0.05 (got "${hours}")`,
    )
  }
  return Number((parsed.value * 3600n + scale - 1n) / scale)
}

/** `value` base units in token units with the symbol: "0.0435 tGLM". */
export const tokenText = (value: bigint, token: { readonly token_decimals: number; readonly token_symbol: string }): string =>
  `${formatTokenAmount(value, token.token_decimals)} ${token.token_symbol}`

/** The payment part of a rental paid through a stream opened at `pricing`'s contract. */
export const rentalPaymentOf = (pricing: OfferPricing, streamId: bigint, ratePerSecond: bigint): RentalPayment => ({
  stream_id: streamId.toString(),
  chain_id: pricing.chain_id,
  contract: pricing.contract,
  token: pricing.token,
  token_symbol: pricing.token_symbol,
  token_decimals: pricing.token_decimals,
  rate_per_second: ratePerSecond.toString(),
})
