/**
 * Structured logs: one JSON line per event when the output is not a
 * terminal, readable coloured lines when it is.
 *
 * @module
 */
import pino, { type Logger } from 'pino'

/** Creates the service logger; `format` "auto" means pretty on a TTY, JSON otherwise. */
export function createLogger(level: string, format: 'auto' | 'json' | 'pretty', isTty: boolean): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && isTty)
  if (!pretty) return pino({ level, base: { service: 'golem-discovery' } })
  return pino({
    level,
    base: undefined,
    transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } },
  })
}
