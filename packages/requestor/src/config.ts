/**
 * The requestor's settings: command-line flags first, then
 * `GOLEM_REQUESTOR_*` environment variables, then the defaults.
 * `loadConfig` is pure: it reports every problem at once and warns about
 * `GOLEM_REQUESTOR_*` names it does not know (the original's
 * `FORCE_LOCALHOST`/`SSH_KEY_DIR`/`DB_PATH`/`BASE_DIR` among them). The
 * original's `ENVIRONMENT` is kept, with one meaning: `development` allows
 * loopback and private provider addresses (it no longer redirects to localhost).
 *
 * @module
 */
import { ConfigError } from '@golem-vm/common'
import { envText, parseEnvSettings, unknownEnvNames } from '@golem-vm/common/env-settings'
import { isAbsolute, join, resolve } from 'node:path'
import { z } from 'zod'

/** Prefix of every setting's environment variable. */
export const ENV_PREFIX = 'GOLEM_REQUESTOR_'
/** The public discovery service the original requestor used. */
export const DEFAULT_DISCOVERY_URL = 'http://195.201.39.101:9001'
/** How long create, start, stop and destroy wait by default. */
export const DEFAULT_CREATE_TIMEOUT_SECONDS = 900

/** The validated settings. */
export interface RequestorConfig {
  /** Absolute path of the requestor's own directory: keys, identity, rentals, known hosts. */
  readonly dataDir: string
  /** Base URL of the discovery service, without a trailing slash. */
  readonly discoveryUrl: string
  /** How long create and start may take before the CLI gives up waiting. */
  readonly createTimeoutMs: number
  /** `development` allows providers and SSH hosts at private addresses (loopback, LAN, …). */
  readonly environment: 'production' | 'development'
  /** True when the renter may connect to non-public addresses: development mode or `--allow-private-addresses`. */
  readonly allowPrivateAddresses: boolean
  /** JSON-RPC URL of the chain a priced provider is paid on; null: paid providers cannot be rented (free ones can). */
  readonly paymentRpcUrl: string | null
}

export { ConfigError }

/** Where the settings come from besides the environment. */
export interface ConfigSources {
  /** Flags, which win over the environment. */
  readonly flags?: { readonly dataDir?: string | undefined; readonly discoveryUrl?: string | undefined; readonly allowPrivateAddresses?: boolean | undefined }
  /** Home directory: the base of the default data dir and of a leading `~`. */
  readonly home: string
  /** Base of a relative data dir. */
  readonly cwd: string
}

const text = envText

const RETIRED = ['FORCE_LOCALHOST', 'SSH_KEY_DIR', 'DB_PATH', 'BASE_DIR'].map((n) => ENV_PREFIX + n)

const environment = text.transform((v, ctx) => {
  const value = (v ?? 'production').toLowerCase()
  if (value === 'production' || value === 'development') return value
  ctx.addIssue({ code: 'custom', message: `must be "production" or "development" (got "${v ?? ''}")` })
  return z.NEVER
})

const dataDir = (home: string, cwd: string) =>
  text.transform((v, ctx) => {
    const expanded = v === undefined ? join(home, '.golem', 'requestor') : v.replace(/^~(?=$|\/)/, home)
    const path = isAbsolute(expanded) ? expanded : resolve(cwd, expanded)
    // ssh reads these characters in its -i and -o values as quotes, tokens or variables.
    if (/["\n\r\0]|\$\{/.test(path)) {
      ctx.addIssue({ code: 'custom', message: `must not contain a double quote, a line break or "\${" (got "${path}")` })
      return z.NEVER
    }
    return path
  })

const httpUrl = text.transform((v, ctx) => {
  const value = v ?? DEFAULT_DISCOVERY_URL
  let url: URL
  try {
    url = new URL(value)
  } catch {
    ctx.addIssue({ code: 'custom', message: `must be an http:// or https:// URL such as http://127.0.0.1:9001 (got "${value}")` })
    return z.NEVER
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `must be an http:// or https:// URL (got "${value}")` })
    return z.NEVER
  }
  return value.replace(/\/+$/, '')
})

const optionalHttpUrl = text.transform((v, ctx) => {
  if (v === undefined) return null
  let url: URL | undefined
  try {
    url = new URL(v)
  } catch {
    url = undefined
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    ctx.addIssue({ code: 'custom', message: `must be an http:// or https:// JSON-RPC URL such as http://127.0.0.1:8545 (got "${v}")` })
    return z.NEVER
  }
  return v
})

const seconds = (fallback: number) =>
  text.transform((v, ctx) => {
    if (v === undefined) return fallback
    if (/^\d{1,6}$/.test(v) && Number(v) >= 10) return Number(v)
    ctx.addIssue({ code: 'custom', message: `must be a whole number of seconds from 10 to 999999 (got "${v}")` })
    return z.NEVER
  })

const settings = (home: string, cwd: string) =>
  z.object({
    GOLEM_REQUESTOR_DATA_DIR: dataDir(home, cwd),
    GOLEM_REQUESTOR_DISCOVERY_URL: httpUrl,
    GOLEM_REQUESTOR_CREATE_TIMEOUT: seconds(DEFAULT_CREATE_TIMEOUT_SECONDS),
    GOLEM_REQUESTOR_ENVIRONMENT: environment,
    GOLEM_REQUESTOR_PAYMENT_RPC_URL: optionalHttpUrl,
  })

/** Names of every setting, for the unknown-name warning. */
export const SETTING_NAMES: readonly string[] = Object.keys(settings('/', '/').shape)

function warningsFor(env: Readonly<Record<string, string | undefined>>): string[] {
  return unknownEnvNames(env, ENV_PREFIX, SETTING_NAMES).map((name) =>
    RETIRED.includes(name)
      ? `${name} is a setting of the original requestor and is ignored here (a provider is reached at the address it advertises; GOLEM_REQUESTOR_ENVIRONMENT=development allows loopback and private addresses)`
      : `${name} is not a setting of golem-vm and is ignored (settings: ${SETTING_NAMES.join(', ')})`,
  )
}

/**
 * Reads the settings. Throws {@link ConfigError} listing every bad setting;
 * returns warnings for `GOLEM_REQUESTOR_*` names it does not know.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, sources: ConfigSources): { config: RequestorConfig; warnings: string[] } {
  const merged = {
    ...env,
    ...(sources.flags?.dataDir === undefined ? {} : { GOLEM_REQUESTOR_DATA_DIR: sources.flags.dataDir }),
    ...(sources.flags?.discoveryUrl === undefined ? {} : { GOLEM_REQUESTOR_DISCOVERY_URL: sources.flags.discoveryUrl }),
  }
  const s = parseEnvSettings(settings(sources.home, sources.cwd), merged)
  return {
    config: {
      dataDir: s.GOLEM_REQUESTOR_DATA_DIR,
      discoveryUrl: s.GOLEM_REQUESTOR_DISCOVERY_URL,
      createTimeoutMs: s.GOLEM_REQUESTOR_CREATE_TIMEOUT * 1000,
      environment: s.GOLEM_REQUESTOR_ENVIRONMENT,
      allowPrivateAddresses: s.GOLEM_REQUESTOR_ENVIRONMENT === 'development' || sources.flags?.allowPrivateAddresses === true,
      paymentRpcUrl: s.GOLEM_REQUESTOR_PAYMENT_RPC_URL,
    },
    warnings: warningsFor(env),
  }
}
