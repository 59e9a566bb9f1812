/**
 * What every command gets: the composed dependencies and where to print.
 *
 * @module
 */
import type { RequestorDeps } from '../app/deps.js'
import type { Io } from './output.js'

/** The environment a command runs in. */
export interface CommandContext {
  readonly deps: RequestorDeps
  readonly io: Io
}

/** Every command's `--json` flag. */
export interface JsonOption {
  readonly json?: boolean | undefined
}
