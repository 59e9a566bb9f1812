/**
 * The host's side of the VM network on Linux: the bridge, the VMs' TAP
 * devices, the sysctls forwarding needs, the host's routes, nftables and
 * conntrack. Every command runs through `infra/exec/run.ts` (`ip`, `bridge`,
 * `nft`, `conntrack`); sysctls are read and written under /proc/sys.
 * Every operation is idempotent: it makes the state true, whatever was there.
 *
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises'
import type { HostRoute } from '../../domain/host-routes.js'
import { parseIpv4Cidr } from '../../domain/ipv4.js'
import { ExecFailure, run } from '../exec/run.js'

const TIMEOUT_MS = 15_000

/** A link as `ip -d -j addr show` reports it. */
export interface LinkState {
  readonly name: string
  /** `bridge`, `tun`, `veth`, … (undefined for plain devices). */
  readonly kind: string | undefined
  /** The bridge this link is a port of. */
  readonly master: string | undefined
  readonly mac: string | undefined
  /** The free-text alias (`ip link set … alias`): the provider marks its bridge with one. */
  readonly alias: string | undefined
  /** Its IPv4 addresses with their prefix lengths. */
  readonly ipv4: readonly { readonly address: string; readonly prefixLength: number }[]
}

/** A command of this module failed; the message has the tool's own words. */
export class NetworkCommandError extends Error {
  override readonly name = 'NetworkCommandError'
}

async function command(file: string, args: readonly string[], input?: string): Promise<string> {
  try {
    return (await run(file, args, { timeoutMs: TIMEOUT_MS, input })).stdout
  } catch (error) {
    if (error instanceof ExecFailure) {
      // nft underlines the failing part of its input on the last lines: its "Error:" line is the message.
      const why = error.kind === 'spawn' ? 'is not installed' : (/^Error: .*$/m.exec(error.stderr)?.[0] ?? error.reason)
      throw new NetworkCommandError(`${[file, ...args].join(' ')}: ${why}`, { cause: error })
    }
    throw error
  }
}

const ip = (...args: string[]) => command('ip', args)
const missing = (error: unknown) => error instanceof NetworkCommandError && /does not exist|cannot find device/i.test(error.message)

interface IpLink {
  ifname?: string
  master?: string
  address?: string
  ifalias?: string
  linkinfo?: { info_kind?: string }
  addr_info?: { family?: string; local?: string; prefixlen?: number }[]
}

/** Every link of the host (in this network namespace). */
export async function listLinks(): Promise<LinkState[]> {
  const links = JSON.parse(await ip('-d', '-j', 'addr', 'show')) as IpLink[]
  return links
    .filter((l) => typeof l.ifname === 'string')
    .map((l) => ({
      name: l.ifname ?? '',
      kind: l.linkinfo?.info_kind,
      master: l.master,
      mac: l.address,
      alias: l.ifalias,
      ipv4: (l.addr_info ?? [])
        .filter((a) => a.family === 'inet' && typeof a.local === 'string' && typeof a.prefixlen === 'number')
        .map((a) => ({ address: a.local ?? '', prefixLength: a.prefixlen ?? 32 })),
    }))
}

/** The link called `name`, or undefined. */
export async function findLink(name: string): Promise<LinkState | undefined> {
  return (await listLinks()).find((l) => l.name === name)
}

interface IpRoute {
  dst?: string
  dev?: string
  type?: string
  scope?: string
  table?: string
}

/** Every IPv4 route of every table. */
export async function listRoutes(): Promise<HostRoute[]> {
  const routes = JSON.parse(await ip('-j', '-4', 'route', 'show', 'table', 'all')) as IpRoute[]
  const out: HostRoute[] = []
  for (const r of routes) {
    const destination = r.dst === 'default' ? 'default' : parseIpv4Cidr(r.dst ?? '')
    if (typeof destination === 'string' && destination !== 'default') continue
    out.push({ destination, device: r.dev, type: r.type ?? 'unicast', scope: r.scope, table: r.table ?? 'main' })
  }
  return out
}

/** Reads a sysctl under /proc/sys (e.g. `net/ipv4/ip_forward`), trimmed; undefined when it does not exist. */
export async function readSysctl(path: string): Promise<string | undefined> {
  return readFile(`/proc/sys/${path}`, 'utf8').then(
    (v) => v.trim(),
    () => undefined,
  )
}

export async function writeSysctl(path: string, value: string): Promise<void> {
  await writeFile(`/proc/sys/${path}`, `${value}\n`)
}

/**
 * The bridge `name`, marked as the provider's with `alias`, with
 * `gateway/prefixLength` as its only IPv4 address, a fixed MAC (a bridge
 * otherwise takes its lowest port's, and the guests' gateway would change
 * as VMs come and go), no IPv6, no STP delay, up. A link of that name that
 * does not carry the mark is never touched: it is someone else's.
 * Returns what it changed, one line each.
 */
export async function ensureBridge(name: string, alias: string, gateway: string, prefixLength: number, mac: string): Promise<string[]> {
  const changes: string[] = []
  let link = await findLink(name)
  if (link !== undefined && (link.kind !== 'bridge' || link.alias !== alias)) {
    throw new NetworkCommandError(
      `a link named ${name} exists and was not made by this provider (${link.kind ?? 'a plain device'}${link.alias === undefined ? '' : `, "${link.alias}"`}); choose another GOLEM_PROVIDER_VM_BRIDGE`,
    )
  }
  if (link === undefined) {
    await ip('link', 'add', 'name', name, 'address', mac, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0')
    await ip('link', 'set', name, 'alias', alias)
    changes.push(`created bridge ${name}`)
    link = await findLink(name)
  }
  await writeSysctl(`net/ipv6/conf/${name}/disable_ipv6`, '1')
  const wanted = `${gateway}/${prefixLength}`
  for (const a of link?.ipv4 ?? []) {
    if (`${a.address}/${a.prefixLength}` !== wanted) {
      await ip('addr', 'del', `${a.address}/${a.prefixLength}`, 'dev', name)
      changes.push(`removed ${a.address}/${a.prefixLength} from ${name}`)
    }
  }
  if (!(link?.ipv4 ?? []).some((a) => `${a.address}/${a.prefixLength}` === wanted)) {
    await ip('addr', 'add', wanted, 'dev', name)
    changes.push(`gave ${name} the address ${wanted}`)
  }
  await ip('link', 'set', name, 'up')
  return changes
}

/**
 * The persistent TAP `name` as an isolated port of `bridge` (ports marked
 * isolated never exchange frames, whatever else happens), without IPv6, up.
 * QEMU opens it by name; it outlives QEMU, so the port is the same across
 * stop and start. Resolves true if it had to be created.
 */
export async function ensureTap(name: string, bridge: string): Promise<boolean> {
  const link = await findLink(name)
  if (link === undefined) await ip('tuntap', 'add', 'dev', name, 'mode', 'tap')
  await writeSysctl(`net/ipv6/conf/${name}/disable_ipv6`, '1')
  if (link?.master !== bridge) await ip('link', 'set', name, 'master', bridge)
  await command('bridge', ['link', 'set', 'dev', name, 'isolated', 'on'])
  await ip('link', 'set', name, 'up')
  return link === undefined
}

/** Marks every port of `bridge` isolated (a bridge another manager owns: its ports come and go). */
export async function isolateBridgePorts(bridge: string): Promise<void> {
  for (const port of (await listLinks()).filter((l) => l.master === bridge)) {
    await command('bridge', ['link', 'set', 'dev', port.name, 'isolated', 'on']).catch((error: unknown) => {
      if (!missing(error)) throw error
    })
  }
}

/** Removes the bridge if it carries the provider's mark `alias`; resolves true if it did. */
export async function deleteBridge(name: string, alias: string): Promise<boolean> {
  const link = await findLink(name)
  return link?.kind === 'bridge' && link.alias === alias ? deleteLink(name) : false
}

/** Removes a link; resolves true if it existed. */
export async function deleteLink(name: string): Promise<boolean> {
  try {
    await ip('link', 'del', 'dev', name)
    return true
  } catch (error) {
    if (missing(error)) return false
    throw error
  }
}

/** Applies an nftables script as one transaction (`nft -f -`): all of it, or nothing. */
export async function applyNftables(script: string): Promise<void> {
  await command('nft', ['-f', '-'], script)
}

/** True if the `inet` table exists. */
export async function nftTableExists(table: string): Promise<boolean> {
  try {
    await command('nft', ['list', 'table', 'inet', table])
    return true
  } catch (error) {
    if (error instanceof NetworkCommandError && /No such file or directory/.test(error.message)) return false
    throw error
  }
}

/**
 * The named counters of the provider's `inet` table as `nft -j list counters
 * table inet <table>` reports them (JSON text); an empty list when the table
 * does not exist (yet).
 */
export async function nftCountersJson(table: string): Promise<string> {
  try {
    return await command('nft', ['-j', 'list', 'counters', 'table', 'inet', table])
  } catch (error) {
    if (error instanceof NetworkCommandError && /No such file or directory/.test(error.message)) return '{"nftables": []}'
    throw error
  }
}

/** Names of the `inet` tables whose name starts with `prefix`. */
export async function nftTables(prefix: string): Promise<string[]> {
  const listed = JSON.parse(await command('nft', ['-j', 'list', 'tables'])) as { nftables?: { table?: { family?: string; name?: string } }[] }
  return (listed.nftables ?? []).flatMap((e) => (e.table?.family === 'inet' && e.table.name?.startsWith(prefix) === true ? [e.table.name] : []))
}

/**
 * Forgets the connection-tracking entries of an address (from or to it,
 * before or after NAT), so that a reused address starts clean. Needs the
 * `conntrack` tool; resolves false when it is not installed.
 */
export async function forgetConnections(address: string): Promise<boolean> {
  for (const filter of ['--orig-src', '--orig-dst', '--reply-src', '--reply-dst']) {
    try {
      await command('conntrack', ['-D', filter, address])
    } catch (error) {
      if (error instanceof NetworkCommandError && /is not installed/.test(error.message)) return false
      // conntrack exits 1 when nothing matched.
      if (!(error instanceof NetworkCommandError && /0 flow entries|exit code 1/.test(error.message))) throw error
    }
  }
  return true
}
