/**
 * The error every service's `loadConfig` throws: all problems at once.
 *
 * @module
 */

/** Thrown by a `loadConfig`; `problems` has one line per bad setting. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  }
}
