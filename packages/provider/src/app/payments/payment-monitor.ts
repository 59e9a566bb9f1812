/**
 * The payment monitor: watches every paid VM's stream and holds the renter
 * to it, without surprises. A pass reads each stream; while paid time is
 * left the VM runs (state `paid`, or `low` with a notice below the warning
 * threshold); when it runs out the VM is **stopped, never deleted** (state
 * `expired-grace`, its disk kept), started again if the stream is topped up,
 * and deleted only when the grace period has passed. A read that fails
 * because the chain does not answer changes nothing: the state shows
 * `unknown`, the monitor backs off and tries again. Decisions (when paid time
 * ran out, whether the monitor stopped the VM) are kept in the store, so a
 * restart resumes exactly where it was, and a VM whose time ran out while the
 * provider was down is handled at start as if it had been up (its grace
 * counts from when its paid time ended).
 *
 * Passes run every `checkIntervalMs` and also at each VM's next deadline
 * (warning, end, end of grace), so a VM is stopped within a second or two of
 * its paid time ending.
 *
 * @module
 */
import type { Logger } from 'pino'
import type { VmPayment } from '@golem-vm/protocol'
import { isEnded, paidUntil, runwayAt, type Stream } from '@golem-vm/payments'
import type { VmRecord } from '../../domain/vm.js'
import { TRANSITIONAL_STATUSES } from '../../domain/vm.js'
import { ProviderError } from '../../domain/errors.js'
import { PaymentChainUnavailable, type PaymentChain } from '../ports/payment-chain.js'
import type { VmStore } from '../ports/vm-store.js'
import type { Caller } from '../vm-service.js'

const OPERATOR: Caller = { kind: 'operator' }
/** Longest wait between passes after failed reads. */
const MAX_BACKOFF_MS = 300_000

export interface PaymentMonitorDeps {
  readonly store: Pick<VmStore, 'list' | 'get' | 'update'>
  readonly chain: PaymentChain
  /** The VM use cases, called as the operator. */
  readonly vms: {
    stop(id: string, caller: Caller): Promise<unknown>
    start(id: string, caller: Caller): Promise<unknown>
    delete(id: string, caller: Caller): Promise<unknown>
  }
  readonly warningSeconds: number
  readonly graceSeconds: number
  readonly checkIntervalMs: number
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number
}

interface Reading {
  readonly stream: Stream | undefined
  readonly at: number
}

export class PaymentMonitor {
  readonly #d: PaymentMonitorDeps
  readonly #now: () => number
  /** The last successful read of each paid VM's stream, by stream id. */
  readonly #readings = new Map<string, Reading>()
  /** Streams whose last read failed. */
  readonly #unknown = new Set<string>()
  #failures = 0
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #stopped = false

  constructor(deps: PaymentMonitorDeps) {
    this.#d = deps
    this.#now = deps.now ?? Date.now
  }

  /** Runs a first pass now and keeps watching until {@link stop}. */
  start(): void {
    this.#schedule(0)
  }

  /** Stops watching; waits for a pass in progress. */
  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#running
  }

  /** One pass over every paid VM now (also what the timer runs); passes never overlap. */
  async check(): Promise<void> {
    if (this.#running !== undefined) return this.#running
    this.#running = this.#pass().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  /** Records a stream just read by the create gate, so a new VM shows its state at once and its deadlines are timed. */
  remember(stream: Stream): void {
    this.#readings.set(stream.id.toString(), { stream, at: this.#now() })
    if (this.#timer !== undefined && this.#running === undefined) this.#schedule(this.#nextDelay())
  }

  /** The payment part of a VM's info; undefined for a free VM. */
  view(vm: VmRecord): VmPayment | undefined {
    const p = vm.payment
    if (p === null) return undefined
    const base = { stream_id: p.streamId, rate_per_second: p.ratePerSecond.toString() }
    const reading = this.#readings.get(p.streamId)
    const nowS = Math.floor(this.#now() / 1000)
    const stream = reading?.stream
    const until = stream === undefined ? null : paidUntil(stream)
    const runway = stream === undefined ? null : runwayAt(stream, nowS)
    const paidUntilText = until === null ? null : iso(until)
    if (p.expiredAt !== null || (runway === 0 && !this.#unknown.has(p.streamId))) {
      const expired = p.expiredAt === null ? (until ?? nowS) : Math.floor(p.expiredAt.getTime() / 1000)
      const deleteAt = iso(expired + this.#d.graceSeconds)
      const again = stream !== undefined && isEnded(stream) ? 'its stream has ended, so it cannot be topped up' : 'top its stream up to start it again'
      return {
        ...base,
        paid_until: paidUntilText,
        runway_seconds: 0,
        state: 'expired-grace',
        delete_at: deleteAt,
        notice: `paid time ran out at ${iso(expired)}: the VM is stopped and its disk kept until ${deleteAt}, when it is deleted; ${again}`,
      }
    }
    if (this.#unknown.has(p.streamId) || runway === null) {
      return {
        ...base,
        paid_until: paidUntilText,
        runway_seconds: runway,
        state: 'unknown',
        delete_at: null,
        notice: 'payment state unknown: the provider cannot read the stream from its payment chain right now; nothing is done to the VM meanwhile',
      }
    }
    if (runway < this.#d.warningSeconds) {
      return {
        ...base,
        paid_until: paidUntilText,
        runway_seconds: runway,
        state: 'low',
        delete_at: null,
        notice: `paid time runs out in ${runway} s (at ${paidUntilText ?? ''}); top the stream up or the VM is stopped then`,
      }
    }
    return { ...base, paid_until: paidUntilText, runway_seconds: runway, state: 'paid', delete_at: null, notice: null }
  }

  async #pass(): Promise<void> {
    let failed = false
    for (const vm of this.#d.store.list()) {
      if (vm.payment === null || TRANSITIONAL_STATUSES.includes(vm.status)) continue
      try {
        await this.#checkVm(vm)
      } catch (error) {
        if (!(error instanceof PaymentChainUnavailable)) {
          this.#d.logger.warn(
            { vm: vm.id, err: error instanceof Error ? error.message : String(error) },
            'payment check of a VM failed; trying again at the next pass',
          )
          continue
        }
        failed = true
        const streamId = vm.payment.streamId
        if (!this.#unknown.has(streamId))
          this.#d.logger.warn({ vm: vm.id, err: error.message }, 'payment state unknown: the payment chain does not answer; the VM is left as it is')
        this.#unknown.add(streamId)
      }
    }
    const live = new Set(this.#d.store.list().flatMap((vm) => (vm.payment === null ? [] : [vm.payment.streamId])))
    for (const id of this.#readings.keys()) if (!live.has(id)) this.#readings.delete(id)
    this.#failures = failed ? this.#failures + 1 : 0
  }

  async #checkVm(vm: VmRecord): Promise<void> {
    const p = vm.payment
    if (p === null) return
    const stream = await this.#d.chain.readStream(BigInt(p.streamId))
    if (this.#unknown.delete(p.streamId)) this.#d.logger.info({ vm: vm.id }, 'payment chain answers again')
    const nowMs = this.#now()
    this.#readings.set(p.streamId, { stream, at: nowMs })
    const nowS = Math.floor(nowMs / 1000)
    // A stream that vanished (a chain reset) pays nothing; treat it as run out.
    const runway = stream === undefined ? 0 : runwayAt(stream, nowS)
    if (runway > 0) return this.#paid(vm)
    const expiredAt = p.expiredAt ?? new Date((stream === undefined ? nowS : paidUntil(stream)) * 1000)
    if (p.expiredAt === null) {
      this.#d.store.update(vm.id, { paymentExpiredAt: expiredAt })
      this.#d.logger.warn({ vm: vm.id, stream: p.streamId, paidUntil: expiredAt.toISOString() }, 'paid time ran out')
    }
    if (nowS * 1000 >= expiredAt.getTime() + this.#d.graceSeconds * 1000) {
      this.#d.logger.warn({ vm: vm.id, stream: p.streamId, graceSeconds: this.#d.graceSeconds }, 'grace period over without a top-up: deleting the VM')
      await this.#d.vms.delete(vm.id, OPERATOR)
      return
    }
    if (vm.status === 'running') {
      this.#d.store.update(vm.id, { stoppedForPayment: true })
      this.#d.logger.warn(
        { vm: vm.id, stream: p.streamId, deleteAt: new Date(expiredAt.getTime() + this.#d.graceSeconds * 1000).toISOString() },
        'stopping the VM: its paid time ran out (disk kept for the grace period)',
      )
      await this.#d.vms.stop(vm.id, OPERATOR)
    }
  }

  // Paid time is left: clears an expiry, and starts a VM the monitor stopped.
  async #paid(vm: VmRecord): Promise<void> {
    const p = vm.payment
    if (p === null || (p.expiredAt === null && !p.stoppedForPayment)) return
    this.#d.store.update(vm.id, { paymentExpiredAt: null })
    if (!p.stoppedForPayment) return
    if (vm.status !== 'stopped') {
      this.#d.store.update(vm.id, { stoppedForPayment: false })
      return
    }
    this.#d.logger.info({ vm: vm.id, stream: p.streamId }, 'stream topped up: starting the VM again')
    try {
      await this.#d.vms.start(vm.id, OPERATOR)
      this.#d.store.update(vm.id, { stoppedForPayment: false })
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error
      this.#d.logger.warn({ vm: vm.id, code: error.code, err: error.message }, 'could not start the topped-up VM; trying again at the next pass')
    }
  }

  #schedule(ms: number): void {
    if (this.#stopped) return
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      void this.check().finally(() => this.#schedule(this.#nextDelay()))
    }, ms)
    this.#timer.unref()
  }

  // The interval, or sooner when a VM reaches a deadline; longer after failed reads.
  #nextDelay(): number {
    if (this.#failures > 0) return Math.min(MAX_BACKOFF_MS, this.#d.checkIntervalMs * 2 ** Math.min(this.#failures - 1, 10))
    const nowMs = this.#now()
    let next = this.#d.checkIntervalMs
    for (const vm of this.#d.store.list()) {
      const stream = vm.payment === null ? undefined : this.#readings.get(vm.payment.streamId)?.stream
      if (vm.payment === null || stream === undefined) continue
      const until = paidUntil(stream) * 1000
      const deadlines = [until - this.#d.warningSeconds * 1000, until + 1000]
      if (vm.payment.expiredAt !== null) deadlines.push(vm.payment.expiredAt.getTime() + this.#d.graceSeconds * 1000)
      for (const d of deadlines) if (d > nowMs) next = Math.min(next, d - nowMs)
    }
    return Math.max(1000, next)
  }
}

const iso = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString()
