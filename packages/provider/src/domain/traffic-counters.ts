/**
 * Per-port traffic of kernel-forwarded public ports, counted by nftables in
 * the provider's own table: four named counters per public port (bytes to
 * the guest, bytes back, connections that reached it, connections refused by
 * the per-source and per-VM limits), selected by maps keyed on the guest's
 * address, protocol and port. Pure: the names, the script lines the firewall
 * includes, the parsing of `nft -j list counters`, and a VM's totals.
 *
 * The firewall replaces its table as a whole on every change, which would
 * reset the counters; the script therefore declares each counter with the
 * value last read from the kernel (`nft` accepts `counter NAME { packets P
 * bytes B }`), so a VM's figures carry on across changes and provider
 * restarts. Packets counted between that read and the replace are lost.
 *
 * @module
 */
import type { KernelForward, Protocol } from './firewall.js'

/** A public port whose traffic is counted (while its VM is stopped too, so a stop/start keeps the figures). */
export interface CountedPort {
  readonly protocol: Protocol
  readonly publicPort: number
}

export interface CounterValue {
  readonly packets: number
  readonly bytes: number
}

/** The four counters of a public port. */
export type CounterKind = 'in' | 'out' | 'new' | 'refused'
const KINDS: readonly CounterKind[] = ['in', 'out', 'new', 'refused']

/** A counter's name: `tcp_50812_in`. */
export const counterName = (port: CountedPort, kind: CounterKind): string => `${port.protocol}_${port.publicPort}_${kind}`

const MAP_OF: Record<CounterKind, string> = { in: 'traffic_in', out: 'traffic_out', new: 'connections_new', refused: 'connections_refused' }
const TO_GUEST = 'ip daddr . meta l4proto . th dport'

const value = (v: CounterValue | undefined): string => (v === undefined ? '' : ` packets ${v.packets} bytes ${v.bytes}`)

/**
 * The table's counters (each with its carried-over value) and the maps from
 * a forwarded guest endpoint to them. Counters exist for every counted port;
 * map elements only for ports forwarded now.
 */
export function counterDeclarations(counted: readonly CountedPort[], forwards: readonly KernelForward[], values: ReadonlyMap<string, CounterValue>): string[] {
  const ports = [...new Map(counted.map((p) => [`${p.protocol}/${p.publicPort}`, p])).values()].sort(
    (a, b) => a.publicPort - b.publicPort || a.protocol.localeCompare(b.protocol),
  )
  const byPort = new Set(ports.map((p) => `${p.protocol}/${p.publicPort}`))
  const mapped = forwards.filter((f) => byPort.has(`${f.protocol}/${f.publicPort}`)).sort((a, b) => a.publicPort - b.publicPort)
  const counters = ports.flatMap((p) => KINDS.map((k) => `counter ${counterName(p, k)} {${value(values.get(counterName(p, k)))} }`))
  const maps = KINDS.map((k) => {
    const elements = mapped.map((f) => `${f.address} . ${f.protocol} . ${f.port} : "${counterName(f, k)}"`)
    return `map ${MAP_OF[k]} { type ipv4_addr . inet_proto . inet_service : counter;${elements.length === 0 ? '' : ` elements = { ${elements.join(', ')} };`} }`
  })
  return [...counters, ...maps]
}

/**
 * The chains that count: every packet of a forwarded connection on its way
 * to the guest (postrouting, before the source NAT; forwarded and the host's
 * own clients alike) and back (prerouting, before the reply is translated),
 * and each connection's first packet.
 */
export function countingChains(bridge: string): string[] {
  const br = `"${bridge}"`
  return [
    'chain count_to_vms {',
    '  type filter hook postrouting priority filter; policy accept;',
    `  oifname ${br} ct status dnat counter name ${TO_GUEST} map @${MAP_OF.in}`,
    `  oifname ${br} ct status dnat ct state new counter name ${TO_GUEST} map @${MAP_OF.new}`,
    '}',
    'chain count_from_vms {',
    '  type filter hook prerouting priority filter; policy accept;',
    `  iifname ${br} ct status dnat counter name ip saddr . meta l4proto . th sport map @${MAP_OF.out}`,
    '}',
  ]
}

/** The statement that counts a refused renter connection (placed before its `drop`). */
export const countRefused = `counter name ${TO_GUEST} map @${MAP_OF.refused}`

/**
 * The counters of `table` from `nft -j list counters` output. Entries of
 * other tables and families, and anything malformed, are left out.
 */
export function parseNftCounters(json: string, table: string): Map<string, CounterValue> {
  const found = new Map<string, CounterValue>()
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    return found
  }
  const entries = (parsed as { nftables?: unknown } | null)?.nftables
  if (!Array.isArray(entries)) return found
  for (const entry of entries as unknown[]) {
    const c = (entry as { counter?: Record<string, unknown> } | null)?.counter
    if (c === undefined || c.family !== 'inet' || c.table !== table || typeof c.name !== 'string') continue
    const { packets, bytes } = c
    if (!isCount(packets) || !isCount(bytes)) continue
    found.set(c.name, { packets, bytes })
  }
  return found
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0

/** A VM's forwarded traffic: the sums over its public ports. */
export interface PortTraffic {
  readonly bytesIn: number
  readonly bytesOut: number
  readonly connections: number
  readonly refused: number
}

/** The totals of a VM's public ports (its SSH port and its mappings) in the counters read. */
export function trafficOf(ports: readonly CountedPort[], counters: ReadonlyMap<string, CounterValue>): PortTraffic {
  const sum = (kind: CounterKind, of: keyof CounterValue) => ports.reduce((total, p) => total + (counters.get(counterName(p, kind))?.[of] ?? 0), 0)
  return { bytesIn: sum('in', 'bytes'), bytesOut: sum('out', 'bytes'), connections: sum('new', 'packets'), refused: sum('refused', 'packets') }
}
