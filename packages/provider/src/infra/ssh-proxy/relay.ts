/**
 * The relay: one TCP listener per VM on the VM's public port, each accepted
 * connection relayed to the VM's SSH server (`relay-connection.ts`), with
 * byte counters and caps per VM: connections in all, and per source (an IPv4
 * address or an IPv6 /64) connections in all and connections still in their
 * SSH handshake. A connection past a cap is closed at once and counted as
 * refused. It does its I/O on the thread that created it: the proxy runs it
 * on its own worker thread (`relay-thread.ts`); tests drive it directly.
 *
 * @module
 */
import net from 'node:net'
import { sourceKey } from '@golem-vm/common'
import type { SshEndpoint } from '../../domain/vm.js'
import { RelayConnection, type Connect, type ConnectionLimits, type ConnectionState } from './relay-connection.js'
import { UdpForward } from './udp-relay.js'

/** What a listener carries: a VM's SSH (with the SSH checks), or a renter's mapped TCP or UDP port (any bytes). */
export type ListenerKind = 'ssh' | 'tcp' | 'udp'

export interface RelayConfig extends ConnectionLimits {
  /** Address the listeners bind (the provider's HOST). */
  readonly host: string
  readonly maxConnectionsPerVm: number
  /** Connections to one VM from one source at once. */
  readonly maxConnectionsPerSource: number
  /** Connections to one VM from one source that have not finished their SSH handshake (counts nothing without SSH checks). */
  readonly maxHandshakesPerSource: number
  /** Renter addresses one mapped UDP port relays for at once. */
  readonly udpMaxFlows: number
  /** A UDP flow with no datagram either way for this long is closed. */
  readonly udpIdleTimeoutMs: number
}

/** One VM's counters; bytes of open connections count as they flow. */
export interface RelayStats {
  readonly activeConnections: number
  readonly totalConnections: number
  /** Connections closed at once because a cap was reached. */
  readonly refusedConnections: number
  /** Bytes read from renters. */
  readonly bytesIn: number
  /** Bytes written to renters. */
  readonly bytesOut: number
}

export interface RelayEvents {
  readonly log: (level: 'info' | 'debug' | 'error', fields: Record<string, unknown>, msg: string) => void
  /** A VM's counters changed (a connection opened or closed). */
  readonly stats: (vmId: string, stats: RelayStats) => void
}

interface Listener {
  readonly server: net.Server
  readonly port: number
  /** The connection limits of its kind (no SSH checks on a mapped port). */
  readonly limits: RelayConfig
  target: SshEndpoint | null
  readonly connections: Set<RelayConnection>
  /** Open connections and unfinished handshakes by source key. */
  readonly sources: Map<string, { open: number; handshaking: number }>
  total: number
  refused: number
  /** Bytes of the connections already closed. */
  closedIn: number
  closedOut: number
}

export class Relay {
  readonly #listeners = new Map<string, Listener>()
  readonly #udp = new Map<string, { readonly port: number; readonly forward: UdpForward }>()
  readonly #config: RelayConfig
  readonly #events: RelayEvents
  readonly #connect: Connect

  constructor(config: RelayConfig, events: RelayEvents, connect: Connect = net.connect) {
    this.#config = config
    this.#events = events
    this.#connect = connect
  }

  /**
   * Listens on `port` for the listener `vmId` (a VM's SSH, or one of its mapped ports);
   * rejects with the bind error (e.g. `EADDRINUSE`). Opening an open listener on the same port only updates its target.
   */
  async open(vmId: string, port: number, target: SshEndpoint | null, kind: ListenerKind = 'ssh'): Promise<void> {
    const existing = this.#listeners.get(vmId) ?? this.#udp.get(vmId)
    if (existing !== undefined && existing.port === port) {
      this.setTarget(vmId, target)
      return
    }
    if (existing !== undefined) await this.close(vmId)
    if (kind === 'udp') {
      const limits = { maxFlows: this.#config.udpMaxFlows, idleTimeoutMs: this.#config.udpIdleTimeoutMs }
      const forward = await UdpForward.open(this.#config.host, port, target, limits, (stats) => this.#events.stats(vmId, stats))
      this.#udp.set(vmId, { port, forward })
      return
    }
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true })
    const limits = kind === 'ssh' ? this.#config : { ...this.#config, handshakeTimeoutMs: 0 }
    const listener: Listener = { server, port, limits, target, connections: new Set(), sources: new Map(), total: 0, refused: 0, closedIn: 0, closedOut: 0 }
    server.maxConnections = this.#config.maxConnectionsPerVm
    server.on('connection', (client) => this.#accept(vmId, listener, client))
    server.on('drop', (peer) => this.#refused(vmId, listener, `${peer?.remoteAddress ?? '?'}:${peer?.remotePort ?? 0}`, 'connection cap per VM'))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host: this.#config.host, port, exclusive: true }, () => {
        server.off('error', reject)
        resolve()
      })
    })
    server.on('error', (error) => this.#events.log('error', { vm: vmId, port, err: error.message }, 'ssh proxy listener error'))
    this.#listeners.set(vmId, listener)
  }

  /** Points the VM's listener at a new endpoint, or at nothing (new connections are refused; open ones stay). */
  setTarget(vmId: string, target: SshEndpoint | null): void {
    const listener = this.#listeners.get(vmId)
    if (listener !== undefined) listener.target = target
    this.#udp.get(vmId)?.forward.setTarget(target)
  }

  /** Stops the VM's listener and closes its connections. Closing an unknown VM is a no-op. */
  async close(vmId: string): Promise<void> {
    const udp = this.#udp.get(vmId)
    if (udp !== undefined) {
      this.#udp.delete(vmId)
      await udp.forward.close()
    }
    const listener = this.#listeners.get(vmId)
    if (listener === undefined) return
    this.#listeners.delete(vmId)
    for (const connection of listener.connections) connection.destroy()
    await new Promise<void>((resolve) => listener.server.close(() => resolve()))
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#listeners.keys(), ...this.#udp.keys()].map((vmId) => this.close(vmId)))
  }

  stats(vmId: string): RelayStats | undefined {
    const listener = this.#listeners.get(vmId)
    return listener === undefined ? this.#udp.get(vmId)?.forward.stats() : statsOf(listener)
  }

  /** The VM's open connections as they are now. */
  connections(vmId: string): ConnectionState[] {
    return [...(this.#listeners.get(vmId)?.connections ?? [])].map((c) => c.state())
  }

  #accept(vmId: string, listener: Listener, client: net.Socket): void {
    const target = listener.target
    if (target === null) {
      client.destroy()
      this.#refused(vmId, listener, `${client.remoteAddress ?? '?'}:${client.remotePort ?? 0}`, 'VM stopped')
      return
    }
    const config = listener.limits
    const source = sourceKey(client.remoteAddress)
    const counts = listener.sources.get(source) ?? { open: 0, handshaking: 0 }
    const checksHandshake = config.handshakeTimeoutMs > 0
    const over =
      counts.open >= config.maxConnectionsPerSource
        ? 'connection cap per source'
        : checksHandshake && counts.handshaking >= config.maxHandshakesPerSource
          ? 'handshake cap per source'
          : undefined
    if (over !== undefined) {
      client.destroy()
      this.#refused(vmId, listener, `${client.remoteAddress ?? '?'}:${client.remotePort ?? 0}`, over)
      return
    }
    counts.open++
    if (checksHandshake) counts.handshaking++
    listener.sources.set(source, counts)
    let handshaking = checksHandshake
    const connection = new RelayConnection(
      client,
      target,
      config,
      {
        handshakeDone: () => {
          handshaking = false
          counts.handshaking--
        },
        ended: (reason) => this.#events.log('debug', { vm: vmId, peer: connection.peer, reason }, 'ssh connection ended by the proxy'),
        closed: (state) => {
          if (handshaking) counts.handshaking--
          if (--counts.open === 0) listener.sources.delete(source)
          listener.connections.delete(connection)
          listener.closedIn += state.bytesIn
          listener.closedOut += state.bytesOut
          this.#events.stats(vmId, statsOf(listener))
          this.#events.log('info', { vm: vmId, peer: state.peer, bytesIn: state.bytesIn, bytesOut: state.bytesOut }, 'ssh connection closed')
        },
        error: (error) => this.#events.log('debug', { vm: vmId, peer: connection.peer, err: error.message }, 'ssh connection error'),
      },
      this.#connect,
    )
    listener.connections.add(connection)
    listener.total++
    this.#events.stats(vmId, statsOf(listener))
    this.#events.log('info', { vm: vmId, peer: connection.peer, target }, 'ssh connection opened')
  }

  // Refusals are logged at debug only: an attacker could otherwise fill the log. The counter shows them.
  #refused(vmId: string, listener: Listener, peer: string, reason: string): void {
    listener.refused++
    this.#events.stats(vmId, statsOf(listener))
    this.#events.log('debug', { vm: vmId, peer, reason }, 'ssh connection refused')
  }
}

function statsOf(listener: Listener): RelayStats {
  let bytesIn = listener.closedIn
  let bytesOut = listener.closedOut
  for (const connection of listener.connections) {
    const state = connection.state()
    bytesIn += state.bytesIn
    bytesOut += state.bytesOut
  }
  return { activeConnections: listener.connections.size, totalConnections: listener.total, refusedConnections: listener.refused, bytesIn, bytesOut }
}
