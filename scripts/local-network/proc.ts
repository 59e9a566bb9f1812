/**
 * Child processes of the local network: long-running services (discovery,
 * port checker, provider) that log JSON lines, and short commands (the
 * renter's `golem-vm`, the guest build). Every child runs in its own process
 * group, so the terminal's Ctrl-C reaches only this script, which stops them
 * in order. Every wait is bounded; every child is remembered so that an
 * unexpected exit of this script still kills it.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, type WriteStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'

/** One parsed JSON log line. */
export type LogEntry = Record<string, unknown>

const live = new Set<ChildProcess>()

const running = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null

/** Sends a signal to a child's whole process group (falls back to the child alone). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || !running(child)) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {
      // Already gone.
    }
  }
}

/** SIGKILLs every child still running (synchronous: used on the way out). */
export function killAllChildren(): void {
  for (const child of live) signalGroup(child, 'SIGKILL')
}

/** Resolves once the child has exited, or with false after `ms`. */
export function exitedWithin(child: ChildProcess, ms: number): Promise<boolean> {
  if (!running(child)) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(!running(child)), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

function track(child: ChildProcess): void {
  live.add(child)
  child.once('exit', () => live.delete(child))
}

/** A long-running service whose stdout carries JSON log lines. */
export class Service {
  readonly name: string
  readonly child: ChildProcess
  readonly logFile: string
  /** The last lines of output (JSON or not), for error messages. */
  readonly tail: string[] = []
  readonly #listeners = new Set<(entry: LogEntry) => void>()
  readonly #log: WriteStream

  constructor(name: string, args: readonly string[], opts: { env: NodeJS.ProcessEnv; cwd: string; logFile: string }) {
    this.name = name
    this.logFile = opts.logFile
    this.#log = createWriteStream(opts.logFile, { flags: 'a', mode: 0o600 })
    // Errors writing the log (disk full, dir removed at the very end) must not crash the run.
    this.#log.on('error', () => undefined)
    this.child = spawn(process.execPath, args, { env: opts.env, cwd: opts.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    track(this.child)
    this.child.on('error', (error) => this.#remember(`${name}: ${error.message}`))
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.#remember(line)
      let entry: unknown
      try {
        entry = JSON.parse(line)
      } catch {
        return
      }
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return
      for (const listener of this.#listeners) listener(entry as LogEntry)
    })
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.#remember(line))
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  get running(): boolean {
    return running(this.child)
  }

  #remember(line: string): void {
    this.#log.write(`${line}\n`)
    this.tail.push(line)
    if (this.tail.length > 40) this.tail.shift()
  }

  /** Calls `listener` with every JSON log line from now on; returns an unsubscribe function. */
  onLog(listener: (entry: LogEntry) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** The first JSON line matching `match`; rejects when the process exits, after `timeoutMs`, or on abort. */
  waitForLog(match: (entry: LogEntry) => boolean, what: string, timeoutMs: number, signal?: AbortSignal): Promise<LogEntry> {
    return new Promise((resolve, reject) => {
      const finish = (error: Error | undefined, entry?: LogEntry): void => {
        clearTimeout(timer)
        off()
        this.child.off('exit', onExit)
        signal?.removeEventListener('abort', onAbort)
        if (error !== undefined) reject(error)
        else resolve(entry!)
      }
      const off = this.onLog((entry) => {
        if (match(entry)) finish(undefined, entry)
      })
      const onExit = (code: number | null, sig: NodeJS.Signals | null): void =>
        finish(new Error(`${this.name} exited (${sig ?? `code ${code}`}) before ${what}:\n${this.describeTail()}`))
      const onAbort = (): void => finish(new Error(`interrupted while waiting for ${what}`))
      const timer = setTimeout(() => finish(new Error(`${this.name}: no ${what} within ${Math.round(timeoutMs / 1000)} s:\n${this.describeTail()}`)), timeoutMs)
      this.child.once('exit', onExit)
      signal?.addEventListener('abort', onAbort, { once: true })
      if (!this.running) onExit(this.child.exitCode, this.child.signalCode)
      if (signal?.aborted === true) onAbort()
    })
  }

  /** The last output lines, indented, for an error message. */
  describeTail(lines = 12): string {
    const shown = this.tail.slice(-lines).map((l) => `    ${l.length > 400 ? `${l.slice(0, 400)}…` : l}`)
    return `${shown.join('\n')}\n    (full log: ${this.logFile})`
  }

  /**
   * SIGTERM, then SIGKILL (to its process group) after `graceMs`. Resolves
   * with how it ended: 'stopped' (exited on its own after SIGTERM), 'killed',
   * or 'gone' (had already exited).
   */
  async stop(graceMs: number): Promise<'stopped' | 'killed' | 'gone'> {
    if (!this.running) return 'gone'
    try {
      this.child.kill('SIGTERM')
    } catch {
      // Exiting already.
    }
    if (await exitedWithin(this.child, graceMs)) return 'stopped'
    signalGroup(this.child, 'SIGKILL')
    await exitedWithin(this.child, 5000)
    return 'killed'
  }

  /** Closes the log file once the process output has ended. */
  async closeLog(): Promise<void> {
    await Promise.race([new Promise<void>((resolve) => this.#log.end(() => resolve())), sleep(2000)])
  }
}

/** How a command ended. */
export interface CommandResult {
  /** Exit code, or null when a signal ended it. */
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly timedOut: boolean
  readonly aborted: boolean
}

export interface CommandOptions {
  readonly env: NodeJS.ProcessEnv
  readonly cwd: string
  readonly timeoutMs: number
  readonly signal?: AbortSignal | undefined
  /** The signal sent on abort (the CLI leaves a wait cleanly on SIGINT); SIGKILL follows after 15 s. */
  readonly abortWith?: NodeJS.Signals
  readonly onStderrLine?: (line: string) => void
  readonly onStdoutLine?: (line: string) => void
  /** Also append all output here. */
  readonly logFile?: string | undefined
}

const MAX_OUTPUT = 4 * 1024 * 1024

/** Runs `file args…` to the end (bounded by `timeoutMs`, cut short by `signal`). Never rejects on a failed command. */
export function runCommand(file: string, args: readonly string[], opts: CommandOptions): Promise<CommandResult> {
  return new Promise((resolve) => {
    const log = opts.logFile === undefined ? undefined : createWriteStream(opts.logFile, { flags: 'a', mode: 0o600 })
    log?.on('error', () => undefined)
    log?.write(`$ ${[file, ...args].join(' ')}\n`)
    const child = spawn(file, args, { env: opts.env, cwd: opts.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    track(child)
    let stdout = ''
    let stderr = ''
    let timedOut = false
    let aborted = false
    let killer: NodeJS.Timeout | undefined
    const escalate = (first: NodeJS.Signals, graceMs: number): void => {
      signalGroup(child, first)
      killer ??= setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs)
    }
    const timer = setTimeout(() => {
      timedOut = true
      escalate('SIGTERM', 5000)
    }, opts.timeoutMs)
    const onAbort = (): void => {
      aborted = true
      escalate(opts.abortWith ?? 'SIGTERM', 15_000)
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    if (opts.signal?.aborted === true) onAbort()
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (stdout.length < MAX_OUTPUT) stdout += `${line}\n`
      log?.write(`${line}\n`)
      opts.onStdoutLine?.(line)
    })
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (stderr.length < MAX_OUTPUT) stderr += `${line}\n`
      log?.write(`${line}\n`)
      opts.onStderrLine?.(line)
    })
    let spawnError: Error | undefined
    child.on('error', (error) => {
      spawnError = error
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      if (killer !== undefined) clearTimeout(killer)
      opts.signal?.removeEventListener('abort', onAbort)
      if (spawnError !== undefined) stderr += `${spawnError.message}\n`
      log?.end()
      resolve({ code: spawnError !== undefined ? 127 : code, stdout, stderr, timedOut, aborted })
    })
  })
}
