/**
 * The renter's side of paying a provider: opening the stream for a new VM
 * (after checking the renter can afford it), topping it up, reading what it
 * holds, and ending it for the refund. Every amount is exact (base units);
 * messages show token units with the symbol.
 *
 * @module
 */
import { hourlyCost, pricesOf, requiredRatePerSecond, type OfferPricing, type VmResources } from '@golem-vm/protocol'
import { isEnded, paidUntil, refundableAt, vestedAt } from '@golem-vm/payments'
import { RequestorError } from '../domain/errors.js'
import { rentalPaymentOf, tokenText, type RentalPayment } from '../domain/payment.js'
import type { PaymentChain } from './ports/payment-chain.js'
import type { RequestorDeps } from './deps.js'

/** A stream as the renter sees it: what it holds, what went to the provider, what ending it now gives back. Base units as decimal strings. */
export interface StreamView {
  readonly stream_id: string
  readonly token_symbol: string
  readonly token_decimals: number
  readonly rate_per_second: string
  readonly deposit: string
  /** Vested so far: the provider's. */
  readonly paid: string
  /** What `golem-vm destroy` (ending the stream) would give back now. */
  readonly refund_if_ended_now: string
  /** ISO 8601 UTC: when the deposit runs out (for an ended stream, when it ended). */
  readonly paid_until: string
  readonly ended: boolean
}

/** What ending a stream gave: base units as decimal strings. */
export interface StreamEnding {
  readonly stream_id: string
  readonly token_symbol: string
  readonly token_decimals: number
  readonly refunded: string
  readonly paid_to_provider: string
}

/** A stream about to be opened for a new VM, its funds checked. */
export interface PlannedStream {
  readonly chain: PaymentChain
  readonly pricing: OfferPricing
  readonly ratePerSecond: bigint
  readonly deposit: bigint
  readonly seconds: number
}

const iso = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString()
const target = (p: Pick<RentalPayment, 'chain_id' | 'contract'>) => ({ chainId: p.chain_id, contract: p.contract })

// Refuses an amount the renter's address cannot pay, or a transaction it has no gas for, before anything is sent.
async function assertAffordable(chain: PaymentChain, token: string, amount: bigint, what: string, units: { token_decimals: number; token_symbol: string }) {
  const balances = await chain.balances(token)
  if (balances.token < amount) {
    throw new RequestorError(
      'INSUFFICIENT_FUNDS',
      `${what} needs ${tokenText(amount, units)}, but your address ${chain.address} holds ${tokenText(balances.token, units)}; send it ${tokenText(amount - balances.token, units)} or more (golem-vm identity shows the address), or ask for fewer hours`,
    )
  }
  if (balances.gas === 0n) {
    throw new RequestorError(
      'INSUFFICIENT_FUNDS',
      `your address ${chain.address} has no coin for gas on this chain; send it some (golem-vm identity shows the address)`,
    )
  }
}

/**
 * Connects to the provider's payment contract and checks that the renter can
 * pay `seconds` of a VM of `resources` at the provider's price (the rate
 * rounded up to whole base units per second, as the provider requires).
 */
export async function planStream(deps: RequestorDeps, pricing: OfferPricing, resources: VmResources, seconds: number): Promise<PlannedStream> {
  const ratePerSecond = requiredRatePerSecond(pricesOf(pricing), resources)
  const deposit = ratePerSecond * BigInt(seconds)
  const chain = await deps.paymentChain({ chainId: pricing.chain_id, contract: pricing.contract })
  try {
    const perHour = tokenText(hourlyCost(pricesOf(pricing), resources), pricing)
    await assertAffordable(chain, pricing.token, deposit, `paying ${seconds} s of this VM (${perHour} per hour)`, pricing)
  } catch (error) {
    chain.close()
    throw error
  }
  return { chain, pricing, ratePerSecond, deposit, seconds }
}

/** Opens the planned stream to `providerId`, bound to the VM `vmName`; resolves with the rental's payment record. */
export async function openStream(plan: PlannedStream, providerId: string, vmName: string): Promise<RentalPayment> {
  const stream = await plan.chain.open({
    recipient: providerId,
    token: plan.pricing.token,
    vmId: vmName,
    deposit: plan.deposit,
    ratePerSecond: plan.ratePerSecond,
  })
  return rentalPaymentOf(plan.pricing, stream.id, plan.ratePerSecond)
}

/** The stream of a paid rental as the chain has it now. */
export async function readStream(deps: RequestorDeps, payment: RentalPayment): Promise<StreamView> {
  const chain = await deps.paymentChain(target(payment))
  try {
    const [stream, now] = await Promise.all([chain.stream(BigInt(payment.stream_id)), chain.now()])
    if (stream === undefined) throw new RequestorError('PAYMENT_FAILED', `stream ${payment.stream_id} does not exist on contract ${payment.contract}`)
    return {
      stream_id: payment.stream_id,
      token_symbol: payment.token_symbol,
      token_decimals: payment.token_decimals,
      rate_per_second: stream.ratePerSecond.toString(),
      deposit: stream.deposit.toString(),
      paid: vestedAt(stream, now).toString(),
      refund_if_ended_now: refundableAt(stream, now).toString(),
      paid_until: iso(paidUntil(stream)),
      ended: isEnded(stream),
    }
  } finally {
    chain.close()
  }
}

/** Adds `seconds` of paid time to a paid rental's stream; resolves with the stream afterwards. */
export async function topUpStream(deps: RequestorDeps, payment: RentalPayment, seconds: number): Promise<StreamView & { added: string }> {
  const amount = BigInt(payment.rate_per_second) * BigInt(seconds)
  const chain = await deps.paymentChain(target(payment))
  try {
    const stream = await chain.stream(BigInt(payment.stream_id))
    if (stream === undefined || isEnded(stream)) {
      throw new RequestorError(
        'PAYMENT_REFUSED',
        `stream ${payment.stream_id} has ended and cannot be topped up; the provider deletes the VM after its grace period`,
      )
    }
    await assertAffordable(chain, payment.token, amount, `${seconds} s more`, payment)
    await chain.topUp(stream.id, payment.token, amount)
  } finally {
    chain.close()
  }
  return { ...(await readStream(deps, payment)), added: amount.toString() }
}

/** Ends a paid rental's stream; undefined when it had ended already (nothing more to get back). */
export async function endStream(deps: RequestorDeps, payment: RentalPayment): Promise<StreamEnding | undefined> {
  const chain = await deps.paymentChain(target(payment))
  try {
    const stream = await chain.stream(BigInt(payment.stream_id))
    if (stream === undefined || isEnded(stream)) return undefined
    const ended = await chain.end(stream.id)
    return {
      stream_id: payment.stream_id,
      token_symbol: payment.token_symbol,
      token_decimals: payment.token_decimals,
      refunded: ended.refunded.toString(),
      paid_to_provider: ended.paidToRecipient.toString(),
    }
  } finally {
    chain.close()
  }
}

/** `golem-vm topup NAME`: the rental's stream gets `seconds` more paid time. */
export async function topUpRental(deps: RequestorDeps, name: string, seconds: number): Promise<StreamView & { added: string }> {
  const rental = await deps.store.get(name)
  if (rental === undefined) throw new RequestorError('RENTAL_NOT_FOUND', `you have no VM called "${name}" in ${deps.config.dataDir}; golem-vm list shows yours`)
  if (rental.payment === undefined)
    throw new RequestorError('INVALID_ARGUMENT', `the VM "${name}" is on a free provider (or was created before payments): there is nothing to top up`)
  return topUpStream(deps, rental.payment, seconds)
}
