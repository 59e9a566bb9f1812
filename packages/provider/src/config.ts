/**
 * The provider's configuration: one pure function from settings to a frozen
 * `Config`, reporting every problem at once. Settings come from command-line
 * flags, then the environment (`GOLEM_PROVIDER_<NAME>`), then `.env`, then
 * the defaults below. Nothing else reads the environment.
 *
 * @module
 */
import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { z } from 'zod'
import { settingProblems } from '@golem-vm/common/env-settings'
import { parseSubnet, type Subnet } from './drivers/multipass/vm-network.js'
import type { AllowedDestination } from './domain/firewall.js'
import { parseIpv4Cidr, type Ipv4Cidr } from './domain/ipv4.js'
import { ENV_PREFIX, parseAllowedDestination, settingSchemas } from './settings.js'
import type { RenterQuota } from './domain/quota.js'

export { ENV_PREFIX }

/** Every setting, by name without the prefix: its parser, default and meaning (`settings.ts`). */
const Settings = z.object(settingSchemas())

/** After one side of an SSH connection ended, how long the other direction may still flow (SSH clients and servers close both ways at once). */
const PROXY_HALF_CLOSE_TIMEOUT_MS = 10_000

/** Settings of the original provider that have no meaning here; accepted with a warning. */
const RETIRED = {
  VM_DATA_DIR: 'VM state now lives in GOLEM_PROVIDER_DATA_DIR',
  SSH_KEY_DIR: 'the provider keeps no SSH keys of its own',
  CLOUD_INIT_DIR: 'cloud-init user-data is passed to the backend directly, never left in a directory',
  CLOUD_INIT_FALLBACK_DIR: 'cloud-init user-data is passed to the backend directly, never left in a directory',
  PROXY_STATE_DIR: 'proxy state lives in the provider database in GOLEM_PROVIDER_DATA_DIR',
} as const

/** Names the seed README used; they mean the same as the original's longer names. */
const ALIASES: Record<string, keyof z.input<typeof Settings>> = {
  ID: 'PROVIDER_ID',
  NAME: 'PROVIDER_NAME',
  COUNTRY: 'PROVIDER_COUNTRY',
}

export type Settings = z.output<typeof Settings>

export interface Config {
  readonly host: string
  readonly port: number
  readonly environment: 'production' | 'development'
  readonly logLevel: string
  readonly logFormat: 'auto' | 'json' | 'pretty'
  readonly dataDir: string
  readonly dbPath: string
  readonly keyDir: string
  /** Encrypts the provider key file (`GOLEM_PROVIDER_KEY_PASSPHRASE`). A secret: never log it. */
  readonly keyPassphrase: string | undefined
  readonly backend: 'auto' | 'multipass' | 'qemu'
  readonly multipassBinary: string | undefined
  /** Where Multipass gives its VMs addresses; SSH forwards go nowhere else. 'auto': the subnet of its bridge on this host. */
  readonly multipassNetwork: readonly Subnet[] | 'auto'
  readonly qemuBinary: string
  readonly qemuImgBinary: string
  /** `auto` probes the host once at start (see drivers/qemu/accelerator.ts). */
  readonly qemuAccel: 'auto' | 'kvm' | 'tcg'
  /** How long a guest gets to power off after the ACPI button before QEMU is ended. */
  readonly qemuPowerdownTimeoutMs: number
  readonly imageCatalogPath: string | undefined
  readonly defaultImage: string
  readonly providerId: string | undefined
  readonly providerName: string
  readonly country: string
  readonly discoveryUrl: string
  readonly advertisementIntervalMs: number
  /** An address, or 'auto' to ask the address services. */
  readonly publicIp: string
  readonly publicIpServices: readonly string[]
  readonly portRange: { readonly start: number; readonly end: number }
  readonly skipPortVerification: boolean
  readonly portCheckServers: readonly string[]
  /** How long one port-check request may take. */
  readonly portCheckTimeoutMs: number
  /** Re-verify the ports this often; 0 = only at start-up. */
  readonly portRecheckIntervalMs: number
  /** Ask for the public address this often and re-verify when it changed; 0 = never. */
  readonly publicIpCheckIntervalMs: number
  readonly maxVms: number
  /** Per-renter limits (0: none); the operator is not limited. */
  readonly renterQuota: RenterQuota
  readonly minimums: { readonly cpu: number; readonly memory: number; readonly storage: number }
  readonly thresholds: { readonly cpu: number; readonly memory: number; readonly storage: number }
  readonly offer: { readonly cpu?: number | undefined; readonly memory?: number | undefined; readonly storage?: number | undefined }
  readonly cpuOvercommit: number
  readonly rateLimitPerMinute: number
  /** API request deadline and open connections per address (0: no limit). */
  readonly api: { readonly requestTimeoutMs: number; readonly maxConnectionsPerAddress: number }
  /** Lets the original requestor's unsigned requests through (then a VM's name and key are its only guard). */
  readonly allowUnsignedRequests: boolean
  readonly createTimeoutMs: number
  readonly commandTimeoutMs: number
  readonly proxy: {
    readonly idleTimeoutMs: number
    readonly connectTimeoutMs: number
    readonly handshakeTimeoutMs: number
    readonly halfCloseTimeoutMs: number
    readonly maxConnectionsPerVm: number
    readonly maxConnectionsPerSource: number
    readonly maxHandshakesPerSource: number
    readonly udpMaxFlows: number
    readonly udpIdleTimeoutMs: number
  }
  /** Renters' port mappings besides SSH. */
  readonly ports: {
    readonly maxPerVm: number
    readonly udp: boolean
  }
  /** Start even when VMs cannot be isolated (they then reach the host and its networks). */
  readonly allowUnisolatedVms: boolean
  /** The isolated VM network (QEMU): names, subnet, what guests may reach, limits per VM. */
  readonly vmNetwork: {
    readonly bridge: string | undefined
    readonly subnet: Ipv4Cidr | undefined
    readonly dns: readonly string[]
    readonly allowed: readonly AllowedDestination[]
    readonly blockSmtp: boolean
    readonly newConnectionsPerSecond: number
    readonly conntrackEntries: number
  }
  /** Payments (null: VMs are free). Prices are decimal token units here; start-up turns them into base units with the token's decimals. */
  readonly payments: PaymentConfig | null
  readonly metrics: {
    /** `GET /metrics` on the API port without the admin token. */
    readonly public: boolean
    /** The separate, token-less scrape listener on a loopback address; undefined: none. */
    readonly listen: { readonly host: string; readonly port: number } | undefined
  }
  /** Things the operator should know: retired or unknown settings. */
  readonly warnings: readonly string[]
}

/** The payment settings, present when any price is set. */
export interface PaymentConfig {
  readonly rpcUrl: string
  readonly contract: string
  readonly token: string
  /** Token units, decimal strings, exactly as configured ("0" for an unset price). */
  readonly prices: { readonly cpu: string; readonly memory: string; readonly storage: string }
  readonly minRunwaySeconds: number
  readonly warningSeconds: number
  readonly graceSeconds: number
  readonly checkIntervalMs: number
  readonly withdrawIntervalMs: number
  /** Token units, decimal string. */
  readonly withdrawThreshold: string
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] }

export interface ConfigSources {
  /** The process environment (only `GOLEM_PROVIDER_*` keys are read, plus HOME). */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Parsed `.env` file, same key names as the environment. */
  readonly dotenv?: Readonly<Record<string, string | undefined>>
  /** Command-line flags by setting name (`PORT`, `OFFER_CPU_CORES`, …). */
  readonly flags?: Readonly<Record<string, string | undefined>>
}

/** Variables with the prefix that are read before the configuration is (main.ts: which .env file to read). */
const READ_BEFORE = ['ENV_FILE']

const KNOWN = new Set<string>([...Object.keys(Settings.shape), ...Object.keys(RETIRED), ...Object.keys(ALIASES), ...READ_BEFORE])

// Collects the settings by name, highest precedence last, and notes unknown names.
function gather(sources: ConfigSources): { raw: Record<string, string>; warnings: string[] } {
  const raw: Record<string, string> = {}
  const warnings: string[] = []
  for (const layer of [sources.dotenv ?? {}, sources.env]) {
    for (const [key, value] of Object.entries(layer)) {
      if (!key.startsWith(ENV_PREFIX) || value === undefined || value === '') continue
      const name = key.slice(ENV_PREFIX.length)
      if (!KNOWN.has(name)) warnings.push(`${key} is not a setting of this provider (typo?); it is ignored`)
      raw[ALIASES[name] ?? name] = value
    }
  }
  for (const [name, value] of Object.entries(sources.flags ?? {})) if (value !== undefined) raw[name] = value
  for (const [name, why] of Object.entries(RETIRED)) if (name in raw) warnings.push(`${ENV_PREFIX}${name} is no longer used: ${why}`)
  return { raw, warnings }
}

const priced = (s: Settings): boolean => [s.PRICE_PER_CPU_HOUR, s.PRICE_PER_GB_MEMORY_HOUR, s.PRICE_PER_GB_STORAGE_HOUR].some((p) => p !== undefined)

// With prices, the chain, the contract and the token must all be named.
function paymentProblems(s: Settings): string[] {
  if (!priced(s)) return []
  const missing = (['PAYMENT_RPC_URL', 'PAYMENT_CONTRACT', 'PAYMENT_TOKEN'] as const).filter((k) => s[k] === undefined)
  return missing.map((k) => `${ENV_PREFIX}${k} is required when a ${ENV_PREFIX}PRICE_* is set (payments are on)`)
}

function paymentConfig(s: Settings): PaymentConfig | null {
  if (!priced(s) || s.PAYMENT_RPC_URL === undefined || s.PAYMENT_CONTRACT === undefined || s.PAYMENT_TOKEN === undefined) return null
  return {
    rpcUrl: s.PAYMENT_RPC_URL,
    contract: s.PAYMENT_CONTRACT,
    token: s.PAYMENT_TOKEN,
    prices: { cpu: s.PRICE_PER_CPU_HOUR ?? '0', memory: s.PRICE_PER_GB_MEMORY_HOUR ?? '0', storage: s.PRICE_PER_GB_STORAGE_HOUR ?? '0' },
    minRunwaySeconds: s.MIN_RUNWAY_SECONDS,
    warningSeconds: s.PAYMENT_WARNING_SECONDS,
    graceSeconds: s.PAYMENT_GRACE_SECONDS,
    checkIntervalMs: s.PAYMENT_CHECK_INTERVAL * 1000,
    withdrawIntervalMs: s.WITHDRAW_INTERVAL * 1000,
    withdrawThreshold: s.WITHDRAW_THRESHOLD,
  }
}

const resolveHome = (path: string, home: string) => (isAbsolute(path) ? path : join(home, path.replace(/^~\/?/, '')))

/** Builds the configuration, or lists every problem with the setting's full name. */
export function loadConfig(sources: ConfigSources): ConfigResult {
  const { raw, warnings } = gather(sources)
  const parsed = Settings.safeParse(raw)
  if (!parsed.success) {
    return { ok: false, problems: settingProblems(parsed.error, ENV_PREFIX) }
  }
  const s = parsed.data
  const problems: string[] = []
  if (s.PORT_RANGE_END < s.PORT_RANGE_START)
    problems.push(`${ENV_PREFIX}PORT_RANGE_END (${s.PORT_RANGE_END}) must not be below ${ENV_PREFIX}PORT_RANGE_START (${s.PORT_RANGE_START})`)
  if (s.PORT >= s.PORT_RANGE_START && s.PORT <= s.PORT_RANGE_END) problems.push(`${ENV_PREFIX}PORT (${s.PORT}) must lie outside the SSH port range`)
  problems.push(...paymentProblems(s))
  if (problems.length > 0) return { ok: false, problems }
  if (!priced(s) && (s.PAYMENT_RPC_URL !== undefined || s.PAYMENT_CONTRACT !== undefined || s.PAYMENT_TOKEN !== undefined)) {
    warnings.push(`${ENV_PREFIX}PAYMENT_* is set but no ${ENV_PREFIX}PRICE_* is: VMs are free`)
  }
  return { ok: true, config: toConfig(s, sources.env.HOME ?? homedir(), warnings) }
}

function toConfig(s: Settings, home: string, warnings: string[]): Config {
  const dev = s.ENVIRONMENT === 'development'
  const dataDir = resolveHome(s.DATA_DIR, home)
  return Object.freeze({
    host: s.HOST,
    port: s.PORT,
    environment: s.ENVIRONMENT,
    logLevel: s.LOG_LEVEL ?? (s.DEBUG ? 'debug' : 'info'),
    logFormat: s.LOG_FORMAT,
    dataDir,
    dbPath: join(dataDir, 'provider.db'),
    keyDir: s.ETHEREUM_KEY_DIR === undefined ? join(dataDir, 'keys') : resolveHome(s.ETHEREUM_KEY_DIR, home),
    keyPassphrase: s.KEY_PASSPHRASE,
    backend: s.BACKEND,
    multipassBinary: s.MULTIPASS_BINARY_PATH,
    multipassNetwork: s.MULTIPASS_NETWORK === 'auto' ? 'auto' : s.MULTIPASS_NETWORK.split(',').flatMap((v) => parseSubnet(v) ?? []),
    qemuBinary: s.QEMU_BINARY,
    qemuImgBinary: s.QEMU_IMG_BINARY,
    qemuAccel: s.QEMU_ACCEL,
    qemuPowerdownTimeoutMs: s.QEMU_POWERDOWN_TIMEOUT * 1000,
    imageCatalogPath: s.IMAGE_CATALOG,
    defaultImage: s.DEFAULT_VM_IMAGE,
    providerId: s.PROVIDER_ID === '' ? undefined : s.PROVIDER_ID,
    providerName: s.PROVIDER_NAME,
    country: s.PROVIDER_COUNTRY.toUpperCase(),
    discoveryUrl: s.DISCOVERY_URL.replace(/\/+$/, ''),
    advertisementIntervalMs: s.ADVERTISEMENT_INTERVAL * 1000,
    publicIp: s.PUBLIC_IP ?? (dev ? '127.0.0.1' : 'auto'),
    publicIpServices: s.PUBLIC_IP_SERVICES,
    portRange: { start: s.PORT_RANGE_START, end: s.PORT_RANGE_END },
    skipPortVerification: s.SKIP_PORT_VERIFICATION ?? dev,
    portCheckServers: s.PORT_CHECK_SERVERS,
    portCheckTimeoutMs: s.PORT_CHECK_TIMEOUT * 1000,
    portRecheckIntervalMs: s.PORT_RECHECK_INTERVAL * 1000,
    publicIpCheckIntervalMs: s.PUBLIC_IP_CHECK_INTERVAL * 1000,
    maxVms: s.MAX_VMS,
    renterQuota: { vms: s.RENTER_MAX_VMS, cpu: s.RENTER_MAX_CPU_CORES, memory: s.RENTER_MAX_MEMORY_GB, storage: s.RENTER_MAX_STORAGE_GB },
    minimums: { cpu: s.MIN_CPU_CORES, memory: s.MIN_MEMORY_GB, storage: s.MIN_STORAGE_GB },
    thresholds: { cpu: s.CPU_THRESHOLD, memory: s.MEMORY_THRESHOLD, storage: s.STORAGE_THRESHOLD },
    offer: { cpu: s.OFFER_CPU_CORES, memory: s.OFFER_MEMORY_GB, storage: s.OFFER_STORAGE_GB },
    cpuOvercommit: s.CPU_OVERCOMMIT,
    rateLimitPerMinute: s.RATE_LIMIT_PER_MINUTE,
    api: { requestTimeoutMs: s.REQUEST_TIMEOUT * 1000, maxConnectionsPerAddress: s.MAX_CONNECTIONS_PER_ADDRESS },
    allowUnsignedRequests: s.ALLOW_UNSIGNED_REQUESTS,
    createTimeoutMs: s.CREATE_TIMEOUT * 1000,
    commandTimeoutMs: s.COMMAND_TIMEOUT * 1000,
    proxy: {
      idleTimeoutMs: s.PROXY_IDLE_TIMEOUT * 1000,
      connectTimeoutMs: s.PROXY_CONNECT_TIMEOUT * 1000,
      handshakeTimeoutMs: s.PROXY_HANDSHAKE_TIMEOUT * 1000,
      halfCloseTimeoutMs: PROXY_HALF_CLOSE_TIMEOUT_MS,
      maxConnectionsPerVm: s.PROXY_MAX_CONNECTIONS_PER_VM,
      maxConnectionsPerSource: s.PROXY_MAX_CONNECTIONS_PER_SOURCE,
      maxHandshakesPerSource: s.PROXY_MAX_HANDSHAKES_PER_SOURCE,
      udpMaxFlows: s.PROXY_UDP_MAX_FLOWS,
      udpIdleTimeoutMs: s.PROXY_UDP_IDLE_TIMEOUT * 1000,
    },
    ports: { maxPerVm: s.MAX_PORTS_PER_VM, udp: s.PORTS_UDP },
    allowUnisolatedVms: s.ALLOW_UNISOLATED_VMS,
    vmNetwork: {
      bridge: s.VM_BRIDGE,
      subnet: s.VM_SUBNET === undefined ? undefined : (parseIpv4Cidr(s.VM_SUBNET) as Ipv4Cidr),
      dns: s.VM_DNS.split(',').map((a) => a.trim()),
      allowed: (s.VM_ALLOWED_DESTINATIONS ?? '')
        .split(',')
        .filter((d) => d.trim() !== '')
        .map((d) => parseAllowedDestination(d) as AllowedDestination),
      blockSmtp: s.VM_BLOCK_SMTP,
      newConnectionsPerSecond: s.VM_MAX_NEW_CONNECTIONS_PER_SECOND,
      conntrackEntries: s.VM_MAX_CONNTRACK_ENTRIES,
    },
    payments: paymentConfig(s),
    metrics: { public: s.METRICS_PUBLIC, listen: s.METRICS_LISTEN },
    warnings,
  })
}
