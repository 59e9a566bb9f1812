/**
 * The one translation of a failed backend call into a {@link DriverError}:
 * a process that failed (`ExecFailure`, as `infra/exec` reports it), a
 * deadline that cut a call short, or anything else a driver's own code threw.
 * Every driver uses it, so the same failure has the same code everywhere.
 *
 * @module
 */
import { ExecFailure } from '../infra/exec/run.js'
import { DriverError } from './driver.js'

export interface TranslateOptions {
  /** An exit code by which the tool reports its own timeout (Multipass: 5). */
  readonly timeoutExitCode?: number
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** The system's codes for a host short of open files or processes: the condition passes, the call may be retried. */
const SHORTAGE_CODES: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM'])
const isShortage = (code: string | undefined): code is string => code !== undefined && SHORTAGE_CODES.has(code)

const shortage = (what: string, how: string, code: string, cause: unknown): DriverError =>
  new DriverError('UNAVAILABLE', `${what}: ${how}: the host is out of open files or processes (${code}); retry shortly`, { cause, transient: true })

/** `error` as a DriverError; `what` names the call (`multipass launch`, `qemu stop of golem-x`). */
export function toDriverError(error: unknown, what: string, opts: TranslateOptions = {}): DriverError {
  if (error instanceof DriverError) return error
  if (error instanceof ExecFailure) {
    const tool = error.argv[0] ?? ''
    if (error.kind === 'timeout' || (error.kind === 'exit' && error.exitCode === opts.timeoutExitCode)) {
      return new DriverError('TIMEOUT', `${what}: ${tool} did not finish in time (${error.reason})`, { cause: error })
    }
    if (error.kind === 'spawn' && isShortage(error.spawnCode)) return shortage(what, `${tool} could not be started`, error.spawnCode, error)
    if (error.kind === 'spawn') return new DriverError('UNAVAILABLE', `${what}: ${tool} is missing or not executable`, { cause: error })
    return new DriverError('FAILED', `${what}: ${error.reason}`, { cause: error })
  }
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined
  if (isShortage(code)) return shortage(what, 'failed', code, error)
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return new DriverError('TIMEOUT', `${what} was cut short by its deadline`, { cause: error })
  }
  return new DriverError('FAILED', `${what} failed: ${messageOf(error)}`, { cause: error })
}
