/**
 * The background task that removes expired advertisements and the signing
 * state of providers gone for longer than the retention: once at start, then
 * every interval. Reads already ignore expired rows; this keeps the tables
 * small. With several instances on PostgreSQL the store lets one sweep at a time.
 *
 * @module
 */
import type { Logger } from 'pino'
import type { AdvertisementStore } from './ports/advertisement-store.js'

/** Stops the sweeper and waits for a sweep under way; idempotent. */
export type StopSweeper = () => Promise<void>

/**
 * Sweeps `store` every `intervalMs`. The timer is unref'd, so it never keeps
 * the process alive; a failing sweep is logged and retried at the next
 * interval; sweeps never overlap.
 */
export function startExpirySweeper(
  store: Pick<AdvertisementStore, 'prune'>,
  intervalMs: number,
  logger: Pick<Logger, 'info' | 'warn'>,
  now: () => number = Date.now,
): StopSweeper {
  let running: Promise<void> = Promise.resolve()
  let stopped = false
  const sweep = async (): Promise<void> => {
    try {
      const removed = await store.prune(now())
      if (removed.advertisements > 0) logger.info({ event: 'expired-removed', removed: removed.advertisements }, 'removed expired advertisements')
      if (removed.signers > 0)
        logger.info({ event: 'signers-pruned', removed: removed.signers }, 'forgot the signing state of providers gone longer than the retention')
    } catch (error) {
      logger.warn({ err: error }, 'removing expired advertisements failed; retrying at the next interval')
    }
  }
  const tick = (): void => {
    if (stopped) return
    running = running.then(sweep)
  }
  tick()
  const timer = setInterval(tick, intervalMs)
  timer.unref()
  return async () => {
    stopped = true
    clearInterval(timer)
    await running
  }
}
