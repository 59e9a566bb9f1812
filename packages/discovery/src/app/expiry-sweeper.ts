/**
 * The background task that removes expired advertisements: once at start,
 * then every interval. Reads already ignore expired rows; this keeps the
 * table small.
 *
 * @module
 */
import type { Logger } from 'pino'
import type { AdvertisementStore } from './ports/advertisement-store.js'

/** Stops the sweeper; idempotent. */
export type StopSweeper = () => void

/**
 * Starts sweeping `store` every `intervalMs`. The timer is unref'd, so it
 * never keeps the process alive; a failing sweep is logged and retried at the
 * next interval.
 */
export function startExpirySweeper(store: AdvertisementStore, intervalMs: number, logger: Logger, now: () => number = Date.now): StopSweeper {
  const sweep = (): void => {
    try {
      const removed = store.deleteExpired(now())
      if (removed > 0) logger.info({ event: 'expired-removed', removed }, 'removed expired advertisements')
    } catch (error) {
      logger.error({ err: error }, 'removing expired advertisements failed; retrying at the next interval')
    }
  }
  sweep()
  const timer = setInterval(sweep, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
