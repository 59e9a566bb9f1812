/**
 * The port checker's settings, read from `PORT_CHECKER_*` environment
 * variables. `loadConfig` is pure: it reads only the object it is given and
 * reports every problem at once.
 *
 * @module
 */
import { ConfigError } from '@golem-vm/common'
import { envFlag, envWhole, parseEnvSettings, unknownEnvNames } from '@golem-vm/common/env-settings'
import { isIP } from 'node:net'
import { DEFAULT_MAX_PORTS_PER_REQUEST, DEFAULT_PORT_CHECKER_PORT } from '@golem-vm/protocol'
import { z } from 'zod'

/**
 * Which reverse proxies may set `X-Forwarded-For`: `false` (none, the
 * default), `true` (any: only when the checker is reachable through the proxy
 * alone), a hop count, or a list of proxy addresses / CIDR ranges.
 */
export type TrustProxy = boolean | number | readonly string[]

/** The validated, frozen settings. See the README for what each one means. */
export interface Config {
  readonly host: string
  readonly port: number
  readonly debug: boolean
  readonly allowForeignAddress: boolean
  readonly allowHostnames: boolean
  readonly maxPorts: number
  readonly rateLimitPerMinute: number
  readonly connectTimeoutMs: number
  readonly attempts: number
  readonly retryDelayMs: number
  readonly maxConcurrentConnects: number
  readonly connectsPerRequest: number
  readonly requestDeadlineMs: number
  readonly trustProxy: TrustProxy
  /** Open connections per caller (IPv4 address or IPv6 /64); 0 = no limit. */
  readonly maxConnectionsPerAddress: number
}

export { ConfigError }

const isUnset = (text: string | undefined): text is undefined => text === undefined || text.trim() === ''

const isCidrOrIp = (entry: string): boolean => {
  const [address = '', bits, ...rest] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  if (bits === undefined) return true
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)
}

// Parses the trust-proxy setting; see TrustProxy for the accepted forms.
const trustProxy = z
  .string()
  .optional()
  .transform((text, ctx): TrustProxy => {
    if (isUnset(text)) return false
    const word = text.trim().toLowerCase()
    if (['false', 'no', 'off'].includes(word)) return false
    if (['true', 'yes', 'on'].includes(word)) return true
    // A number is a hop count, as in Fastify; 0 hops trusts no proxy.
    if (/^\d{1,3}$/.test(word)) return Number(word) === 0 ? false : Number(word)
    const entries = word.split(',').map((e) => e.trim())
    const bad = entries.filter((e) => !isCidrOrIp(e))
    if (bad.length === 0) return entries
    ctx.addIssue({
      code: 'custom',
      message: `must be false, true, a hop count, or a comma-separated list of proxy IP addresses or CIDR ranges (not valid: ${bad.map((b) => `"${b}"`).join(', ')})`,
    })
    return z.NEVER
  })

const host = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (isUnset(text)) return '0.0.0.0'
    if (!/\s/.test(text.trim())) return text.trim()
    ctx.addIssue({ code: 'custom', message: `must be an address or hostname to listen on, without spaces (got "${text}")` })
    return z.NEVER
  })

/** Every setting, its parser and default. Keys are the environment variable names. */
const SETTINGS = z.object({
  PORT_CHECKER_HOST: host,
  PORT_CHECKER_PORT: envWhole(0, 65_535, DEFAULT_PORT_CHECKER_PORT),
  PORT_CHECKER_DEBUG: envFlag(false),
  PORT_CHECKER_ALLOW_FOREIGN_ADDRESS: envFlag(false),
  PORT_CHECKER_ALLOW_HOSTNAMES: envFlag(false),
  PORT_CHECKER_MAX_PORTS: envWhole(1, 65_535, DEFAULT_MAX_PORTS_PER_REQUEST),
  PORT_CHECKER_RATE_LIMIT_PER_MINUTE: envWhole(1, 1_000_000, 20),
  PORT_CHECKER_CONNECT_TIMEOUT_MS: envWhole(1, 60_000, 2_000),
  PORT_CHECKER_ATTEMPTS: envWhole(1, 10, 2),
  PORT_CHECKER_RETRY_DELAY_MS: envWhole(0, 60_000, 500),
  PORT_CHECKER_MAX_CONCURRENT_CONNECTS: envWhole(1, 10_000, 256),
  PORT_CHECKER_CONNECTS_PER_REQUEST: envWhole(1, 10_000, 64),
  PORT_CHECKER_REQUEST_DEADLINE_MS: envWhole(100, 600_000, 20_000),
  PORT_CHECKER_TRUST_PROXY: trustProxy,
  PORT_CHECKER_MAX_CONNECTIONS_PER_ADDRESS: envWhole(0, 1_000_000, 16),
})

/** The names of every setting `loadConfig` reads. */
export const SETTING_NAMES: readonly string[] = Object.keys(SETTINGS.shape)

type Settings = z.output<typeof SETTINGS>

/** How long one port can take at worst: every attempt times out, with a pause between attempts. */
export const worstCaseProbeMs = (c: Pick<Config, 'attempts' | 'connectTimeoutMs' | 'retryDelayMs'>): number =>
  c.attempts * c.connectTimeoutMs + (c.attempts - 1) * c.retryDelayMs

// Settings that are fine one by one but not together.
function crossProblems(c: Config): string[] {
  const worst = worstCaseProbeMs(c)
  if (c.requestDeadlineMs >= worst) return []
  return [
    `PORT_CHECKER_REQUEST_DEADLINE_MS (${c.requestDeadlineMs}) must be at least PORT_CHECKER_ATTEMPTS × PORT_CHECKER_CONNECT_TIMEOUT_MS + ` +
      `(PORT_CHECKER_ATTEMPTS − 1) × PORT_CHECKER_RETRY_DELAY_MS = ${worst}, or a filtered port could never be reported as timed out`,
  ]
}

const toConfig = (s: Settings): Config =>
  Object.freeze({
    host: s.PORT_CHECKER_HOST,
    port: s.PORT_CHECKER_PORT,
    debug: s.PORT_CHECKER_DEBUG,
    allowForeignAddress: s.PORT_CHECKER_ALLOW_FOREIGN_ADDRESS,
    allowHostnames: s.PORT_CHECKER_ALLOW_HOSTNAMES,
    maxPorts: s.PORT_CHECKER_MAX_PORTS,
    rateLimitPerMinute: s.PORT_CHECKER_RATE_LIMIT_PER_MINUTE,
    connectTimeoutMs: s.PORT_CHECKER_CONNECT_TIMEOUT_MS,
    attempts: s.PORT_CHECKER_ATTEMPTS,
    retryDelayMs: s.PORT_CHECKER_RETRY_DELAY_MS,
    maxConcurrentConnects: s.PORT_CHECKER_MAX_CONCURRENT_CONNECTS,
    // A request never holds more connects than the whole checker may.
    connectsPerRequest: Math.min(s.PORT_CHECKER_CONNECTS_PER_REQUEST, s.PORT_CHECKER_MAX_CONCURRENT_CONNECTS),
    requestDeadlineMs: s.PORT_CHECKER_REQUEST_DEADLINE_MS,
    trustProxy: Object.freeze(s.PORT_CHECKER_TRUST_PROXY),
    maxConnectionsPerAddress: s.PORT_CHECKER_MAX_CONNECTIONS_PER_ADDRESS,
  })

/**
 * Reads the settings from `env` (usually `process.env`), applying defaults.
 * Pure: no I/O, no global state. Throws one {@link ConfigError} that lists
 * every problem, each naming its variable and the value it got.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const config = toConfig(parseEnvSettings(SETTINGS, Object.fromEntries(SETTING_NAMES.map((name) => [name, env[name]]))))
  const problems = crossProblems(config)
  if (problems.length > 0) throw new ConfigError(problems)
  return config
}

/** `PORT_CHECKER_*` variables in `env` that no setting reads: most likely typos, worth a warning. */
export const unknownSettings = (env: Readonly<Record<string, string | undefined>>): string[] => unknownEnvNames(env, 'PORT_CHECKER_', SETTING_NAMES).sort()
