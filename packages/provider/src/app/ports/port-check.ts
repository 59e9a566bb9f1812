/**
 * The ports port verification runs through: a binder that holds this host's
 * ports while they are checked, and the client of a port-check server.
 * `infra/port-check/` implements both.
 *
 * @module
 */
import type { CheckPortsResponseCompat } from '@golem-vm/protocol'

/** A port that could not be bound, with the system's code and a readable reason. */
export interface BindFailure {
  readonly port: number
  readonly code: string
  readonly reason: string
}

/** Ports held by temporary listeners; `release` closes them all. */
export interface HeldPorts {
  /** The ports now listening, in the order asked. */
  readonly bound: readonly number[]
  readonly failed: readonly BindFailure[]
  /** Closes every listener; resolves once the ports are free again. Safe to call twice. */
  release(): Promise<void>
}

/** Binds `ports` on `host` with listeners that accept and close at once. */
export type HoldPortsFn = (host: string, ports: readonly number[]) => Promise<HeldPorts>

/** Why a request gave no usable answer. */
export type PortCheckFailureKind = 'timeout' | 'aborted' | 'unreachable' | 'http' | 'bad-body'

export type PortCheckResult =
  | { readonly ok: true; readonly response: CheckPortsResponseCompat }
  | { readonly ok: false; readonly kind: PortCheckFailureKind; readonly reason: string; readonly status?: number; readonly code?: string }

/** Asks the server at `serverUrl` to connect to `ports` of `providerIp`; never rejects for a server problem. */
export type PortCheckFn = (serverUrl: string, providerIp: string, ports: readonly number[], signal: AbortSignal) => Promise<PortCheckResult>
