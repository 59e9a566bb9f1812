/**
 * The VM network's firewall as one nftables script, from data: what the
 * provider's VMs may reach (the internet, nothing of the host, its LAN or
 * each other), which public ports the kernel forwards to which guest port,
 * and the per-VM limits. The script replaces the provider's tables as a
 * whole in one transaction (`nft -f`): a crash can never leave half a rule set,
 * and the same input always gives the same tables.
 *
 * Two tables of one name: `inet` (routing: NAT, host and network access,
 * limits) and, on the provider's own bridge, `bridge` (each TAP may only
 * speak with its own MAC and address; no frame goes from one VM to another).
 *
 * @module
 */
import { cidrText, isIpv4, type Ipv4Cidr } from './ipv4.js'
import { counterDeclarations, countingChains, countRefused, type CountedPort, type CounterValue } from './traffic-counters.js'
import { INTERFACE_NAME, type VmAttachment } from './vm-network.js'

export type Protocol = 'tcp' | 'udp'

/** One public port the kernel forwards to a guest's port. */
export interface KernelForward {
  readonly protocol: Protocol
  readonly publicPort: number
  /** The guest's address and port. */
  readonly address: string
  readonly port: number
}

/** A destination the operator lets VMs reach although it lies in a blocked range (e.g. a proxy on the LAN). */
export interface AllowedDestination {
  readonly network: Ipv4Cidr
  /** Undefined: every port. */
  readonly port?: number | undefined
  /** Undefined: TCP and UDP (with a port), or everything (without). */
  readonly protocol?: Protocol | undefined
}

export interface VmLimits {
  /** New connections a VM may open per second (bursts up to twice as many). */
  readonly newConnectionsPerSecond: number
  /** Connection-tracking entries a VM's own connections may hold at once. */
  readonly conntrackEntries: number
  /** Connections one source address may hold to one VM's public ports. */
  readonly connectionsPerSource: number
  /** Connections all sources together may hold to one VM's public ports. */
  readonly connectionsPerVm: number
}

export interface FirewallSpec {
  /** Table name, the same in both families. */
  readonly table: string
  readonly bridge: string
  readonly subnet: Ipv4Cidr
  readonly gateway: string
  /**
   * `own`: the provider's bridge, where every port is a VM's TAP (listed in
   * `vms`) whose MAC and address are checked. `foreign`: a bridge another
   * manager owns (Multipass): its DHCP and DNS server on the gateway stays
   * reachable for the guests, and the ports are not checked one by one.
   */
  readonly bridgeKind: 'own' | 'foreign'
  readonly vms: readonly VmAttachment[]
  readonly forwards: readonly KernelForward[]
  /** The public ports whose traffic is counted (`domain/traffic-counters.ts`): every held port, forwarded now or not. */
  readonly counted?: readonly CountedPort[]
  /**
   * Where renters' connections arrive: every address of the host (`local`),
   * or the listed ones; 127.0.0.1 is always included for the host's own clients.
   */
  readonly publicAddresses: 'local' | readonly string[]
  /** Ranges VMs never reach: special-purpose ranges and the host's own networks. */
  readonly blocked: readonly Ipv4Cidr[]
  readonly allowed: readonly AllowedDestination[]
  readonly blockSmtp: boolean
  readonly limits: VmLimits
}

const cidr = (network: string, prefixLength: number): Ipv4Cidr => ({ network, prefixLength })

/**
 * IPv4 ranges that are never the internet (IANA special-purpose registry):
 * this network, RFC 1918 private networks, shared address space (CGNAT),
 * loopback, link-local (the cloud metadata address 169.254.169.254 among
 * them), IETF protocol assignments (another metadata address, 192.0.0.192),
 * benchmarking, multicast, reserved and broadcast. The documentation ranges
 * (TEST-NET-1/2/3) are left out: nothing routes them.
 */
export const SPECIAL_PURPOSE_RANGES: readonly Ipv4Cidr[] = [
  cidr('0.0.0.0', 8),
  cidr('10.0.0.0', 8),
  cidr('100.64.0.0', 10),
  cidr('127.0.0.0', 8),
  cidr('169.254.0.0', 16),
  cidr('172.16.0.0', 12),
  cidr('192.0.0.0', 24),
  cidr('192.168.0.0', 16),
  cidr('198.18.0.0', 15),
  cidr('224.0.0.0', 4),
  cidr('240.0.0.0', 4),
]

const TABLE_NAME = /^[a-z][a-z0-9_]{0,30}$/

// Everything that goes into the script is checked: no input can add a rule.
function validate(spec: FirewallSpec): void {
  const fail = (what: string) => {
    throw new Error(`firewall: ${what}`)
  }
  if (!TABLE_NAME.test(spec.table)) fail(`bad table name ${JSON.stringify(spec.table)}`)
  if (!INTERFACE_NAME.test(spec.bridge)) fail(`bad bridge name ${JSON.stringify(spec.bridge)}`)
  const addresses = [
    spec.gateway,
    spec.subnet.network,
    ...spec.vms.map((v) => v.address),
    ...spec.forwards.map((f) => f.address),
    ...spec.blocked.map((b) => b.network),
    ...spec.allowed.map((a) => a.network.network),
    ...(spec.publicAddresses === 'local' ? [] : spec.publicAddresses),
  ]
  for (const a of addresses) if (!isIpv4(a)) fail(`bad IPv4 address ${JSON.stringify(a)}`)
  for (const v of spec.vms) {
    if (!INTERFACE_NAME.test(v.tap)) fail(`bad TAP name ${JSON.stringify(v.tap)}`)
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(v.mac)) fail(`bad MAC address ${JSON.stringify(v.mac)}`)
  }
  const ports = [
    ...spec.forwards.flatMap((f) => [f.publicPort, f.port]),
    ...(spec.counted ?? []).map((c) => c.publicPort),
    ...spec.allowed.flatMap((a) => (a.port === undefined ? [] : [a.port])),
  ]
  for (const p of ports) if (!Number.isInteger(p) || p < 1 || p > 65_535) fail(`bad port ${p}`)
  for (const [k, n] of Object.entries(spec.limits)) if (!Number.isInteger(n) || n < 1) fail(`limit ${k} must be a positive whole number`)
  const seen = new Set<string>()
  for (const f of spec.forwards) {
    const key = `${f.protocol}/${f.publicPort}`
    if (seen.has(key)) fail(`public port ${key} is forwarded twice`)
    seen.add(key)
    const guest = `${f.address}/${f.protocol}/${f.port}`
    if (seen.has(guest)) fail(`guest port ${guest} is forwarded twice`)
    seen.add(guest)
  }
}

const q = (name: string) => `"${name}"`
const elements = (items: readonly string[]) => (items.length === 0 ? '' : ` elements = { ${items.join(', ')} };`)

// Replaces a table in the same transaction: create it if missing (so the delete cannot fail), delete, define.
const replace = (family: string, table: string, body: readonly string[]): string[] => [
  `table ${family} ${table} {}`,
  `delete table ${family} ${table}`,
  `table ${family} ${table} {`,
  ...body.map((l) => (l === '' ? l : `  ${l}`)),
  '}',
]

/** The script that removes the provider's tables (and succeeds when they do not exist). */
export function removalScript(table: string): string {
  if (!TABLE_NAME.test(table)) throw new Error(`firewall: bad table name ${JSON.stringify(table)}`)
  return ['inet', 'bridge'].flatMap((family) => [`table ${family} ${table} {}`, `delete table ${family} ${table}`]).join('\n') + '\n'
}

function allowRules(allowed: readonly AllowedDestination[]): string[] {
  return allowed.map((a) => {
    const where = `ip daddr ${cidrText(a.network)}`
    if (a.port === undefined) return `${where}${a.protocol === undefined ? '' : ` meta l4proto ${a.protocol}`} accept`
    const proto = a.protocol === undefined ? 'meta l4proto { tcp, udp }' : `meta l4proto ${a.protocol}`
    return `${where} ${proto} th dport ${a.port} accept`
  })
}

function natChains(spec: FirewallSpec): string[] {
  const toHost = spec.publicAddresses === 'local' ? 'fib daddr type local' : `ip daddr { ${[...new Set(['127.0.0.1', ...spec.publicAddresses])].join(', ')} }`
  const dnat = [`${toHost} dnat ip to tcp dport map @tcp_forwards`, `${toHost} dnat ip to udp dport map @udp_forwards`]
  return [
    'chain renters_in {',
    '  type nat hook prerouting priority dstnat; policy accept;',
    ...dnat.map((l) => `  ${l}`),
    '}',
    'chain renters_on_host {',
    '  type nat hook output priority -100; policy accept;',
    ...dnat.map((l) => `  ${l}`),
    '}',
    'chain source_nat {',
    '  type nat hook postrouting priority srcnat; policy accept;',
    `  oifname ${q(spec.bridge)} ct status dnat ip saddr 127.0.0.0/8 masquerade comment "the host's own clients: a loopback source cannot leave the host"`,
    `  ip saddr ${cidrText(spec.subnet)} oifname != ${q(spec.bridge)} masquerade comment "VMs reach the internet through the host's address"`,
    '}',
  ]
}

function filterChains(spec: FirewallSpec): string[] {
  const br = q(spec.bridge)
  const { limits } = spec
  const guestServices =
    spec.bridgeKind === 'foreign'
      ? [
          'udp sport 68 udp dport 67 accept comment "DHCP of the bridge\'s manager"',
          `ip daddr ${spec.gateway} meta l4proto { tcp, udp } th dport 53 accept comment "DNS of the bridge's manager"`,
        ]
      : []
  return [
    'chain forward {',
    '  type filter hook forward priority filter; policy accept;',
    `  iifname ${br} jump from_vms`,
    `  oifname ${br} jump to_vms`,
    '}',
    'chain input {',
    '  type filter hook input priority filter; policy accept;',
    `  iifname ${br} jump vm_to_host`,
    '}',
    'chain from_vms {',
    '  ct state established,related accept',
    '  ct state invalid drop',
    '  meta nfproto != ipv4 drop comment "VMs get no IPv6"',
    `  ip saddr != ${cidrText(spec.subnet)} drop comment "not a VM address"`,
    `  ct state new add @new_connections { ip saddr limit rate over ${limits.newConnectionsPerSecond}/second burst ${limits.newConnectionsPerSecond * 2} packets } drop`,
    `  ct state new add @vm_connections { ip saddr ct count over ${limits.conntrackEntries} } drop`,
    `  ip daddr ${cidrText(spec.subnet)} drop comment "no VM reaches another"`,
    ...allowRules(spec.allowed).map((l) => `  ${l}`),
    '  ip daddr @blocked drop comment "private, special-purpose and the host\'s own networks"',
    ...(spec.blockSmtp ? ['  tcp dport 25 drop comment "no mail servers from VMs"'] : []),
    '  accept',
    '}',
    'chain to_vms {',
    '  ct state established,related accept',
    '  ct status dnat jump renter_connection',
    '  drop comment "nothing reaches a VM but its forwarded ports"',
    '}',
    'chain renter_connection {',
    `  ct state new add @per_source { ip daddr . ip saddr ct count over ${limits.connectionsPerSource} } ${countRefused} drop`,
    `  ct state new add @per_vm { ip daddr ct count over ${limits.connectionsPerVm} } ${countRefused} drop`,
    '  accept',
    '}',
    'chain vm_to_host {',
    '  ct state established,related accept',
    ...guestServices.map((l) => `  ${l}`),
    ...allowRules(spec.allowed).map((l) => `  ${l}`),
    '  drop comment "VMs never reach the host"',
    '}',
  ]
}

function inetTable(spec: FirewallSpec, counters: ReadonlyMap<string, CounterValue>): string[] {
  const forwards = (p: Protocol) =>
    spec.forwards
      .filter((f) => f.protocol === p)
      .sort((a, b) => a.publicPort - b.publicPort)
      .map((f) => `${f.publicPort} : ${f.address} . ${f.port}`)
  const dynamic = 'size 65535; flags dynamic;'
  return [
    `comment "golem-provider: VMs on ${spec.bridge} (${cidrText(spec.subnet)}); generated, replaced as a whole on every change"`,
    `set blocked { type ipv4_addr; flags interval; auto-merge;${elements(spec.blocked.map(cidrText))} }`,
    `map tcp_forwards { type inet_service : ipv4_addr . inet_service;${elements(forwards('tcp'))} }`,
    `map udp_forwards { type inet_service : ipv4_addr . inet_service;${elements(forwards('udp'))} }`,
    ...counterDeclarations(spec.counted ?? [], spec.forwards, counters),
    `set new_connections { type ipv4_addr; ${dynamic.replace('dynamic;', 'dynamic,timeout; timeout 1m;')} }`,
    `set vm_connections { type ipv4_addr; ${dynamic} }`,
    `set per_source { type ipv4_addr . ipv4_addr; ${dynamic} }`,
    `set per_vm { type ipv4_addr; ${dynamic} }`,
    '',
    ...natChains(spec),
    ...filterChains(spec),
    ...countingChains(spec.bridge),
  ]
}

function bridgeTable(spec: FirewallSpec): string[] {
  const vms = [...spec.vms].sort((a, b) => a.tap.localeCompare(b.tap))
  return [
    `comment "golem-provider: each VM on ${spec.bridge} speaks only with its own MAC and address, and never to another VM"`,
    `set vm_ports { type ifname;${elements(vms.map((v) => q(v.tap)))} }`,
    `set vm_macs { type ifname . ether_addr;${elements(vms.map((v) => `${q(v.tap)} . ${v.mac}`))} }`,
    `set vm_addresses { type ifname . ipv4_addr;${elements(vms.map((v) => `${q(v.tap)} . ${v.address}`))} }`,
    `set vm_arp { type ifname . ether_addr . ipv4_addr;${elements(vms.map((v) => `${q(v.tap)} . ${v.mac} . ${v.address}`))} }`,
    '',
    'chain from_vms {',
    '  type filter hook prerouting priority -200; policy accept;',
    '  iifname @vm_ports jump vm_frame',
    '}',
    'chain vm_frame {',
    '  iifname . ether saddr != @vm_macs drop',
    '  ether type ip iifname . ip saddr @vm_addresses ip daddr != 127.0.0.0/8 accept',
    '  ether type arp iifname . arp saddr ether . arp saddr ip @vm_arp accept',
    '  drop comment "a spoofed address, IPv6 or another protocol"',
    '}',
    'chain between_vms {',
    '  type filter hook forward priority -200; policy accept;',
    '  iifname @vm_ports drop',
    '}',
  ]
}

/**
 * The whole script: both tables replaced in one `nft -f` transaction. The
 * traffic counters start from `counters` (the values last read), so they
 * carry on across the replace.
 */
export function firewallScript(spec: FirewallSpec, counters: ReadonlyMap<string, CounterValue> = new Map()): string {
  validate(spec)
  const lines = [
    `# golem-provider: the firewall of ${spec.bridge}, generated from the provider's records. Do not edit: it is replaced on every change.`,
    ...replace('inet', spec.table, inetTable(spec, counters)),
    ...(spec.bridgeKind === 'own' ? replace('bridge', spec.table, bridgeTable(spec)) : [`table bridge ${spec.table} {}`, `delete table bridge ${spec.table}`]),
  ]
  return `${lines.join('\n')}\n`
}
