import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { GuestPort } from './port-mappings.js'
import { admit, offeredCapacity, vmsThatFit, type AdmissionPolicy, type CapacitySettings, type HostFacts, type LedgerSnapshot } from './capacity.js'

const host: HostFacts = { cpuCores: 2, memoryGb: 23, storageGb: 100 }
const defaults: CapacitySettings = { thresholds: { cpu: 90, memory: 85, storage: 90 }, offer: {}, cpuOvercommit: 4 }
const empty: LedgerSnapshot = { allocated: { cpu: 0, memory: 0, storage: 0 }, vmCount: 0, usedPorts: new Set() }
const small = { cpu: 1, memory: 1, storage: 10 }

function policyFor(settings: CapacitySettings, maxVms = 20): AdmissionPolicy {
  const offered = offeredCapacity(host, settings)
  if ('problems' in offered) throw new Error(offered.problems.join('; '))
  return { totals: offered.totals, maxVms, minimums: small, usablePorts: Array.from({ length: 50 }, (_, i) => 50800 + i) }
}

// Admits VMs of `size` one after another until the ledger refuses; returns how many fit and the refusal.
function fillUp(policy: AdmissionPolicy, size = small, wanted: readonly GuestPort[] = []): { admitted: number; refusal: string } {
  let snap = empty
  for (let i = 0; i < 1000; i++) {
    try {
      const { sshPort, ports } = admit(size, snap, policy, wanted)
      snap = {
        allocated: { cpu: snap.allocated.cpu + size.cpu, memory: snap.allocated.memory + size.memory, storage: snap.allocated.storage + size.storage },
        vmCount: snap.vmCount + 1,
        usedPorts: new Set([...snap.usedPorts, sshPort, ...ports.map((p) => p.publicPort)]),
      }
    } catch (error) {
      return { admitted: i, refusal: (error as { code: string }).code }
    }
  }
  throw new Error('never refused')
}

test('host totals times thresholds: a 2-core host leaves room for one 1-CPU VM', () => {
  const offered = offeredCapacity(host, defaults)
  assert.ok(!('problems' in offered))
  assert.deepEqual(offered.totals, { cpu: 1, memory: 19, storage: 90 })
  assert.equal(offered.source, 'host')
  assert.deepEqual(fillUp(policyFor(defaults)), { admitted: 1, refusal: 'INSUFFICIENT_RESOURCES' })
})

test('an offer of 8 cores on a 2-core host admits eight 1-CPU VMs and refuses the ninth', () => {
  const settings = { ...defaults, offer: { cpu: 8 } }
  const offered = offeredCapacity(host, settings)
  assert.ok(!('problems' in offered))
  assert.equal(offered.overcommittedCpu, true)
  assert.equal(offered.source, 'offer')
  assert.deepEqual(fillUp(policyFor(settings)), { admitted: 8, refusal: 'INSUFFICIENT_RESOURCES' })
})

test('offers beyond the host are refused with reasons: CPU past the over-commit, memory and storage past the host', () => {
  const result = offeredCapacity(host, { ...defaults, offer: { cpu: 9, memory: 100, storage: 1000 } })
  assert.ok('problems' in result)
  assert.equal(result.problems.length, 3)
  assert.match(result.problems[0]!, /CPU offer of 9 cores exceeds 8/)
  assert.match(result.problems[1]!, /memory offer of 100 GB exceeds .*19 GB/)
  assert.match(result.problems[2]!, /storage offer of 1000 GB/)
})

test('an offer below the host bounds admission to the offer', () => {
  const settings = { ...defaults, offer: { memory: 3 } }
  assert.deepEqual(fillUp(policyFor(settings), { cpu: 1, memory: 1, storage: 10 }).admitted, 1)
  const roomy = { ...defaults, offer: { cpu: 8, memory: 3, storage: 30 } }
  assert.deepEqual(fillUp(policyFor(roomy)), { admitted: 3, refusal: 'INSUFFICIENT_RESOURCES' })
})

test('MAX_VMS, free ports and minimums bound admission', () => {
  const roomy = policyFor({ ...defaults, offer: { cpu: 8 } }, 2)
  assert.deepEqual(fillUp(roomy), { admitted: 2, refusal: 'VM_LIMIT_REACHED' })
  const fewPorts = { ...policyFor({ ...defaults, offer: { cpu: 8 } }), usablePorts: [50800] }
  assert.deepEqual(fillUp(fewPorts), { admitted: 1, refusal: 'NO_FREE_PORT' })
  assert.equal(vmsThatFit(fewPorts, empty), 1)
  assert.throws(() => admit({ cpu: 1, memory: 1, storage: 10 }, empty, { ...roomy, minimums: { cpu: 2, memory: 1, storage: 10 } }), {
    code: 'VALIDATION_FAILED',
  })
})

test('mapped ports come from the same verified ports as SSH, and count against room for more VMs', () => {
  const policy = { ...policyFor({ ...defaults, offer: { cpu: 8 } }), usablePorts: [50800, 50801, 50802, 50803, 50804] }
  const web = [
    { guest: 8080, protocol: 'tcp' as const },
    { guest: 5353, protocol: 'udp' as const },
  ]
  const first = admit(small, empty, policy, web)
  assert.deepEqual(first, {
    sshPort: 50800,
    ports: [
      { guest: 8080, protocol: 'tcp', publicPort: 50801 },
      { guest: 5353, protocol: 'udp', publicPort: 50802 },
    ],
  })
  const after = { allocated: small, vmCount: 1, usedPorts: new Set([50800, 50801, 50802]) }
  assert.equal(vmsThatFit(policy, after), 2, 'two ports left: room for two VMs with SSH only')
  assert.throws(() => admit(small, after, policy, web), { code: 'NO_FREE_PORT', message: /2 public ports are needed but 1 verified port is free/ })
  assert.deepEqual(fillUp(policy, small, web), { admitted: 1, refusal: 'NO_FREE_PORT' })
})
