/**
 * The advertiser: keeps this provider's advertisement in the discovery
 * service equal to its free capacity, in the background.
 *
 * It posts at start, every `intervalMs`, and shortly after capacity changes
 * (`notify()` is synchronous, cheap and never throws; changes are coalesced
 * for `debounceMs`). The figures come from the one capacity ledger, read when
 * a request is sent, so the latest state always wins. When no VM of the
 * minimum size fits any more, the advertisement is withdrawn (signed DELETE)
 * and posted again once capacity returns. One request at a time, never two.
 * When discovery is down or slow it retries with exponential backoff and
 * jitter, logs once per outage and once on recovery, and never stops the
 * provider. `stop()` deletes the advertisement within `stopTimeoutMs`.
 *
 * @module
 */
import type { Logger } from 'pino'
import { AdvertisementBody } from '@golem-vm/protocol'
import type { ResourceAmounts } from '../domain/capacity.js'
import type { AdvertisementSent, Telemetry } from './ports/telemetry.js'

/**
 * Where advertisements go (the discovery client). A rejection whose
 * `retryable` is `false` means repeating the same request cannot help (a
 * refused signature or body); anything else counts as an outage.
 */
export interface AdvertisementPublisher {
  post(ad: AdvertisementBody, signal?: AbortSignal): Promise<unknown>
  delete(providerId: string, signal?: AbortSignal): Promise<unknown>
}

/** Timer functions and the clock, injected so tests run on fake time. */
export interface AdvertiserTimers {
  now(): number
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** The parts of an advertisement that do not depend on capacity. */
export type AdvertisementFacts = Omit<AdvertisementBody, 'resources' | 'ssh_ports_free'>

export interface AdvertiserTuning {
  /** How long capacity changes are coalesced before a post. */
  readonly debounceMs: number
  /** First retry delay after a failure; doubles per failure. */
  readonly retryInitialMs: number
  /** Longest retry delay (also never above the interval). */
  readonly retryMaxMs: number
  /** Budget of `stop()`, in-flight request and DELETE together. */
  readonly stopTimeoutMs: number
}

export const DEFAULT_TUNING: AdvertiserTuning = { debounceMs: 500, retryInitialMs: 1000, retryMaxMs: 60_000, stopTimeoutMs: 3000 }

export interface AdvertiserDeps {
  readonly publisher: AdvertisementPublisher
  /** This provider's id (the key's address), for DELETE. */
  readonly providerId: string
  /** Read at every post, like the capacity: the public address in it may change while the provider runs. */
  readonly facts: () => AdvertisementFacts
  /** Free resources from the capacity ledger (what the status endpoint shows). */
  readonly freeCapacity: () => ResourceAmounts
  /** How many more VMs of the minimum size fit; 0 withdraws the advertisement. */
  readonly vmsThatFit: () => number
  /** How many SSH ports are free; omitted from the advertisement when absent. */
  readonly freeSshPorts?: () => number
  /**
   * What renters may map besides SSH, as extra integer resources (kept by any
   * discovery service, the original's too, and filterable there):
   * `ports_per_vm` (how many ports one VM can get now) and `udp` (1 when UDP is offered).
   */
  readonly portOffer?: () => { readonly ports_per_vm: number; readonly udp: number }
  /** Below any of these free amounts the advertisement is withdrawn. */
  readonly minimums: ResourceAmounts
  /** Refresh period (discovery expires advertisements that are not re-posted). */
  readonly intervalMs: number
  readonly logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>
  readonly timers?: AdvertiserTimers
  /** Uniform in [0, 1), for jitter. */
  readonly random?: () => number
  readonly tuning?: Partial<AdvertiserTuning>
  /** Told the outcome of every post and withdrawal (default: nobody listens). */
  readonly telemetry?: Pick<Telemetry, 'advertisementSent'>
}

const REAL_TIMERS: AdvertiserTimers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

/** The advertisement the ledger calls for right now. */
type Desired = { kind: 'post'; body: AdvertisementBody; key: string } | { kind: 'withdraw'; reason: string; key: typeof WITHDRAWN }

const WITHDRAWN = 'withdrawn'
const RESOURCES = ['cpu', 'memory', 'storage'] as const

/** Node's `process.arch` as the architecture name requestors know ("x86_64", "aarch64"). */
export function advertisedArch(nodeArch: string): string {
  const names: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', arm: 'armv7l' }
  return (
    names[nodeArch] ??
    nodeArch
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')
      .slice(0, 16)
  )
}

/** Keeps the advertisement current in the background; see the module comment for the contract. */
export class Advertiser {
  readonly #d: AdvertiserDeps
  readonly #t: AdvertiserTimers
  readonly #tuning: AdvertiserTuning
  readonly #random: () => number
  #state: 'new' | 'running' | 'stopped' = 'new'
  #timer: { handle: unknown; due: number; refresh: boolean } | undefined
  #inFlight: Promise<void> | undefined
  #abort: AbortController | undefined
  #again = false
  /** What discovery holds: the JSON of the last accepted body, WITHDRAWN, or undefined when unknown. */
  #confirmed: string | undefined
  #confirmedAt = 0
  #failures = 0
  #outage = false
  #lastProblem: string | undefined
  /** The last state reported in the log, so that only transitions are logged at info. */
  #shown: Desired['kind'] | undefined

  constructor(deps: AdvertiserDeps) {
    this.#d = deps
    this.#t = deps.timers ?? REAL_TIMERS
    this.#tuning = { ...DEFAULT_TUNING, ...deps.tuning }
    this.#random = deps.random ?? Math.random
  }

  /** Starts advertising in the background; returns at once. Calling it again does nothing. */
  start(): void {
    if (this.#state !== 'new') return
    this.#state = 'running'
    this.#arm(0, true)
  }

  /**
   * Signals that capacity changed. Synchronous and cheap; never throws and
   * never does I/O: a post follows within `debounceMs` (during an outage, at
   * the next retry).
   */
  notify(): void {
    try {
      if (this.#state !== 'running' || this.#outage) return
      this.#arm(this.#tuning.debounceMs, false)
    } catch (error) {
      this.#d.logger.error({ err: error }, 'advertiser: could not schedule a post')
    }
  }

  /**
   * Stops advertising and deletes the advertisement, within `stopTimeoutMs`.
   * Never rejects; if the DELETE fails the advertisement simply expires.
   */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return
    const wasRunning = this.#state === 'running'
    this.#state = 'stopped'
    this.#clearTimer()
    if (!wasRunning) return
    const deadline = this.#deadline(this.#tuning.stopTimeoutMs)
    try {
      this.#abort?.abort()
      if (this.#inFlight !== undefined) await Promise.race([this.#inFlight, deadline.expired])
      if (this.#confirmed === WITHDRAWN) return
      await Promise.race([this.#d.publisher.delete(this.#d.providerId, deadline.signal), deadline.expired])
      this.#d.logger.info('advertisement deleted from the discovery service')
    } catch (error) {
      this.#d.logger.warn({ err: message(error) }, 'could not delete the advertisement at shutdown; it will expire by itself')
    } finally {
      deadline.cancel()
    }
  }

  // Keeps the earliest wake-up: a change never postpones a due refresh or retry, and vice versa.
  // A refresh replaced by an earlier wake-up is not lost: every cycle re-arms the next one.
  #arm(delayMs: number, refresh: boolean): void {
    const due = this.#t.now() + delayMs
    if (this.#timer !== undefined) {
      if (this.#timer.due <= due) return
      this.#clearTimer()
    }
    const handle = this.#t.setTimeout(() => this.#fire(), delayMs)
    this.#timer = { handle, due, refresh }
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#t.clearTimeout(this.#timer.handle)
    this.#timer = undefined
  }

  #fire(): void {
    const refresh = this.#timer?.refresh ?? false
    this.#timer = undefined
    if (this.#state !== 'running') return
    if (this.#inFlight !== undefined) {
      this.#again = true
      return
    }
    this.#abort = new AbortController()
    this.#inFlight = this.#cycle(refresh, this.#abort.signal)
      .catch((error: unknown) => {
        this.#d.logger.error({ err: message(error) }, 'advertiser: unexpected failure; retrying at the next interval')
        this.#arm(this.#d.intervalMs, true)
      })
      .finally(() => {
        this.#inFlight = undefined
        this.#abort = undefined
        if (this.#again && this.#state === 'running') this.#arm(0, false)
        this.#again = false
      })
  }

  // One synchronisation: read the ledger, send what differs (or what is due), schedule the next one.
  async #cycle(refresh: boolean, signal: AbortSignal): Promise<void> {
    let desired: Desired
    try {
      desired = this.#desired()
    } catch (error) {
      this.#problem('LEDGER', `advertiser: the advertisement cannot be built: ${message(error)}`)
      this.#arm(this.#d.intervalMs, true)
      return
    }
    const refreshAt = this.#confirmedAt + this.#d.intervalMs
    const stale = desired.kind === 'post' && (refresh || this.#t.now() >= refreshAt)
    if (desired.key === this.#confirmed && !stale) {
      this.#arm(desired.kind === 'post' ? refreshAt - this.#t.now() : this.#d.intervalMs, true)
      return
    }
    this.#confirmed = undefined // unknown until the service answers
    try {
      if (desired.kind === 'post') await this.#d.publisher.post(desired.body, signal)
      else await this.#d.publisher.delete(this.#d.providerId, signal)
      this.#sent(desired.kind, 'ok')
      this.#succeeded(desired)
    } catch (error) {
      if (this.#state === 'running') this.#sent(desired.kind, refused(error) ? 'refused' : 'unreachable')
      this.#failed(error)
    }
  }

  #desired(): Desired {
    const free = this.#d.freeCapacity()
    const below = RESOURCES.filter((k) => free[k] < this.#d.minimums[k])
    if (below.length > 0) return { kind: 'withdraw', key: WITHDRAWN, reason: `free ${below.map((k) => `${k} ${free[k]} < ${this.#d.minimums[k]}`).join(', ')}` }
    if (this.#d.vmsThatFit() <= 0) return { kind: 'withdraw', key: WITHDRAWN, reason: 'no VM of the minimum size fits (VM limit or SSH ports exhausted)' }
    const resources = { cpu: free.cpu, memory: free.memory, storage: free.storage, ...this.#d.portOffer?.() }
    const candidate = { ...this.#d.facts(), resources, ...(this.#d.freeSshPorts === undefined ? {} : { ssh_ports_free: this.#d.freeSshPorts() }) }
    const parsed = AdvertisementBody.safeParse(candidate)
    if (!parsed.success) {
      throw new Error(`it would be refused: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
    }
    return { kind: 'post', body: parsed.data, key: JSON.stringify(parsed.data) }
  }

  #succeeded(desired: Desired): void {
    const log = this.#d.logger
    this.#endOutage()
    this.#lastProblem = undefined
    this.#confirmed = desired.key
    this.#confirmedAt = this.#t.now()
    if (this.#shown !== desired.kind) {
      if (desired.kind === 'withdraw') log.info({ reason: desired.reason }, 'advertisement withdrawn: no capacity to offer')
      else log.info({ resources: desired.body.resources }, 'advertisement published')
    } else if (desired.kind === 'post') {
      log.debug({ resources: desired.body.resources }, 'advertisement updated')
    }
    this.#shown = desired.kind
    this.#arm(this.#d.intervalMs, true)
  }

  #failed(error: unknown): void {
    if (this.#state !== 'running') return
    if (refused(error)) {
      this.#endOutage() // the service answers, it just refuses
      this.#problem(codeOf(error), `the discovery service refused the advertisement: ${message(error)}`)
      this.#arm(this.#d.intervalMs, true)
      return
    }
    this.#failures++
    if (!this.#outage) this.#d.logger.warn({ err: message(error) }, 'discovery service unreachable; advertising will resume by itself when it is back')
    this.#outage = true
    this.#arm(this.#retryDelay(), true)
  }

  #sent(kind: Desired['kind'], result: AdvertisementSent['result']): void {
    this.#d.telemetry?.advertisementSent({ kind, result, at: new Date(this.#t.now()) })
  }

  #endOutage(): void {
    if (this.#outage) this.#d.logger.info({ failedAttempts: this.#failures }, 'discovery service reachable again; advertising resumed')
    this.#outage = false
    this.#failures = 0
  }

  // Logs a refusal once until something changes, so a misconfiguration does not flood the log.
  #problem(code: string, text: string): void {
    if (this.#lastProblem === code) return
    this.#lastProblem = code
    this.#d.logger.error(text)
  }

  // Exponential backoff with "equal jitter": half fixed, half random, capped by retryMaxMs and the interval.
  #retryDelay(): number {
    const cap = Math.min(this.#tuning.retryMaxMs, this.#d.intervalMs)
    const base = Math.min(cap, this.#tuning.retryInitialMs * 2 ** Math.min(this.#failures - 1, 30))
    return Math.round(base / 2 + (base / 2) * this.#random())
  }

  // An abort signal and a promise that both fire after `ms` on the injected clock.
  #deadline(ms: number): { signal: AbortSignal; expired: Promise<never>; cancel: () => void } {
    const controller = new AbortController()
    let handle: unknown
    const expired = new Promise<never>((_, reject) => {
      handle = this.#t.setTimeout(() => {
        controller.abort()
        reject(new Error(`no answer within ${ms} ms`))
      }, ms)
    })
    expired.catch(() => undefined)
    return { signal: controller.signal, expired, cancel: () => this.#t.clearTimeout(handle) }
  }
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error))

const codeOf = (error: unknown): string => {
  const e = error as { code?: unknown; serverCode?: unknown }
  return [e.code, e.serverCode].filter((c) => typeof c === 'string').join('/') || 'REFUSED'
}

// The service answered and said no (a retry would get the same answer), as opposed to no answer at all.
function refused(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false
}
