/**
 * The SSH proxy: one TCP listener per VM, on the VM's public port, relaying
 * bytes to the VM's SSH server. A plain relay with the limits a public
 * service needs: backpressure both ways (a slow reader stalls its sender
 * instead of filling the provider's memory), half-close, connect and idle
 * timeouts, keep-alive, a connection cap per VM, and byte counters.
 *
 * @module
 */
import net from 'node:net'
import type { Logger } from 'pino'
import type { SshEndpoint } from '../../domain/vm.js'

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

interface Listener {
  readonly server: net.Server
  readonly port: number
  target: SshEndpoint | null
  readonly sockets: Set<net.Socket>
  total: number
  bytesIn: number
  bytesOut: number
}

/** Thrown when a VM's port cannot be bound (another process holds it). */
export class PortBindError extends Error {
  override readonly name = 'PortBindError'
  constructor(readonly port: number, cause: unknown) {
    super(`port ${port} cannot be bound: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
}

export class SshProxy {
  readonly #listeners = new Map<string, Listener>()

  constructor(private readonly opts: SshProxyOptions) {}

  /** Starts listening on `port` for `vmId`. Opening an already open VM only updates its target. */
  async open(vmId: string, port: number, target: SshEndpoint | null): Promise<void> {
    const existing = this.#listeners.get(vmId)
    if (existing !== undefined && existing.port === port) {
      existing.target = target
      return
    }
    if (existing !== undefined) await this.close(vmId)
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true })
    const listener: Listener = { server, port, target, sockets: new Set(), total: 0, bytesIn: 0, bytesOut: 0 }
    server.on('connection', (client) => this.#relay(vmId, listener, client))
    server.maxConnections = this.opts.maxConnectionsPerVm
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new PortBindError(port, error)))
      server.listen({ host: this.opts.host, port, exclusive: true }, () => resolve())
    })
    server.on('error', (error) => this.opts.logger.error({ vm: vmId, port, err: error.message }, 'ssh proxy listener error'))
    this.#listeners.set(vmId, listener)
    this.opts.logger.info({ vm: vmId, port, target }, 'ssh proxy listening')
  }

  /** Points the VM's listener at a new endpoint (after a start), or at nothing (stopped VM: connections are refused). */
  setTarget(vmId: string, target: SshEndpoint | null): void {
    const listener = this.#listeners.get(vmId)
    if (listener !== undefined) listener.target = target
  }

  /** Stops the listener and closes its connections. Closing an unknown VM is a no-op. */
  async close(vmId: string): Promise<void> {
    const listener = this.#listeners.get(vmId)
    if (listener === undefined) return
    this.#listeners.delete(vmId)
    for (const socket of listener.sockets) socket.destroy()
    await new Promise<void>((resolve) => listener.server.close(() => resolve()))
    this.opts.logger.info({ vm: vmId, port: listener.port }, 'ssh proxy closed')
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#listeners.keys()].map((id) => this.close(id)))
  }

  stats(vmId: string): ProxyStats | undefined {
    const l = this.#listeners.get(vmId)
    if (l === undefined) return undefined
    return { port: l.port, target: l.target, activeConnections: l.sockets.size / 2, totalConnections: l.total, bytesIn: l.bytesIn, bytesOut: l.bytesOut }
  }

  /** Ports this proxy holds now. */
  ports(): number[] {
    return [...this.#listeners.values()].map((l) => l.port)
  }

  // Relays one client connection to the VM; either side's end or error ends both.
  #relay(vmId: string, listener: Listener, client: net.Socket): void {
    const target = listener.target
    if (target === null) {
      client.destroy()
      return
    }
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true })
    const log = this.opts.logger
    const peer = `${client.remoteAddress ?? '?'}:${client.remotePort ?? 0}`
    listener.total++
    listener.sockets.add(client).add(upstream)
    const connectTimer = setTimeout(() => upstream.destroy(new Error('connect timeout')), this.opts.connectTimeoutMs)
    upstream.once('connect', () => {
      clearTimeout(connectTimer)
      for (const s of [client, upstream]) {
        s.setKeepAlive(true, 60_000)
        if (this.opts.idleTimeoutMs > 0) s.setTimeout(this.opts.idleTimeoutMs, () => s.destroy())
      }
    })
    client.pipe(upstream)
    upstream.pipe(client)
    client.resume()
    let closed = 0
    const onClose = () => {
      if (++closed < 2) return
      clearTimeout(connectTimer)
      listener.sockets.delete(client)
      listener.sockets.delete(upstream)
      listener.bytesIn += client.bytesRead
      listener.bytesOut += client.bytesWritten
      log.info({ vm: vmId, peer, bytesIn: client.bytesRead, bytesOut: client.bytesWritten }, 'ssh connection closed')
    }
    const onError = (error: Error) => {
      log.debug({ vm: vmId, peer, err: error.message }, 'ssh connection error')
      client.destroy()
      upstream.destroy()
    }
    for (const s of [client, upstream]) {
      s.on('error', onError)
      s.on('close', onClose)
    }
    log.info({ vm: vmId, peer, target }, 'ssh connection opened')
  }
}
