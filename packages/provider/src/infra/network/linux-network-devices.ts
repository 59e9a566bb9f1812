/**
 * The VM network's devices on Linux, for `app/isolated-network.ts`: the
 * commands of `linux-network.ts`, plus a small record of the host settings
 * the provider changed (`<data dir>/network-state.json`), so that
 * `golem-provider uninstall-network` puts them back as they were.
 *
 * @module
 */
import { join } from 'node:path'
import { readIfExists, replaceFile } from '@golem-vm/common'
import type { HostRoute } from '../../domain/host-routes.js'
import { parseIpv4Cidr, type Ipv4Cidr } from '../../domain/ipv4.js'
import { parseNftCounters, type CounterValue } from '../../domain/traffic-counters.js'
import {
  applyNftables,
  deleteBridge,
  deleteLink,
  ensureBridge,
  ensureTap,
  findLink,
  forgetConnections,
  isolateBridgePorts,
  listLinks,
  listRoutes,
  nftCountersJson,
  nftTableExists,
  nftTables,
  readSysctl,
  writeSysctl,
} from './linux-network.js'

/** Host settings the provider changed, with their values before. */
export interface ChangedSettings {
  /** `net.ipv4.ip_forward` was this before the provider turned it on. */
  readonly ipForward?: string | undefined
  /** `route_localnet` of a bridge the provider does not own (Multipass's), before. */
  readonly routeLocalnet?: { readonly bridge: string; readonly value: string } | undefined
}

const STATE_FILE = 'network-state.json'

/** The mark on a provider's bridge: only a bridge carrying it is changed or removed. */
const bridgeAlias = (owner: string) => `golem-provider:${owner}`

export class LinuxNetworkDevices {
  constructor(private readonly dataDir: string) {}

  routes(): Promise<HostRoute[]> {
    return listRoutes()
  }

  prepareBridge(bridge: string, owner: string, gateway: string, prefixLength: number, mac: string): Promise<string[]> {
    return ensureBridge(bridge, bridgeAlias(owner), gateway, prefixLength, mac)
  }

  removeBridge(bridge: string, owner: string): Promise<boolean> {
    return deleteBridge(bridge, bridgeAlias(owner))
  }

  async bridgeNetwork(bridge: string): Promise<{ subnet: Ipv4Cidr; gateway: string } | undefined> {
    const link = await findLink(bridge)
    const address = link?.kind === 'bridge' ? link.ipv4[0] : undefined
    if (address === undefined) return undefined
    const subnet = parseIpv4Cidr(`${address.address}/${address.prefixLength}`)
    return typeof subnet === 'string' ? undefined : { subnet, gateway: address.address }
  }

  // Turns on what the kernel path needs, noting what was off so that uninstall can turn it off again.
  async enableForwarding(bridge: string, ownBridge: boolean): Promise<string[]> {
    const changes: string[] = []
    const state = await this.changedSettings()
    let next: ChangedSettings = state
    if ((await readSysctl('net/ipv4/ip_forward')) !== '1') {
      next = { ...next, ipForward: state.ipForward ?? '0' }
      await this.#saveState(next)
      await writeSysctl('net/ipv4/ip_forward', '1')
      changes.push('turned on IPv4 forwarding (net.ipv4.ip_forward=1)')
    }
    const localnet = `net/ipv4/conf/${bridge}/route_localnet`
    const before = await readSysctl(localnet)
    if (before !== '1') {
      if (!ownBridge) await this.#saveState({ ...next, routeLocalnet: { bridge, value: before ?? '0' } })
      await writeSysctl(localnet, '1')
      changes.push(`let loopback sources out through ${bridge} (route_localnet=1), for connections the host makes to 127.0.0.1`)
    }
    return changes
  }

  ensureTap(tap: string, bridge: string): Promise<boolean> {
    return ensureTap(tap, bridge)
  }

  removeLink(name: string): Promise<boolean> {
    return deleteLink(name)
  }

  async linkNames(): Promise<string[]> {
    return (await listLinks()).map((l) => l.name)
  }

  isolatePorts(bridge: string): Promise<void> {
    return isolateBridgePorts(bridge)
  }

  applyFirewall(script: string): Promise<void> {
    return applyNftables(script)
  }

  async trafficCounters(table: string): Promise<Map<string, CounterValue>> {
    return parseNftCounters(await nftCountersJson(table), table)
  }

  firewallPresent(table: string): Promise<boolean> {
    return nftTableExists(table)
  }

  async forgetConnections(address: string): Promise<void> {
    await forgetConnections(address)
  }

  firewalls(): Promise<string[]> {
    return nftTables('golem_')
  }

  /** What the provider changed on this host, from its state file (empty when it changed nothing). */
  async changedSettings(): Promise<ChangedSettings> {
    const text = await readIfExists(join(this.dataDir, STATE_FILE))
    return text === undefined ? {} : (JSON.parse(text) as ChangedSettings)
  }

  /** Puts back what `enableForwarding` changed (forwarding only when `lastProvider`), then forgets it. */
  async restoreSettings(lastProvider: boolean): Promise<string[]> {
    const state = await this.changedSettings()
    const restored: string[] = []
    if (state.ipForward !== undefined && lastProvider) {
      await writeSysctl('net/ipv4/ip_forward', state.ipForward)
      restored.push(`net.ipv4.ip_forward=${state.ipForward} again`)
    }
    if (state.routeLocalnet !== undefined && (await findLink(state.routeLocalnet.bridge)) !== undefined) {
      await writeSysctl(`net/ipv4/conf/${state.routeLocalnet.bridge}/route_localnet`, state.routeLocalnet.value)
      restored.push(`route_localnet=${state.routeLocalnet.value} on ${state.routeLocalnet.bridge} again`)
    }
    if (Object.keys(state).length > 0) await this.#saveState({})
    return restored
  }

  async #saveState(state: ChangedSettings): Promise<void> {
    await replaceFile(join(this.dataDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, 0o600)
  }
}
