/**
 * The SSH proxy: one TCP listener per VM, on the VM's public port, relaying
 * bytes to the VM's SSH server. This is its manager, on the main thread: it
 * keeps the bookkeeping (ports, targets, counters), logs, and runs the relay
 * (`relay.ts`) on a worker thread of its own (`relay-thread.ts`), started
 * with the first listener and restarted, with every listener, if it dies.
 *
 * Why a worker thread; measured on the daemon (bench/ssh-proxy.ts):
 * - every socket read allocates a fresh 64 KiB buffer; in the main isolate
 *   that external-memory pressure forced a mark-compact of the whole API heap
 *   about every 50 MB forwarded (~20 per GiB), which halved throughput; in
 *   the worker's small heap these collections cost next to nothing;
 * - a busy main thread (an API burst, spawning a backend process, which
 *   blocks until the child has exec'd, a SQLite fsync) no longer delays a
 *   renter's keystrokes.
 *
 * @module
 */
import { Worker } from 'node:worker_threads'
import type { Logger } from 'pino'
import type { SshEndpoint } from '../../domain/vm.js'
import type { PortMapping } from '../../domain/port-mappings.js'
import type { GuestEndpoint, PortForwarder } from '../../app/ports/port-forwarder.js'
import { PortBindError, type SshForwarder } from '../../app/ports/ssh-forwarder.js'
import type { ListenerKind, RelayConfig, RelayStats } from './relay.js'
import type { FromRelay, RelayRequest, RelayThreadData, ToRelay } from './relay-messages.js'

export interface SshProxyOptions extends RelayConfig {
  readonly logger: Logger
  /** Starts the relay thread; tests wrap it to watch or kill the thread. */
  readonly startThread?: (data: RelayThreadData) => Worker
  readonly now?: () => number
}

export interface ProxyStats extends RelayStats {
  readonly port: number
  readonly target: SshEndpoint | null
}

/** The relay thread's entry file (compiled next to this one). */
export const RELAY_THREAD_URL = new URL('./relay-thread.js', import.meta.url)

/** More restarts than this within `RESTART_WINDOW_MS` and the relay is left stopped. */
const MAX_RESTARTS = 3
const RESTART_WINDOW_MS = 60_000

interface ListenerView {
  readonly port: number
  readonly kind: ListenerKind
  target: SshEndpoint | null
  /** As the running relay thread last reported them. */
  current: RelayStats
  /** Totals of the relay threads that ran before it (restarts). */
  carried: RelayStats
}

const NO_TRAFFIC: RelayStats = { activeConnections: 0, totalConnections: 0, refusedConnections: 0, bytesIn: 0, bytesOut: 0 }

/** The relay's name for a mapped port's listener (a VM's SSH listener is named by the VM id alone). */
const mappingId = (vmId: string, publicPort: number): string => `${vmId}#${publicPort}`
/** True for the listener ids of `vmId`: its SSH port and its mapped ports. */
const ofVm = (id: string, vmId: string): boolean => id === vmId || id.startsWith(`${vmId}#`)

export class SshProxy implements SshForwarder, PortForwarder {
  readonly #listeners = new Map<string, ListenerView>()
  readonly #pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>()
  readonly #opts: SshProxyOptions
  readonly #now: () => number
  #relay: Worker | undefined
  #seq = 0
  /** When the relay thread was restarted after dying. */
  readonly #restarts: number[] = []

  constructor(opts: SshProxyOptions) {
    this.#opts = opts
    this.#now = opts.now ?? Date.now
  }

  /** Starts listening on `port` for `vmId`. Opening an already open VM only updates its target. */
  open(vmId: string, port: number, target: SshEndpoint | null): Promise<void> {
    return this.#open(vmId, port, target, 'ssh')
  }

  /** Starts forwarding a mapped port of `vmId` (TCP or UDP, no SSH checks). */
  openPort(vmId: string, mapping: PortMapping, target: GuestEndpoint | null): Promise<void> {
    return this.#open(mappingId(vmId, mapping.publicPort), mapping.publicPort, target, mapping.protocol)
  }

  setPortTarget(vmId: string, publicPort: number, target: GuestEndpoint | null): void {
    this.setTarget(mappingId(vmId, publicPort), target)
  }

  closePort(vmId: string, publicPort: number): Promise<void> {
    return this.close(mappingId(vmId, publicPort))
  }

  async #open(id: string, port: number, target: SshEndpoint | null, kind: ListenerKind): Promise<void> {
    const existing = this.#listeners.get(id)
    if (existing !== undefined && existing.port === port) {
      this.setTarget(id, target)
      return
    }
    if (existing !== undefined) await this.close(id)
    try {
      await this.#call({ op: 'open', vmId: id, port, target, kind })
    } catch (error) {
      throw new PortBindError(port, error)
    }
    this.#listeners.set(id, { port, kind, target, current: NO_TRAFFIC, carried: NO_TRAFFIC })
    this.#opts.logger.info({ listener: id, port, kind, target }, 'proxy listening')
  }

  /** Points the VM's listener at a new endpoint (after a start), or at nothing (stopped VM: connections are refused). */
  setTarget(vmId: string, target: SshEndpoint | null): void {
    const listener = this.#listeners.get(vmId)
    if (listener === undefined) return
    listener.target = target
    this.#relay?.postMessage({ op: 'target', vmId, target } satisfies ToRelay)
  }

  /** Stops the listener and closes its connections. Closing an unknown VM is a no-op. */
  async close(vmId: string): Promise<void> {
    const listener = this.#listeners.get(vmId)
    if (listener === undefined) return
    this.#listeners.delete(vmId)
    if (this.#relay !== undefined) {
      try {
        await this.#call({ op: 'close', vmId })
      } catch (error) {
        this.#opts.logger.error({ vm: vmId, port: listener.port, err: (error as Error).message }, 'ssh proxy close failed')
      }
    }
    this.#opts.logger.info({ vm: vmId, port: listener.port }, 'ssh proxy closed')
  }

  /** Closes every listener and stops the relay thread. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#listeners.keys()].map((id) => this.close(id)))
    const relay = this.#relay
    this.#relay = undefined
    if (relay !== undefined) await relay.terminate()
  }

  /** The VM's counters as the relay last reported them (when a connection opened or closed), across relay restarts. */
  stats(vmId: string): ProxyStats | undefined {
    return this.#stats(vmId)
  }

  /** A mapped port's counters, like {@link stats}. */
  portStats(vmId: string, publicPort: number): ProxyStats | undefined {
    return this.#stats(mappingId(vmId, publicPort))
  }

  /** Everything forwarded for the VM: its SSH port and all its mapped ports together; undefined when it has none open. */
  vmStats(vmId: string): RelayStats | undefined {
    let total: RelayStats | undefined
    for (const [id, l] of this.#listeners) {
      if (!ofVm(id, vmId)) continue
      const one = sum(l.carried, l.current)
      total = total === undefined ? one : add(total, one)
    }
    return total
  }

  #stats(id: string): ProxyStats | undefined {
    const l = this.#listeners.get(id)
    if (l === undefined) return undefined
    return { port: l.port, target: l.target, ...sum(l.carried, l.current) }
  }

  /** Ports this proxy holds now. */
  ports(): number[] {
    return [...this.#listeners.values()].map((l) => l.port)
  }

  // Sends a request to the relay and resolves with its answer; the relay keeps the process alive only while one is pending.
  #call(message: RelayRequest): Promise<void> {
    const relay = this.#relay ?? this.#start()
    const seq = ++this.#seq
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject })
      relay.ref()
      relay.postMessage({ ...message, seq } satisfies ToRelay)
    })
  }

  #settle(seq: number, error?: Error): void {
    const waiter = this.#pending.get(seq)
    if (waiter === undefined) return
    this.#pending.delete(seq)
    if (this.#pending.size === 0) this.#relay?.unref()
    if (error === undefined) waiter.resolve()
    else waiter.reject(error)
  }

  #start(): Worker {
    const { logger, startThread, now: _now, ...config } = this.#opts
    const data: RelayThreadData = {
      config,
      levels: { info: logger.isLevelEnabled('info'), debug: logger.isLevelEnabled('debug') },
    }
    const relay = startThread?.(data) ?? new Worker(RELAY_THREAD_URL, { workerData: data })
    this.#relay = relay
    relay.unref()
    relay.on('message', (m: FromRelay) => this.#receive(m))
    relay.on('error', (error) => logger.error({ err: error.message }, 'ssh proxy relay failed'))
    relay.on('exit', (code) => {
      if (this.#relay === relay) this.#restart(code)
    })
    return relay
  }

  #receive(m: FromRelay): void {
    if (m.op === 'done') {
      this.#settle(m.seq, m.error === undefined ? undefined : Object.assign(new Error(m.error.message), { code: m.error.code }))
    } else if (m.op === 'log') {
      this.#opts.logger[m.level](m.fields, m.msg)
    } else {
      const view = this.#listeners.get(m.vmId)
      if (view !== undefined) view.current = m.stats
    }
  }

  // The relay thread stopped without closeAll(): fail what waited on it and open the listeners again, unless it keeps dying.
  #restart(code: number): void {
    const { logger } = this.#opts
    this.#relay = undefined
    for (const view of this.#listeners.values()) {
      // The connections died with the thread; their bytes as last reported stay counted.
      view.carried = { ...sum(view.carried, view.current), activeConnections: 0 }
      view.current = NO_TRAFFIC
    }
    for (const seq of [...this.#pending.keys()]) this.#settle(seq, new Error(`the relay thread stopped (exit ${code})`))
    const now = this.#now()
    this.#restarts.push(now)
    while ((this.#restarts[0] ?? now) <= now - RESTART_WINDOW_MS) this.#restarts.shift()
    if (this.#restarts.length > MAX_RESTARTS) {
      logger.error({ code, listeners: this.#listeners.size }, 'ssh proxy relay keeps stopping; SSH forwarding is down until the provider restarts')
      return
    }
    logger.error({ code, listeners: this.#listeners.size }, 'ssh proxy relay stopped unexpectedly; opening the listeners again')
    this.#reopen().catch((error: unknown) => logger.error({ err: String(error) }, 'ssh proxy listeners could not be opened again'))
  }

  async #reopen(): Promise<void> {
    let opened = 0
    for (const [vmId, view] of this.#listeners) {
      try {
        await this.#call({ op: 'open', vmId, port: view.port, target: view.target, kind: view.kind })
        opened++
      } catch (error) {
        this.#opts.logger.error({ vm: vmId, port: view.port, err: (error as Error).message }, 'ssh proxy listener could not be opened again')
      }
    }
    this.#opts.logger.info({ opened, listeners: this.#listeners.size }, 'ssh proxy listeners opened again')
  }
}

/** Two listeners' counters together. */
function add(a: RelayStats, b: RelayStats): RelayStats {
  return {
    activeConnections: a.activeConnections + b.activeConnections,
    totalConnections: a.totalConnections + b.totalConnections,
    refusedConnections: a.refusedConnections + b.refusedConnections,
    bytesIn: a.bytesIn + b.bytesIn,
    bytesOut: a.bytesOut + b.bytesOut,
  }
}

/** Counters of two relay threads' lifetimes (active connections: the later one's). */
function sum(before: RelayStats, now: RelayStats): RelayStats {
  return { ...add(before, now), activeConnections: now.activeConnections }
}
