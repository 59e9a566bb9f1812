/**
 * A VM's mapped ports on the forwarder: where each one is relayed to (the
 * backend says where the host reaches a guest port), opened with the VM,
 * pointed at the guest when it runs and at nothing while it is stopped,
 * closed with the mapping or the VM.
 *
 * @module
 */
import type { Logger } from 'pino'
import { describePort, type PortMapping } from '../domain/port-mappings.js'
import type { VmRecord } from '../domain/vm.js'
import { DriverError, type RunningVm, type VmDriver } from '../drivers/driver.js'
import type { GuestEndpoint, PortForwarder } from './ports/port-forwarder.js'

export interface PortForwardingDeps {
  readonly driver: VmDriver
  readonly forwarder: PortForwarder
  readonly logger: Logger
}

/** The running VM as its record knows it; null unless it runs with a known endpoint. */
export const runningOf = (vm: VmRecord): RunningVm | null =>
  vm.status === 'running' && vm.endpoint !== null ? { endpoint: vm.endpoint, ipAddress: vm.ipAddress } : null

export class PortForwarding {
  readonly #d: PortForwardingDeps

  constructor(deps: PortForwardingDeps) {
    this.#d = deps
  }

  /** Whether the backend can reach guest ports at all (if not, no mappings are offered). */
  get supported(): boolean {
    return this.#d.driver.guestPortTarget !== undefined
  }

  /**
   * Opens `mappings` of `vm` (all of them by default), relaying to the guest
   * when `running` is given. Rejects with the first failure; what opened
   * before it stays open (the caller's undo closes the VM's mappings).
   */
  async open(vm: VmRecord, running: RunningVm | null, signal: AbortSignal, mappings: readonly PortMapping[] = vm.ports): Promise<void> {
    for (const mapping of mappings) {
      const target = await this.#target(vm, running, mapping, signal)
      await this.#d.forwarder.openPort(vm.id, mapping, target)
      this.#d.logger.info({ vm: vm.id, port: describePort(mapping), publicPort: mapping.publicPort, target }, 'port mapping open')
    }
  }

  /** Points every mapping of `vm` at the running guest, or at nothing (stopped). */
  async retarget(vm: VmRecord, running: RunningVm | null, signal: AbortSignal): Promise<void> {
    for (const mapping of vm.ports) {
      await this.#d.forwarder.setPortTarget(vm.id, mapping.publicPort, await this.#target(vm, running, mapping, signal))
    }
  }

  /** Closes `mappings` of `vm` (all by default); never rejects. */
  async close(vm: VmRecord, mappings: readonly PortMapping[] = vm.ports): Promise<void> {
    for (const mapping of mappings) await this.#d.forwarder.closePort(vm.id, mapping.publicPort)
  }

  async #target(vm: VmRecord, running: RunningVm | null, mapping: PortMapping, signal: AbortSignal): Promise<GuestEndpoint | null> {
    if (running === null) return null
    const { driver } = this.#d
    if (driver.guestPortTarget === undefined) {
      throw new DriverError('FAILED', `the ${driver.name} backend cannot reach guest ports, so ${describePort(mapping)} of VM "${vm.name}" cannot be forwarded`)
    }
    return driver.guestPortTarget(vm.instance, running, mapping, signal)
  }
}
