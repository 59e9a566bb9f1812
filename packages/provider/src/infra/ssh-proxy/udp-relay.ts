/**
 * UDP forwarding for a mapped port in user space: one socket on the public
 * port; each renter address (a flow) gets its own socket towards the guest,
 * so the guest's answers go back to the renter that asked. The flow table is
 * bounded: past `maxFlows` a new renter's datagrams are dropped (counted as
 * refused) and the flows in use keep working; a flow with no datagram either
 * way for `idleTimeoutMs` is closed. Answers are accepted only from the
 * target itself. Bytes are counted like the TCP relay's.
 *
 * @module
 */
import dgram from 'node:dgram'
import net from 'node:net'
import type { SshEndpoint } from '../../domain/vm.js'
import type { RelayStats } from './relay.js'

export interface UdpLimits {
  /** Renter addresses one mapped UDP port relays for at once. */
  readonly maxFlows: number
  /** A flow with no datagram either way for this long is closed. */
  readonly idleTimeoutMs: number
}

interface Flow {
  readonly upstream: dgram.Socket
  lastSeen: number
}

/** One public UDP port relayed to one guest port. */
export class UdpForward {
  readonly #socket: dgram.Socket
  readonly #flows = new Map<string, Flow>()
  readonly #limits: UdpLimits
  readonly #sweep: NodeJS.Timeout
  readonly #onStats: (stats: RelayStats) => void
  #target: SshEndpoint | null
  #total = 0
  #refused = 0
  #bytesIn = 0
  #bytesOut = 0

  private constructor(socket: dgram.Socket, target: SshEndpoint | null, limits: UdpLimits, onStats: (stats: RelayStats) => void) {
    this.#socket = socket
    this.#target = target
    this.#limits = limits
    this.#onStats = onStats
    socket.on('message', (msg, from) => this.#fromRenter(msg, from))
    this.#sweep = setInterval(() => this.#closeIdle(), Math.max(100, Math.floor(limits.idleTimeoutMs / 4)))
    this.#sweep.unref()
  }

  /** Binds `host:port`; rejects with the bind error (e.g. `EADDRINUSE`). */
  static async open(host: string, port: number, target: SshEndpoint | null, limits: UdpLimits, onStats: (stats: RelayStats) => void): Promise<UdpForward> {
    const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', reuseAddr: false })
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', reject)
        resolve()
      })
    })
    socket.on('error', () => undefined) // ICMP errors of single datagrams; the socket stays usable
    return new UdpForward(socket, target, limits, onStats)
  }

  /** Relays to a new target, or drops everything (stopped VM); open flows are closed either way. */
  setTarget(target: SshEndpoint | null): void {
    this.#target = target
    for (const key of [...this.#flows.keys()]) this.#closeFlow(key)
  }

  stats(): RelayStats {
    return {
      activeConnections: this.#flows.size,
      totalConnections: this.#total,
      refusedConnections: this.#refused,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
    }
  }

  close(): Promise<void> {
    clearInterval(this.#sweep)
    for (const key of [...this.#flows.keys()]) this.#closeFlow(key)
    return new Promise((resolve) => this.#socket.close(() => resolve()))
  }

  #fromRenter(msg: Buffer, from: dgram.RemoteInfo): void {
    const target = this.#target
    if (target === null) return
    const key = `${from.address}|${from.port}`
    let flow = this.#flows.get(key)
    if (flow === undefined) {
      if (this.#flows.size >= this.#limits.maxFlows) {
        this.#refused++
        this.#onStats(this.stats())
        return
      }
      flow = this.#openFlow(key, from, target)
    }
    flow.lastSeen = Date.now()
    this.#bytesIn += msg.length
    flow.upstream.send(msg, target.port, target.host)
  }

  #openFlow(key: string, renter: dgram.RemoteInfo, target: SshEndpoint): Flow {
    const upstream = dgram.createSocket(net.isIPv6(target.host) ? 'udp6' : 'udp4')
    const flow: Flow = { upstream, lastSeen: Date.now() }
    upstream.on('error', () => undefined) // an unreachable guest port: the renter sees no answer, as without a proxy
    upstream.on('message', (answer, from) => {
      if (from.address !== target.host || from.port !== target.port) return
      flow.lastSeen = Date.now()
      this.#bytesOut += answer.length
      this.#socket.send(answer, renter.port, renter.address)
    })
    this.#flows.set(key, flow)
    this.#total++
    this.#onStats(this.stats())
    return flow
  }

  #closeIdle(): void {
    const oldest = Date.now() - this.#limits.idleTimeoutMs
    let closed = 0
    for (const [key, flow] of this.#flows) {
      if (flow.lastSeen <= oldest) {
        this.#closeFlow(key)
        closed++
      }
    }
    if (closed > 0) this.#onStats(this.stats())
  }

  #closeFlow(key: string): void {
    const flow = this.#flows.get(key)
    if (flow === undefined) return
    this.#flows.delete(key)
    flow.upstream.close()
  }
}
