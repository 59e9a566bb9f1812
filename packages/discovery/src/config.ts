/**
 * The service's settings, read from `GOLEM_DISCOVERY_*` environment
 * variables. `loadConfig` is pure: it reports every problem at once and
 * warns about unknown `GOLEM_DISCOVERY_*` names (such as the original's
 * ignored `..._EXPIRY_MINUTES`).
 *
 * @module
 */
import { ConfigError } from '@golem-vm/common'
import { envFlag as flag, envOneOf as oneOf, envText, envWhole as whole, parseEnvSettings, unknownEnvNames } from '@golem-vm/common/env-settings'
import { isIP } from 'node:net'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { DEFAULT_DISCOVERY_PORT } from '@golem-vm/protocol'

/** Prefix of every setting. */
export const ENV_PREFIX = 'GOLEM_DISCOVERY_'
/** Accepted values of GOLEM_DISCOVERY_LOG_LEVEL. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** The validated settings. Durations are in seconds as configured. */
export interface DiscoveryConfig {
  readonly host: string
  /** 0 asks the system for a free port; the bound address is logged (event "listening"). */
  readonly port: number
  /** Directory of the SQLite database (unused with a database URL). */
  readonly dataDir: string
  /** PostgreSQL URL; undefined = the embedded SQLite store in `dataDir`. */
  readonly databaseUrl: string | undefined
  /** Connections per instance to PostgreSQL. */
  readonly databasePoolSize: number
  /** production refuses advertised addresses that are not public; development allows them and lifts the per-address limit. */
  readonly environment: 'production' | 'development'
  /** Accept loopback, private, link-local, multicast and CGNAT `ip_address` values. */
  readonly allowPrivateAddresses: boolean
  /** `source`: an advertisement's `ip_address` must be the address it is posted from (IPv6: same /64); `off`: not checked. */
  readonly addressCheck: 'source' | 'off'
  /** Most providers advertising one address (IPv6: one /64); 0 = no limit. */
  readonly maxProvidersPerAddress: number
  /** How long a provider's signing state is kept after its last signed write once it has no advertisement. */
  readonly signerRetentionSeconds: number
  /** Open connections per client address; 0 = no limit. */
  readonly maxConnectionsPerAddress: number
  /** Deadline for a whole request (headers and body) to arrive. */
  readonly requestTimeoutSeconds: number
  readonly allowUnsigned: boolean
  readonly expirySeconds: number
  readonly cleanupIntervalSeconds: number
  /** 0 turns the rate limit off. */
  readonly rateLimitPerMinute: number
  readonly maxClockSkewSeconds: number
  /** false, true (trust every proxy: only behind one you control), or trusted proxy addresses/CIDRs. */
  readonly trustProxy: boolean | string[]
  readonly logLevel: (typeof LOG_LEVELS)[number]
  readonly logFormat: 'auto' | 'json' | 'pretty'
}

export { ConfigError }

const text = envText

// A number of seconds above 0, fractions allowed.
const seconds = (max: number, fallback: number) =>
  text.transform((v, ctx) => {
    if (v === undefined) return fallback
    const n = Number(v)
    if (/^\d+(\.\d+)?$/.test(v) && n > 0 && n <= max) return n
    ctx.addIssue({ code: 'custom', message: `must be a number of seconds above 0 and at most ${max} (got "${v}")` })
    return z.NEVER
  })

/** Providers per address in production when not configured: a few machines behind one NAT, not a flood. */
export const DEFAULT_MAX_PROVIDERS_PER_ADDRESS = 4

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal']

// A trusted proxy: an address, an address/prefix, or one of proxy-addr's names.
function isProxySpec(spec: string): boolean {
  if (PROXY_NAMES.includes(spec)) return true
  const [address = '', prefix, ...rest] = spec.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128))
}

const trustProxy = text.transform((v, ctx): boolean | string[] => {
  if (v === undefined || /^(false|0|no|off)$/i.test(v)) return false
  if (/^(true|yes|on)$/i.test(v)) return true
  const specs = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  const bad = specs.filter((s) => !isProxySpec(s))
  if (bad.length === 0 && specs.length > 0) return specs
  ctx.addIssue({
    code: 'custom',
    message: `must be false, true, or a comma-separated list of proxy addresses/CIDRs (or loopback, linklocal, uniquelocal); not understood: "${bad.join('", "') || v}"`,
  })
  return z.NEVER
})

const databaseUrl = text.transform((v, ctx) => {
  if (v === undefined) return undefined
  let url: URL | undefined
  try {
    url = new URL(v)
  } catch {
    url = undefined
  }
  if (url !== undefined && (url.protocol === 'postgres:' || url.protocol === 'postgresql:')) return v
  ctx.addIssue({
    code: 'custom',
    message: 'must be a PostgreSQL URL such as postgres://user:password@db.example:5432/discovery (leave it unset for the embedded SQLite store)',
  })
  return z.NEVER
})

const settings = (home: string) =>
  z.object({
    GOLEM_DISCOVERY_HOST: text.transform((v) => v ?? '0.0.0.0'),
    GOLEM_DISCOVERY_PORT: whole(0, 65_535, DEFAULT_DISCOVERY_PORT),
    GOLEM_DISCOVERY_DATA_DIR: text.transform((v) => (v === undefined ? join(home, '.golem', 'discovery') : v.replace(/^~(?=$|\/)/, home))),
    GOLEM_DISCOVERY_DATABASE_URL: databaseUrl,
    GOLEM_DISCOVERY_DATABASE_POOL_SIZE: whole(1, 100, 10),
    GOLEM_DISCOVERY_ENVIRONMENT: oneOf(['production', 'development'] as const, 'production'),
    GOLEM_DISCOVERY_ALLOW_PRIVATE_ADDRESSES: flag(undefined),
    GOLEM_DISCOVERY_ADDRESS_CHECK: oneOf(['source', 'off'] as const, 'source'),
    GOLEM_DISCOVERY_MAX_PROVIDERS_PER_ADDRESS: whole(0, 1_000_000, undefined),
    GOLEM_DISCOVERY_SIGNER_RETENTION_SECONDS: seconds(365 * 86_400, 7 * 86_400),
    GOLEM_DISCOVERY_MAX_CONNECTIONS_PER_ADDRESS: whole(0, 1_000_000, 64),
    GOLEM_DISCOVERY_REQUEST_TIMEOUT_SECONDS: seconds(300, 10),
    GOLEM_DISCOVERY_ALLOW_UNSIGNED: flag(false),
    GOLEM_DISCOVERY_ADVERTISEMENT_EXPIRY_SECONDS: seconds(7 * 86_400, 300),
    GOLEM_DISCOVERY_CLEANUP_INTERVAL_SECONDS: seconds(86_400, 60),
    GOLEM_DISCOVERY_RATE_LIMIT_PER_MINUTE: whole(0, 1_000_000_000, 100),
    GOLEM_DISCOVERY_MAX_CLOCK_SKEW_SECONDS: whole(1, 3_600, 120),
    GOLEM_DISCOVERY_TRUST_PROXY: trustProxy,
    GOLEM_DISCOVERY_LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
    GOLEM_DISCOVERY_LOG_FORMAT: oneOf(['auto', 'json', 'pretty'] as const, 'auto'),
  })

/** Names of every setting, for documentation and the unknown-name warning. */
export const SETTING_NAMES: readonly string[] = Object.keys(settings('/').shape)

/**
 * Reads the settings from `env`. Throws {@link ConfigError} listing every bad
 * setting; returns warnings for `GOLEM_DISCOVERY_*` names it does not know.
 * `home` replaces a leading `~` and is the base of the default data dir.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  home: string = env.HOME ?? homedir(),
): { config: DiscoveryConfig; warnings: string[] } {
  const s = parseEnvSettings(settings(home), env)
  const dev = s.GOLEM_DISCOVERY_ENVIRONMENT === 'development'
  const minRetention = 2 * s.GOLEM_DISCOVERY_MAX_CLOCK_SKEW_SECONDS
  if (s.GOLEM_DISCOVERY_SIGNER_RETENTION_SECONDS < minRetention) {
    throw new ConfigError([
      `GOLEM_DISCOVERY_SIGNER_RETENTION_SECONDS: must be at least twice GOLEM_DISCOVERY_MAX_CLOCK_SKEW_SECONDS (${minRetention}), or a replayed request could be accepted (got ${s.GOLEM_DISCOVERY_SIGNER_RETENTION_SECONDS})`,
    ])
  }
  const warnings = unknownEnvNames(env, ENV_PREFIX, SETTING_NAMES).map(
    (name) => `${name} is not a setting of this discovery service and is ignored (settings: ${SETTING_NAMES.join(', ')})`,
  )
  const config: DiscoveryConfig = {
    host: s.GOLEM_DISCOVERY_HOST,
    port: s.GOLEM_DISCOVERY_PORT,
    dataDir: s.GOLEM_DISCOVERY_DATA_DIR,
    databaseUrl: s.GOLEM_DISCOVERY_DATABASE_URL,
    databasePoolSize: s.GOLEM_DISCOVERY_DATABASE_POOL_SIZE,
    environment: s.GOLEM_DISCOVERY_ENVIRONMENT,
    allowPrivateAddresses: s.GOLEM_DISCOVERY_ALLOW_PRIVATE_ADDRESSES ?? dev,
    addressCheck: s.GOLEM_DISCOVERY_ADDRESS_CHECK,
    maxProvidersPerAddress: s.GOLEM_DISCOVERY_MAX_PROVIDERS_PER_ADDRESS ?? (dev ? 0 : DEFAULT_MAX_PROVIDERS_PER_ADDRESS),
    signerRetentionSeconds: s.GOLEM_DISCOVERY_SIGNER_RETENTION_SECONDS,
    maxConnectionsPerAddress: s.GOLEM_DISCOVERY_MAX_CONNECTIONS_PER_ADDRESS,
    requestTimeoutSeconds: s.GOLEM_DISCOVERY_REQUEST_TIMEOUT_SECONDS,
    allowUnsigned: s.GOLEM_DISCOVERY_ALLOW_UNSIGNED,
    expirySeconds: s.GOLEM_DISCOVERY_ADVERTISEMENT_EXPIRY_SECONDS,
    cleanupIntervalSeconds: s.GOLEM_DISCOVERY_CLEANUP_INTERVAL_SECONDS,
    rateLimitPerMinute: s.GOLEM_DISCOVERY_RATE_LIMIT_PER_MINUTE,
    maxClockSkewSeconds: s.GOLEM_DISCOVERY_MAX_CLOCK_SKEW_SECONDS,
    trustProxy: s.GOLEM_DISCOVERY_TRUST_PROXY,
    logLevel: s.GOLEM_DISCOVERY_LOG_LEVEL,
    logFormat: s.GOLEM_DISCOVERY_LOG_FORMAT,
  }
  return { config, warnings }
}
