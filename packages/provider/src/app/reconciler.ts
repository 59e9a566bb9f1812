/**
 * Start-up reconciliation: the store says what should exist, the backend
 * says what does. Running VMs get their proxies back on the same ports;
 * VMs that vanished are closed; half-created or half-deleted ones are
 * rolled back; unknown `golem-*` instances are left alone but counted
 * against capacity (what the backend says they hold, else the minimum VM size)
 * until the operator deletes them.
 *
 * @module
 */
import type { Logger } from 'pino'
import type { ResourceAmounts, UnknownInstance } from '../domain/capacity.js'
import type { VmRecord } from '../domain/vm.js'
import type { DriverInstance, DriverVmState, VmDriver } from '../drivers/driver.js'
import { PortForwarding } from './port-forwarding.js'
import type { PortForwarder } from './ports/port-forwarder.js'
import type { SshForwarder } from './ports/ssh-forwarder.js'
import type { VmPatch, VmStore } from './ports/vm-store.js'

export interface ReconcileReport {
  readonly restored: string[]
  readonly rolledBack: string[]
  readonly vanished: string[]
  readonly failed: string[]
  readonly unknownInstances: string[]
}

export interface ReconcilerDeps {
  readonly store: VmStore
  readonly driver: VmDriver
  readonly proxy: Pick<SshForwarder, 'open' | 'close'>
  /** Mapped ports get their listeners back on the same public ports. */
  readonly forwarder: PortForwarder
  /** The isolated network: a rolled-back or vanished VM's TAP and rules go with its record. */
  readonly network?: { detach(vmId: string): Promise<void> } | undefined
  readonly logger: Logger
  readonly commandTimeoutMs: number
  /** The smallest VM the provider runs: what an unknown instance is counted as holding where the backend does not say. */
  readonly minimums: ResourceAmounts
  /** The backend's instances, when the caller already asked for them (start-up lists while it probes). */
  readonly instances?: Promise<readonly DriverInstance[]>
}

export async function reconcile(d: ReconcilerDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { restored: [], rolledBack: [], vanished: [], failed: [], unknownInstances: [] }
  const records = d.store.list()
  // Every instance a record named when the pass began is this provider's, the ones it rolls back included: the
  // backend may have been listed before their destroy (start-up lists while it probes).
  const known = new Set(records.map((vm) => vm.instance))
  for (const vm of records) {
    try {
      await reconcileOne(d, vm, report)
    } catch (error) {
      report.failed.push(vm.id)
      const message = error instanceof Error ? error.message : String(error)
      d.store.update(vm.id, { status: 'error', errorMessage: `could not be restored at start: ${message}` })
      d.logger.error({ vm: vm.id, err: message }, 'vm could not be reconciled; marked error')
    }
  }
  const instances = await (d.instances ?? d.driver.list(AbortSignal.timeout(d.commandTimeoutMs)))
  const unknown: UnknownInstance[] = []
  for (const { instance } of instances.filter((i) => !known.has(i.instance))) {
    report.unknownInstances.push(instance)
    const resources = { ...d.minimums, ...(await holdings(d, instance)) }
    unknown.push({ instance, resources })
    d.logger.warn(
      { instance, resources },
      'backend instance without a record (created by another provider, or its record is lost): left alone, counted against capacity until deleted',
    )
  }
  d.store.setUnknownInstances(unknown)
  d.logger.info(report, 'reconciled with the backend')
  return report
}

// What the backend says the instance holds; nothing when it cannot tell (the minimums stand in).
async function holdings(d: ReconcilerDeps, instance: string): Promise<Partial<ResourceAmounts>> {
  try {
    return (await d.driver.holdings?.(instance, AbortSignal.timeout(d.commandTimeoutMs))) ?? {}
  } catch (error) {
    d.logger.warn(
      { instance, err: error instanceof Error ? error.message : String(error) },
      'could not read what the instance holds; counted as the minimum VM',
    )
    return {}
  }
}

async function reconcileOne(d: ReconcilerDeps, vm: VmRecord, report: ReconcileReport): Promise<void> {
  const signal = AbortSignal.timeout(d.commandTimeoutMs)
  if (vm.status === 'creating' || vm.status === 'deleting') {
    await d.driver.destroy(vm.instance, signal)
    await d.network?.detach(vm.id)
    d.store.remove(vm.id)
    report.rolledBack.push(vm.id)
    d.logger.warn({ vm: vm.id, was: vm.status }, 'half-finished operation rolled back: instance destroyed, record closed')
    return
  }
  const state = await d.driver.inspect(vm.instance, signal)
  if (state.kind === 'absent') {
    await d.network?.detach(vm.id)
    d.store.remove(vm.id)
    report.vanished.push(vm.id)
    d.logger.warn({ vm: vm.id, instance: vm.instance }, 'vm vanished from the backend; record closed, resources released')
    return
  }
  const patch = patchFor(state)
  await d.proxy.open(vm.id, vm.sshPort, patch.endpoint ?? null)
  const forwarding = new PortForwarding({ driver: d.driver, forwarder: d.forwarder, logger: d.logger })
  await forwarding.open(vm, state.kind === 'running' ? state : null, signal)
  d.store.update(vm.id, patch)
  report.restored.push(vm.id)
  d.logger.info({ vm: vm.id, status: patch.status, sshPort: vm.sshPort }, 'vm restored')
}

function patchFor(state: Exclude<DriverVmState, { kind: 'absent' }>): VmPatch {
  if (state.kind === 'running') return { status: 'running', endpoint: state.endpoint, ipAddress: state.ipAddress, errorMessage: null }
  if (state.kind === 'stopped') return { status: 'stopped', endpoint: null, ipAddress: null, errorMessage: null }
  return { status: 'error', endpoint: null, errorMessage: `the backend reports the VM as ${state.detail}; start or delete it` }
}
