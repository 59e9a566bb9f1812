/**
 * The provider's public address: the one value that `/access` gives renters,
 * that the advertisement carries and that port-check servers are asked to
 * reach. It is configured, or detected by asking address services; a
 * detected address is asked for again every `pollMs`, and every listener
 * hears of a change (the advertiser re-posts, the port verifier re-checks).
 *
 * @module
 */
import type { Logger } from 'pino'

export interface PublicAddressDeps {
  /** Asks for the address now (a configured one simply returns it); rejects with a message the operator can act on. */
  readonly detect: (signal: AbortSignal) => Promise<string>
  readonly logger: Pick<Logger, 'info' | 'warn'>
}

export type AddressListener = (address: string, previous: string) => void

export class PublicAddress {
  readonly #d: PublicAddressDeps
  readonly #listeners: AddressListener[] = []
  readonly #stopped = new AbortController()
  #value: string | undefined
  #timer: NodeJS.Timeout | undefined

  constructor(deps: PublicAddressDeps) {
    this.#d = deps
  }

  /** The address renters connect to. Only read once the first `refresh` resolved (start-up sees to it). */
  current(): string {
    if (this.#value === undefined) throw new Error('the public address was read before it was first resolved')
    return this.#value
  }

  /** Asks for the address again and keeps it; listeners hear of a change before this resolves. */
  async refresh(signal: AbortSignal = this.#stopped.signal): Promise<string> {
    const address = await this.#d.detect(signal)
    const previous = this.#value
    this.#value = address
    if (previous !== undefined && previous !== address) {
      this.#d.logger.info({ from: previous, to: address }, 'the public address changed')
      for (const listener of this.#listeners) listener(address, previous)
    }
    return address
  }

  /** Calls `listener` after every change of the address. */
  onChange(listener: AddressListener): void {
    this.#listeners.push(listener)
  }

  /** Asks again every `pollMs` (0: never); a failed ask is logged and the last address kept. The timer never holds the process. */
  start(pollMs: number): void {
    if (pollMs <= 0 || this.#timer !== undefined || this.#stopped.signal.aborted) return
    this.#timer = setInterval(() => void this.#poll(), pollMs)
    this.#timer.unref()
  }

  async #poll(): Promise<void> {
    try {
      await this.refresh()
    } catch (error) {
      if (this.#stopped.signal.aborted) return
      this.#d.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'cannot read the public address; the last one is kept')
    }
  }

  /** Stops polling and cancels an ask under way. */
  stop(): void {
    clearInterval(this.#timer)
    this.#stopped.abort()
  }
}
