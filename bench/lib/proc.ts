/**
 * Child processes of the benchmarks: every one is tracked and reaped, on a
 * normal end, a failure, a benchmark's time limit, Ctrl-C or an uncaught error.
 * Also the `Scope` each benchmark runs in: clean-ups run in reverse order,
 * each bounded, whatever happened before.
 *
 * @module
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

const live = new Set<ChildProcess>()
const exitHooks = new Set<() => void>()

/** Tracks a child so that it is killed when the benchmark run ends in any way. */
export function track<T extends ChildProcess>(child: T): T {
  live.add(child)
  child.once('exit', () => live.delete(child))
  return child
}

export function spawnTracked(command: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  return track(spawn(command, args, opts))
}

/** A synchronous clean-up that must run even if the process dies (fake VM resets). Returns its remover. */
export function onExit(hook: () => void): () => void {
  exitHooks.add(hook)
  return () => exitHooks.delete(hook)
}

/** Kills every tracked child and runs the exit hooks; synchronous, so it works in 'exit' handlers. */
export function reapEverything(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  for (const hook of [...exitHooks].reverse()) {
    try {
      hook()
    } catch {
      // best effort: the next hook still runs
    }
  }
  exitHooks.clear()
}

let installed = false
/** Installs handlers so that Ctrl-C, SIGTERM and crashes still reap children and fake VMs. */
export function installReaper(): void {
  if (installed) return
  installed = true
  process.on('exit', reapEverything)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.error(`\nbench: ${signal}, cleaning up`)
      reapEverything()
      process.exit(130)
    })
  }
}

export function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited(child)
  clearTimeout(timer)
}

export interface CommandResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
}

/** Runs a command to completion, bounded by `timeoutMs` (then SIGTERM, and SIGKILL 5 s later). */
export function runCommand(
  command: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string; cwd?: string } = {},
): Promise<CommandResult> {
  const started = performance.now()
  const child = spawnTracked(command, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  child.stdin?.on('error', () => undefined) // a command that exits without reading its input
  child.stdin?.end(opts.input ?? '')
  let killTimer: NodeJS.Timeout | undefined
  const timer = setTimeout(() => {
    child.kill('SIGTERM')
    killTimer = setTimeout(() => child.kill('SIGKILL'), 5000)
  }, opts.timeoutMs ?? 60_000)
  return new Promise((resolve) => {
    child.once('error', (error) => {
      stderr += error.message
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      clearTimeout(killTimer)
      resolve({ code, stdout, stderr, ms: performance.now() - started })
    })
  })
}

/** Rejects after `ms` with a clear message, unless `promise` settles first. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** Clean-ups of one benchmark, run in reverse order, each bounded, failures reported but not fatal. */
export class Scope {
  readonly #cleanups: { what: string; fn: () => unknown }[] = []

  defer(what: string, fn: () => unknown): void {
    this.#cleanups.push({ what, fn })
  }

  async close(): Promise<void> {
    for (const { what, fn } of this.#cleanups.splice(0).reverse()) {
      try {
        await withTimeout(Promise.resolve().then(fn), 30_000, `clean-up "${what}"`)
      } catch (error) {
        console.error(`bench: clean-up "${what}" failed: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
