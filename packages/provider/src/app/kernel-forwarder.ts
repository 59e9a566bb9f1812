/**
 * Forwarding by the kernel: the VMs' public ports become nftables DNAT
 * entries (see `domain/firewall.ts`), so SSH and bulk traffic never pass
 * through the provider process, and VMs stay reachable while it restarts.
 *
 * The provider still holds each public port with a listener that accepts
 * and closes at once: no other process can take a VM's port, port
 * verification sees it as the VM's, and while the VM is stopped (no DNAT
 * entry) a connection is refused at once, as with the user-space proxy.
 *
 * @module
 */
import type { KernelForward } from '../domain/firewall.js'
import type { SshEndpoint } from '../domain/vm.js'

/** A held port; releasing it lets another process bind it. */
export interface PortHold {
  release(): Promise<void>
}

export interface KernelForwarderDeps {
  /** Binds the public port on the provider's address; rejects with a `PortBindError` when it is taken. */
  readonly hold: (port: number) => Promise<PortHold>
  /** Applies the firewall with the current `forwards()`; resolves once the kernel has them. */
  readonly refresh: () => Promise<void>
}

interface Entry {
  readonly port: number
  readonly hold: PortHold
  target: SshEndpoint | null
}

export class KernelForwarder {
  readonly kind = 'kernel' as const
  readonly #vms = new Map<string, Entry>()

  constructor(private readonly deps: KernelForwarderDeps) {}

  /** Every running VM's public SSH port and guest endpoint, for the firewall. */
  forwards(): KernelForward[] {
    return [...this.#vms.values()].flatMap(({ port, target }) =>
      (target === null ? [] : [{ protocol: 'tcp' as const, publicPort: port, address: target.host, port: target.port }]))
  }

  async open(vmId: string, port: number, target: SshEndpoint | null): Promise<void> {
    const existing = this.#vms.get(vmId)
    if (existing !== undefined && existing.port === port) return this.setTarget(vmId, target)
    if (existing !== undefined) await this.close(vmId)
    const hold = await this.deps.hold(port)
    this.#vms.set(vmId, { port, hold, target })
    try {
      await this.deps.refresh()
    } catch (error) {
      this.#vms.delete(vmId)
      await hold.release()
      throw error
    }
  }

  async setTarget(vmId: string, target: SshEndpoint | null): Promise<void> {
    const entry = this.#vms.get(vmId)
    if (entry === undefined) return
    entry.target = target
    await this.deps.refresh()
  }

  async close(vmId: string): Promise<void> {
    const entry = this.#vms.get(vmId)
    if (entry === undefined) return
    this.#vms.delete(vmId)
    await entry.hold.release()
    await this.deps.refresh()
  }

  /** Releases the held ports; the rules stay in the kernel. */
  async closeAll(): Promise<void> {
    const entries = [...this.#vms.values()]
    this.#vms.clear()
    await Promise.all(entries.map((e) => e.hold.release()))
  }
}
