/**
 * The telemetry port: how the use cases say what happened, without knowing
 * who listens. `infra/metrics` turns these events into Prometheus metrics;
 * the dashboard's live view listens to the same events. Every method is
 * synchronous, cheap and must never throw: telemetry can never fail an
 * operation.
 *
 * Values are bounded by construction: operations, phases and backend
 * commands are closed sets, error codes come from the catalogue, and the
 * only free-form value is the VM id, which the operator already sees.
 *
 * @module
 */
import type { PortVerificationReport } from '@golem-vm/protocol'
import type { ErrorCode } from '../../domain/errors.js'

/** The VM lifecycle operations. */
export const VM_OPERATIONS = ['create', 'start', 'stop', 'delete'] as const
export type VmOperation = (typeof VM_OPERATIONS)[number]

/**
 * The steps an operation is timed in: the backend call (`launch`, `start`,
 * `stop`, `destroy`), waiting for the guest's SSH server (`ssh`), and the
 * provider's own forwarding (`proxy`).
 */
export const OPERATION_PHASES = ['launch', 'start', 'stop', 'destroy', 'ssh', 'proxy'] as const
export type OperationPhase = (typeof OPERATION_PHASES)[number]

/** The calls a backend driver answers (drivers/driver.ts). */
export const BACKEND_COMMANDS = ['probe', 'launch', 'start', 'stop', 'destroy', 'inspect', 'list'] as const
export type BackendCommand = (typeof BACKEND_COMMANDS)[number]

export interface OperationStarted {
  readonly operation: VmOperation
  readonly vmId: string
}

export interface OperationFinished {
  readonly operation: VmOperation
  readonly vmId: string
  /** null when the operation succeeded; otherwise the code the client was given. */
  readonly code: ErrorCode | null
  readonly durationMs: number
  /** The phases that ran (also those that failed), in milliseconds. */
  readonly phasesMs: Readonly<Partial<Record<OperationPhase, number>>>
}

export interface BackendCalled {
  readonly backend: string
  readonly command: BackendCommand
  /** null when the call succeeded; otherwise the driver's BACKEND_* code (or INTERNAL for anything else). */
  readonly code: ErrorCode | null
  readonly durationMs: number
}

/** One synchronisation with the discovery service. */
export interface AdvertisementSent {
  /** `post` publishes free capacity; `withdraw` deletes the advertisement (nothing fits). */
  readonly kind: 'post' | 'withdraw'
  /** `ok`; `refused` (the service answered no); `unreachable` (no answer, retried with backoff). */
  readonly result: 'ok' | 'refused' | 'unreachable'
  readonly at: Date
}

/**
 * A VM's forwarded connections, read when asked (a scrape, the dashboard):
 * from the user-space SSH proxy's counters, or the kernel's for kernel
 * forwarding. Counts run from the provider's start (or the forwarder's); the
 * kernel's carry on across provider restarts, and a removed mapping takes
 * its counts with it.
 */
export interface ForwardingStats {
  /** Renter connections forwarded now; undefined with kernel forwarding, which keeps no such count the provider reads. */
  readonly open?: number | undefined
  readonly accepted: number
  /** Connections turned away: the VM is stopped, or its connection cap is reached. */
  readonly refused: number
  /** Bytes from renters to the VM. */
  readonly bytesIn: number
  /** Bytes from the VM back to renters. */
  readonly bytesOut: number
}

/** Payments per token, in the token's base units (exact); `decimals` converts them to token units. */
export interface TokenEarnings {
  /** The token's symbol (or address when it has none). */
  readonly token: string
  readonly decimals: number
  readonly earned: bigint
  readonly withdrawn: bigint
  /** Vested and not yet withdrawn. */
  readonly pending: bigint
}

/** What the use cases report. Implementations must be synchronous and must not throw. */
export interface Telemetry {
  operationStarted(event: OperationStarted): void
  operationFinished(event: OperationFinished): void
  backendCalled(event: BackendCalled): void
  advertisementSent(event: AdvertisementSent): void
  portsVerified(report: PortVerificationReport): void
}

/** Telemetry that goes nowhere: the default where nobody listens (unit tests, tools). */
export const NO_TELEMETRY: Telemetry = {
  operationStarted: () => undefined,
  operationFinished: () => undefined,
  backendCalled: () => undefined,
  advertisementSent: () => undefined,
  portsVerified: () => undefined,
}

/**
 * Sends every event to each of `sinks` (metrics, the dashboard's live view).
 * A sink that throws is isolated: the others still get the event, and the
 * operation never sees the failure.
 */
export function fanOut(sinks: readonly Telemetry[], onError: (error: unknown) => void): Telemetry {
  const each =
    <K extends keyof Telemetry>(method: K) =>
    (event: Parameters<Telemetry[K]>[0]): void => {
      for (const sink of sinks) {
        try {
          ;(sink[method] as (e: typeof event) => void)(event)
        } catch (error) {
          onError(error)
        }
      }
    }
  return {
    operationStarted: each('operationStarted'),
    operationFinished: each('operationFinished'),
    backendCalled: each('backendCalled'),
    advertisementSent: each('advertisementSent'),
    portsVerified: each('portsVerified'),
  }
}
