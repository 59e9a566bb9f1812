/**
 * Every setting of the provider, once: its name, how it is parsed, its
 * default and what it means. `config.ts` parses with it; `golem-provider
 * start --help` and the README's settings table are generated from it
 * (`settingsHelp`, `settingsTable`; `npm run docs:settings` rewrites the
 * README, and a test fails when the README has drifted).
 *
 * @module
 */
import { z } from 'zod'
import { DEFAULT_IMAGE } from '@golem-vm/protocol'
import { parseSubnet } from './drivers/multipass/vm-network.js'
import { isIpv4, parseIpv4Cidr } from './domain/ipv4.js'

export const ENV_PREFIX = 'GOLEM_PROVIDER_'

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(v), 'must be true or false')
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v))
const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min).max(max))
const num = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'must be a number')
    .transform(Number)
    .pipe(z.number().min(min).max(max))
const percent = num(1, 100)
const text = z.string().trim().min(1)
const tokenAmount = z
  .string()
  .trim()
  .regex(/^\d{1,60}(\.\d{1,60})?$/, 'must be a decimal amount in token units, such as 0.05')
const ethAddress = z
  .string()
  .trim()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address')
const urlList = z
  .string()
  .trim()
  .transform((v, ctx) => {
    let items: unknown
    try {
      items = v.startsWith('[')
        ? JSON.parse(v)
        : v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON list or a comma-separated list of URLs' })
      return z.NEVER
    }
    const parsed = z.array(z.url({ protocol: /^https?$/ })).safeParse(items)
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: 'must list http(s) URLs' })
      return z.NEVER
    }
    return parsed.data.map((u) => u.replace(/\/+$/, ''))
  })

// `host:port` on a loopback address: the separate scrape listener has no token, so it never faces the network.
const loopbackAddress = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(v)
    const host = match?.[1] ?? match?.[2]
    const port = Number(match?.[3])
    if (host === undefined || !(port >= 0 && port <= 65535)) {
      ctx.addIssue({ code: 'custom', message: 'must be host:port, such as 127.0.0.1:9466 or [::1]:9466' })
      return z.NEVER
    }
    if (!(/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1' || host === 'localhost')) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a loopback address (127.0.0.1, [::1] or localhost), not ${host}: it answers without a token; scrape /metrics on the API port with the admin token from elsewhere`,
      })
      return z.NEVER
    }
    return { host, port }
  })

/** One setting: its parser (with its default), what it means, and how the help shows the default. */
interface Setting<S extends z.ZodType> {
  readonly schema: S
  readonly help: string
  /** The default as the operator reads it, when it is not simply the parser's default value (or there is none). */
  readonly shownDefault?: string
  /** Unit of a number, shown after the default. */
  readonly unit?: string
  /** False for a setting that must never appear on a command line (a secret shows in `ps`). */
  readonly flag?: false
}

const setting = <S extends z.ZodType>(schema: S, help: string, more: Omit<Setting<S>, 'schema' | 'help'> = {}): Setting<S> => ({ schema, help, ...more })

/** Every setting, in the order the help and the README list them. */
export const SETTINGS = {
  HOST: setting(text.default('0.0.0.0'), 'where the API and the SSH proxies listen'),
  PORT: setting(int(0, 65535).default(7466), 'the API port'),
  ENVIRONMENT: setting(z.enum(['production', 'development']).default('production'), '`development`: loopback address, no external port checks'),
  DATA_DIR: setting(
    text.default('.golem/provider'),
    'state: the SQLite database `provider.db`, keys, VM disks (relative paths are under `$HOME`). One provider per data dir: a second one refuses to start',
    { shownDefault: '~/.golem/provider' },
  ),
  BACKEND: setting(
    z.enum(['auto', 'multipass', 'qemu']).default('auto'),
    '`multipass`, `qemu`, or `auto` (Multipass when installed, else QEMU when `qemu-system-x86_64` is)',
  ),
  MULTIPASS_BINARY_PATH: setting(text.optional(), 'the `multipass` executable', { shownDefault: 'found on `PATH`, `/snap/bin` …' }),
  MULTIPASS_NETWORK: setting(
    z
      .string()
      .trim()
      .default('auto')
      .refine(
        (v) => v === 'auto' || v.split(',').every((s) => parseSubnet(s) !== undefined),
        'must be "auto" or IPv4 subnets such as 10.13.177.0/24, comma-separated',
      ),
    "the IPv4 subnet(s) Multipass gives its VMs addresses from (`auto`: the subnet of its `mpqemubr0` or `mpbr0` bridge); a VM's SSH port is forwarded only to an address inside it that is not the host's own, whatever else the guest reports about itself",
  ),
  QEMU_BINARY: setting(text.default('qemu-system-x86_64'), 'the QEMU executable'),
  QEMU_IMG_BINARY: setting(text.default('qemu-img'), 'the `qemu-img` executable'),
  QEMU_ACCEL: setting(
    z.enum(['auto', 'kvm', 'tcg']).default('auto'),
    '`kvm`, `tcg`, or `auto`: KVM only when the CPU has vmx/svm, `/dev/kvm` opens and a tiny probe guest runs under it; otherwise software emulation',
  ),
  QEMU_POWERDOWN_TIMEOUT: setting(int(1, 3600).default(60), 'how long a guest gets after the ACPI power button before QEMU is ended', { unit: 's' }),
  IMAGE_CATALOG: setting(text.optional(), 'a JSON file with more images (local paths or URLs, each with its SHA-256)'),
  DEFAULT_VM_IMAGE: setting(text.default(DEFAULT_IMAGE), 'the image a renter gets when the create request names none; must be in the catalogue'),
  PROVIDER_ID: setting(z.string().trim().optional(), 'the provider id; must be the address of the provider key (alias `ID`)', {
    shownDefault: "the key's address",
  }),
  PROVIDER_NAME: setting(z.string().trim().min(1).max(64).default('golem-provider'), 'name in advertisements (alias `NAME`)'),
  PROVIDER_COUNTRY: setting(
    z
      .string()
      .trim()
      .regex(/^[A-Za-z]{2}$/, 'must be a two-letter country code')
      .default('SE'),
    'country in advertisements (alias `COUNTRY`)',
  ),
  ETHEREUM_KEY_DIR: setting(text.optional(), 'the directory of the provider key `provider_key.json`', { shownDefault: '`<data dir>/keys`' }),
  // Not trimmed: a passphrase is used exactly as given.
  KEY_PASSPHRASE: setting(z.string().min(1).max(1024).optional(), 'encrypts the provider key file (Ethereum keystore)', { flag: false }),
  DISCOVERY_URL: setting(z.url({ protocol: /^https?$/ }).default('http://195.201.39.101:9001'), 'where the provider advertises'),
  ADVERTISEMENT_INTERVAL: setting(int(10, 86_400).default(240), 'how often the advertisement is refreshed', { unit: 's' }),
  PUBLIC_IP: setting(text.optional(), 'the address renters SSH to; `auto` asks `PUBLIC_IP_SERVICES`', { shownDefault: '`auto` (`127.0.0.1` in development)' }),
  PUBLIC_IP_SERVICES: setting(
    urlList.default(['https://api.ipify.org', 'https://ifconfig.me/ip', 'https://api.my-ip.io/ip']),
    'address services asked in turn (JSON list or comma-separated URLs)',
  ),
  PUBLIC_IP_CHECK_INTERVAL: setting(
    int(0, 86_400).default(300),
    'how often a detected public address is asked for again (0: never); a change re-posts the advertisement and re-checks the ports',
    { unit: 's' },
  ),
  PORT_RANGE_START: setting(int(1, 65535).default(50800), 'first SSH proxy port'),
  PORT_RANGE_END: setting(int(1, 65535).default(50900), 'last SSH proxy port (included)'),
  SKIP_PORT_VERIFICATION: setting(bool.optional(), 'offer every locally free port without asking the port checkers', {
    shownDefault: '`false` (`true` in development)',
  }),
  PORT_CHECK_SERVERS: setting(urlList.default(['http://195.201.39.101:9000']), 'port-check servers (JSON list or comma-separated base URLs)', {
    shownDefault: 'the public Golem checker',
  }),
  PORT_CHECK_TIMEOUT: setting(int(1, 600).default(30), "one port checker's deadline", { unit: 's' }),
  PORT_RECHECK_INTERVAL: setting(int(0, 604_800).default(1800), 'how often the ports are checked again (0: never)', { unit: 's' }),
  ALLOW_UNSIGNED_REQUESTS: setting(
    bool.default(false),
    "let the original requestor's unsigned requests through; then a VM's name and SSH key are its only guard",
  ),
  MAX_VMS: setting(int(1, 10_000).default(10), 'most VMs at once'),
  RENTER_MAX_VMS: setting(
    int(0, 10_000).default(0),
    'most VMs one renter (one signing address; all unsigned callers together count as one) may hold at once (0: no limit besides MAX_VMS); the operator is not limited',
  ),
  RENTER_MAX_CPU_CORES: setting(int(0, 4096).default(0), "most vCPUs one renter's VMs may hold together (0: no limit)"),
  RENTER_MAX_MEMORY_GB: setting(int(0, 1_048_576).default(0), "most memory one renter's VMs may hold together (0: no limit)", { unit: 'GB' }),
  RENTER_MAX_STORAGE_GB: setting(int(0, 1_048_576).default(0), "most disk one renter's VMs may hold together (0: no limit)", { unit: 'GB' }),
  MAX_PORTS_PER_VM: setting(
    int(0, 64).default(8),
    'most ports a renter may map on one VM besides SSH, each on a verified public port from the SSH port range (0: none)',
  ),
  PORTS_UDP: setting(bool.default(true), 'offer UDP port mappings (the port checkers verify TCP only: open the range for UDP too in the router)'),
  CPU_THRESHOLD: setting(percent.default(90), "percent of the host's cores offered when no offer is set"),
  MEMORY_THRESHOLD: setting(percent.default(85), "percent of the host's memory offered when no offer is set"),
  STORAGE_THRESHOLD: setting(percent.default(90), "percent of the data dir's free disk offered when no offer is set"),
  OFFER_CPU_CORES: setting(int(1, 4096).optional(), 'vCPUs offered to renters instead of host × threshold'),
  OFFER_MEMORY_GB: setting(int(1, 1_048_576).optional(), 'memory offered to renters instead of host × threshold', { unit: 'GB' }),
  OFFER_STORAGE_GB: setting(int(1, 1_048_576).optional(), 'disk offered to renters instead of host × threshold', { unit: 'GB' }),
  CPU_OVERCOMMIT: setting(num(1, 64).default(4), 'a CPU offer may reach host cores × this; memory and storage offers may never exceed the host'),
  MIN_CPU_CORES: setting(int(1, 16).default(1), 'smallest VM accepted: cores'),
  MIN_MEMORY_GB: setting(int(1, 64).default(1), 'smallest VM accepted: memory', { unit: 'GB' }),
  MIN_STORAGE_GB: setting(int(1, 65_536).default(10), 'smallest VM accepted: disk', { unit: 'GB' }),
  CREATE_TIMEOUT: setting(int(5, 7200).default(600), 'deadline of a create or a start (launch to SSH ready)', { unit: 's' }),
  COMMAND_TIMEOUT: setting(int(1, 3600).default(120), 'deadline of other backend calls', { unit: 's' }),
  PROXY_IDLE_TIMEOUT: setting(int(0, 604_800).default(7200), 'an SSH connection idle this long is closed (0: never)', { unit: 's' }),
  PROXY_CONNECT_TIMEOUT: setting(int(1, 600).default(10), "how long the proxy waits to reach a VM's SSH server", { unit: 's' }),
  PROXY_MAX_CONNECTIONS_PER_VM: setting(int(1, 100_000).default(1024), 'most SSH connections to one VM at once'),
  PROXY_MAX_CONNECTIONS_PER_SOURCE: setting(int(1, 100_000).default(64), 'most SSH connections to one VM from one address (IPv6: one /64) at once'),
  PROXY_MAX_HANDSHAKES_PER_SOURCE: setting(
    int(1, 10_000).default(8),
    "most connections to one VM from one address (IPv6: one /64) still in their SSH handshake; below sshd's `MaxStartups` (10), so one address cannot make the VM's sshd drop other logins",
  ),
  PROXY_HANDSHAKE_TIMEOUT: setting(
    int(0, 3600).default(20),
    "an SSH connection must start with the client's SSH identification and finish the key exchange (both sides' `NEWKEYS`) within this, or it is closed (0: no SSH checks, any TCP traffic is relayed)",
    { unit: 's' },
  ),
  PROXY_UDP_MAX_FLOWS: setting(
    int(1, 100_000).default(256),
    'most renter addresses one mapped UDP port relays for at once (user-space forwarding); datagrams from more are dropped',
  ),
  PROXY_UDP_IDLE_TIMEOUT: setting(int(1, 86_400).default(60), 'a UDP flow with no datagram either way for this long is closed (user-space forwarding)', {
    unit: 's',
  }),
  ALLOW_UNISOLATED_VMS: setting(
    bool.default(false),
    "start even when VMs cannot be isolated from the host and its networks (not root, no `nft`, no `/dev/net/tun`, or the Multipass backend): VMs then use QEMU's user-mode network, which reaches every service on the host's 127.0.0.1 and its LAN. Without it a production provider refuses to start; development warns",
  ),
  VM_BRIDGE: setting(
    z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, 'must be a Linux interface name (at most 15 letters, digits, `_`, `.`, `-`)')
      .optional(),
    'the bridge of the isolated VM network (QEMU)',
    { shownDefault: '`golem-<7 hex digits of the data dir>`' },
  ),
  VM_SUBNET: setting(
    z
      .string()
      .trim()
      .refine(
        (v) => typeof parseIpv4Cidr(v) !== 'string' && (parseIpv4Cidr(v) as { prefixLength: number }).prefixLength <= 29,
        'must be an IPv4 network such as 10.200.7.0/24 (at most /29)',
      )
      .optional(),
    'the IPv4 subnet of the isolated VM network; start-up refuses one the host already routes',
    { shownDefault: 'a /24 in 10.128.0.0/10 derived from the data dir' },
  ),
  VM_DNS: setting(
    z
      .string()
      .trim()
      .refine((v) => v.split(',').every((a) => isIpv4(a.trim())), 'must be IPv4 addresses, comma-separated')
      .default('1.1.1.1,9.9.9.9'),
    "the resolvers isolated VMs are told to use (the host's own resolver is walled off from them)",
  ),
  VM_ALLOWED_DESTINATIONS: setting(
    z
      .string()
      .trim()
      .refine(
        (v) => v.split(',').every((d) => typeof parseAllowedDestination(d) !== 'string'),
        'must be destinations such as 192.168.1.10:3128/tcp or 10.0.0.0/8, comma-separated',
      )
      .optional(),
    'private or special addresses VMs may reach all the same (e.g. a proxy on the LAN): `address[/prefix][:port][/tcp|/udp]`, comma-separated',
    { shownDefault: 'none' },
  ),
  VM_BLOCK_SMTP: setting(bool.default(true), 'drop mail (TCP port 25) from VMs to anywhere'),
  VM_MAX_NEW_CONNECTIONS_PER_SECOND: setting(
    int(1, 1_000_000).default(200),
    'new connections one isolated VM may open per second (bursts up to twice as many)',
  ),
  VM_MAX_CONNTRACK_ENTRIES: setting(
    int(1, 10_000_000).default(16_384),
    "connection-tracking entries one isolated VM's own connections may hold at once, so one VM cannot fill the host's table",
  ),
  PRICE_PER_CPU_HOUR: setting(
    tokenAmount.optional(),
    'what a renter pays per vCPU per hour, in token units (decimals allowed, exact); setting any price turns payments on, with the `PAYMENT_*` settings',
    { shownDefault: 'unset: VMs are free' },
  ),
  PRICE_PER_GB_MEMORY_HOUR: setting(tokenAmount.optional(), 'what a renter pays per GB of memory per hour, in token units', {
    shownDefault: 'unset: VMs are free',
  }),
  PRICE_PER_GB_STORAGE_HOUR: setting(tokenAmount.optional(), 'what a renter pays per GB of storage per hour, in token units', {
    shownDefault: 'unset: VMs are free',
  }),
  PAYMENT_RPC_URL: setting(
    z.url({ protocol: /^https?$/ }).optional(),
    'JSON-RPC endpoint of the EVM chain the payment contract is on (its chain id is read from the node); required with prices',
  ),
  PAYMENT_CONTRACT: setting(ethAddress.optional(), "address of the StreamPayments contract (its code must be this repository's build); required with prices"),
  PAYMENT_TOKEN: setting(ethAddress.optional(), 'address of the ERC-20 token the provider is paid in; required with prices'),
  MIN_RUNWAY_SECONDS: setting(int(1, 31_536_000).default(3600), "a create's stream must pay for at least this long", { unit: 's' }),
  PAYMENT_WARNING_SECONDS: setting(int(0, 31_536_000).default(900), "below this much paid time left a VM's payment state is `low`, with a notice to top up", {
    unit: 's',
  }),
  PAYMENT_GRACE_SECONDS: setting(
    int(0, 31_536_000).default(86_400),
    'a VM whose paid time ran out is stopped (never deleted at once) and deleted this long after, unless its stream is topped up',
    { unit: 's' },
  ),
  PAYMENT_CHECK_INTERVAL: setting(
    int(1, 86_400).default(30),
    "how often every paid VM's stream is read (also at each VM's warning, end and grace deadline); after a failed read it backs off up to 5 minutes",
    { unit: 's' },
  ),
  WITHDRAW_INTERVAL: setting(
    int(0, 31_536_000).default(3600),
    'how often vested payments are withdrawn to the provider (0: only by `golem-provider earnings withdraw`)',
    { unit: 's' },
  ),
  WITHDRAW_THRESHOLD: setting(tokenAmount.default('0'), 'a periodic withdrawal happens only when more than this has vested unwithdrawn, in token units'),
  RATE_LIMIT_PER_MINUTE: setting(int(1, 1_000_000).default(300), 'requests per client per minute on the API'),
  REQUEST_TIMEOUT: setting(
    int(1, 3600).default(15),
    'an API request (headers and body) must arrive within this, or it is answered 408 and its connection closed; headers alone within 5 s or this, whichever is shorter',
    { unit: 's' },
  ),
  MAX_CONNECTIONS_PER_ADDRESS: setting(
    int(0, 1_000_000).default(64),
    'most open API connections from one address (IPv6: one /64); more are closed at once (0: no limit)',
  ),
  METRICS_PUBLIC: setting(
    bool.default(false),
    '`GET /metrics` (Prometheus) on the API port answers without the admin token; only where the API port is not reachable from untrusted networks',
  ),
  METRICS_LISTEN: setting(
    loopbackAddress.optional(),
    'also serve `GET /metrics` without a token on this loopback address, such as `127.0.0.1:9466`, for a Prometheus or agent on the same machine',
    { shownDefault: 'off' },
  ),
  LOG_LEVEL: setting(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(), 'how much the log says', {
    shownDefault: '`info` (`debug` with `DEBUG`)',
  }),
  LOG_FORMAT: setting(z.enum(['auto', 'json', 'pretty']).default('auto'), '`auto`: pretty in a terminal, JSON otherwise'),
  DEBUG: setting(bool.default(false), 'raises the log level to debug; it never reloads code'),
}

/**
 * One allowed destination of `VM_ALLOWED_DESTINATIONS`: `address[/prefix][:port][/tcp|/udp]`.
 * Returns a sentence when the text is none.
 */
export function parseAllowedDestination(
  text: string,
): { network: { network: string; prefixLength: number }; port?: number; protocol?: 'tcp' | 'udp' } | string {
  const m = /^([0-9.]+(?:\/\d{1,2})?)(?::(\d{1,5}))?(?:\/(tcp|udp))?$/.exec(text.trim())
  const network = m === null ? undefined : parseIpv4Cidr(m[1] ?? '')
  if (m === null || network === undefined || typeof network === 'string') return `"${text}" is not address[/prefix][:port][/tcp|/udp]`
  const port = m[2] === undefined ? undefined : Number(m[2])
  if (port !== undefined && (port < 1 || port > 65_535)) return `"${text}" has a port outside 1–65535`
  const protocol = m[3] as 'tcp' | 'udp' | undefined
  return { network, ...(port === undefined ? {} : { port }), ...(protocol === undefined ? {} : { protocol }) }
}

export type SettingName = keyof typeof SETTINGS

type Schemas = { readonly [K in SettingName]: (typeof SETTINGS)[K]['schema'] }

/** The parsers, by setting name, for `z.object`. */
export function settingSchemas(): Schemas {
  return Object.fromEntries(Object.entries(SETTINGS).map(([name, s]) => [name, s.schema])) as unknown as Schemas
}

/** The command-line flag of a setting: `OFFER_CPU_CORES` → `--offer-cpu-cores`. */
export const flagOf = (name: string): string => `--${name.toLowerCase().replaceAll('_', '-')}`

/** The settings that have a flag, as commander reads them: `--offer-cpu-cores <value>`, its help, and the setting. */
export function settingFlags(): { flag: string; help: string; setting: SettingName }[] {
  return (Object.entries(SETTINGS) as [SettingName, Setting<z.ZodType>][])
    .filter(([, s]) => s.flag !== false)
    .map(([name, s]) => ({
      flag: `${flagOf(name)} <value>`,
      help: `${plain(s.help)} (default ${plain(shownDefault(s))}) [${ENV_PREFIX}${name}]`,
      setting: name,
    }))
}

// The default as text: the shown form when there is one, else the parser's default value.
function shownDefault(s: Setting<z.ZodType>): string {
  if (s.shownDefault !== undefined) return s.shownDefault
  if (!(s.schema instanceof z.ZodDefault)) return 'unset'
  const value: unknown = s.schema.def.defaultValue
  const textOf = Array.isArray(value) ? value.join(', ') : String(value)
  return `\`${textOf}\`${s.unit === undefined ? '' : ` ${s.unit}`}`
}

const plain = (markdown: string): string => markdown.replaceAll('`', '')
const cell = (markdown: string): string => markdown.replaceAll('|', '\\|')

/** The README's table of settings (Markdown), one row per setting. */
export function settingsTable(): string {
  const rows = (Object.entries(SETTINGS) as [SettingName, Setting<z.ZodType>][]).map(
    ([name, s]) => `| \`${ENV_PREFIX}${name}\` | ${s.flag === false ? '–' : `\`${flagOf(name)}\``} | ${cell(shownDefault(s))} | ${cell(s.help)} |`,
  )
  return ['| variable | flag of `start` | default | meaning |', '|---|---|---|---|', ...rows].join('\n')
}

const TABLE_START = '<!-- settings: generated from packages/provider/src/settings.ts by `npm run docs:settings` -->'
const TABLE_END = '<!-- settings: end -->'

/** `readme` with the text between the settings markers replaced by {@link settingsTable}. Throws when the markers are missing. */
export function withSettingsTable(readme: string): string {
  const start = readme.indexOf(TABLE_START)
  const end = readme.indexOf(TABLE_END)
  if (start < 0 || end < start) throw new Error(`the README has no settings markers (${TABLE_START} … ${TABLE_END})`)
  return `${readme.slice(0, start + TABLE_START.length)}\n${settingsTable()}\n${readme.slice(end)}`
}
