/**
 * The contract every VM backend keeps. `app/` talks to backends only through
 * this interface; `test/contract/driver-contract.ts` checks each driver against it.
 *
 * Every method honours its `signal` (aborting leaves the backend in a state the
 * next call can handle), is safe to call again after a failure, and rejects only
 * with a {@link DriverError}; the use cases turn its code into the client's.
 *
 * @module
 */
import type { VmResources } from '@golem-vm/protocol'
import type { CloudInitDocuments } from '../domain/cloud-init.js'
import type { BackendName, ImageEntry } from '../domain/images.js'
import type { GuestPort } from '../domain/port-mappings.js'
import type { SshEndpoint } from '../domain/vm.js'
import type { VmAttachment } from '../domain/vm-network.js'

/** How a backend call failed: the backend cannot be used here, it failed, or it did not finish in time. */
export type DriverErrorCode = 'UNAVAILABLE' | 'FAILED' | 'TIMEOUT'

/** The only error a driver rejects with; the message says what happened and, where it can, what to do. */
export class DriverError extends Error {
  override readonly name = 'DriverError'
  /**
   * True when the host was short of something every process needs (open files, processes:
   * `EMFILE`, `ENFILE`, `EAGAIN`, `ENOMEM`): nothing is wrong with the backend, and the same
   * call may succeed once the shortage passes.
   */
  readonly transient: boolean
  constructor(
    readonly code: DriverErrorCode,
    message: string,
    options?: { cause?: unknown; transient?: boolean },
  ) {
    super(message, options)
    this.transient = options?.transient ?? false
  }
}

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
  /**
   * The VM's place on the provider's isolated network: its TAP (which exists
   * already) and the guest's MAC and address (which the cloud-init
   * `network-config` gives it). Undefined: the backend's own networking.
   * Backends that manage their own network ignore it.
   */
  readonly network?: VmAttachment | undefined
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
  /** Checks that the backend works on this host. Rejects with UNAVAILABLE saying what is missing. */
  probe(signal: AbortSignal): Promise<DriverInfo>
  /**
   * Creates and boots the instance; resolves once the backend reports it running
   * with a known SSH endpoint. The guest may still be booting: the caller waits
   * for its SSH server (app/ports/ssh-readiness.ts), never the driver.
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
  /**
   * What an instance holds (CPU cores, memory and storage in GB), as far as the
   * backend records it; a figure it does not know is left out. The reconciler asks
   * this for `golem-*` instances without a record, so they count against capacity.
   */
  holdings?(instance: string, signal: AbortSignal): Promise<Partial<VmResources>>
  /**
   * What the backend can tell about an instance whose guest does not come up
   * (QEMU: the serial console's last lines), as a sentence fragment for an
   * error message. Backends that know nothing more leave it out. Never rejects.
   */
  bootReport?(instance: string): Promise<string>
  /**
   * Where the provider host reaches `port` of a running guest, so that the
   * renter's mapped port can be relayed there: the VM's own address on the
   * backend's VM network, or a loopback port the backend forwards to the
   * guest (QEMU user networking). Never an address of the host itself.
   * Calling it again for the same port returns the same forward. Backends
   * that cannot reach guest ports leave it out (then no ports are offered).
   */
  guestPortTarget?(instance: string, running: RunningVm, port: GuestPort, signal: AbortSignal): Promise<SshEndpoint>
  /**
   * Whether the guest has finished its own boot in the current run: cloud-init
   * printed its final message (`readyMarker` in domain/cloud-init.ts) on the
   * serial console, so it will not restart the SSH server any more. True for a
   * VM launched without the marker. Backends that cannot read the console leave
   * it out (the SSH banner alone then counts). Never rejects: false when unsure.
   */
  guestBooted?(instance: string): Promise<boolean>
}
