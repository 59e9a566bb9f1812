/**
 * Runs the real `golem-discovery` executable as a child process on
 * 127.0.0.1 with port 0, learns its port from the "listening" log line, and
 * stops it (SIGTERM, then SIGKILL after a bound) when the test ends.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../../bin/golem-discovery.js', import.meta.url))
const START_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 10_000

/** One parsed JSON log line of the service (`{ msg }` for a line that is not JSON). */
export type LogLine = Record<string, unknown>

/** A running service. */
export interface DiscoveryProcess {
  readonly url: string
  readonly port: number
  readonly dataDir: string
  readonly logs: readonly LogLine[]
  /** Resolves with the first log line (already seen or future) matching `match`; rejects after `timeoutMs`. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>
  /** Stops the service gracefully (bounded); resolves with its exit code. Idempotent. */
  stop(): Promise<number | null>
  /** Kills the service at once (SIGKILL), as a crash would. */
  kill(): Promise<void>
}

/** How to start the service. */
export interface StartOptions {
  /** Reuse a data dir (e.g. for a restart); by default a fresh temp dir removed after the test. */
  readonly dataDir?: string
  readonly env?: Readonly<Record<string, string>>
}

interface Cleanup {
  after(fn: () => unknown): void
}

/** Creates a temp dir removed when the test ends. */
export function tempDir(t: Cleanup, prefix = 'golem-discovery-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

// The parent's environment without any GOLEM_DISCOVERY_* setting, so tests see only their own.
function baseEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('GOLEM_DISCOVERY_')))
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      resolve(code)
    }),
  )
}

// Follows the JSON log lines of the child and lets callers wait for one.
function logFollower(child: ChildProcess) {
  const logs: LogLine[] = []
  const waiters = new Set<(line: LogLine) => void>()
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: LogLine
    try {
      line = JSON.parse(text) as LogLine
    } catch {
      line = { msg: text }
    }
    logs.push(line)
    for (const waiter of waiters) waiter(line)
  })
  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> => {
    const seen = logs.find(match)
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const waiter = (line: LogLine): void => {
        if (match(line)) {
          finish()
          resolve(line)
        }
      }
      const timer = setTimeout(() => {
        finish()
        reject(new Error(`no matching log line within ${timeoutMs} ms; logs:\n${JSON.stringify(logs)}`))
      }, timeoutMs)
      const finish = (): void => {
        clearTimeout(timer)
        waiters.delete(waiter)
      }
      waiters.add(waiter)
      void exited(child).then(() => {
        if (waiters.has(waiter)) {
          finish()
          reject(new Error(`the service exited; logs:\n${JSON.stringify(logs)}`))
        }
      })
    })
  }
  return { logs, waitForLog }
}

/**
 * Settings every test starts with unless it overrides them: the development
 * rules (documentation addresses such as 203.0.113.7 and private ones are
 * accepted, no per-address limit) and no check of the advertised address
 * against the sender, since every test posts from 127.0.0.1. The tests of
 * those rules (address.test.ts, sybil.test.ts) set production values.
 */
export const TEST_DEFAULTS: Readonly<Record<string, string>> = {
  GOLEM_DISCOVERY_ENVIRONMENT: 'development',
  GOLEM_DISCOVERY_ADDRESS_CHECK: 'off',
}

/** Starts the service and waits until it listens; it is stopped when the test ends. */
export async function startDiscovery(t: Cleanup, options: StartOptions = {}): Promise<DiscoveryProcess> {
  const dataDir = options.dataDir ?? tempDir(t)
  const env = {
    ...baseEnv(),
    GOLEM_DISCOVERY_HOST: '127.0.0.1',
    GOLEM_DISCOVERY_PORT: '0',
    GOLEM_DISCOVERY_DATA_DIR: dataDir,
    GOLEM_DISCOVERY_LOG_FORMAT: 'json',
    ...TEST_DEFAULTS,
    ...options.env,
  }
  const child = spawn(process.execPath, [BIN], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const { logs, waitForLog } = logFollower(child)
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    try {
      return await exited(child)
    } finally {
      clearTimeout(kill)
    }
  }
  t.after(stop)
  const listening = await waitForLog((l) => l.event === 'listening', START_TIMEOUT_MS).catch((error: unknown) => {
    throw new Error(`the discovery service did not start: ${String(error)}\nstderr: ${stderr}`)
  })
  const kill = async (): Promise<void> => {
    child.kill('SIGKILL')
    await exited(child)
  }
  return { url: String(listening.address), port: Number(listening.port), dataDir, logs, waitForLog, stop, kill }
}
