/**
 * The port the use cases forward renters' SSH through: one listener per VM
 * on the VM's public port, relaying to the VM's SSH server. `infra/ssh-proxy/`
 * implements it.
 *
 * @module
 */
import type { SshEndpoint } from '../../domain/vm.js'

export interface SshForwarder {
  /**
   * Starts listening on `port` for `vmId`, relaying to `target` (null: a
   * stopped VM, connections are refused). Opening an open VM only updates its
   * target. Rejects with {@link PortBindError} when the port cannot be bound.
   */
  open(vmId: string, port: number, target: SshEndpoint | null): Promise<void>
  /** Points the VM's listener at a new endpoint, or at nothing; resolves once in force. Unknown VMs are ignored. */
  setTarget(vmId: string, target: SshEndpoint | null): void | Promise<void>
  /** Stops the VM's listener and closes its connections. Closing an unknown VM is a no-op. */
  close(vmId: string): Promise<void>
}

/** A VM's port cannot be bound: another process holds it. */
export class PortBindError extends Error {
  override readonly name = 'PortBindError'
  constructor(
    readonly port: number,
    cause: unknown,
  ) {
    super(`port ${port} cannot be bound: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
}
