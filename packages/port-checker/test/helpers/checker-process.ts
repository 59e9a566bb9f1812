/**
 * Runs the real `golem-port-checker` executable as a child process on
 * 127.0.0.1 with port 0, and learns its port from the `"event":"listening"`
 * log record. Every process started here is stopped by `t.after`.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export const BIN = fileURLToPath(new URL('../../../bin/golem-port-checker.js', import.meta.url))
const START_TIMEOUT_MS = 15_000
const STOP_TIMEOUT_MS = 10_000

export type LogRecord = Record<string, unknown> & { msg?: string; event?: string }

export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface CheckerProcess {
  readonly child: ChildProcess
  readonly url: string
  readonly port: number
  /** Every JSON log line so far, parsed. */
  readonly records: LogRecord[]
  /** Sends `signal` and waits (bounded) for the exit; SIGKILL if it does not come. */
  stop(signal?: NodeJS.Signals): Promise<Exit>
}

// Only what the checker needs: no PORT_CHECKER_* from the developer's shell leaks into a test.
const childEnv = (env: Record<string, string>): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  PORT_CHECKER_HOST: '127.0.0.1',
  PORT_CHECKER_PORT: '0',
  ...env,
})

const exitOf = (child: ChildProcess): Promise<Exit> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
    : once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }))

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<Exit> {
  const exited = exitOf(child)
  if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  try {
    return await exited
  } finally {
    clearTimeout(timer)
  }
}

// Resolves with the listening record, or rejects if the process exits or stays silent too long.
function waitForListening(child: ChildProcess, records: LogRecord[], stderr: () => string): Promise<LogRecord> {
  return new Promise<LogRecord>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening record within ${START_TIMEOUT_MS} ms; stderr: ${stderr()}`)), START_TIMEOUT_MS)
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    lines.on('line', (line) => {
      const record = JSON.parse(line) as LogRecord
      records.push(record)
      if (record.event === 'listening') {
        clearTimeout(timer)
        resolve(record)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`checker exited with ${code} before listening; stderr: ${stderr()}`))
    })
  })
}

/** Where cleanup goes: a test's `t`, or `{ after }` from node:test for a whole file. */
export interface Cleanup {
  after(fn: () => Promise<unknown>): void
}

/** Starts the checker with `env` on top of 127.0.0.1:0 and waits until it listens; `t.after` stops it. */
export async function startChecker(t: Cleanup, env: Record<string, string> = {}): Promise<CheckerProcess> {
  const child = spawn(process.execPath, [BIN], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => stopChild(child, 'SIGTERM'))
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const records: LogRecord[] = []
  const listening = await waitForListening(child, records, () => stderr)
  assert.equal(typeof listening.port, 'number')
  assert.equal(typeof listening.url, 'string')
  return { child, url: listening.url as string, port: listening.port as number, records, stop: (signal = 'SIGTERM') => stopChild(child, signal) }
}

/** Runs the checker expecting it to exit by itself (e.g. on a bad configuration); bounded. */
export async function runCheckerToExit(t: Cleanup, env: Record<string, string>): Promise<Exit & { stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => stopChild(child, 'SIGKILL'))
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS)
  const exit = await exitOf(child)
  clearTimeout(timer)
  return { ...exit, stdout, stderr }
}
