/**
 * A QMP client over QEMU's unix socket: one connection per session, which
 * negotiates capabilities, runs commands (matched to replies by id) and
 * collects the asynchronous events that arrive meanwhile. Every session has
 * a deadline; nothing waits forever on a QEMU that does not answer.
 *
 * @module
 */
import { closeSync, openSync } from 'node:fs'
import net from 'node:net'
import { basename, dirname } from 'node:path'

/** The longest path a unix socket address can hold on Linux (108 bytes with the NUL). */
const MAX_SOCKET_PATH = 107

export type QmpErrorKind = 'connect' | 'timeout' | 'protocol' | 'command' | 'closed'

/** A QMP failure; `kind` says whether QEMU was unreachable, slow, or refused a command. */
export class QmpError extends Error {
  override readonly name = 'QmpError'
  constructor(
    readonly kind: QmpErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export interface QmpEvent {
  readonly event: string
  readonly data?: unknown
}

export interface QmpSession {
  /** Runs a command; resolves with its `return` value, rejects with QmpError('command') on an `error` reply. */
  execute(command: string, args?: Record<string, unknown>): Promise<unknown>
  /** Resolves with the first event named `name`, including one that already arrived. */
  nextEvent(name: string): Promise<QmpEvent>
}

export interface QmpOptions {
  /** Deadline for the whole session: connect, negotiation and every command. */
  readonly timeoutMs: number
  readonly signal?: AbortSignal | undefined
}

interface Pending {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

// One QMP connection: parses the newline-delimited JSON stream.
class Connection implements QmpSession {
  readonly #socket: net.Socket
  readonly #pending = new Map<string, Pending>()
  readonly #events: QmpEvent[] = []
  readonly #eventWaiters = new Map<string, ((e: QmpEvent) => void)[]>()
  #buffer = ''
  #nextId = 1
  #failure: QmpError | undefined
  readonly greeting: Promise<unknown>

  constructor(socket: net.Socket) {
    this.#socket = socket
    this.greeting = new Promise((resolve, reject) => this.#pending.set('greeting', { resolve, reject }))
    // Awaited only once connected; a failed connect must not leave it unhandled.
    this.greeting.catch(() => undefined)
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => this.#receive(chunk))
    socket.on('error', (error) => this.fail(new QmpError('closed', `QMP connection failed: ${error.message}`, { cause: error })))
    socket.on('close', () => this.fail(new QmpError('closed', 'QEMU closed the QMP connection')))
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    const id = `golem-${this.#nextId++}`
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#socket.write(`${JSON.stringify({ execute: command, ...(args === undefined ? {} : { arguments: args }), id })}\n`)
    })
  }

  nextEvent(name: string): Promise<QmpEvent> {
    const seen = this.#events.find((e) => e.event === name)
    if (seen !== undefined) return Promise.resolve(seen)
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    return new Promise((resolve) => this.#eventWaiters.set(name, [...(this.#eventWaiters.get(name) ?? []), resolve]))
  }

  /** Ends the session: every waiting command is rejected with `error`. */
  fail(error: QmpError): void {
    this.#failure ??= error
    for (const p of this.#pending.values()) p.reject(this.#failure)
    this.#pending.clear()
    this.#socket.destroy()
  }

  #receive(chunk: string): void {
    this.#buffer += chunk
    if (this.#buffer.length > 4 * 1024 * 1024) {
      this.fail(new QmpError('protocol', 'QEMU sent an over-long QMP message'))
      return
    }
    let newline: number
    while ((newline = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, newline).trim()
      this.#buffer = this.#buffer.slice(newline + 1)
      if (line !== '') this.#message(line)
    }
  }

  #message(line: string): void {
    let msg: unknown
    try {
      msg = JSON.parse(line)
    } catch {
      this.fail(new QmpError('protocol', `QEMU sent a QMP line that is not JSON: ${line.slice(0, 200)}`))
      return
    }
    if (!isRecord(msg)) return
    if ('QMP' in msg) this.#settle('greeting', msg.QMP)
    else if (typeof msg.event === 'string') this.#event({ event: msg.event, data: msg.data })
    else if (typeof msg.id === 'string') this.#reply(msg.id, msg)
  }

  #reply(id: string, msg: Record<string, unknown>): void {
    if (isRecord(msg.error)) {
      const desc = typeof msg.error.desc === 'string' ? msg.error.desc : JSON.stringify(msg.error)
      this.#settle(id, undefined, new QmpError('command', desc))
    } else {
      this.#settle(id, msg.return)
    }
  }

  #settle(id: string, value: unknown, error?: Error): void {
    const pending = this.#pending.get(id)
    this.#pending.delete(id)
    if (error === undefined) pending?.resolve(value)
    else pending?.reject(error)
  }

  #event(event: QmpEvent): void {
    if (this.#events.length < 1000) this.#events.push(event)
    for (const resolve of this.#eventWaiters.get(event.event) ?? []) resolve(event)
    this.#eventWaiters.delete(event.event)
  }
}

// Connects to a unix socket; a path too long for a socket address is reached
// through /proc/self/fd/<directory fd>/<name>, which the kernel resolves.
function connectUnix(path: string): net.Socket {
  if (Buffer.byteLength(path) <= MAX_SOCKET_PATH) return net.connect(path)
  const dirFd = openSync(dirname(path), 'r')
  const socket = net.connect(`/proc/self/fd/${dirFd}/${basename(path)}`)
  const close = () => closeSync(dirFd)
  socket.once('connect', close)
  socket.once('error', close)
  return socket
}

function connected(socket: net.Socket, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('error', (error) => reject(new QmpError('connect', `cannot connect to QMP at ${path}: ${error.message}`, { cause: error })))
  })
}

/**
 * Opens a QMP session on `socketPath`, negotiates capabilities, runs `fn`,
 * and closes the connection. Rejects with QmpError: 'connect' when nothing
 * listens, 'timeout' when the deadline passes, 'closed' when QEMU goes away.
 */
export async function withQmp<T>(socketPath: string, opts: QmpOptions, fn: (session: QmpSession) => Promise<T>): Promise<T> {
  opts.signal?.throwIfAborted()
  const socket = connectUnix(socketPath)
  const connection = new Connection(socket)
  const deadline = new Promise<never>((_, reject) => {
    const expire = (why: string) => {
      const error = new QmpError('timeout', `QMP at ${socketPath} ${why}`)
      connection.fail(error)
      reject(error)
    }
    const timer = setTimeout(() => expire(`did not answer within ${opts.timeoutMs} ms`), opts.timeoutMs)
    const onAbort = () => expire('was abandoned: the operation was aborted')
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    socket.once('close', () => {
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
    })
  })
  deadline.catch(() => undefined)
  const session = async () => {
    await connected(socket, socketPath)
    await connection.greeting
    await connection.execute('qmp_capabilities')
    return fn(connection)
  }
  try {
    return await Promise.race([session(), deadline])
  } finally {
    socket.destroy()
  }
}
