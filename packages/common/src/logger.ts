/**
 * A service's structured log: one JSON line per event when the output is not
 * a terminal, readable coloured lines (pino-pretty) when it is. Imported as
 * `@golem-vm/common/logger`, so that what imports the rest of the package
 * (the requestor's CLI) does not load pino.
 *
 * @module
 */
import { pino, type Logger } from 'pino'

/** `service` names the program in every JSON line; `format` "auto" means pretty on a TTY, JSON otherwise. */
export function createServiceLogger(service: string, level: string, format: 'auto' | 'json' | 'pretty', isTty: boolean): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && isTty)
  if (!pretty) return pino({ level, base: { service } })
  return pino({
    level,
    base: undefined,
    transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } },
  })
}
