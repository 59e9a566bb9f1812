/**
 * The only module that spawns processes. Never through a shell; every call
 * has a timeout and an abort signal; output is captured up to a bound; a
 * failure is reported as data (`ExecFailure`), which drivers translate.
 *
 * @module
 */
import { spawn } from 'node:child_process'

export interface RunOptions {
  readonly timeoutMs: number
  readonly signal?: AbortSignal | undefined
  readonly env?: NodeJS.ProcessEnv | undefined
  /** Output kept per stream; the rest is dropped (a runaway process cannot fill memory). */
  readonly maxOutputBytes?: number | undefined
  /** Written to the process's stdin, which is then closed. */
  readonly input?: string | undefined
}

export interface RunResult {
  readonly stdout: string
  readonly stderr: string
  readonly durationMs: number
}

export type FailureKind = 'exit' | 'timeout' | 'aborted' | 'spawn'

/** A process that did not exit 0, with what is needed to explain it. */
export class ExecFailure extends Error {
  override readonly name = 'ExecFailure'
  constructor(
    readonly kind: FailureKind,
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
    readonly durationMs: number,
    options?: { cause?: unknown },
  ) {
    super(`${argv.join(' ')}: ${describe(kind, exitCode, stderr)}`, options)
  }

  /** The last non-empty line of stderr: usually the tool's own error message. */
  get reason(): string {
    return lastLine(this.stderr) || lastLine(this.stdout) || describe(this.kind, this.exitCode, '')
  }
}

// Terminal control sequences (progress spinners) are not part of a message.
// eslint-disable-next-line no-control-regex -- the escape character is exactly what is matched
const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')
const lastLine = (text: string) => stripAnsi(text).trim().split(/\r?\n|\r/).at(-1)?.trim() ?? ''

function describe(kind: FailureKind, exitCode: number | null, stderr: string): string {
  if (kind === 'timeout') return 'timed out'
  if (kind === 'aborted') return 'aborted'
  if (kind === 'spawn') return 'could not be started'
  return `exit code ${exitCode ?? 'none'}${stderr ? `: ${lastLine(stderr)}` : ''}`
}

const KILL_GRACE_MS = 2000

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

/** Runs `file args…` to completion. Resolves on exit code 0, rejects with ExecFailure otherwise. */
export function run(file: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const argv = [file, ...args]
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const stdin = opts.input === undefined ? 'ignore' : 'pipe'
    const child = spawn(file, args, { env: opts.env ?? process.env, stdio: [stdin, 'pipe', 'pipe'] })
    child.stdin?.on('error', () => undefined) // a process that exits without reading its input is not an error here
    child.stdin?.end(opts.input)
    const limit = opts.maxOutputBytes ?? 1024 * 1024
    const stdout = collect(child.stdout, limit)
    const stderr = collect(child.stderr, limit)
    let kind: FailureKind | undefined
    let spawnError: unknown
    const stop = (why: FailureKind) => {
      kind ??= why
      child.kill('SIGTERM')
      setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref()
    }
    const timer = setTimeout(() => stop('timeout'), opts.timeoutMs)
    const onAbort = () => stop('aborted')
    if (opts.signal?.aborted) onAbort()
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    child.on('error', (error) => {
      kind ??= 'spawn'
      spawnError = error
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
      const durationMs = performance.now() - started
      if (kind === undefined && code === 0) {
        resolve({ stdout: stdout(), stderr: stderr(), durationMs })
        return
      }
      reject(new ExecFailure(kind ?? 'exit', argv, code, stdout(), stderr(), durationMs, { cause: spawnError }))
    })
  })
}
