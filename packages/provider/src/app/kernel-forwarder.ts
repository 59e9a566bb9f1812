/**
 * Forwarding by the kernel: the VMs' public ports (SSH and renters' mapped
 * ports) become nftables DNAT entries (see `domain/firewall.ts`), so their
 * traffic never passes through the provider process, and VMs stay reachable
 * while it restarts.
 *
 * The provider still holds each public port with a listener (TCP: accepts
 * and closes at once; UDP: a bound socket): no other process can take a
 * VM's port, port verification sees it as the VM's, and while the VM is
 * stopped (no DNAT entry) a TCP connection is refused at once, as with the
 * user-space proxy.
 *
 * @module
 */
import type { KernelForward, Protocol } from '../domain/firewall.js'
import type { PortMapping } from '../domain/port-mappings.js'
import type { CountedPort } from '../domain/traffic-counters.js'
import type { SshEndpoint } from '../domain/vm.js'
import type { GuestEndpoint, PortForwarder } from './ports/port-forwarder.js'
import type { SshForwarder } from './ports/ssh-forwarder.js'

/** A held port; releasing it lets another process bind it. */
export interface PortHold {
  release(): Promise<void>
}

export interface KernelForwarderDeps {
  /** Binds the public port on the provider's address; rejects with a `PortBindError` when it is taken. */
  readonly hold: (port: number, protocol: Protocol) => Promise<PortHold>
  /** Applies the firewall with the current `forwards()`; resolves once the kernel has them. */
  readonly refresh: () => Promise<void>
}

interface Entry {
  readonly vmId: string
  readonly protocol: Protocol
  readonly port: number
  readonly hold: PortHold
  target: SshEndpoint | null
}

const SSH = 'ssh'
const key = (vmId: string, what: string) => `${vmId}\u0000${what}`

export class KernelForwarder implements SshForwarder, PortForwarder {
  readonly kind = 'kernel' as const
  /** By VM and `ssh` or `<protocol>/<public port>`. */
  readonly #entries = new Map<string, Entry>()

  constructor(private readonly deps: KernelForwarderDeps) {}

  /** Every running VM's public ports and guest endpoints, for the firewall. */
  forwards(): KernelForward[] {
    return [...this.#entries.values()].flatMap(({ protocol, port, target }) =>
      target === null ? [] : [{ protocol, publicPort: port, address: target.host, port: target.port }],
    )
  }

  /** Every held public port, its VM running or not: the kernel counts their traffic. */
  counted(): CountedPort[] {
    return [...this.#entries.values()].map(({ protocol, port }) => ({ protocol, publicPort: port }))
  }

  /** The public ports of one VM (its SSH port and its mappings). */
  portsOf(vmId: string): CountedPort[] {
    return [...this.#entries.values()].filter((e) => e.vmId === vmId).map(({ protocol, port }) => ({ protocol, publicPort: port }))
  }

  open(vmId: string, port: number, target: SshEndpoint | null): Promise<void> {
    return this.#open(key(vmId, SSH), vmId, 'tcp', port, target)
  }

  setTarget(vmId: string, target: SshEndpoint | null): Promise<void> {
    return this.#retarget(key(vmId, SSH), target)
  }

  /** Closes the VM's SSH port and every mapped port it has. */
  async close(vmId: string): Promise<void> {
    const mine = [...this.#entries.entries()].filter(([, e]) => e.vmId === vmId)
    if (mine.length === 0) return
    for (const [k] of mine) this.#entries.delete(k)
    await Promise.all(mine.map(([, e]) => e.hold.release()))
    await this.deps.refresh()
  }

  openPort(vmId: string, mapping: PortMapping, target: GuestEndpoint | null): Promise<void> {
    return this.#open(key(vmId, `${mapping.protocol}/${mapping.publicPort}`), vmId, mapping.protocol, mapping.publicPort, target)
  }

  setPortTarget(vmId: string, publicPort: number, target: GuestEndpoint | null): Promise<void> {
    const k = [...this.#entries.keys()].find((x) => x === key(vmId, `tcp/${publicPort}`) || x === key(vmId, `udp/${publicPort}`))
    return k === undefined ? Promise.resolve() : this.#retarget(k, target)
  }

  async closePort(vmId: string, publicPort: number): Promise<void> {
    const gone = [key(vmId, `tcp/${publicPort}`), key(vmId, `udp/${publicPort}`)].flatMap((k) => {
      const e = this.#entries.get(k)
      this.#entries.delete(k)
      return e === undefined ? [] : [e]
    })
    if (gone.length === 0) return
    await Promise.all(gone.map((e) => e.hold.release()))
    await this.deps.refresh()
  }

  /** Releases the held ports; the rules stay in the kernel. */
  async closeAll(): Promise<void> {
    const entries = [...this.#entries.values()]
    this.#entries.clear()
    await Promise.all(entries.map((e) => e.hold.release()))
  }

  async #open(k: string, vmId: string, protocol: Protocol, port: number, target: SshEndpoint | null): Promise<void> {
    const existing = this.#entries.get(k)
    if (existing !== undefined && existing.port === port) return this.#retarget(k, target)
    if (existing !== undefined) {
      this.#entries.delete(k)
      await existing.hold.release()
    }
    const hold = await this.deps.hold(port, protocol)
    this.#entries.set(k, { vmId, protocol, port, hold, target })
    try {
      await this.deps.refresh()
    } catch (error) {
      this.#entries.delete(k)
      await hold.release()
      throw error
    }
  }

  async #retarget(k: string, target: SshEndpoint | null): Promise<void> {
    const entry = this.#entries.get(k)
    if (entry === undefined) return
    entry.target = target
    await this.deps.refresh()
  }
}
