/**
 * The TCP probing logic: which ports of one address accept a connection.
 * The connect itself is injected (`tcp-connect.ts` in production, fakes in
 * unit tests), so retries, timeouts, deadlines and concurrency are tested
 * without a network.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { ERROR_CONNECTION_REFUSED, ERROR_CONNECTION_TIMED_OUT, ERROR_DEADLINE_EXCEEDED } from '@golem-vm/protocol'
import { mapBounded } from './map-bounded.js'
import type { FairSemaphore } from './fair-semaphore.js'

/** How one TCP connect attempt ended. */
export type ConnectOutcome =
  | { readonly kind: 'open' }
  | { readonly kind: 'refused' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'failed'; readonly message: string }

/**
 * One TCP connect attempt to `ip:port` (an IP literal, never a hostname). Must
 * settle within `timeoutMs` (as `timeout`) or soon after `signal` aborts (as
 * `aborted`), close any connection it made, and resolve rather than reject.
 */
export type Connect = (ip: string, port: number, options: { readonly timeoutMs: number; readonly signal: AbortSignal }) => Promise<ConnectOutcome>

/** How {@link checkPorts} probes. */
export interface CheckOptions {
  readonly connect: Connect
  /** Connect attempts per port (>= 1); a refused or open port is not tried again. */
  readonly attempts: number
  readonly timeoutMs: number
  /** Pause between two attempts on the same port. */
  readonly retryDelayMs: number
  /** Ports of this call probed at once. */
  readonly concurrency: number
  /** Shared by every call: bounds simultaneous connects across all requests, fairly per caller. One slot per attempt. */
  readonly slots: FairSemaphore
  /** Whose check this is (see `sourceKey`): slots are shared fairly between callers. */
  readonly caller: string
  /** The request's deadline: once aborted, ports not yet decided report "Check deadline exceeded". */
  readonly signal: AbortSignal
}

/** The verdict on one port, in wire terms. */
export interface PortOutcome {
  readonly port: number
  readonly accessible: boolean
  readonly error: string | null
}

// Turns the last attempt's outcome into the wire verdict and its error text.
function verdict(port: number, last: ConnectOutcome): PortOutcome {
  switch (last.kind) {
    case 'open':
      return { port, accessible: true, error: null }
    case 'refused':
      return { port, accessible: false, error: ERROR_CONNECTION_REFUSED }
    case 'timeout':
      return { port, accessible: false, error: ERROR_CONNECTION_TIMED_OUT }
    case 'aborted':
      return { port, accessible: false, error: ERROR_DEADLINE_EXCEEDED }
    case 'failed':
      return { port, accessible: false, error: last.message }
  }
}

// One attempt while holding a checker-wide slot (shared fairly between callers); waiting for it also ends at the deadline.
async function attemptWithSlot(ip: string, port: number, options: CheckOptions): Promise<ConnectOutcome> {
  let release: (() => void) | undefined
  try {
    release = await options.slots.acquire(options.caller, options.signal)
    return await options.connect(ip, port, { timeoutMs: options.timeoutMs, signal: options.signal })
  } catch (error) {
    if (options.signal.aborted) return { kind: 'aborted' }
    return { kind: 'failed', message: error instanceof Error ? error.message : String(error) }
  } finally {
    release?.()
  }
}

const pause = async (ms: number, signal: AbortSignal): Promise<boolean> => {
  try {
    await sleep(ms, undefined, { signal })
    return true
  } catch {
    return false
  }
}

// Refused and open are answers; only silence or a transient error is worth another try.
const isFinal = (outcome: ConnectOutcome): boolean => outcome.kind === 'open' || outcome.kind === 'refused' || outcome.kind === 'aborted'

/** Probes one port: up to `attempts` connects with a pause between them. Never rejects. */
export async function probePort(ip: string, port: number, options: CheckOptions): Promise<PortOutcome> {
  let last: ConnectOutcome = { kind: 'aborted' }
  for (let attempt = 1; attempt <= options.attempts; attempt += 1) {
    if (attempt > 1 && !(await pause(options.retryDelayMs, options.signal))) return verdict(port, { kind: 'aborted' })
    last = await attemptWithSlot(ip, port, options)
    if (isFinal(last)) break
  }
  return verdict(port, last)
}

/**
 * Checks which of `ports` on `ip` accept a TCP connection. Duplicates are
 * probed once; the result has one entry per distinct port, in the order each
 * first appears in `ports`. At most `concurrency` ports of this call and at
 * most `slots.capacity` connects overall are in flight at once. Resolves (never
 * rejects) shortly after `signal` aborts, with every undecided port marked
 * "Check deadline exceeded".
 */
export async function checkPorts(ip: string, ports: readonly number[], options: CheckOptions): Promise<PortOutcome[]> {
  const distinct = [...new Set(ports)]
  return mapBounded(distinct, options.concurrency, (port) => probePort(ip, port, options))
}
