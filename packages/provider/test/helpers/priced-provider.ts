/**
 * What the payment tests share: the provider's prices, the rate they make for
 * the small VM, and a bounded wait for a value to reach a state.
 */
import { setTimeout as sleep } from 'node:timers/promises'

/** Base units per second of a 1 CPU / 1 GB / 10 GB VM at {@link PRICES}. */
export const RATE = 120_000_000_000_000n
export const PRICES = {
  GOLEM_PROVIDER_PRICE_PER_CPU_HOUR: '0.36',
  GOLEM_PROVIDER_PRICE_PER_GB_MEMORY_HOUR: '0.036',
  GOLEM_PROVIDER_PRICE_PER_GB_STORAGE_HOUR: '0.0036',
}
export const SMALL = { cpu: 1, memory: 1, storage: 10 }

/** Reads until `ok` holds (every 500 ms) and returns that value; throws with the last one after `timeoutMs`. */
export async function waitFor<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`${what} did not happen in ${timeoutMs} ms; last: ${JSON.stringify(value)}`)
    await sleep(500)
  }
}
