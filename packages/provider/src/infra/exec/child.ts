/**
 * Runs one process to completion and reports how it ended, as plain data
 * that crosses a thread boundary. Never through a shell; output is kept up
 * to a bound; a process that outlives its timeout or is cancelled gets
 * SIGTERM, then SIGKILL after a grace period. It runs inside the background
 * thread (see `run.ts`), never on the thread that serves the API.
 *
 * @module
 */
import { spawn } from 'node:child_process'

export interface ChildJob {
  readonly file: string
  readonly args: readonly string[]
  readonly env: Readonly<Record<string, string | undefined>>
  readonly timeoutMs: number
  /** Output kept per stream; the rest is dropped (a runaway process cannot fill memory). */
  readonly maxOutputBytes: number
  /** Written to the process's stdin, which is then closed; without it stdin is /dev/null. */
  readonly input?: string | undefined
}

export type FailureKind = 'exit' | 'timeout' | 'aborted' | 'spawn'

export interface ChildOutcome {
  /** Undefined when the process exited 0 and was neither timed out nor cancelled. */
  readonly failure: FailureKind | undefined
  readonly exitCode: number | null
  readonly stdout: string
  readonly stderr: string
  readonly durationMs: number
  /** Why the process could not be started (ENOENT, EACCES …), when it could not. */
  readonly spawnError?: string | undefined
  /** The system's code for that (`ENOENT`, `EMFILE`, `EAGAIN` …), when it gave one. */
  readonly spawnCode?: string | undefined
}

export const KILL_GRACE_MS = 2000

// Collects a stream into a string, keeping at most `limit` bytes.
function collect(stream: NodeJS.ReadableStream | null, limit: number): () => string {
  const chunks: Buffer[] = []
  let size = 0
  stream?.on('data', (chunk: Buffer) => {
    if (size >= limit) return
    chunks.push(chunk.subarray(0, limit - size))
    size += chunk.length
  })
  return () => Buffer.concat(chunks).toString('utf8')
}

/**
 * Runs the job; never rejects. `track` receives the pid as soon as the
 * process exists and 0 once it has exited (the owner kills it by pid if this
 * thread dies in between).
 */
export function runChild(job: ChildJob, signal: AbortSignal, track: (pid: number) => void = () => undefined): Promise<ChildOutcome> {
  const started = performance.now()
  return new Promise((resolve) => {
    const child = spawn(job.file, job.args, { env: job.env, stdio: [job.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    // Recorded at once (not on 'spawn', a tick later), so the owner knows the pid before anything else can happen.
    if (child.pid !== undefined) track(child.pid)
    child.stdin?.on('error', () => undefined) // a process that exits without reading its input is not an error here
    child.stdin?.end(job.input)
    const stdout = collect(child.stdout, job.maxOutputBytes)
    const stderr = collect(child.stderr, job.maxOutputBytes)
    let failure: FailureKind | undefined
    let spawnError: string | undefined
    let spawnCode: string | undefined
    const stop = (why: FailureKind) => {
      failure ??= why
      child.kill('SIGTERM')
      setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref()
    }
    const timer = setTimeout(() => stop('timeout'), job.timeoutMs)
    const onAbort = () => stop('aborted')
    if (signal.aborted) onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    child.on('error', (error) => {
      failure ??= 'spawn'
      spawnError = error.message
      spawnCode = (error as NodeJS.ErrnoException).code
    })
    child.on('close', (code) => {
      track(0)
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      if (failure === undefined && code !== 0) failure = 'exit'
      resolve({ failure, exitCode: code, stdout: stdout(), stderr: stderr(), durationMs: performance.now() - started, spawnError, spawnCode })
    })
  })
}
