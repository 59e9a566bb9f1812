/**
 * The isolated VM network as a use case: its start-up (checks, bridge,
 * forwarding, the VMs' TAPs), each VM's place on it (allocated with its
 * record, released with it), and the firewall kept equal to the provider's
 * records: rebuilt from the store and the forwards after every change, as
 * one atomic replacement, and restored if anyone removes it.
 *
 * Two layouts: the provider's own bridge (QEMU: one TAP per VM, MAC and
 * address checked per port) and a bridge another manager owns (Multipass:
 * its DHCP and DNS stay reachable; every port is marked isolated).
 *
 * @module
 */
import type { Logger } from 'pino'
import {
  firewallScript,
  removalScript,
  SPECIAL_PURPOSE_RANGES,
  type AllowedDestination,
  type FirewallSpec,
  type KernelForward,
  type VmLimits,
} from '../domain/firewall.js'
import { attachedNetworks, clashingRoutes, type HostRoute } from '../domain/host-routes.js'
import { cidrContains, cidrText, type Ipv4Cidr } from '../domain/ipv4.js'
import {
  allocateAttachment,
  guestNetwork,
  macOf,
  subnetSuggestions,
  vmSlots,
  type GuestNetwork,
  type VmAttachment,
  type VmNetworkPlan,
} from '../domain/vm-network.js'
import type { VmRecord } from '../domain/vm.js'
import type { CountedPort, CounterValue } from '../domain/traffic-counters.js'
import type { VmStore } from './ports/vm-store.js'

/** What the network needs of the host (implemented on Linux by `infra/network/linux-network-devices.ts`). */
export interface NetworkDevices {
  /** Every IPv4 route of every table. */
  routes(): Promise<HostRoute[]>
  /**
   * The bridge with this address and MAC, up, marked as `owner`'s; refuses a
   * link of that name without the mark. One line per change made.
   */
  prepareBridge(bridge: string, owner: string, gateway: string, prefixLength: number, mac: string): Promise<string[]>
  /** Removes the bridge if it carries `owner`'s mark; resolves true if it did. */
  removeBridge(bridge: string, owner: string): Promise<boolean>
  /** A bridge's IPv4 network and address (the guests' gateway); undefined if it does not exist or has none. */
  bridgeNetwork(bridge: string): Promise<{ readonly subnet: Ipv4Cidr; readonly gateway: string } | undefined>
  /**
   * IP forwarding, and loopback sources allowed out of `bridge` (for the
   * host's own clients); one line per change. What it changes on a bridge
   * it does not own is noted, to be put back by `uninstall-network`.
   */
  enableForwarding(bridge: string, ownBridge: boolean): Promise<string[]>
  /** The VM's TAP as an isolated port of the bridge; resolves true if it was created. */
  ensureTap(tap: string, bridge: string): Promise<boolean>
  /** Removes a link; resolves true if it existed. */
  removeLink(name: string): Promise<boolean>
  linkNames(): Promise<string[]>
  /** Marks every port of the bridge isolated. */
  isolatePorts(bridge: string): Promise<void>
  applyFirewall(script: string): Promise<void>
  /** The table's named traffic counters (`domain/traffic-counters.ts`); empty when it does not exist. */
  trafficCounters(table: string): Promise<Map<string, CounterValue>>
  firewallPresent(table: string): Promise<boolean>
  /** Drops the connection-tracking entries of an address. */
  forgetConnections(address: string): Promise<void>
  /** The names of the providers' firewall tables on this host (`golem_…`). */
  firewalls(): Promise<string[]>
  /** Puts back the host settings `enableForwarding` changed (IP forwarding only when `lastProvider`); one line each. */
  restoreSettings(lastProvider: boolean): Promise<string[]>
}

export type NetworkLayout =
  { readonly kind: 'own'; readonly plan: VmNetworkPlan } | { readonly kind: 'foreign'; readonly bridge: string; readonly table: string }

export interface IsolationPolicy {
  /** Where renters connect: every local address, or these. */
  readonly publicAddresses: 'local' | readonly string[]
  readonly allowed: readonly AllowedDestination[]
  readonly blockSmtp: boolean
  readonly limits: VmLimits
  /** The most VMs at once: the subnet must hold them. */
  readonly maxVms: number
}

export interface IsolatedNetworkDeps {
  readonly layout: NetworkLayout
  readonly devices: NetworkDevices
  readonly store: Pick<VmStore, 'list' | 'get' | 'assignAttachment'>
  /** The public ports the kernel forwards now (the kernel forwarder's). */
  readonly forwards: () => readonly KernelForward[]
  /** The public ports whose traffic the kernel counts: every held port, its VM running or not. */
  readonly counted?: () => readonly CountedPort[]
  readonly policy: IsolationPolicy
  readonly logger: Logger
  /** How often the firewall is checked (and restored if it was removed or the host's networks changed). */
  readonly checkIntervalMs: number
}

/** A start-up problem the operator must fix (a clash with the host's networks, a missing bridge). */
export class NetworkSetupError extends Error {
  override readonly name = 'NetworkSetupError'
}

/** For the status endpoint and the log. */
export interface NetworkDescription {
  readonly bridge: string
  readonly subnet: string
  readonly table: string
}

interface Resolved {
  readonly bridge: string
  readonly table: string
  readonly subnet: Ipv4Cidr
  readonly gateway: string
}

export class IsolatedNetwork {
  readonly #d: IsolatedNetworkDeps
  #net: Resolved | undefined
  #active = false
  #dirty = false
  #applying: Promise<void> | undefined
  #lastScript = ''
  #timer: NodeJS.Timeout | undefined
  /** VMs whose TAP is gone while their record still exists (a delete or an undone create in progress). */
  readonly #detached = new Set<string>()

  constructor(deps: IsolatedNetworkDeps) {
    this.#d = deps
  }

  describe(): NetworkDescription {
    const net = this.#resolved()
    return { bridge: net.bridge, subnet: cidrText(net.subnet), table: net.table }
  }

  /**
   * Start-up, before the records are reconciled: refuses a subnet the host
   * already routes, prepares the bridge and forwarding, recreates missing
   * TAPs and removes stray ones. Applies no rules: the last run's stay in
   * force (VMs stay reachable and isolated) until `activate` replaces them.
   */
  async prepare(): Promise<void> {
    const { layout, devices, logger } = this.#d
    const changes: string[] = []
    if (layout.kind === 'foreign') {
      const found = await devices.bridgeNetwork(layout.bridge)
      if (found === undefined)
        throw new NetworkSetupError(
          `the bridge ${layout.bridge} does not exist or has no IPv4 address; start Multipass (its QEMU driver makes it) or set GOLEM_PROVIDER_MULTIPASS_BRIDGE`,
        )
      this.#net = { bridge: layout.bridge, table: layout.table, ...found }
      changes.push(...(await devices.enableForwarding(layout.bridge, false)))
      await devices.isolatePorts(layout.bridge)
    } else {
      const { plan } = layout
      this.#net = { bridge: plan.bridge, table: plan.table, subnet: plan.subnet, gateway: plan.gateway }
      await this.#check(plan)
      // A fixed MAC, so that the guests' gateway never changes as TAPs come and go.
      changes.push(...(await devices.prepareBridge(plan.bridge, plan.table, plan.gateway, plan.subnet.prefixLength, macOf(plan.gateway))))
      changes.push(...(await devices.enableForwarding(plan.bridge, true)))
      changes.push(...(await this.#syncTaps(plan)))
    }
    const net = this.#resolved()
    logger.info({ bridge: net.bridge, subnet: cidrText(net.subnet), gateway: net.gateway, table: net.table, changes }, 'VM network prepared')
  }

  /** After reconcile: replaces the last run's rules with the records' (atomically), then keeps them in force. */
  async activate(): Promise<void> {
    this.#active = true
    await this.refresh()
    this.#timer = setInterval(() => void this.#watch(), this.#d.checkIntervalMs)
    this.#timer.unref()
  }

  /** Stops applying (shutdown): the rules stay in the kernel as they are. */
  stop(): void {
    this.#active = false
    clearInterval(this.#timer)
  }

  /**
   * Re-applies the firewall from the records and forwards; resolves once the
   * kernel has a rule set that includes every change made before the call.
   * Calls during an apply are coalesced into one more.
   */
  refresh(): Promise<void> {
    if (!this.#active) return Promise.resolve()
    this.#dirty = true
    this.#applying ??= this.#applyWhileDirty().finally(() => {
      this.#applying = undefined
    })
    return this.#applying
  }

  /**
   * Gives a new VM its address and TAP (own bridge) and lets its frames
   * through the firewall; undefined on a bridge the backend manages. The
   * caller undoes it with `detach`, whatever happened.
   */
  async attach(vmId: string): Promise<GuestNetwork | undefined> {
    const { layout } = this.#d
    if (layout.kind === 'foreign') return undefined
    const vm = this.#d.store.assignAttachment(vmId, (taken) => allocateAttachment(layout.plan, taken))
    if (vm?.attachment === null || vm === undefined) throw new Error(`VM ${vmId} was removed while it was being attached`)
    await this.#d.devices.ensureTap(vm.attachment.tap, layout.plan.bridge)
    await this.refresh()
    this.#d.logger.info({ vm: vmId, ...vm.attachment }, 'vm attached to the network')
    return guestNetwork(layout.plan, vm.attachment)
  }

  /** Removes the VM's TAP and its rules and forgets its connections; the record is the caller's to remove. */
  async detach(vmId: string): Promise<void> {
    const attachment = this.#d.store.get(vmId)?.attachment ?? null
    if (attachment === null) return
    this.#detached.add(vmId)
    await this.#d.devices.removeLink(attachment.tap)
    await this.refresh()
    await this.#d.devices.forgetConnections(attachment.address)
    this.#d.logger.info({ vm: vmId, tap: attachment.tap, address: attachment.address }, 'vm detached from the network')
  }

  /** The traffic counters of the provider's table as the kernel has them now. */
  traffic(): Promise<Map<string, CounterValue>> {
    return this.#d.devices.trafficCounters(this.#resolved().table)
  }

  #resolved(): Resolved {
    if (this.#net === undefined) throw new Error('the VM network was used before prepare()')
    return this.#net
  }

  // The subnet must be free on the host, hold every VM, and contain every VM's recorded address.
  async #check(plan: VmNetworkPlan): Promise<void> {
    const clashes = clashingRoutes(await this.#d.devices.routes(), plan.subnet, plan.bridge)
    if (clashes.length > 0) {
      const free = await this.#freeSubnet(plan)
      throw new NetworkSetupError(
        `the VM subnet ${cidrText(plan.subnet)} clashes with the host's routes (${clashes.join('; ')}); set GOLEM_PROVIDER_VM_SUBNET to a network the host does not use${free === undefined ? '' : `, e.g. ${free}`}`,
      )
    }
    if (vmSlots(plan.subnet) < this.#d.policy.maxVms) {
      throw new NetworkSetupError(
        `the VM subnet ${cidrText(plan.subnet)} holds ${vmSlots(plan.subnet)} VMs but GOLEM_PROVIDER_MAX_VMS is ${this.#d.policy.maxVms}; choose a larger GOLEM_PROVIDER_VM_SUBNET`,
      )
    }
    const outside = this.#d.store.list().filter((vm) => vm.attachment !== null && !cidrContains(plan.subnet, vm.attachment.address))
    if (outside.length > 0) {
      throw new NetworkSetupError(
        `VMs ${outside.map((vm) => `${vm.id} (${vm.attachment?.address ?? ''})`).join(', ')} have addresses outside GOLEM_PROVIDER_VM_SUBNET ${cidrText(plan.subnet)}; restore the subnet they were created in, or delete them first`,
      )
    }
  }

  // A /24 the host does not route, to suggest in the clash message.
  async #freeSubnet(plan: VmNetworkPlan): Promise<string | undefined> {
    const routes = await this.#d.devices.routes()
    const free = subnetSuggestions(plan.id).find((candidate) => clashingRoutes(routes, candidate, plan.bridge).length === 0)
    return free === undefined ? undefined : cidrText(free)
  }

  // Every recorded VM has its TAP; TAPs of this provider that no VM holds (a crash mid-create) are removed.
  async #syncTaps(plan: VmNetworkPlan): Promise<string[]> {
    const changes: string[] = []
    const held = new Set<string>()
    for (const vm of this.#d.store.list()) {
      if (vm.attachment === null) continue
      held.add(vm.attachment.tap)
      if (await this.#d.devices.ensureTap(vm.attachment.tap, plan.bridge)) changes.push(`created TAP ${vm.attachment.tap} for VM ${vm.id}`)
    }
    for (const name of await this.#d.devices.linkNames()) {
      if (!name.startsWith(plan.tapPrefix) || held.has(name)) continue
      await this.#d.devices.removeLink(name)
      changes.push(`removed stray TAP ${name}`)
    }
    return changes
  }

  async #applyWhileDirty(): Promise<void> {
    while (this.#dirty && this.#active) {
      this.#dirty = false
      const spec = await this.#spec()
      const script = firewallScript(spec)
      // The counters carry on from the kernel's values (the replace would reset them).
      await this.#d.devices.applyFirewall(firewallScript(spec, await this.traffic()))
      this.#lastScript = script
      if (this.#d.layout.kind === 'foreign') await this.#d.devices.isolatePorts(this.#resolved().bridge)
    }
  }

  async #spec(): Promise<FirewallSpec> {
    const net = this.#resolved()
    const { policy } = this.#d
    const records = this.#d.store.list()
    for (const id of this.#detached) if (!records.some((vm) => vm.id === id)) this.#detached.delete(id)
    const vms = this.#d.layout.kind === 'own' ? attachmentsOf(records.filter((vm) => !this.#detached.has(vm.id))) : []
    return {
      table: net.table,
      bridge: net.bridge,
      subnet: net.subnet,
      gateway: net.gateway,
      bridgeKind: this.#d.layout.kind,
      vms,
      forwards: this.#d.forwards(),
      counted: this.#d.counted?.() ?? [],
      publicAddresses: policy.publicAddresses,
      blocked: [...SPECIAL_PURPOSE_RANGES, ...attachedNetworks(await this.#d.devices.routes(), net.bridge)],
      allowed: policy.allowed,
      blockSmtp: policy.blockSmtp,
      limits: policy.limits,
    }
  }

  // Restores the rules if someone removed the table, and follows changes of the host's networks.
  async #watch(): Promise<void> {
    if (!this.#active || this.#applying !== undefined) return
    try {
      const present = await this.#d.devices.firewallPresent(this.#resolved().table)
      const current = firewallScript(await this.#spec())
      if (present && current === this.#lastScript) return
      if (!present) this.#d.logger.error({ table: this.#resolved().table }, 'the VM firewall was removed from the kernel; restoring it')
      else this.#d.logger.info("the host's networks changed; VM firewall updated")
      await this.refresh()
    } catch (error) {
      this.#d.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'the VM firewall check failed')
    }
  }
}

/**
 * Removes everything a provider's VM network made on this host, whichever
 * backend it ran: its tables, its TAPs, its bridge (the one its plan names,
 * never another manager's), and the host settings it changed (IP forwarding
 * stays on while another provider's table remains). One line per removal;
 * none when nothing of it was there.
 */
export async function uninstallVmNetwork(plan: VmNetworkPlan, devices: NetworkDevices): Promise<string[]> {
  const removed: string[] = []
  const tables = await devices.firewalls()
  const others = tables.filter((t) => t !== plan.table)
  // Always run (it also takes a lone bridge-family table), but only claim a removal that happened.
  await devices.applyFirewall(removalScript(plan.table))
  if (tables.includes(plan.table)) removed.push(`nftables tables inet ${plan.table} and bridge ${plan.table}`)
  for (const name of await devices.linkNames()) {
    if (name.startsWith(plan.tapPrefix) && (await devices.removeLink(name))) removed.push(`TAP ${name}`)
  }
  if (await devices.removeBridge(plan.bridge, plan.table)) removed.push(`bridge ${plan.bridge}`)
  removed.push(...(await devices.restoreSettings(others.length === 0)))
  return removed
}

const attachmentsOf = (records: readonly VmRecord[]): VmAttachment[] => records.flatMap((vm) => (vm.attachment === null ? [] : [vm.attachment]))
