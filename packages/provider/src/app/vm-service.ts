/**
 * The VM use cases: create, read, start, stop and delete, each with its
 * deadline, and create with an undo for every step so a failure anywhere
 * leaves no VM, port, reservation or record behind.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { VmResources, VmStatus } from '@golem-vm/protocol'
import { deadlineSignal } from '@golem-vm/common'
import { admit, freePorts, type AdmissionPolicy } from '../domain/capacity.js'
import { buildCloudInit } from '../domain/cloud-init.js'
import { generateEd25519KeyPair } from '@golem-vm/protocol/openssh-key'
import { ProviderError } from '../domain/errors.js'
import type { ImageCatalog } from '../domain/images.js'
import { checkQuota, type RenterQuota, type RenterUsage } from '../domain/quota.js'
import { assignPublicPorts, checkPortRequests, type GuestPort, type PortMappingPolicy } from '../domain/port-mappings.js'
import { TRANSITIONAL_STATUSES, OPERATOR_SCOPE, instanceName, ownerScope, type SshEndpoint, type VmRecord } from '../domain/vm.js'
import type { GuestNetwork } from '../domain/vm-network.js'
import { DriverError, type RunningVm, type VmDriver } from '../drivers/driver.js'
import { PortForwarding, runningOf } from './port-forwarding.js'
import type { PortForwarder } from './ports/port-forwarder.js'
import { PortBindError, type SshForwarder } from './ports/ssh-forwarder.js'
import type { SshReadiness } from './ports/ssh-readiness.js'
import type { AcceptedStream, GateRequest } from './payments/payment-gate.js'
import { NO_TELEMETRY, type OperationPhase, type Telemetry, type VmOperation } from './ports/telemetry.js'
import type { VmPatch, VmStore } from './ports/vm-store.js'
import { bootFailure } from './boot-watch.js'
import { UndoStack } from './undo-stack.js'

/** Who is asking: the operator sees everything; a renter only the VMs it created. */
export type Caller = { readonly kind: 'operator' } | { readonly kind: 'renter'; readonly address: string | null }

/**
 * A create request as the HTTP edge parsed it (`http/create-vm-command.ts`):
 * checked and normalised once, so the use case never looks at the body.
 */
export interface CreateVmCommand {
  readonly name: string
  readonly resources: VmResources
  /** A catalogue name or alias; undefined means the provider's default image. */
  readonly image: string | undefined
  /** The renter's public key, validated and canonical (`type base64`, no comment). */
  readonly sshKey: string
  /** The renter that signed the request; null for the operator and for unsigned legacy requests. */
  readonly owner: string | null
  /** Guest ports to map besides SSH (checked against the provider's limits by the use case). */
  readonly ports: readonly GuestPort[]
  /** The name space the VM's name is unique in (`ownerScope` of the caller). */
  readonly scope: string
  /** True when the operator asks (admin token). */
  readonly byOperator?: boolean
  /** The payment stream named by the request (a priced provider requires one). */
  readonly streamId?: string | undefined
}

export interface VmTimeouts {
  /** Launch until SSH answers. */
  readonly createMs: number
  readonly startMs: number
  readonly stopMs: number
  readonly deleteMs: number
}

/** A VM's place on the provider's isolated network (`app/isolated-network.ts`). */
export interface VmNetworkAttacher {
  /** Gives the VM its TAP, MAC and address and lets them through the firewall; undefined when the backend manages the network. */
  attach(vmId: string): Promise<GuestNetwork | undefined>
  /** Removes the VM's TAP and rules; a VM without an attachment is a no-op. */
  detach(vmId: string): Promise<void>
}

export interface VmServiceDeps {
  readonly store: VmStore
  readonly driver: VmDriver
  readonly proxy: SshForwarder
  /** Forwards the renters' mapped ports (besides SSH). */
  readonly forwarder: PortForwarder
  /** Read at every request: how many ports a VM may map, and whether UDP is offered. */
  readonly portPolicy: () => PortMappingPolicy
  /** The isolated network; undefined when VMs are not isolated (user-mode networking). */
  readonly network?: VmNetworkAttacher | undefined
  readonly images: ImageCatalog
  /** The image a create gets when it names none (GOLEM_PROVIDER_DEFAULT_VM_IMAGE). */
  readonly defaultImage: string
  /** Read at every admission: verified ports can change while the provider runs. */
  readonly policy: () => AdmissionPolicy
  /** Per-renter limits (none when absent); the operator's VMs are not limited. */
  readonly renterQuota?: RenterQuota
  /** The one wait for a VM's SSH server, after a launch or a start. */
  readonly sshReady: SshReadiness
  /**
   * Where this host reaches the VMs' public SSH ports (a loopback form of the
   * listen address). When set, a create or start also waits for the SSH
   * banner there, through the forward a renter uses, before it answers.
   */
  readonly publicSshHost?: string | undefined
  /** How often the backend is asked, during that wait, whether the VM still runs (default BOOT_CHECK_MS). */
  readonly bootCheckMs?: number | undefined
  readonly timeouts: VmTimeouts
  readonly logger: Logger
  /** Called after every change of allocations (the advertiser listens). */
  readonly onCapacityChange: () => void
  /** Aborted when the provider shuts down. */
  readonly shutdown: AbortSignal
  /** The payment gate (payment-gate.ts): runs before anything is reserved; absent on a free provider. */
  readonly checkPayment?: (req: GateRequest) => Promise<AcceptedStream | undefined>
  /** Refuses a renter's start of a VM whose paid time ran out (PAYMENT_EXPIRED). */
  readonly checkStart?: (vm: VmRecord) => void
  readonly now?: () => Date
  /** Told when each operation starts and finishes, with its phases (default: nobody listens). */
  readonly telemetry?: Pick<Telemetry, 'operationStarted' | 'operationFinished'>
}

/** The durations of an operation's phases, filled in as they run. */
type Phases = Partial<Record<OperationPhase, number>>

export class VmService {
  readonly #d: VmServiceDeps
  readonly #now: () => Date
  readonly #ports: PortForwarding
  readonly #telemetry: Pick<Telemetry, 'operationStarted' | 'operationFinished'>

  constructor(deps: VmServiceDeps) {
    this.#d = deps
    this.#now = deps.now ?? (() => new Date())
    this.#ports = new PortForwarding({ driver: deps.driver, forwarder: deps.forwarder, logger: deps.logger })
    this.#telemetry = deps.telemetry ?? NO_TELEMETRY
  }

  /** How many ports a VM may map and whether UDP is offered; none when the backend cannot reach guest ports. */
  portPolicy(): PortMappingPolicy {
    return this.#ports.supported ? this.#d.portPolicy() : { maxPerVm: 0, udp: false }
  }

  /** Creates a VM and resolves once its SSH server answers, with the proxy open on its port. */
  create(cmd: CreateVmCommand): Promise<VmRecord> {
    return this.#observed('create', cmd.name, (phases) => this.#create(cmd, phases))
  }

  async #create(cmd: CreateVmCommand, phases: Phases): Promise<VmRecord> {
    const { store, driver, logger } = this.#d
    const { resources, owner } = cmd
    const image = this.#d.images.resolve(cmd.image ?? this.#d.defaultImage, driver.name)
    // Before anything is reserved or launched: a refused payment leaves nothing behind.
    const paid = await this.#d.checkPayment?.({ vmId: cmd.name, resources, streamId: cmd.streamId, payer: owner, byOperator: cmd.byOperator === true })
    const payment = paid === undefined ? undefined : { streamId: paid.streamId, ratePerSecond: paid.ratePerSecond }
    const createdAt = this.#now()
    // The name is unique per owner, the instance inside the provider. Nothing awaits between this
    // look-up and the reservation, and the store has no other writer, so the chosen name stays free.
    const instance = this.#freeInstanceName(cmd.name, createdAt)
    checkPortRequests(cmd.ports, [], this.portPolicy())
    const vm = store.reserve(
      {
        id: instance,
        name: cmd.name,
        scope: cmd.scope,
        instance,
        owner,
        resources,
        image: image.name,
        sshUser: image.defaultUser,
        sshKey: cmd.sshKey,
        hostKey: generateEd25519KeyPair(`root@${cmd.name}`),
        createdAt,
        payment,
      },
      (snapshot) => {
        if (cmd.scope !== OPERATOR_SCOPE && this.#d.renterQuota !== undefined) checkQuota(resources, this.#usageOf(cmd.scope), this.#d.renterQuota)
        return admit(resources, snapshot, this.#d.policy(), cmd.ports)
      },
    )
    const log = logger.child({ vm: vm.id, name: vm.name, instance })
    log.info({ resources, image: image.name, sshPort: vm.sshPort, ports: vm.ports, owner, stream: payment?.streamId }, 'vm reserved')
    this.#d.onCapacityChange()
    const undo = new UndoStack(log)
    undo.push('reservation', (failures) => this.#releaseOrKeep(vm.id, failures, payment?.streamId))
    const signal = this.#deadline(this.#d.timeouts.createMs)
    try {
      // Pushed before attaching: an attach that fails half-way (address taken, TAP made) is undone too.
      undo.push('network attachment', () => this.#d.network?.detach(vm.id))
      const network = await this.#d.network?.attach(vm.id)
      undo.push('backend instance', () => this.#destroyOnUndo(instance, log))
      const cloudInit = buildCloudInit({ hostname: vm.name, instanceId: instance, sshKey: cmd.sshKey, hostKey: vm.hostKey, network })
      const running = await timed(phases, 'launch', () => driver.launch({ instance, hostname: vm.name, resources, image, cloudInit, network }, signal))
      await timed(phases, 'ssh', () => this.#ready(instance, running.endpoint, signal))
      await timed(phases, 'proxy', async () => {
        await this.#d.proxy.open(vm.id, vm.sshPort, running.endpoint)
        undo.push('ssh proxy', () => this.#d.proxy.close(vm.id))
        await this.#publicReady(vm.sshPort, running.endpoint, signal)
      })
      undo.push('port mappings', () => this.#ports.close(vm))
      await this.#ports.open(vm, running, signal)
      const done = this.#require(store.update(vm.id, { status: 'running', ...running }), vm.id)
      undo.commit()
      log.info({ phasesMs: phases, sshPort: vm.sshPort, target: running.endpoint }, 'vm created')
      return done
    } catch (error) {
      const failure = this.#explain(error, signal, 'create', this.#d.timeouts.createMs)
      log.warn({ err: failure.message, code: failure.code, phasesMs: phases }, 'vm create failed, undoing')
      await undo.unwind()
      throw failure
    }
  }

  /**
   * The VM a caller means by `ref`: a renter's VM of that name in its own name space; for the
   * operator, the VM with that provider id or instance name, or the only VM of that name.
   */
  get(ref: string, caller: Caller): VmRecord {
    const vm = caller.kind === 'operator' ? this.#operatorFind(ref) : this.#d.store.findByName(ownerScope(caller), ref)
    if (vm === undefined) throw new ProviderError('VM_NOT_FOUND', `VM Not Found: there is no VM "${ref}" on this provider`)
    return vm
  }

  /** The caller's VMs. Unsigned callers share one identity, so they are listed none (a name is their only secret). */
  list(caller: Caller): VmRecord[] {
    if (caller.kind === 'renter' && caller.address === null) return []
    return this.#d.store.list().filter((vm) => visibleTo(vm, caller))
  }

  #operatorFind(ref: string): VmRecord | undefined {
    const all = this.#d.store.list()
    const exact = all.find((vm) => vm.id === ref || vm.instance === ref)
    if (exact !== undefined) return exact
    const named = all.filter((vm) => vm.name === ref)
    if (named.length > 1) {
      throw new ProviderError(
        'VM_NAME_AMBIGUOUS',
        `${named.length} VMs of different owners are named "${ref}"; name one by its instance: ${named.map((vm) => vm.instance).join(', ')}`,
      )
    }
    return named[0]
  }

  // What the VMs of one name space hold; inside the reservation's transaction, so it is what the database holds.
  #usageOf(scope: string): RenterUsage {
    const usage = { vms: 0, cpu: 0, memory: 0, storage: 0 }
    for (const vm of this.#d.store.list()) {
      if (vm.scope !== scope) continue
      usage.vms++
      usage.cpu += vm.resources.cpu
      usage.memory += vm.resources.memory
      usage.storage += vm.resources.storage
    }
    return usage
  }

  // The first instance name no record holds (as instance or provider id).
  #freeInstanceName(name: string, at: Date): string {
    const taken = new Set(this.#d.store.list().flatMap((vm) => [vm.id, vm.instance]))
    for (let attempt = 0; attempt < 1000; attempt++) {
      const candidate = instanceName(name, at, attempt)
      if (!taken.has(candidate)) return candidate
    }
    throw new ProviderError('INTERNAL', `no free instance name for "${name}"`)
  }

  /** Boots a stopped VM; starting a running VM returns it unchanged. */
  start(id: string, caller: Caller): Promise<VmRecord> {
    return this.#observed('start', id, async (phases) => {
      if (caller.kind === 'renter') {
        const current = this.get(id, caller)
        if (current.status !== 'running') this.#d.checkStart?.(current)
      }
      const vm = this.#begin(id, caller, ['stopped', 'error'], 'starting', 'running')
      if (vm.status === 'running') return vm
      return this.#finish(vm, 'start', this.#d.timeouts.startMs, async (signal) => {
        const running: RunningVm = await timed(phases, 'start', () => this.#d.driver.start(vm.instance, signal))
        await timed(phases, 'ssh', () => this.#ready(vm.instance, running.endpoint, signal))
        await timed(phases, 'proxy', async () => {
          await this.#d.proxy.setTarget(vm.id, running.endpoint)
          await this.#publicReady(vm.sshPort, running.endpoint, signal)
        })
        await this.#ports.retarget(vm, running, signal)
        return { status: 'running', ...running }
      })
    })
  }

  /** Powers a VM off; its port and resources stay reserved. Stopping a stopped VM returns it unchanged. */
  stop(id: string, caller: Caller): Promise<VmRecord> {
    return this.#observed('stop', id, async (phases) => {
      const vm = this.#begin(id, caller, ['running', 'error'], 'stopping', 'stopped')
      if (vm.status === 'stopped') return vm
      return this.#finish(vm, 'stop', this.#d.timeouts.stopMs, async (signal) => {
        await this.#d.proxy.setTarget(vm.id, null)
        await this.#ports.retarget(vm, null, signal)
        await timed(phases, 'stop', () => this.#d.driver.stop(vm.instance, signal))
        return { status: 'stopped', endpoint: null, ipAddress: null }
      })
    })
  }

  /** Deletes the VM and frees everything it held. */
  delete(id: string, caller: Caller): Promise<void> {
    return this.#observed('delete', id, (phases) => this.#delete(id, caller, phases))
  }

  async #delete(id: string, caller: Caller, phases: Phases): Promise<void> {
    const vm = this.#begin(id, caller, ['running', 'stopped', 'error'], 'deleting', null)
    await this.#finish(vm, 'delete', this.#d.timeouts.deleteMs, async (signal) => {
      await timed(phases, 'proxy', async () => {
        await this.#d.proxy.close(vm.id)
        await this.#ports.close(vm)
      })
      await timed(phases, 'destroy', () => this.#d.driver.destroy(vm.instance, signal))
      await this.#d.network?.detach(vm.id)
      this.#d.store.remove(vm.id)
      this.#d.onCapacityChange()
      this.#d.logger.info({ vm: vm.id, instance: vm.instance, port: vm.sshPort, resources: vm.resources }, 'vm deleted, resources released')
      return null
    })
  }

  /**
   * Maps more guest ports of a running or stopped VM, each on a free verified
   * public port, and opens them. A failure half-way closes and releases every
   * mapping this call added.
   */
  async addPorts(id: string, caller: Caller, ports: readonly GuestPort[]): Promise<VmRecord> {
    const policy = this.portPolicy()
    const found = this.get(id, caller)
    checkPortRequests(ports, found.ports, policy)
    const vm = this.#require(
      this.#d.store.addPorts(found.id, (current, snapshot) => {
        if (current.status !== 'running' && current.status !== 'stopped') {
          throw new ProviderError('VM_BUSY', `VM "${id}" is ${current.status}; ports can be added while it is running or stopped`)
        }
        checkPortRequests(ports, current.ports, policy)
        return assignPublicPorts(ports, freePorts(this.#d.policy(), snapshot.usedPorts))
      }),
      id,
    )
    const added = vm.ports.filter((m) => ports.some((p) => p.guest === m.guest && p.protocol === m.protocol))
    this.#d.onCapacityChange()
    const signal = this.#deadline(this.#d.timeouts.startMs)
    try {
      await this.#ports.open(vm, runningOf(vm), signal, added)
      this.#d.logger.info({ vm: id, added }, 'vm ports added')
      return vm
    } catch (error) {
      await this.#ports.close(vm, added)
      for (const mapping of added) this.#d.store.removePort(vm.id, mapping.publicPort)
      this.#d.onCapacityChange()
      throw this.#explain(error, signal, 'port mapping', this.#d.timeouts.startMs)
    }
  }

  /** Closes the VM's mapping on `publicPort` and frees the port. */
  async removePort(id: string, caller: Caller, publicPort: number): Promise<VmRecord> {
    const vm = this.get(id, caller)
    const mapping = vm.ports.find((m) => m.publicPort === publicPort)
    if (mapping === undefined) {
      throw new ProviderError('PORT_NOT_FOUND', `Port Not Found: VM "${id}" has no mapping on public port ${publicPort}`)
    }
    await this.#ports.close(vm, [mapping])
    this.#d.store.removePort(vm.id, publicPort)
    this.#d.onCapacityChange()
    this.#d.logger.info({ vm: vm.id, removed: mapping }, 'vm port removed, public port released')
    return this.#require(this.#d.store.get(vm.id), id)
  }

  // Tells telemetry that an operation runs and how it ended: refusals (a busy VM, no capacity) count with their code.
  async #observed<T>(operation: VmOperation, vmId: string, run: (phases: Phases) => Promise<T>): Promise<T> {
    const phases: Phases = {}
    const started = performance.now()
    this.#telemetry.operationStarted({ operation, vmId })
    let code: ProviderError['code'] | null = null
    try {
      return await run(phases)
    } catch (error) {
      code = error instanceof ProviderError ? error.code : 'INTERNAL'
      throw error
    } finally {
      this.#telemetry.operationFinished({ operation, vmId, code, durationMs: performance.now() - started, phasesMs: phases })
    }
  }

  // Checks visibility and moves the VM into a transitional status, or explains why not.
  #begin(id: string, caller: Caller, from: readonly VmStatus[], to: VmStatus, already: VmStatus | null): VmRecord {
    const vm = this.get(id, caller)
    if (vm.status === already) return vm
    const moved = this.#d.store.transition(vm.id, from, to)
    if (moved.ok && moved.vm !== undefined) return moved.vm
    const current = moved.vm ?? vm
    if (current.status === already) return current
    const busy = TRANSITIONAL_STATUSES.includes(current.status)
    throw new ProviderError(
      'VM_BUSY',
      busy
        ? `VM "${id}" is ${current.status}; try again when that has finished`
        : `VM "${id}" is ${current.status} and cannot be ${to === 'deleting' ? 'deleted' : to.replace(/ing$/, 'ed')} from there`,
    )
  }

  // Runs a lifecycle step under its deadline; on failure the VM is marked `error` with the reason.
  async #finish(vm: VmRecord, what: string, timeoutMs: number, step: (signal: AbortSignal) => Promise<VmPatch | null>): Promise<VmRecord> {
    const signal = this.#deadline(timeoutMs)
    const started = performance.now()
    try {
      const patch = await step(signal)
      this.#d.logger.info({ vm: vm.id, durationMs: Math.round(performance.now() - started) }, `vm ${what} done`)
      return patch === null ? vm : this.#require(this.#d.store.update(vm.id, { ...patch, errorMessage: null }), vm.id)
    } catch (error) {
      const failure = this.#explain(error, signal, what, timeoutMs)
      this.#d.store.update(vm.id, { status: 'error', errorMessage: `${what} failed: ${failure.message}` })
      this.#d.logger.warn({ vm: vm.id, err: failure.message }, `vm ${what} failed`)
      throw failure
    }
  }

  // Releases the reservation, unless an earlier undo step failed: then the
  // instance may still hold host resources, so the record stays, marked error.
  #releaseOrKeep(id: string, failures: number, streamId: string | undefined): void {
    if (failures === 0) {
      this.#d.store.remove(id)
      if (streamId !== undefined) this.#d.store.releaseStream(streamId) // the renter may retry with it
    } else {
      this.#d.store.update(id, { status: 'error', errorMessage: 'create failed and its backend instance could not be removed; delete the VM to retry' })
    }
    this.#d.onCapacityChange()
  }

  // A create that failed because the host ran out of open files or processes (EMFILE, EAGAIN) meets the same
  // shortage in its undo; the shortage passes (connections close, deadlines end), so the destroy is retried
  // with backoff until the delete deadline, rather than keeping the reservation at the first refusal.
  async #destroyOnUndo(instance: string, log: Logger): Promise<void> {
    const signal = this.#cleanupSignal()
    for (let waitMs = UNDO_RETRY_FIRST_MS; ; waitMs = Math.min(waitMs * 2, UNDO_RETRY_MAX_MS)) {
      try {
        await this.#d.driver.destroy(instance, signal)
        return
      } catch (error) {
        if (!(error instanceof DriverError) || !error.transient || signal.aborted) throw error
        log.warn({ err: error.message, retryInMs: waitMs }, 'backend instance not removed yet (host short of resources); retrying')
        await sleep(waitMs, undefined, { signal }).catch(() => {
          throw error
        })
      }
    }
  }

  #deadline(ms: number): AbortSignal {
    return deadlineSignal(ms, this.#d.shutdown)
  }

  #cleanupSignal(): AbortSignal {
    return deadlineSignal(this.#d.timeouts.deleteMs)
  }

  #require(vm: VmRecord | undefined, id: string): VmRecord {
    if (vm === undefined) throw new ProviderError('VM_NOT_FOUND', `VM Not Found: VM "${id}" was removed meanwhile`)
    return vm
  }

  // The renter's path: the SSH banner through the public port, once the forward points at the guest.
  async #publicReady(port: number, guest: SshEndpoint, signal: AbortSignal): Promise<void> {
    const host = this.#d.publicSshHost
    if (host === undefined) return
    try {
      await this.#d.sshReady({ host, port }, signal)
    } catch (error) {
      if (!signal.aborted || this.#d.shutdown.aborted) throw error
      throw new ProviderError(
        'BACKEND_TIMEOUT',
        `the guest's SSH server answers at ${guest.host}:${guest.port} but not through its public port ${host}:${port}; check the VM network (golem-provider status) and the host's firewall`,
        [],
        { cause: error },
      )
    }
  }

  // Waits until the guest has booted (cloud-init done, where the backend can tell) and its SSH server answers,
  // while watching the backend: a VM that stops meanwhile fails the wait at once; when the deadline ends it,
  // says what the backend knows about the guest.
  async #ready(instance: string, endpoint: SshEndpoint, signal: AbortSignal): Promise<void> {
    const waitDone = new AbortController()
    const waiting = AbortSignal.any([signal, waitDone.signal])
    try {
      const failed = await Promise.race([
        this.#booted(instance, waiting)
          .then(() => this.#d.sshReady(endpoint, waiting))
          .then(() => undefined),
        bootFailure(this.#d.driver, instance, waiting, this.#d.bootCheckMs),
      ])
      signal.throwIfAborted() // the watch also ends (undefined) when the deadline aborts the wait
      if (failed !== undefined) throw new ProviderError('BACKEND_FAILED', `${failed}; ${await this.#bootReport(instance)}`)
    } catch (error) {
      if (error instanceof ProviderError || !signal.aborted || this.#d.shutdown.aborted) throw error
      throw new ProviderError(
        'BACKEND_TIMEOUT',
        `the guest did not bring SSH up on ${endpoint.host}:${endpoint.port}; ${await this.#bootReport(instance)}`,
        [],
        { cause: error },
      )
    } finally {
      waitDone.abort()
    }
  }

  async #bootReport(instance: string): Promise<string> {
    return (await this.#d.driver.bootReport?.(instance)) ?? 'the backend has no boot log'
  }

  // cloud-init may restart the SSH server after it first answered: a renter's first login must not race that.
  async #booted(instance: string, signal: AbortSignal): Promise<void> {
    const { driver } = this.#d
    if (driver.guestBooted === undefined) return
    while (!(await driver.guestBooted(instance))) await sleep(this.#d.bootCheckMs ?? 1000, undefined, { signal })
  }

  // Turns any failure into the ProviderError the client sees: the one translation of this layer.
  #explain(error: unknown, signal: AbortSignal, what: string, timeoutMs: number): ProviderError {
    if (this.#d.shutdown.aborted) return new ProviderError('SHUTTING_DOWN', `the provider is shutting down; the ${what} was undone, retry later`)
    const known = error instanceof ProviderError ? error : fromPort(error)
    if (signal.aborted) {
      return new ProviderError(
        'BACKEND_TIMEOUT',
        `the VM ${what} did not finish within ${Math.round(timeoutMs / 1000)} s${known === undefined ? '' : `: ${known.message}`}`,
        [],
        { cause: error },
      )
    }
    return (
      known ??
      new ProviderError('INTERNAL', `the VM ${what} failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`, [], { cause: error })
    )
  }
}

/** The first wait before a failed create's destroy is retried (host short of resources); it doubles up to the maximum. */
const UNDO_RETRY_FIRST_MS = 250
const UNDO_RETRY_MAX_MS = 5_000

const DRIVER_CODES = { UNAVAILABLE: 'BACKEND_UNAVAILABLE', FAILED: 'BACKEND_FAILED', TIMEOUT: 'BACKEND_TIMEOUT' } as const

// A driver's or the forwarder's error as the client's; undefined for anything else (a defect).
function fromPort(error: unknown): ProviderError | undefined {
  if (error instanceof DriverError) return new ProviderError(DRIVER_CODES[error.code], error.message, [], { cause: error })
  if (error instanceof PortBindError) return new ProviderError('PORT_UNAVAILABLE', `${error.message}; another process holds it`, [], { cause: error })
  return undefined
}

/**
 * The operator sees every VM; a renter only those in its own name space: a signing renter its own,
 * unsigned callers the unsigned VMs (never the operator's).
 */
export const visibleTo = (vm: VmRecord, caller: Caller): boolean => caller.kind === 'operator' || vm.scope === ownerScope(caller)

async function timed<T>(phases: Phases, name: OperationPhase, fn: () => Promise<T>): Promise<T> {
  const started = performance.now()
  try {
    return await fn()
  } finally {
    phases[name] = Math.round(performance.now() - started)
  }
}
