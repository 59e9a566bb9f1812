/**
 * The port the use cases forward renters' mapped ports through (besides SSH):
 * one listener per mapping on its public port, relaying to where the host
 * reaches the guest's port. `infra/ssh-proxy/` implements it in user space
 * (TCP and UDP); the kernel path (DNAT) is built from the store instead.
 *
 * @module
 */
import type { PortMapping } from '../../domain/port-mappings.js'
import type { SshEndpoint } from '../../domain/vm.js'

/** Where the provider host reaches a guest port (an address and port on the VM's side). */
export type GuestEndpoint = SshEndpoint

export interface PortForwarder {
  /**
   * Starts listening on the mapping's public port for `vmId`, relaying to
   * `target` (null: the VM is stopped; TCP connections are refused, UDP
   * datagrams dropped). Opening an open mapping only updates its target.
   * Rejects with `PortBindError` when the port cannot be bound.
   */
  openPort(vmId: string, mapping: PortMapping, target: GuestEndpoint | null): Promise<void>
  /** Points the mapping's listener at a new target, or at nothing; resolves once in force. Unknown mappings are ignored. */
  setPortTarget(vmId: string, publicPort: number, target: GuestEndpoint | null): void | Promise<void>
  /** Stops the mapping's listener and ends its connections and flows. Closing an unknown mapping is a no-op. */
  closePort(vmId: string, publicPort: number): Promise<void>
}
