import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AdmissionPolicy } from '../domain/capacity.js'
import { providerStatus, type StatusDeps } from './status.js'

const totals = { cpu: 4, memory: 8, storage: 100 }
const policy: AdmissionPolicy = { totals, maxVms: 10, usablePorts: [50800, 50801, 50802, 50803], minimums: { cpu: 1, memory: 1, storage: 10 } }
const deps = (usedPorts: number[], portMapping?: StatusDeps['portMapping']): StatusDeps => ({
  store: { snapshot: () => ({ allocated: { cpu: 0, memory: 0, storage: 0 }, vmCount: 0, usedPorts: new Set(usedPorts) }) },
  policy: () => policy,
  capacity: { totals, source: 'host', overcommittedCpu: false },
  driver: { name: 'fake', version: '1', detail: 'fake' },
  version: '0.0.0-test',
  providerId: () => null,
  portRange: { start: 50800, end: 50803 },
  portReport: () => null,
  portsChecking: () => false,
  ...(portMapping === undefined ? {} : { portMapping }),
})

test("the status names the per-VM port limit, what a new VM could map now (the advertisement's ports_per_vm) and UDP", () => {
  const offered = () => ({ maxPerVm: 2, udp: true })
  assert.deepEqual(providerStatus(deps([], offered)).ports.mapped, { per_vm: 2, available: 2, udp: true })
  // Two ports left: one is the new VM's SSH port.
  assert.deepEqual(providerStatus(deps([50800, 50801], offered)).ports.mapped, { per_vm: 2, available: 1, udp: true })
  assert.deepEqual(providerStatus(deps([50800, 50801, 50802, 50803], offered)).ports.mapped, { per_vm: 2, available: 0, udp: true })
  assert.deepEqual(providerStatus(deps([], () => ({ maxPerVm: 8, udp: false }))).ports.mapped, { per_vm: 8, available: 3, udp: false })
  assert.deepEqual(providerStatus(deps([], () => ({ maxPerVm: 0, udp: true }))).ports.mapped, { per_vm: 0, available: 0, udp: false })
  assert.equal(providerStatus(deps([])).ports.mapped, undefined, 'absent when the provider has no mapping policy to tell')
})
