/**
 * The parts of a `loadConfig` that every service writes the same way: parsers for settings read from environment
 * variables (text, whole numbers, flags, a choice), turning a schema's problems into {@link ConfigError} lines, and
 * finding the variables with a service's prefix that no setting reads. A service keeps its own schema, defaults
 * and cross-setting checks in its `config.ts`.
 *
 * Every parser trims the value and treats an empty one as unset (shells make empty variables easily); a bad value
 * gives one problem that names the accepted values and quotes what it got.
 *
 * @module
 */
import { z } from 'zod'
import { ConfigError } from './config-error.js'

/** The environment as a service reads it. */
export type Env = Readonly<Record<string, string | undefined>>

/** A setting's text, trimmed; `undefined` when unset or blank. */
export const envText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()))

/** Words a flag accepts, case-insensitively. */
const TRUE_WORDS = /^(true|1|yes|on)$/i
const FALSE_WORDS = /^(false|0|no|off)$/i

/** A whole number from `min` to `max`; `fallback` when unset (pass `undefined` for a default that depends on another setting). */
export const envWhole = <F extends number | undefined>(min: number, max: number, fallback: F) =>
  envText.transform((v, ctx): number | F => {
    if (v === undefined) return fallback
    if (/^\d+$/.test(v) && Number(v) >= min && Number(v) <= max) return Number(v)
    ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max} (got "${v}")` })
    return z.NEVER
  })

/** true/1/yes/on or false/0/no/off, in any case; `fallback` when unset (`undefined` for a default that depends on another setting). */
export const envFlag = <F extends boolean | undefined>(fallback: F) =>
  envText.transform((v, ctx): boolean | F => {
    if (v === undefined) return fallback
    if (TRUE_WORDS.test(v)) return true
    if (FALSE_WORDS.test(v)) return false
    ctx.addIssue({ code: 'custom', message: `must be true or false (got "${v}")` })
    return z.NEVER
  })

/** One of `choices`, in any case; `fallback` when unset. */
export const envOneOf = <T extends string>(choices: readonly T[], fallback: T) =>
  envText.transform((v, ctx): T => {
    if (v === undefined) return fallback
    const found = choices.find((c) => c === v.toLowerCase())
    if (found !== undefined) return found
    ctx.addIssue({ code: 'custom', message: `must be one of ${choices.join(', ')} (got "${v}")` })
    return z.NEVER
  })

/** One line per problem of a failed parse: the setting's name (after `prefix`), a colon, what is wrong. */
export const settingProblems = (error: z.ZodError, prefix = ''): string[] => error.issues.map((i) => `${prefix}${i.path.map(String).join('.')}: ${i.message}`)

/** Parses `env` with `schema`, or throws one {@link ConfigError} that lists every bad setting. */
export function parseEnvSettings<S extends z.ZodType>(schema: S, env: Env): z.output<S> {
  const parsed = schema.safeParse(env)
  if (!parsed.success) throw new ConfigError(settingProblems(parsed.error))
  return parsed.data
}

/** The variables in `env` with `prefix` that are not in `names`, in `env`'s order: most likely typos, worth a warning. */
export const unknownEnvNames = (env: Env, prefix: string, names: readonly string[]): string[] =>
  Object.keys(env).filter((name) => name.startsWith(prefix) && !names.includes(name))
