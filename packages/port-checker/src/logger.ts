/**
 * The process logger: JSON lines for machines, colourful lines for people.
 *
 * @module
 */
import { pino, type DestinationStream, type Logger } from 'pino'
import pretty from 'pino-pretty'

/** How to log. */
export interface LoggerOptions {
  /** `debug` level instead of `info`. */
  readonly debug: boolean
  /** Human-readable lines (for a terminal) instead of JSON lines. */
  readonly pretty: boolean
  /** Where JSON lines go; standard output by default. */
  readonly destination?: DestinationStream
}

/**
 * A pino logger. Writes synchronously, so the last lines before an exit are
 * never lost and a parent process sees the "listening" line at once.
 */
export function createLogger(options: LoggerOptions): Logger {
  const level = options.debug ? 'debug' : 'info'
  const base = { name: 'golem-port-checker' }
  if (options.pretty) {
    return pino({ level, base }, pretty({ sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' }))
  }
  return pino({ level, base }, options.destination ?? pino.destination({ dest: 1, sync: true }))
}
