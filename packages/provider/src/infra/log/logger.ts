/**
 * Structured logs: one line per event, JSON for machines, readable lines in a terminal.
 *
 * @module
 */
import pino, { type Logger } from 'pino'

export function createLogger(level: string, format: 'auto' | 'json' | 'pretty', isTty: boolean): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && isTty)
  if (!pretty) return pino({ level, base: { service: 'golem-provider' } })
  return pino({
    level,
    base: undefined,
    transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } },
  })
}
