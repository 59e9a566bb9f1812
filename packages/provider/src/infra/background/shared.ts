/**
 * The provider's one background thread, shared by everything that would
 * otherwise stall the API's event loop: starting backend commands
 * (exec/run.ts) and signing (identity/background-signer.ts).
 *
 * @module
 */
import { BackgroundThread } from './background-thread.js'

/** A provider between requests keeps no thread: it stops after 10 s without a job. */
export const BACKGROUND_IDLE_MS = 10_000

export const background = new BackgroundThread({ idleMs: BACKGROUND_IDLE_MS })
