/**
 * A service's structured log: one JSON line per event when the output is not
 * a terminal, readable coloured lines (pino-pretty) when it is. Imported as
 * `@golem-vm/common/logger`, so that what imports the rest of the package
 * (the requestor's CLI) does not load pino.
 *
 * @module
 */
import { pino, type Logger, type LoggerOptions } from 'pino'

/**
 * Sees every event that is logged (at the logger's level or above), in
 * process: its numeric level, its fields (a child logger's bindings
 * included) and its message. It must be cheap and must not throw; a throw
 * is ignored, never the log line.
 */
export type LogTap = (level: number, fields: Readonly<Record<string, unknown>>, msg: string | undefined) => void

/** `service` names the program in every JSON line; `format` "auto" means pretty on a TTY, JSON otherwise. */
export function createServiceLogger(service: string, level: string, format: 'auto' | 'json' | 'pretty', isTty: boolean, tap?: LogTap): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && isTty)
  const hooks = tap === undefined ? {} : logTapHooks(tap)
  if (!pretty) return pino({ level, base: { service }, hooks })
  return pino({
    level,
    base: undefined,
    hooks,
    transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } },
  })
}

/** pino hooks that show every logged event to `tap` (see {@link LogTap}); the log lines are unchanged. */
export function logTapHooks(tap: LogTap): NonNullable<LoggerOptions['hooks']> {
  // pino's hook sees the call's arguments (`{fields}, 'message'` or `'message'`) and the logger with its bindings.
  return {
    logMethod: function (this: Logger, args, method, level) {
      try {
        const [first, second] = args as unknown[]
        const own = typeof first === 'object' && first !== null ? (first instanceof Error ? { err: first } : (first as Record<string, unknown>)) : {}
        const msg = typeof first === 'string' ? first : typeof second === 'string' ? second : undefined
        tap(level, { ...this.bindings(), ...own }, msg)
      } catch {
        // The tap is a view of the log; the log line itself must never be lost to it.
      }
      method.apply(this, args)
    },
  }
}
