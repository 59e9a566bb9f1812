/**
 * The provider's earnings: for every stream a VM was ever created with,
 * what has vested (earned), what was withdrawn, and what is pending; and the
 * withdrawal of the pending part, on demand (`golem-provider earnings
 * withdraw`) and periodically when it exceeds a threshold.
 *
 * @module
 */
import type { Logger } from 'pino'
import { vestedAt, type Stream } from '@golem-vm/payments'
import { ProviderError } from '../../domain/errors.js'
import { PaymentChainUnavailable, type PaymentChain } from '../ports/payment-chain.js'
import type { TokenEarnings } from '../ports/telemetry.js'
import type { VmStore } from '../ports/vm-store.js'

/** How old the streams behind {@link Earnings.totals} may be before a scrape reads them again. */
const TOTALS_MAX_AGE_MS = 15_000

/** One stream's earnings, in base units. */
export interface StreamEarnings {
  readonly vmId: string
  readonly streamId: string
  /** False once the VM is gone (its stream may still hold vested funds). */
  readonly vmExists: boolean
  readonly earned: bigint
  readonly withdrawn: bigint
  readonly pending: bigint
  readonly ended: boolean
}

export interface EarningsReport {
  readonly streams: readonly StreamEarnings[]
  readonly total: { readonly earned: bigint; readonly withdrawn: bigint; readonly pending: bigint }
}

export interface EarningsDeps {
  readonly store: Pick<VmStore, 'usedStreams' | 'get'>
  readonly chain: PaymentChain
  readonly logger: Pick<Logger, 'info' | 'warn'>
  /** The token the provider is paid in, for the totals per token. */
  readonly token: { readonly symbol: string; readonly decimals: number }
  /** Milliseconds since the epoch. */
  readonly now?: () => number
}

export class Earnings {
  readonly #d: EarningsDeps
  readonly #now: () => number
  #timer: NodeJS.Timeout | undefined
  /** Every used stream as last read, and when (0: never, or stale after a withdrawal). */
  #streams: readonly Stream[] | undefined
  #readAt = 0
  #reading: Promise<unknown> | undefined

  constructor(deps: EarningsDeps) {
    this.#d = deps
    this.#now = deps.now ?? Date.now
  }

  /** Reads every stream ever used. Throws PAYMENT_UNAVAILABLE when the chain does not answer. */
  async report(): Promise<EarningsReport> {
    const nowS = Math.floor(this.#now() / 1000)
    const streams: StreamEarnings[] = []
    const read: Stream[] = []
    for (const used of this.#d.store.usedStreams()) {
      const s = await this.#read(BigInt(used.streamId))
      if (s === undefined) continue
      read.push(s)
      const earned = vestedAt(s, nowS)
      streams.push({
        vmId: used.vmId,
        streamId: used.streamId,
        vmExists: this.#d.store.get(used.vmId)?.payment?.streamId === used.streamId,
        earned,
        withdrawn: s.withdrawn,
        pending: earned - s.withdrawn,
        ended: s.endedAt !== 0,
      })
    }
    const total = { earned: 0n, withdrawn: 0n, pending: 0n }
    for (const s of streams) {
      total.earned += s.earned
      total.withdrawn += s.withdrawn
      total.pending += s.pending
    }
    this.#streams = read
    this.#readAt = this.#now()
    return { streams, total }
  }

  /**
   * Earned, withdrawn and pending in the provider's token, for the metrics:
   * synchronous, so vested amounts are computed now from the streams as last
   * read, and a read older than 15 s is started in the background (a chain
   * outage keeps the last figures). Empty until the first read finished.
   */
  totals(): readonly TokenEarnings[] {
    if (this.#now() - this.#readAt > TOTALS_MAX_AGE_MS) this.refresh()
    if (this.#streams === undefined) return []
    const nowS = Math.floor(this.#now() / 1000)
    let earned = 0n
    let withdrawn = 0n
    for (const s of this.#streams) {
      earned += vestedAt(s, nowS)
      withdrawn += s.withdrawn
    }
    const { symbol, decimals } = this.#d.token
    return [{ token: symbol, decimals, earned, withdrawn, pending: earned - withdrawn }]
  }

  /** Reads every used stream again in the background (one read at a time; a failure keeps the last figures). */
  refresh(): void {
    if (this.#reading !== undefined) return
    this.#reading = this.report()
      .catch(() => undefined)
      .finally(() => {
        this.#reading = undefined
      })
  }

  /** Withdraws everything pending; returns the amount per stream id (empty when nothing was pending). */
  async withdraw(): Promise<ReadonlyMap<bigint, bigint>> {
    const report = await this.report()
    const ids = report.streams.filter((s) => s.pending > 0n).map((s) => BigInt(s.streamId))
    if (ids.length === 0) return new Map()
    try {
      const amounts = await this.#d.chain.withdraw(ids)
      this.#readAt = 0
      this.#d.logger.info({ streams: ids.length, total: [...amounts.values()].reduce((a, b) => a + b, 0n).toString() }, 'withdrew vested payments')
      return amounts
    } catch (error) {
      throw unavailable(error)
    }
  }

  /** Withdraws every `intervalMs` when more than `threshold` base units are pending (0 ms: never). */
  startPeriodic(intervalMs: number, threshold: bigint): void {
    if (intervalMs <= 0) return
    this.#timer = setInterval(() => {
      void this.#periodic(threshold)
    }, intervalMs)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  async #periodic(threshold: bigint): Promise<void> {
    try {
      const { total } = await this.report()
      if (total.pending > threshold) await this.withdraw()
    } catch (error) {
      this.#d.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'periodic withdrawal failed; trying again at the next interval')
    }
  }

  async #read(id: bigint) {
    try {
      return await this.#d.chain.readStream(id)
    } catch (error) {
      throw unavailable(error)
    }
  }
}

function unavailable(error: unknown): unknown {
  if (error instanceof PaymentChainUnavailable)
    return new ProviderError('PAYMENT_UNAVAILABLE', `the payment chain does not answer (${error.message}); try again later`, [], { cause: error })
  return error
}
