/**
 * What a service's `main.ts` does the same way in every service: read the settings or stop with every problem,
 * and name the address it listens on.
 *
 * @module
 */
import type { AddressInfo } from 'node:net'
import { ConfigError } from './config-error.js'

/** Exit status of a service started with a bad configuration. */
export const EXIT_BAD_CONFIG = 2

/**
 * Returns what `load` returns. When it throws a {@link ConfigError}, writes `<command>: <the error's message>` (every
 * problem, one a line) to stderr and exits with {@link EXIT_BAD_CONFIG}; any other error is thrown on.
 */
export function loadConfigOrExit<T>(command: string, load: () => T): T {
  try {
    return load()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`${command}: ${error.message}\n`)
    process.exit(EXIT_BAD_CONFIG)
  }
}

/** The HTTP URL of a bound address; an IPv6 host is put in brackets. */
export const listeningUrl = (address: AddressInfo): string => `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
