/**
 * The requestor's version, from its package.json.
 *
 * @module
 */
import { readFileSync } from 'node:fs'

/** The version of the `@golem-vm/requestor` package. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
