/**
 * Watches a VM while the use case waits for its SSH server: a guest that
 * powers off or a backend process that dies during boot ends the wait at
 * once, instead of when the create's deadline runs out.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { VmDriver } from '../drivers/driver.js'

/** How often the backend is asked whether a booting VM still runs. */
export const BOOT_CHECK_MS = 2000

/**
 * Asks the driver every `intervalMs` how the instance is; resolves with a
 * sentence fragment once it has stopped or is gone, and with undefined when
 * `signal` aborts (the wait ended some other way). Never rejects. Only
 * `stopped` and `absent` count: `other` (QMP busy, a backend's transitional
 * word) and a failing inspect may pass, so the wait goes on.
 */
export async function bootFailure(driver: VmDriver, instance: string, signal: AbortSignal, intervalMs = BOOT_CHECK_MS): Promise<string | undefined> {
  try {
    for (;;) {
      await sleep(intervalMs, undefined, { signal })
      const state = await driver.inspect(instance, signal).catch(() => undefined)
      if (signal.aborted) return undefined
      if (state?.kind === 'stopped') return 'the VM stopped while its guest was booting'
      if (state?.kind === 'absent') return 'the VM disappeared from the backend while its guest was booting'
    }
  } catch {
    return undefined
  }
}
