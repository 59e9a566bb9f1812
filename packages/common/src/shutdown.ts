/**
 * How a service stops on a signal: the first SIGINT or SIGTERM runs its
 * `stop` once and exits 0 when that resolves (1 when it rejects or outlasts
 * `timeoutMs`); a second signal exits 1 at once, for an operator who will not
 * wait. Every service's `main.ts` uses it, so they all stop alike.
 *
 * @module
 */
import type { EventEmitter } from 'node:events'

/** What stopping needs of a logger. */
export interface ShutdownLogger {
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
  error(fields: object, message: string): void
}

export interface ShutdownOptions {
  readonly logger: ShutdownLogger
  /** Gives back what the service holds; the process exits when it settles. */
  readonly stop: () => Promise<void>
  /** Longest `stop` may take before the process exits 1 anyway; undefined waits as long as it takes. */
  readonly timeoutMs?: number
  readonly signals?: readonly NodeJS.Signals[]
  /** The process, or a stand-in in tests. */
  readonly process?: Pick<EventEmitter, 'on' | 'off'> & { exit(code?: number): void }
}

/** Installs the handlers; returns a function that removes them. */
export function stopOnSignals(opts: ShutdownOptions): () => void {
  const target = opts.process ?? process
  const signals = opts.signals ?? ['SIGINT', 'SIGTERM']
  let stopping = false
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      opts.logger.warn({ signal }, 'second signal: exiting now')
      target.exit(1)
      return
    }
    stopping = true
    opts.logger.info({ event: 'stopping', signal }, 'stopping')
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            opts.logger.error({ event: 'stop_timeout', timeoutMs: opts.timeoutMs }, 'stopping took too long: exiting')
            target.exit(1)
          }, opts.timeoutMs)
    timer?.unref()
    opts.stop().then(
      () => {
        clearTimeout(timer)
        opts.logger.info({ event: 'stopped' }, 'stopped')
        target.exit(0)
      },
      (error: unknown) => {
        clearTimeout(timer)
        opts.logger.error({ err: error }, 'stopping failed')
        target.exit(1)
      },
    )
  }
  for (const signal of signals) target.on(signal, onSignal)
  return () => {
    for (const signal of signals) target.off(signal, onSignal)
  }
}
