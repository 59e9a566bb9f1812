/**
 * Isolated VMs' forwarded traffic, read from the kernel: the nftables
 * counters of every public port (`domain/traffic-counters.ts`), read every
 * few seconds in the background and summed per VM, so that the metrics and
 * the dashboard (which read synchronously) get the same figures as the
 * user-space proxy gives for unisolated VMs. The kernel keeps no count of
 * open connections here: `open` is left out.
 *
 * @module
 */
import type { Logger } from 'pino'
import { trafficOf, type CountedPort, type CounterValue } from '../domain/traffic-counters.js'
import type { ForwardingStats } from './ports/telemetry.js'

export interface KernelTrafficDeps {
  /** The counters as the kernel has them now. */
  readonly read: () => Promise<ReadonlyMap<string, CounterValue>>
  /** A VM's public ports (none: the VM has no forwarded ports). */
  readonly portsOf: (vmId: string) => readonly CountedPort[]
  readonly intervalMs: number
  readonly logger: Logger
}

export class KernelTraffic {
  #latest: ReadonlyMap<string, CounterValue> = new Map()
  #timer: NodeJS.Timeout | undefined
  #failing = false

  constructor(private readonly deps: KernelTrafficDeps) {}

  /** Reads the counters now and then every `intervalMs`, until `stop`. */
  async start(): Promise<void> {
    await this.update()
    this.#timer = setInterval(() => void this.update(), this.deps.intervalMs)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  /** One read; a failure keeps the last figures and is logged once until a read succeeds again. */
  async update(): Promise<void> {
    try {
      this.#latest = await this.deps.read()
      if (this.#failing) this.deps.logger.info('traffic counters readable again')
      this.#failing = false
    } catch (error) {
      if (!this.#failing) this.deps.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'cannot read the traffic counters')
      this.#failing = true
    }
  }

  /** The VM's forwarded traffic as last read; undefined when it has no public port. */
  stats(vmId: string): ForwardingStats | undefined {
    const ports = this.deps.portsOf(vmId)
    if (ports.length === 0) return undefined
    const t = trafficOf(ports, this.#latest)
    return { accepted: t.connections, refused: t.refused, bytesIn: t.bytesIn, bytesOut: t.bytesOut }
  }
}
