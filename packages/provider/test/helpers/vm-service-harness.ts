/**
 * The VM use cases in process: a real SQLite store in memory, the fake
 * driver, and a recording proxy for SSH and mapped ports.
 *
 * @module
 */
import assert from 'node:assert/strict'
import pino from 'pino'
import type { AdmissionPolicy } from '../../src/domain/capacity.js'
import { BUILTIN_IMAGES, ImageCatalog } from '../../src/domain/images.js'
import { ownerScope, type SshEndpoint } from '../../src/domain/vm.js'
import { FakeDriver } from '../../src/drivers/fake/fake-driver.js'
import { SqliteVmStore } from '../../src/infra/store/sqlite-vm-store.js'
import { PortBindError } from '../../src/app/ports/ssh-forwarder.js'
import { VmService, type Caller, type CreateVmCommand, type VmServiceDeps } from '../../src/app/vm-service.js'
import { ed25519Key } from './keys.js'

/** Records what is open: SSH listeners by VM id, mapped ports as `<vm>#<public port>`. */
export class FakeProxy {
  readonly open = new Map<string, { port: number; target: SshEndpoint | null }>()
  failOpen = false
  /** Public ports whose mapping cannot be bound. */
  readonly failPorts = new Set<number>()
  openVm(vmId: string, port: number, target: SshEndpoint | null): Promise<void> {
    if (this.failOpen || this.failPorts.has(port)) return Promise.reject(new PortBindError(port, new Error('EADDRINUSE')))
    this.open.set(vmId, { port, target })
    return Promise.resolve()
  }
}

// Like an SSH server that never answers; a ref'd timer keeps the test's event loop alive meanwhile.
export function neverUntilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((_, reject) => {
    const keepAlive = setTimeout(() => undefined, 60_000)
    signal.addEventListener('abort', () => {
      clearTimeout(keepAlive)
      reject(signal.reason as Error)
    })
  })
}

/** Where the harness's service reaches public ports (never connected to: the readiness is scripted). */
export const PUBLIC_SSH_HOST = 'public.invalid'

export interface Harness {
  service: VmService
  store: SqliteVmStore
  driver: FakeDriver
  proxy: FakeProxy
  sshFails: { value: boolean }
  /** The SSH server answers at the guest but not through the public port (a broken forward). */
  publicSshFails: { value: boolean }
  /** Every endpoint the service waited on for SSH, in order. */
  sshAsked: SshEndpoint[]
  capacityChanges: { count: number }
}

export function harness(
  policy: Partial<AdmissionPolicy> = {},
  timeouts = { createMs: 2000, startMs: 2000, stopMs: 2000, deleteMs: 2000 },
  telemetry?: VmServiceDeps['telemetry'],
): Harness {
  const store = new SqliteVmStore(':memory:')
  const driver = new FakeDriver()
  const proxy = new FakeProxy()
  const sshFails = { value: false }
  const publicSshFails = { value: false }
  const sshAsked: SshEndpoint[] = []
  const capacityChanges = { count: 0 }
  const full: AdmissionPolicy = {
    totals: { cpu: 8, memory: 16, storage: 200 },
    maxVms: 10,
    minimums: { cpu: 1, memory: 1, storage: 10 },
    usablePorts: [50800, 50801, 50802, 50803, 50804, 50805, 50806, 50807, 50808, 50809],
    ...policy,
  }
  const service = new VmService({
    store,
    driver,
    images: new ImageCatalog(BUILTIN_IMAGES),
    defaultImage: '24.04',
    policy: () => full,
    proxy: {
      open: (id, port, target) => proxy.openVm(id, port, target),
      close: (id) => {
        proxy.open.delete(id)
        return Promise.resolve()
      },
      setTarget: (id, target) => {
        const p = proxy.open.get(id)
        if (p) p.target = target
      },
    },
    forwarder: {
      openPort: (id, mapping, target) => proxy.openVm(`${id}#${mapping.publicPort}`, mapping.publicPort, target),
      closePort: (id, port) => {
        proxy.open.delete(`${id}#${port}`)
        return Promise.resolve()
      },
      setPortTarget: (id, port, target) => {
        const p = proxy.open.get(`${id}#${port}`)
        if (p) p.target = target
      },
    },
    portPolicy: () => ({ maxPerVm: 3, udp: true }),
    sshReady: (endpoint, signal) => {
      sshAsked.push(endpoint)
      const fails = endpoint.host === PUBLIC_SSH_HOST ? publicSshFails.value : sshFails.value
      return fails ? neverUntilAborted(signal) : Promise.resolve()
    },
    publicSshHost: PUBLIC_SSH_HOST,
    bootCheckMs: 20,
    timeouts,
    logger: pino({ level: 'silent' }),
    onCapacityChange: () => capacityChanges.count++,
    shutdown: new AbortController().signal,
    ...(telemetry === undefined ? {} : { telemetry }),
  })
  return { service, store, driver, proxy, sshFails, publicSshFails, sshAsked, capacityChanges }
}

export const anyone: Caller = { kind: 'renter', address: null }
export const command = (name: string, caller: Caller = anyone, extra: Partial<CreateVmCommand> = {}): CreateVmCommand => ({
  name,
  resources: { cpu: 1, memory: 1, storage: 10 },
  image: undefined,
  sshKey: ed25519Key(),
  owner: caller.kind === 'renter' ? caller.address : null,
  scope: ownerScope(caller),
  ports: [],
  ...extra,
})

export function assertNothingLeft(h: Harness): void {
  assert.deepEqual(h.store.list(), [], 'no record')
  assert.deepEqual([...h.driver.instances.keys()], [], 'no backend instance')
  assert.deepEqual([...h.proxy.open.keys()], [], 'no proxy')
  assert.deepEqual(h.store.snapshot().allocated, { cpu: 0, memory: 0, storage: 0 }, 'no reservation')
}
