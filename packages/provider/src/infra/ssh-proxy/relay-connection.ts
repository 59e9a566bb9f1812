/**
 * One renter connection relayed to a VM's SSH server.
 *
 * - Backpressure both ways: renter → VM uses `pipe()` (the renter's socket is
 *   paused while the VM's is full); VM → renter reads into one buffer per
 *   connection (no allocation per read) and stops reading while a write to
 *   the renter is pending, so the buffer is never overwritten and the
 *   provider never holds more than that buffer.
 * - SSH handshake: the renter must start with an SSH identification line
 *   (anything else is closed at once), and both sides must have finished the
 *   key exchange (`ssh-handshake.ts`) within the handshake timeout.
 * - Half-close: an end from either side is passed on as an end to the other,
 *   whose direction keeps flowing for at most the half-close timeout; then
 *   both sides are closed, so no socket stays half-open after its peer left.
 * - Deadlines: the VM must accept within the connect timeout; a connection
 *   with no traffic either way for the idle timeout is closed.
 * - An error or reset on either side destroys both.
 *
 * @module
 */
import net from 'node:net'
import type { SshEndpoint } from '../../domain/vm.js'
import { SshStreamStart } from './ssh-handshake.js'

/** Read buffer per connection for the VM → renter direction (libuv's own read size). */
const READ_BUFFER_BYTES = 64 * 1024

/** Opens the socket to the VM; `net.connect` except in tests. */
export type Connect = (options: net.TcpNetConnectOpts) => net.Socket

export interface ConnectionLimits {
  readonly connectTimeoutMs: number
  /** 0 disables. */
  readonly idleTimeoutMs: number
  /** Accept to finished key exchange; 0 relays any bytes, with no SSH checks. */
  readonly handshakeTimeoutMs: number
  /** After one side ended, how long the other direction may still flow. */
  readonly halfCloseTimeoutMs: number
}

/** What a connection looks like now (for stats, logs and tests). */
export interface ConnectionState {
  /** The renter's address and port. */
  readonly peer: string
  /** Bytes read from the renter. */
  readonly bytesIn: number
  /** Bytes written to the renter. */
  readonly bytesOut: number
  /** True once both sides finished the SSH key exchange (always, without SSH checks). */
  readonly handshakeDone: boolean
  readonly toVm: DirectionState
  readonly toRenter: DirectionState
}

export interface DirectionState {
  /** Bytes accepted by the provider and not yet handed to the kernel for the receiving side. */
  readonly buffered: number
  /** False while the provider has stopped reading the sending side (backpressure). */
  readonly reading: boolean
}

export interface ConnectionEvents {
  /** Both sides finished the key exchange; called at most once, and never without SSH checks. */
  readonly handshakeDone: () => void
  /** The connection is being closed by the proxy (a limit or a protocol violation), with why. */
  readonly ended: (reason: string) => void
  /** Both sockets are closed; called once, with the final byte counts. */
  readonly closed: (state: ConnectionState) => void
  readonly error: (error: Error) => void
}

export class RelayConnection {
  readonly peer: string
  readonly #client: net.Socket
  readonly #upstream: net.Socket
  readonly #limits: ConnectionLimits
  readonly #events: ConnectionEvents
  readonly #timers: NodeJS.Timeout[] = []
  #upstreamPaused = false
  #connected = false
  #open = 2
  #endedBy: string | undefined
  /** The two directions' clear-text starts while the handshake is watched; undefined once it is done. */
  #handshake: { readonly client: SshStreamStart; readonly server: SshStreamStart } | undefined

  /** Starts relaying `client` (accepted paused) to `target`. */
  constructor(client: net.Socket, target: SshEndpoint, limits: ConnectionLimits, events: ConnectionEvents, connect: Connect = net.connect) {
    this.#client = client
    this.#limits = limits
    this.#events = events
    this.peer = `${client.remoteAddress ?? '?'}:${client.remotePort ?? 0}`
    const upstream = connect({
      host: target.host,
      port: target.port,
      allowHalfOpen: true,
      noDelay: true,
      onread: { buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES), callback: (bytes, buffer) => this.#toRenter(buffer.subarray(0, bytes)) },
    })
    this.#upstream = upstream
    this.#after(limits.connectTimeoutMs, 'the VM did not accept in time', () => this.#connected)
    upstream.once('connect', () => {
      this.#connected = true
      for (const s of [client, upstream]) {
        s.setKeepAlive(true, 60_000)
        if (limits.idleTimeoutMs > 0) s.setTimeout(limits.idleTimeoutMs, () => this.end('idle timeout'))
      }
    })
    if (limits.handshakeTimeoutMs > 0) this.#watchHandshake()
    upstream.on('end', () => {
      client.end()
      this.#halfClosed()
    })
    client.on('end', () => this.#halfClosed()) // pipe() passes the end on to the VM
    client.pipe(upstream)
    client.resume()
    for (const s of [client, upstream]) {
      s.on('error', (error) => {
        events.error(error)
        this.destroy()
      })
      s.on('close', () => this.#closed())
    }
  }

  state(): ConnectionState {
    const client = this.#client
    const upstream = this.#upstream
    return {
      peer: this.peer,
      bytesIn: client.bytesRead,
      bytesOut: client.bytesWritten,
      handshakeDone: this.#handshake === undefined,
      toVm: { buffered: upstream.writableLength, reading: !client.isPaused() },
      toRenter: { buffered: client.writableLength, reading: !this.#upstreamPaused },
    }
  }

  /** Closes both sides for `reason` (reported once through `ended`). */
  end(reason: string): void {
    if (this.#endedBy === undefined) {
      this.#endedBy = reason
      this.#events.ended(reason)
    }
    this.destroy()
  }

  /** Closes both sides at once. */
  destroy(): void {
    this.#client.destroy()
    this.#upstream.destroy()
  }

  // The renter's bytes are read by pipe(); this listener only looks at them until the renter's start is done.
  #watchHandshake(): void {
    const handshake = { client: new SshStreamStart('client'), server: new SshStreamStart('server') }
    this.#handshake = handshake
    const onData = (chunk: Buffer) => {
      if (this.#check(handshake.client.push(chunk), 'renter') && handshake.client.state.kind === 'done') this.#client.off('data', onData)
    }
    this.#client.on('data', onData)
    this.#after(this.#limits.handshakeTimeoutMs, 'no finished SSH handshake in time', () => this.#handshake === undefined)
  }

  // Ends the connection on a protocol violation; notes the handshake's end when both sides are done. False when ended.
  #check(state: SshStreamStart['state'], side: 'renter' | 'VM'): boolean {
    if (state.kind === 'invalid') {
      this.end(`not SSH from the ${side}: ${state.reason}`)
      return false
    }
    const handshake = this.#handshake
    if (handshake !== undefined && handshake.client.state.kind === 'done' && handshake.server.state.kind === 'done') {
      this.#handshake = undefined
      this.#events.handshakeDone()
    }
    return true
  }

  // One side ended: the other direction may flow for the half-close timeout, then both are closed.
  #halfClosed(): void {
    if (this.#client.readableEnded && this.#upstream.readableEnded) return // both ended: the sockets close by themselves
    this.#after(this.#limits.halfCloseTimeoutMs, 'half-close timeout', () => false)
  }

  // Ends the connection for `reason` after `ms` unless `satisfied()` by then.
  #after(ms: number, reason: string, satisfied: () => boolean): void {
    const timer = setTimeout(() => {
      if (!satisfied()) this.end(reason)
    }, ms)
    this.#timers.push(timer)
  }

  #closed(): void {
    if (--this.#open > 0) return
    for (const timer of this.#timers) clearTimeout(timer)
    this.#events.closed(this.state())
  }

  // VM → renter: write from the read buffer; while the renter has not taken it, stop reading the VM.
  #toRenter(chunk: Uint8Array): boolean {
    if (this.#handshake !== undefined && !this.#check(this.#handshake.server.push(chunk), 'VM')) return false
    this.#client.write(chunk, (error) => {
      if (error == null && this.#upstreamPaused) {
        this.#upstreamPaused = false
        this.#upstream.resume()
      }
    })
    if (this.#client.writableLength === 0) return true
    this.#upstreamPaused = true
    return false
  }
}
