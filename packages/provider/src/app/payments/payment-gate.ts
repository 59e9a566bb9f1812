/**
 * The create gate of a priced provider: before anything is reserved or
 * launched, the stream a create names is read from the chain and must pay
 * this provider, in its token, for this VM, from the renter that signed the
 * request, at the price of the requested resources or more, for at least the
 * minimum runway, and must still be open. Each failure has its own code and
 * says exactly what is wrong. The stream's one-use claim is taken later, in
 * the same transaction as the reservation (the store), so two creates with
 * one stream can never both pass.
 *
 * @module
 */
import { formatTokenAmount, hourlyCost, requiredRatePerSecond, type OfferPricing, type Prices, type VmResources } from '@golem-vm/protocol'
import { isEnded, paidUntil, runwayAt, vmBinding, type Stream } from '@golem-vm/payments'
import { ProviderError } from '../../domain/errors.js'
import { PaymentChainUnavailable, type PaymentChain } from '../ports/payment-chain.js'

/** What a priced provider charges, and on which chain, contract and token. */
export interface ProviderPricing {
  /** As advertised and shown in the status. */
  readonly wire: OfferPricing
  readonly prices: Prices
  /** The provider's address: every stream must pay it. */
  readonly recipient: string
  /** A create's stream must pay for at least this long. */
  readonly minRunwaySeconds: number
}

/** What the gate asks of a create. */
export interface GateRequest {
  readonly vmId: string
  readonly resources: VmResources
  readonly streamId: string | undefined
  /** The renter that signed; null for an unsigned request (and the operator). */
  readonly payer: string | null
  /** True for the operator (admin token): it may run VMs on its own machine without a stream. */
  readonly byOperator: boolean
}

/** The checked stream a create may go ahead with (undefined: a free VM). */
export interface AcceptedStream {
  readonly streamId: string
  readonly ratePerSecond: bigint
  readonly stream: Stream
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase()

/** Checks a create's payment on a priced provider. `nowSeconds` is Unix time. */
export async function checkPayment(
  pricing: ProviderPricing | null,
  chain: PaymentChain | null,
  req: GateRequest,
  nowSeconds: number,
): Promise<AcceptedStream | undefined> {
  if (pricing === null || chain === null) {
    if (req.streamId !== undefined)
      throw new ProviderError(
        'PAYMENT_NOT_ACCEPTED',
        'this provider is free and takes no payment: send the create without stream_id (and end the stream to get the deposit back)',
      )
    return undefined
  }
  // The operator may run VMs on its own machine without paying itself.
  if (req.byOperator && req.streamId === undefined) return undefined
  const rate = requiredRatePerSecond(pricing.prices, req.resources)
  const price = describePrice(pricing, req.resources, rate)
  if (req.streamId === undefined) {
    throw new ProviderError(
      'PAYMENT_REQUIRED',
      `this provider is paid: ${price}. Open a stream to ${pricing.recipient} on contract ${pricing.wire.contract} (chain ${pricing.wire.chain_id}) in token ${pricing.wire.token}, bound to VM "${req.vmId}", at ${rate} base units per second or more with at least ${pricing.minRunwaySeconds} s of runway, and send its id as stream_id`,
    )
  }
  if (req.payer === null && !req.byOperator)
    throw new ProviderError('PAYMENT_REQUIRED', "a paid VM needs a signed create request (the stream's payer signs it); unsigned requests cannot pay")
  const stream = await read(chain, BigInt(req.streamId))
  return { streamId: req.streamId, ratePerSecond: stream.ratePerSecond, stream: judge(stream, pricing, req, rate, price, nowSeconds) }
}

async function read(chain: PaymentChain, id: bigint): Promise<Stream> {
  let stream: Stream | undefined
  try {
    stream = await chain.readStream(id)
  } catch (error) {
    if (error instanceof PaymentChainUnavailable)
      throw new ProviderError(
        'PAYMENT_UNAVAILABLE',
        `the provider cannot read stream ${id} from its payment chain right now (${error.message}); nothing was created, retry in a minute`,
        [],
        { cause: error },
      )
    throw error
  }
  if (stream === undefined)
    throw new ProviderError(
      'PAYMENT_STREAM_NOT_FOUND',
      `stream ${id} does not exist on contract yet: it was never opened, or its transaction is not mined; wait for it to be mined and retry`,
    )
  return stream
}

// The stream's facts against the request, in the order a renter would fix them.
function judge(s: Stream, pricing: ProviderPricing, req: GateRequest, rate: bigint, price: string, now: number): Stream {
  const { wire } = pricing
  if (!same(s.recipient, pricing.recipient))
    throw new ProviderError(
      'PAYMENT_WRONG_RECIPIENT',
      `stream ${s.id} pays ${s.recipient}, not this provider (${pricing.recipient}); open a stream to ${pricing.recipient}`,
    )
  if (!same(s.token, wire.token))
    throw new ProviderError('PAYMENT_WRONG_TOKEN', `stream ${s.id} is in token ${s.token}; this provider is paid in ${wire.token_symbol} (${wire.token})`)
  if (s.vmId.toLowerCase() !== vmBinding(req.vmId))
    throw new ProviderError(
      'PAYMENT_WRONG_VM',
      `stream ${s.id} is bound to another VM, not "${req.vmId}"; a stream pays for the one VM named when it was opened`,
    )
  if (req.payer !== null && !same(s.payer, req.payer)) {
    throw new ProviderError(
      'PAYMENT_WRONG_PAYER',
      `stream ${s.id} was opened by ${s.payer}, not by the signer of this request (${req.payer}); pay with the key that signs`,
    )
  }
  if (isEnded(s)) throw new ProviderError('PAYMENT_STREAM_ENDED', `stream ${s.id} has ended; open a new one`)
  if (s.ratePerSecond < rate) {
    throw new ProviderError(
      'PAYMENT_RATE_TOO_LOW',
      `stream ${s.id} pays ${s.ratePerSecond} base units per second; ${price}, so the rate must be at least ${rate}`,
    )
  }
  const runway = runwayAt(s, now)
  if (runway < pricing.minRunwaySeconds) {
    throw new ProviderError(
      'PAYMENT_RUNWAY_TOO_SHORT',
      `stream ${s.id} pays until ${new Date(paidUntil(s) * 1000).toISOString()}, ${runway} s from now; this provider needs at least ${pricing.minRunwaySeconds} s: top it up by ${formatTokenAmount(BigInt(pricing.minRunwaySeconds - runway) * s.ratePerSecond, wire.token_decimals)} ${wire.token_symbol} or more`,
    )
  }
  return s
}

/** "a VM of 1 CPU, 1 GB memory, 10 GB storage costs 0.1 GLM per hour (27777777777778 base units per second)". */
export function describePrice(pricing: ProviderPricing, r: VmResources, rate: bigint): string {
  const hourly = formatTokenAmount(hourlyCost(pricing.prices, r), pricing.wire.token_decimals)
  return `a VM of ${r.cpu} CPU, ${r.memory} GB memory, ${r.storage} GB storage costs ${hourly} ${pricing.wire.token_symbol} per hour (${rate} base units per second)`
}
