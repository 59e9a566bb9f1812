/**
 * The contract every VM backend keeps. `app/` talks to backends only through
 * this interface; `test/contract/driver-contract.ts` checks each driver against it.
 *
 * Every method honours its `signal` (aborting leaves the backend in a state the
 * next call can handle), is safe to call again after a failure, and rejects only
 * with a `ProviderError` whose code starts with `BACKEND_`.
 *
 * @module
 */
import type { VmResources } from '@golem-vm/protocol'
import type { CloudInitDocuments } from '../domain/cloud-init.js'
import type { BackendName, ImageEntry } from '../domain/images.js'
import type { SshEndpoint } from '../domain/vm.js'

export interface DriverInfo {
  readonly name: BackendName
  readonly version: string
  /** One line for the operator: binary, accelerator, why it was chosen. */
  readonly detail: string
}

export interface LaunchSpec {
  /** Backend instance name; unique, starts with `golem-`. */
  readonly instance: string
  readonly hostname: string
  readonly resources: VmResources
  readonly image: ImageEntry
  readonly cloudInit: CloudInitDocuments
}

/** A VM the backend reports as running, and where its SSH server is reached from the host. */
export interface RunningVm {
  readonly endpoint: SshEndpoint
  readonly ipAddress: string | null
}

export type DriverVmState =
  | { readonly kind: 'absent' }
  | ({ readonly kind: 'running' } & RunningVm)
  | { readonly kind: 'stopped' }
  /** Starting, stopping, suspended, unknown, …: the backend's own word is in `detail`. */
  | { readonly kind: 'other'; readonly detail: string }

export interface DriverInstance {
  readonly instance: string
  readonly state: DriverVmState['kind']
}

export interface VmDriver {
  readonly name: BackendName
  /** Checks that the backend works on this host. Rejects with BACKEND_UNAVAILABLE saying what is missing. */
  probe(signal: AbortSignal): Promise<DriverInfo>
  /**
   * Creates and boots the instance; resolves once the backend reports it running
   * with a known SSH endpoint (the SSH server may still be starting).
   * A failure may leave a partial instance behind: the caller destroys it.
   */
  launch(spec: LaunchSpec, signal: AbortSignal): Promise<RunningVm>
  /** Boots a stopped instance; resolves like `launch`. Starting a running instance is a no-op. */
  start(instance: string, signal: AbortSignal): Promise<RunningVm>
  /** Powers the instance off (cleanly, then by force). Stopping a stopped instance is a no-op. */
  stop(instance: string, signal: AbortSignal): Promise<void>
  /** Removes the instance and every artefact it has. Resolves if it is already gone. */
  destroy(instance: string, signal: AbortSignal): Promise<void>
  inspect(instance: string, signal: AbortSignal): Promise<DriverVmState>
  /** Every instance whose name starts with `golem-`, for reconciliation at start. */
  list(signal: AbortSignal): Promise<DriverInstance[]>
}
