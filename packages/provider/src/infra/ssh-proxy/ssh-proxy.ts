/**
 * The SSH proxy: one TCP listener per VM, on the VM's public port, relaying
 * bytes to the VM's SSH server. A plain relay with the limits a public
 * service needs: backpressure both ways (a slow reader stalls its sender
 * instead of filling the provider's memory), half-close, connect and idle
 * timeouts, keep-alive, a connection cap per VM, and byte counters.
 *
 * The relaying runs in one worker thread, with its own event loop and heap;
 * the main thread keeps the bookkeeping (ports, targets, counters) and logs.
 * Measured on the daemon (bench/ssh-proxy.ts), this is what keeps the proxy
 * off the critical path:
 * - every socket read allocates a fresh 64 KiB buffer; in the main isolate
 *   that external-memory pressure forced a mark-compact of the whole API heap
 *   about every 50 MB forwarded (~20 per GiB), which halved throughput; in
 *   the worker's small heap these collections cost next to nothing;
 * - a busy main thread (an API burst, spawning a backend process, which
 *   blocks until the child has exec'd, a SQLite fsync) no longer delays a
 *   renter's keystrokes.
 * VM → renter data is read into one buffer per connection and written from
 * there (no allocation per read); renter → VM uses `pipe()`, as accepted
 * sockets cannot read into a buffer of their own.
 * If the worker dies, it is restarted and every listener is opened again.
 *
 * @module
 */
import net from 'node:net'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import type { Logger } from 'pino'
import type { SshEndpoint } from '../../domain/vm.js'
import { PortBindError, type SshForwarder } from '../../app/ports/ssh-forwarder.js'

export interface SshProxyOptions {
  /** Address the listeners bind (the provider's HOST). */
  readonly host: string
  readonly connectTimeoutMs: number
  /** A connection with no traffic either way for this long is closed; 0 disables. */
  readonly idleTimeoutMs: number
  readonly maxConnectionsPerVm: number
  readonly logger: Logger
}

export interface ProxyStats {
  readonly port: number
  readonly target: SshEndpoint | null
  readonly activeConnections: number
  readonly totalConnections: number
  readonly bytesIn: number
  readonly bytesOut: number
}

// ---------------------------------------------------------------- messages between the threads

const RELAY_TAG = 'golem-ssh-proxy-relay'

interface RelayConfig {
  readonly host: string
  readonly connectTimeoutMs: number
  readonly idleTimeoutMs: number
  readonly maxConnectionsPerVm: number
  /** Log levels the main thread would print; the worker does not send the others. */
  readonly info: boolean
  readonly debug: boolean
}

/** Requests the relay answers with `done`. */
type RelayRequest =
  | { readonly op: 'open'; readonly vmId: string; readonly port: number; readonly target: SshEndpoint | null }
  | { readonly op: 'close'; readonly vmId: string }

type ToRelay =
  | (RelayRequest & { readonly seq: number })
  | { readonly op: 'target'; readonly vmId: string; readonly target: SshEndpoint | null }

type FromRelay =
  | { readonly op: 'done'; readonly seq: number; readonly error?: { readonly message: string; readonly code?: string } }
  | { readonly op: 'log'; readonly level: 'info' | 'debug' | 'error'; readonly fields: Record<string, unknown>; readonly msg: string }
  | { readonly op: 'stats'; readonly vmId: string; readonly active: number; readonly total: number; readonly bytesIn: number; readonly bytesOut: number }

// ---------------------------------------------------------------- main thread

interface ListenerView {
  readonly port: number
  target: SshEndpoint | null
  active: number
  total: number
  bytesIn: number
  bytesOut: number
}

export class SshProxy implements SshForwarder {
  readonly #listeners = new Map<string, ListenerView>()
  readonly #pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>()
  #relay: Worker | undefined
  #seq = 0
  /** When the relay thread was restarted after dying; bounded so a relay that cannot start is not restarted forever. */
  readonly #restarts: number[] = []

  constructor(private readonly opts: SshProxyOptions) {}

  /** Starts listening on `port` for `vmId`. Opening an already open VM only updates its target. */
  async open(vmId: string, port: number, target: SshEndpoint | null): Promise<void> {
    const existing = this.#listeners.get(vmId)
    if (existing !== undefined && existing.port === port) {
      this.setTarget(vmId, target)
      return
    }
    if (existing !== undefined) await this.close(vmId)
    try {
      await this.#call({ op: 'open', vmId, port, target })
    } catch (error) {
      throw new PortBindError(port, error)
    }
    this.#listeners.set(vmId, { port, target, active: 0, total: 0, bytesIn: 0, bytesOut: 0 })
    this.opts.logger.info({ vm: vmId, port, target }, 'ssh proxy listening')
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
        this.opts.logger.error({ vm: vmId, port: listener.port, err: (error as Error).message }, 'ssh proxy close failed')
      }
    }
    this.opts.logger.info({ vm: vmId, port: listener.port }, 'ssh proxy closed')
  }

  /** Closes every listener and stops the relay thread. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#listeners.keys()].map((id) => this.close(id)))
    const relay = this.#relay
    this.#relay = undefined
    if (relay !== undefined) await relay.terminate()
  }

  stats(vmId: string): ProxyStats | undefined {
    const l = this.#listeners.get(vmId)
    if (l === undefined) return undefined
    return { port: l.port, target: l.target, activeConnections: l.active, totalConnections: l.total, bytesIn: l.bytesIn, bytesOut: l.bytesOut }
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
    const { logger } = this.opts
    const config: RelayConfig = {
      host: this.opts.host,
      connectTimeoutMs: this.opts.connectTimeoutMs,
      idleTimeoutMs: this.opts.idleTimeoutMs,
      maxConnectionsPerVm: this.opts.maxConnectionsPerVm,
      info: logger.isLevelEnabled('info'),
      debug: logger.isLevelEnabled('debug'),
    }
    const relay = new Worker(new URL(import.meta.url), { workerData: { tag: RELAY_TAG, config } })
    this.#relay = relay
    relay.unref()
    relay.on('message', (m: FromRelay) => {
      if (m.op === 'done') {
        this.#settle(m.seq, m.error === undefined ? undefined : Object.assign(new Error(m.error.message), { code: m.error.code }))
      } else if (m.op === 'log') {
        logger[m.level](m.fields, m.msg)
      } else {
        const view = this.#listeners.get(m.vmId)
        if (view !== undefined) Object.assign(view, { active: m.active, total: m.total, bytesIn: m.bytesIn, bytesOut: m.bytesOut })
      }
    })
    relay.on('error', (error) => logger.error({ err: error.message }, 'ssh proxy relay failed'))
    relay.on('exit', (code) => {
      if (this.#relay !== relay) return // stopped by closeAll
      this.#relay = undefined
      for (const seq of [...this.#pending.keys()]) this.#settle(seq, new Error(`the relay thread stopped (exit ${code})`))
      const now = Date.now()
      this.#restarts.push(now)
      while ((this.#restarts[0] ?? now) < now - 60_000) this.#restarts.shift()
      if (this.#restarts.length > 3) {
        logger.error({ code, listeners: this.#listeners.size }, 'ssh proxy relay keeps stopping; SSH forwarding is down until the provider restarts')
        return
      }
      logger.error({ code, listeners: this.#listeners.size }, 'ssh proxy relay stopped unexpectedly; opening the listeners again')
      this.#reopen().catch((error: unknown) => logger.error({ err: String(error) }, 'ssh proxy listeners could not be opened again'))
    })
    return relay
  }

  async #reopen(): Promise<void> {
    for (const [vmId, view] of this.#listeners) {
      try {
        await this.#call({ op: 'open', vmId, port: view.port, target: view.target })
      } catch (error) {
        this.opts.logger.error({ vm: vmId, port: view.port, err: (error as Error).message }, 'ssh proxy listener could not be opened again')
      }
    }
  }
}

// ---------------------------------------------------------------- relay thread

/** Read buffer per connection for the VM → renter direction (libuv's own read size). */
const READ_BUFFER_BYTES = 64 * 1024

interface Listener {
  readonly server: net.Server
  readonly port: number
  target: SshEndpoint | null
  readonly sockets: Set<net.Socket>
  active: number
  total: number
  bytesIn: number
  bytesOut: number
}

function runRelay(config: RelayConfig, port: NonNullable<typeof parentPort>): void {
  const listeners = new Map<string, Listener>()
  const send = (message: FromRelay) => port.postMessage(message)
  const log = (level: 'info' | 'debug' | 'error', fields: Record<string, unknown>, msg: string) => {
    if (level === 'error' || (level === 'info' && config.info) || (level === 'debug' && config.debug)) send({ op: 'log', level, fields, msg })
  }
  const report = (vmId: string, l: Listener) => send({ op: 'stats', vmId, active: l.active, total: l.total, bytesIn: l.bytesIn, bytesOut: l.bytesOut })

  const close = async (vmId: string) => {
    const listener = listeners.get(vmId)
    if (listener === undefined) return
    listeners.delete(vmId)
    for (const socket of listener.sockets) socket.destroy()
    await new Promise<void>((resolve) => listener.server.close(() => resolve()))
  }

  const open = async (vmId: string, listenPort: number, target: SshEndpoint | null) => {
    const existing = listeners.get(vmId)
    if (existing !== undefined && existing.port === listenPort) {
      existing.target = target
      return
    }
    if (existing !== undefined) await close(vmId)
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true })
    const listener: Listener = { server, port: listenPort, target, sockets: new Set(), active: 0, total: 0, bytesIn: 0, bytesOut: 0 }
    server.on('connection', (client) => relay(vmId, listener, client))
    server.maxConnections = config.maxConnectionsPerVm
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host: config.host, port: listenPort, exclusive: true }, () => resolve())
    })
    server.on('error', (error) => log('error', { vm: vmId, port: listenPort, err: error.message }, 'ssh proxy listener error'))
    listeners.set(vmId, listener)
  }

  // Relays one client connection to the VM; either side's end or error ends both.
  const relay = (vmId: string, listener: Listener, client: net.Socket) => {
    const target = listener.target
    if (target === null) {
      client.destroy()
      return
    }
    // VM → renter without a fresh buffer per read: each read lands in this connection's buffer and is
    // written to the renter from there. While a write still holds the buffer (the renter is slower),
    // reading stops, so the buffer is never overwritten and the VM is held back (backpressure).
    let upstreamPaused = false
    const resumeUpstream = (error?: Error | null) => {
      if (error == null && upstreamPaused) {
        upstreamPaused = false
        upstream.resume()
      }
    }
    const upstream = net.connect({
      host: target.host, port: target.port, allowHalfOpen: true, noDelay: true,
      onread: {
        buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
        callback: (bytes: number, buffer: Uint8Array) => {
          client.write(buffer.subarray(0, bytes), resumeUpstream)
          if (client.writableLength === 0) return true
          upstreamPaused = true
          return false
        },
      },
    })
    upstream.on('end', () => client.end())
    const peer = `${client.remoteAddress ?? '?'}:${client.remotePort ?? 0}`
    listener.total++
    listener.active++
    listener.sockets.add(client).add(upstream)
    report(vmId, listener)
    const connectTimer = setTimeout(() => upstream.destroy(new Error('connect timeout')), config.connectTimeoutMs)
    upstream.once('connect', () => {
      clearTimeout(connectTimer)
      for (const s of [client, upstream]) {
        s.setKeepAlive(true, 60_000)
        if (config.idleTimeoutMs > 0) s.setTimeout(config.idleTimeoutMs, () => s.destroy())
      }
    })
    client.pipe(upstream)
    client.resume()
    let closed = 0
    const onClose = () => {
      if (++closed < 2) return
      clearTimeout(connectTimer)
      listener.sockets.delete(client)
      listener.sockets.delete(upstream)
      listener.active--
      listener.bytesIn += client.bytesRead
      listener.bytesOut += client.bytesWritten
      report(vmId, listener)
      log('info', { vm: vmId, peer, bytesIn: client.bytesRead, bytesOut: client.bytesWritten }, 'ssh connection closed')
    }
    const onError = (error: Error) => {
      log('debug', { vm: vmId, peer, err: error.message }, 'ssh connection error')
      client.destroy()
      upstream.destroy()
    }
    for (const s of [client, upstream]) {
      s.on('error', onError)
      s.on('close', onClose)
    }
    log('info', { vm: vmId, peer, target }, 'ssh connection opened')
  }

  port.on('message', (m: ToRelay) => {
    if (m.op === 'target') {
      const listener = listeners.get(m.vmId)
      if (listener !== undefined) listener.target = m.target
      return
    }
    const work = m.op === 'open' ? open(m.vmId, m.port, m.target) : close(m.vmId)
    work.then(
      () => send({ op: 'done', seq: m.seq }),
      (error: unknown) => send({ op: 'done', seq: m.seq, error: { message: error instanceof Error ? error.message : String(error), code: (error as NodeJS.ErrnoException).code } }),
    )
  })
}

const isRelayData = (data: unknown): data is { tag: string; config: RelayConfig } =>
  typeof data === 'object' && data !== null && (data as { tag?: unknown }).tag === RELAY_TAG

if (!isMainThread && parentPort !== null && isRelayData(workerData)) runRelay(workerData.config, parentPort)
