/**
 * One renter connection relayed to a VM's SSH server.
 *
 * - Backpressure both ways: renter → VM uses `pipe()` (the renter's socket is
 *   paused while the VM's is full); VM → renter reads into one buffer per
 *   connection (no allocation per read) and stops reading while a write to
 *   the renter is pending, so the buffer is never overwritten and the
 *   provider never holds more than that buffer.
 * - Half-close: an end from either side is passed on as an end to the other,
 *   whose direction keeps flowing.
 * - Deadlines: the VM must accept within the connect timeout; a connection
 *   with no traffic either way for the idle timeout is closed.
 * - An error or reset on either side destroys both.
 *
 * @module
 */
import net from 'node:net'
import type { SshEndpoint } from '../../domain/vm.js'

/** Read buffer per connection for the VM → renter direction (libuv's own read size). */
const READ_BUFFER_BYTES = 64 * 1024

/** Opens the socket to the VM; `net.connect` except in tests. */
export type Connect = (options: net.TcpNetConnectOpts) => net.Socket

export interface ConnectionLimits {
  readonly connectTimeoutMs: number
  /** 0 disables. */
  readonly idleTimeoutMs: number
}

/** What a connection looks like now (for stats, logs and tests). */
export interface ConnectionState {
  /** The renter's address and port. */
  readonly peer: string
  /** Bytes read from the renter. */
  readonly bytesIn: number
  /** Bytes written to the renter. */
  readonly bytesOut: number
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
  /** Both sockets are closed; called once, with the final byte counts. */
  readonly closed: (state: ConnectionState) => void
  readonly error: (error: Error) => void
}

export class RelayConnection {
  readonly peer: string
  readonly #client: net.Socket
  readonly #upstream: net.Socket
  #upstreamPaused = false
  #open = 2

  /** Starts relaying `client` (accepted paused) to `target`. */
  constructor(client: net.Socket, target: SshEndpoint, limits: ConnectionLimits, events: ConnectionEvents, connect: Connect = net.connect) {
    this.#client = client
    this.peer = `${client.remoteAddress ?? '?'}:${client.remotePort ?? 0}`
    const upstream = connect({
      host: target.host, port: target.port, allowHalfOpen: true, noDelay: true,
      onread: { buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES), callback: (bytes, buffer) => this.#toRenter(buffer.subarray(0, bytes)) },
    })
    this.#upstream = upstream
    upstream.on('end', () => client.end())
    const connectTimer = setTimeout(() => upstream.destroy(new Error('connect timeout')), limits.connectTimeoutMs)
    upstream.once('connect', () => {
      clearTimeout(connectTimer)
      for (const s of [client, upstream]) {
        s.setKeepAlive(true, 60_000)
        if (limits.idleTimeoutMs > 0) s.setTimeout(limits.idleTimeoutMs, () => s.destroy())
      }
    })
    client.pipe(upstream)
    client.resume()
    const onError = (error: Error) => {
      events.error(error)
      this.destroy()
    }
    const onClose = () => {
      if (--this.#open > 0) return
      clearTimeout(connectTimer)
      events.closed(this.state())
    }
    for (const s of [client, upstream]) {
      s.on('error', onError)
      s.on('close', onClose)
    }
  }

  state(): ConnectionState {
    const client = this.#client
    const upstream = this.#upstream
    return {
      peer: this.peer,
      bytesIn: client.bytesRead,
      bytesOut: client.bytesWritten,
      toVm: { buffered: upstream.writableLength, reading: !client.isPaused() },
      toRenter: { buffered: client.writableLength, reading: !this.#upstreamPaused },
    }
  }

  /** Closes both sides at once. */
  destroy(): void {
    this.#client.destroy()
    this.#upstream.destroy()
  }

  // VM → renter: write from the read buffer; while the renter has not taken it, stop reading the VM.
  #toRenter(chunk: Uint8Array): boolean {
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
