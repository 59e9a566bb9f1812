import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkQuota } from './quota.js'

const none = { vms: 0, cpu: 0, memory: 0, storage: 0 }
const small = { cpu: 1, memory: 1, storage: 10 }

test('a renter within every limit passes; 0 means no limit', () => {
  checkQuota(small, { vms: 99, cpu: 99, memory: 99, storage: 999 }, none)
  checkQuota(small, { vms: 1, cpu: 1, memory: 1, storage: 10 }, { vms: 2, cpu: 2, memory: 2, storage: 20 })
})

test('the VM count and each resource are limited, with what is left in the message', () => {
  assert.throws(() => checkQuota(small, { vms: 2, cpu: 2, memory: 2, storage: 20 }, { ...none, vms: 2 }), {
    code: 'RENTER_QUOTA_EXCEEDED',
    message: /at most 2 VMs and you hold 2/,
  })
  assert.throws(() => checkQuota({ cpu: 4, memory: 1, storage: 10 }, { vms: 1, cpu: 2, memory: 1, storage: 10 }, { ...none, cpu: 4 }), {
    code: 'RENTER_QUOTA_EXCEEDED',
    message: /ask for at most 2/,
  })
  assert.throws(() => checkQuota(small, { vms: 1, cpu: 1, memory: 8, storage: 10 }, { ...none, memory: 8 }), /GB of memory/)
  assert.throws(() => checkQuota({ cpu: 1, memory: 1, storage: 40 }, { vms: 1, cpu: 1, memory: 1, storage: 30 }, { ...none, storage: 60 }), /GB of storage/)
})
