/**
 * Priced offers on the wire, and their arithmetic: what a provider charges
 * per CPU core, GB of memory and GB of storage per hour, in the base units of
 * one ERC-20 token on one chain, and what a VM of given resources therefore
 * costs per hour and per second. Every amount is a bigint (on the wire a
 * decimal string of base units): no floating point ever touches money.
 * Shared by the provider (advertisement, create gate), the discovery service
 * (stores and filters it) and the renter (shows it, opens the stream).
 *
 * @module
 */
import { z } from 'zod'
import type { VmResources } from './provider-api.js'

/** Seconds per hour: prices are per hour, streams vest per second. */
export const SECONDS_PER_HOUR = 3600n

/** An amount in a token's base units, as a decimal string (JSON numbers cannot hold 256-bit integers). */
export const BaseUnits = z
  .string()
  .regex(/^(0|[1-9]\d{0,77})$/, 'must be a whole number of base units written as a decimal string, such as "250000000000000000"')
  .meta({ description: "An amount in the token's base units, as a decimal string.", example: '250000000000000000' })

/** A payment stream's id on the contract (1, 2, …), as a decimal string. */
export const StreamId = z
  .string()
  .regex(/^[1-9]\d{0,77}$/, 'must be a stream id: a positive whole number written as a decimal string, such as "12"')
  .meta({ description: "Id of the payment stream on the provider's StreamPayments contract.", example: '12' })

const EthAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address')

/**
 * The price part of an advertisement (an addition: the original requestor
 * ignores it). A provider without it is free. The renter opens its stream on
 * `contract` (chain `chain_id`) in `token`, to the provider id.
 */
export const OfferPricing = z
  .strictObject({
    chain_id: z.int().min(1).max(Number.MAX_SAFE_INTEGER).meta({ description: 'EVM chain id of the payment contract.' }),
    contract: EthAddress.meta({ description: 'Address of the StreamPayments contract.' }),
    token: EthAddress.meta({ description: 'Address of the ERC-20 token the provider is paid in.' }),
    token_symbol: z
      .string()
      .min(1)
      .max(16)
      .regex(/^[\p{L}\p{N}._-]+$/u, 'must be a token symbol such as "GLM"'),
    token_decimals: z.int().min(0).max(36),
    per_cpu_hour: BaseUnits.meta({ description: 'Base units per vCPU per hour.' }),
    per_gb_memory_hour: BaseUnits.meta({ description: 'Base units per GB of memory per hour.' }),
    per_gb_storage_hour: BaseUnits.meta({ description: 'Base units per GB of storage per hour.' }),
  })
  .meta({ id: 'OfferPricing' })
export type OfferPricing = z.infer<typeof OfferPricing>

/** The three prices as bigints. */
export interface Prices {
  readonly perCpuHour: bigint
  readonly perGbMemoryHour: bigint
  readonly perGbStorageHour: bigint
}

/** The prices of a wire pricing block. */
export const pricesOf = (p: OfferPricing): Prices => ({
  perCpuHour: BigInt(p.per_cpu_hour),
  perGbMemoryHour: BigInt(p.per_gb_memory_hour),
  perGbStorageHour: BigInt(p.per_gb_storage_hour),
})

/** What a VM of `resources` costs per hour, in base units. */
export function hourlyCost(prices: Prices, resources: VmResources): bigint {
  return BigInt(resources.cpu) * prices.perCpuHour + BigInt(resources.memory) * prices.perGbMemoryHour + BigInt(resources.storage) * prices.perGbStorageHour
}

/**
 * The least rate per second a stream must carry for a VM of `resources`: the
 * hourly cost divided by 3600, rounded up, so the provider is never paid less
 * than its price (at most 3599 base units an hour more).
 */
export function requiredRatePerSecond(prices: Prices, resources: VmResources): bigint {
  const hourly = hourlyCost(prices, resources)
  return (hourly + SECONDS_PER_HOUR - 1n) / SECONDS_PER_HOUR
}

/**
 * Exact conversion of a decimal amount in token units ("1.5") to base units,
 * or a reason why not (not a plain decimal, more fractional digits than the
 * token has). Never goes through a floating-point number.
 */
export function parseTokenAmount(text: string, decimals: number): { ok: true; value: bigint } | { ok: false; reason: string } {
  const match = /^(\d{1,60})(?:\.(\d{1,60}))?$/.exec(text.trim())
  if (match === null) return { ok: false, reason: `"${text}" is not a decimal amount such as 0.25` }
  const [, whole = '0', fraction = ''] = match
  const trimmed = fraction.replace(/0+$/, '')
  if (trimmed.length > decimals) return { ok: false, reason: `"${text}" has more than the token's ${decimals} decimal places` }
  return { ok: true, value: BigInt(whole) * 10n ** BigInt(decimals) + BigInt(trimmed.padEnd(decimals, '0') || '0') }
}

/** Base units as a decimal amount in token units, exactly, without trailing zeros ("1.5", "0.000001", "3"). */
export function formatTokenAmount(value: bigint, decimals: number): string {
  const negative = value < 0n
  const abs = negative ? -value : value
  const unit = 10n ** BigInt(decimals)
  const whole = abs / unit
  const fraction = decimals === 0 ? '' : (abs % unit).toString().padStart(decimals, '0').replace(/0+$/, '')
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`
}

/** The payment state of a paid VM, as `GET /api/v1/vms/{id}` shows it. */
export const VmPaymentState = z.enum(['paid', 'low', 'expired-grace', 'unknown'])
export type VmPaymentState = z.infer<typeof VmPaymentState>

/** The payment part of a paid VM's info (absent for a free VM). */
export const VmPayment = z
  .object({
    stream_id: StreamId,
    rate_per_second: BaseUnits,
    paid_until: z.string().nullable().meta({ description: 'ISO 8601 UTC: the last second the deposit pays for; null before the first read of the stream.' }),
    runway_seconds: z.int().nullable().meta({ description: 'Seconds of paid time left; 0 once it ran out; null while unknown.' }),
    state: VmPaymentState.meta({
      description:
        '`paid`, `low` (runway below the warning threshold: top up or the VM stops), `expired-grace` (stopped; deleted at `delete_at` unless topped up), `unknown` (the chain does not answer; nothing is done to the VM meanwhile).',
    }),
    delete_at: z.string().nullable().meta({ description: 'ISO 8601 UTC: when an unpaid VM is deleted (state `expired-grace`); null otherwise.' }),
    notice: z.string().nullable().meta({ description: 'What the renter should do, in words; null when nothing.' }),
  })
  .meta({ id: 'VmPayment' })
export type VmPayment = z.infer<typeof VmPayment>

/** One stream's earnings as `GET /api/v1/provider/earnings` shows them (base units). */
export const StreamEarnings = z.object({
  vm_id: z.string(),
  stream_id: StreamId,
  vm_exists: z.boolean().meta({ description: 'False once the VM is deleted (its stream may still hold vested funds).' }),
  ended: z.boolean(),
  earned: BaseUnits.meta({ description: 'Vested so far, withdrawn or not.' }),
  withdrawn: BaseUnits,
  pending: BaseUnits.meta({ description: 'Vested, not yet withdrawn.' }),
})

/** The provider's earnings (operator only). */
export const ProviderEarnings = z
  .object({
    pricing: OfferPricing.nullable(),
    streams: z.array(StreamEarnings),
    total: z.object({ earned: BaseUnits, withdrawn: BaseUnits, pending: BaseUnits }),
  })
  .meta({ id: 'ProviderEarnings' })
export type ProviderEarnings = z.infer<typeof ProviderEarnings>

/** The answer of `POST /api/v1/provider/earnings/withdraw`. */
export const WithdrawResult = z.object({
  withdrawn: z.array(z.object({ stream_id: StreamId, amount: BaseUnits })),
  total: BaseUnits,
})
export type WithdrawResult = z.infer<typeof WithdrawResult>
