/**
 * What the SSH proxy's manager (main thread) and its relay thread say to each
 * other. Plain data only: every message crosses `postMessage`.
 *
 * @module
 */
import type { SshEndpoint } from '../../domain/vm.js'
import type { ListenerKind, RelayConfig, RelayStats } from './relay.js'

/** Handed to the relay thread as its `workerData`. */
export interface RelayThreadData {
  readonly config: RelayConfig
  /** Log levels the main thread would print; the relay thread does not send the others. */
  readonly levels: { readonly info: boolean; readonly debug: boolean }
}

/** Requests the relay thread answers with `done`. */
export type RelayRequest =
  | { readonly op: 'open'; readonly vmId: string; readonly port: number; readonly target: SshEndpoint | null; readonly kind: ListenerKind }
  | { readonly op: 'close'; readonly vmId: string }

export type ToRelay = (RelayRequest & { readonly seq: number }) | { readonly op: 'target'; readonly vmId: string; readonly target: SshEndpoint | null }

export type FromRelay =
  | { readonly op: 'done'; readonly seq: number; readonly error?: { readonly message: string; readonly code?: string } }
  | { readonly op: 'log'; readonly level: 'info' | 'debug' | 'error'; readonly fields: Record<string, unknown>; readonly msg: string }
  | { readonly op: 'stats'; readonly vmId: string; readonly stats: RelayStats }
