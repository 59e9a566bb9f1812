/**
 * An in-memory backend for tests of the use cases and routes. It keeps the
 * driver contract (the contract suite runs against it too), and lets a test
 * make any method fail or hang, and count calls.
 *
 * @module
 */
import type { VmResources } from '@golem-vm/protocol'
import { setTimeout as sleep } from 'node:timers/promises'
import type { GuestPort } from '../../domain/port-mappings.js'
import type { SshEndpoint } from '../../domain/vm.js'
import { DriverError, type DriverInfo, type DriverInstance, type DriverVmState, type LaunchSpec, type RunningVm, type VmDriver } from '../driver.js'

type Method = 'launch' | 'start' | 'stop' | 'destroy' | 'inspect' | 'list' | 'guestPortTarget'

export interface FakeInstance {
  state: 'running' | 'stopped'
  readonly spec: LaunchSpec
}

export class FakeDriver implements VmDriver {
  readonly name = 'fake' as const
  readonly instances = new Map<string, FakeInstance>()
  readonly calls: { method: Method; instance?: string }[] = []
  /** Methods that reject with a DriverError FAILED (after doing nothing). */
  readonly failing = new Set<Method>()
  /** Methods that reject this many more times with a transient DriverError, as on a host out of open files (EMFILE). */
  readonly shortOfFiles = new Map<Method, number>()
  /** Methods that wait until aborted. */
  readonly hanging = new Set<Method>()
  /** Delay of every launch and start, in ms. */
  launchDelayMs = 0
  /** When set, every launch waits for it after recording the call (a test holds launches open, then lets them go). */
  launchGate: Promise<void> | undefined

  constructor(private readonly endpointFor: (instance: string) => RunningVm = () => ({ endpoint: { host: '127.0.0.1', port: 22 }, ipAddress: '10.0.0.2' })) {}

  probe(): Promise<DriverInfo> {
    return Promise.resolve({ name: 'fake', version: '1.0', detail: 'in-memory fake backend' })
  }

  async launch(spec: LaunchSpec, signal: AbortSignal): Promise<RunningVm> {
    // Like a real backend, a launch that fails late leaves the instance behind.
    this.instances.set(spec.instance, { state: 'stopped', spec })
    await this.#enter('launch', spec.instance, signal, this.launchDelayMs)
    await this.launchGate
    this.#get(spec.instance).state = 'running'
    return this.endpointFor(spec.instance)
  }

  async start(instance: string, signal: AbortSignal): Promise<RunningVm> {
    await this.#enter('start', instance, signal, this.launchDelayMs)
    this.#get(instance).state = 'running'
    return this.endpointFor(instance)
  }

  async stop(instance: string, signal: AbortSignal): Promise<void> {
    await this.#enter('stop', instance, signal)
    this.#get(instance).state = 'stopped'
  }

  async destroy(instance: string, signal: AbortSignal): Promise<void> {
    await this.#enter('destroy', instance, signal)
    this.instances.delete(instance)
  }

  async inspect(instance: string, signal: AbortSignal): Promise<DriverVmState> {
    await this.#enter('inspect', instance, signal)
    const vm = this.instances.get(instance)
    if (vm === undefined) return { kind: 'absent' }
    return vm.state === 'running' ? { kind: 'running', ...this.endpointFor(instance) } : { kind: 'stopped' }
  }

  /** The guest port on the host the SSH endpoint names (tests listen there). */
  async guestPortTarget(instance: string, running: RunningVm, port: GuestPort, signal: AbortSignal): Promise<SshEndpoint> {
    await this.#enter('guestPortTarget', instance, signal)
    return { host: running.endpoint.host, port: port.guest }
  }

  async list(signal: AbortSignal): Promise<DriverInstance[]> {
    await this.#enter('list', undefined, signal)
    return [...this.instances].map(([instance, vm]) => ({ instance, state: vm.state }))
  }

  /** What the instance was launched with (read only: not recorded as a call). */
  holdings(instance: string): Promise<Partial<VmResources>> {
    return Promise.resolve({ ...this.instances.get(instance)?.spec.resources })
  }

  #get(instance: string): FakeInstance {
    const vm = this.instances.get(instance)
    if (vm === undefined) throw new DriverError('FAILED', `fake: instance "${instance}" does not exist`)
    return vm
  }

  // Records the call, then applies the injected delay, hang or failure.
  async #enter(method: Method, instance: string | undefined, signal: AbortSignal, delayMs = 0): Promise<void> {
    this.calls.push(instance === undefined ? { method } : { method, instance })
    if (delayMs > 0) await sleep(delayMs, undefined, { signal })
    if (this.hanging.has(method)) await sleep(3_600_000, undefined, { signal })
    if (this.failing.has(method)) throw new DriverError('FAILED', `fake: ${method} failed as the test asked`)
    const short = this.shortOfFiles.get(method) ?? 0
    if (short > 0) {
      this.shortOfFiles.set(method, short - 1)
      throw new DriverError('UNAVAILABLE', `fake: ${method} could not be started (EMFILE) as the test asked`, { transient: true })
    }
  }
}
