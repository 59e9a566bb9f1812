/**
 * How the provider runs a command: never through a shell; every call has a
 * timeout and an abort signal; output is captured up to a bound; a failure
 * is reported as data (`ExecFailure`), which drivers translate.
 *
 * The process is started and awaited on the background thread
 * (infra/background), so that the fork-and-exec wait never stalls the event
 * loop that answers API requests and moves SSH bookkeeping.
 *
 * @module
 */
import { BackgroundThreadError } from '../background/background-thread.js'
import { background } from '../background/shared.js'
import type { FailureKind as ChildFailureKind } from './child.js'

/** How a run failed: the process's own outcome, or `lost` when the background thread died with it (it was killed). */
export type FailureKind = ChildFailureKind | 'lost'

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
    options?: { cause?: unknown; spawnCode?: string | undefined },
  ) {
    super(`${argv.join(' ')}: ${describe(kind, exitCode, stderr)}`, options)
    this.spawnCode = options?.spawnCode
  }

  /** Why a `spawn` failure happened, as the system's code (`ENOENT`, `EMFILE`, `EAGAIN` …), when it gave one. */
  readonly spawnCode: string | undefined

  /** The last non-empty line of stderr: usually the tool's own error message. */
  get reason(): string {
    return lastLine(this.stderr) || lastLine(this.stdout) || describe(this.kind, this.exitCode, '')
  }
}

// Terminal control sequences (progress spinners) are not part of a message.
// eslint-disable-next-line no-control-regex -- the escape character is exactly what is matched
const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')
const lastLine = (text: string) =>
  stripAnsi(text)
    .trim()
    .split(/\r?\n|\r/)
    .at(-1)
    ?.trim() ?? ''

function describe(kind: FailureKind, exitCode: number | null, stderr: string): string {
  if (kind === 'timeout') return 'timed out'
  if (kind === 'aborted') return 'aborted'
  if (kind === 'spawn') return 'could not be started'
  if (kind === 'lost') return `lost with the background thread${stderr ? `: ${lastLine(stderr)}` : ''}`
  return `exit code ${exitCode ?? 'none'}${stderr ? `: ${lastLine(stderr)}` : ''}`
}

/** Runs `file args…` to completion. Resolves on exit code 0, rejects with ExecFailure otherwise. */
export async function run(file: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const argv = [file, ...args]
  const started = performance.now()
  const job = {
    file,
    args,
    env: opts.env ?? process.env,
    timeoutMs: opts.timeoutMs,
    maxOutputBytes: opts.maxOutputBytes ?? 1024 * 1024,
    input: opts.input,
  }
  let outcome
  try {
    outcome = await background.call('process', job, opts.signal)
  } catch (error) {
    if (!(error instanceof BackgroundThreadError)) throw error
    throw new ExecFailure(opts.signal?.aborted === true ? 'aborted' : 'lost', argv, null, '', error.message, performance.now() - started, { cause: error })
  }
  const { failure, exitCode, stdout, stderr, spawnError, spawnCode } = outcome
  // The caller's clock: it includes the hop to the background thread.
  const durationMs = performance.now() - started
  if (failure === undefined) return { stdout, stderr, durationMs }
  throw new ExecFailure(failure, argv, exitCode, stdout, stderr, durationMs, spawnError === undefined ? undefined : { cause: new Error(spawnError), spawnCode })
}
