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

/** `error` as a DriverError; `what` names the call (`multipass launch`, `qemu stop of golem-x`). */
export function toDriverError(error: unknown, what: string, opts: TranslateOptions = {}): DriverError {
  if (error instanceof DriverError) return error
  if (error instanceof ExecFailure) {
    const tool = error.argv[0] ?? ''
    if (error.kind === 'timeout' || (error.kind === 'exit' && error.exitCode === opts.timeoutExitCode)) {
      return new DriverError('TIMEOUT', `${what}: ${tool} did not finish in time (${error.reason})`, { cause: error })
    }
    if (error.kind === 'spawn') return new DriverError('UNAVAILABLE', `${what}: ${tool} is missing or not executable`, { cause: error })
    return new DriverError('FAILED', `${what}: ${error.reason}`, { cause: error })
  }
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return new DriverError('TIMEOUT', `${what} was cut short by its deadline`, { cause: error })
  }
  return new DriverError('FAILED', `${what} failed: ${messageOf(error)}`, { cause: error })
}
