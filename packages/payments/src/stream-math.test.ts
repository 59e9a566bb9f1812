import assert from 'node:assert/strict'
import { test } from 'node:test'
import { id } from 'ethers'
import { paidUntil, refundableAt, runwayAt, vestedAt, vmBinding, withdrawableAt, type Stream } from './stream-math.js'

const stream = (over: Partial<Stream> = {}): Stream => ({
  id: 1n,
  payer: '0xp',
  recipient: '0xr',
  token: '0xt',
  vmId: vmBinding('vm'),
  ratePerSecond: 10n,
  deposit: 1005n,
  settled: 0n,
  withdrawn: 0n,
  refunded: 0n,
  since: 1000,
  endedAt: 0,
  ...over,
})

test('vmBinding is keccak256 of the UTF-8 id, as ethers computes it', () => {
  for (const name of ['vm', 'web-1', 'ünïcode']) assert.equal(vmBinding(name), id(name))
})

test('vesting is linear from since, capped at the deposit, dust in the second after paid-until', () => {
  const s = stream()
  assert.deepEqual(
    [999, 1000, 1001, 1100, 1101, 5000].map((t) => vestedAt(s, t)),
    [0n, 0n, 10n, 1000n, 1005n, 1005n],
  )
  assert.equal(paidUntil(s), 1100)
  assert.deepEqual([runwayAt(s, 1000), runwayAt(s, 1099), runwayAt(s, 1100), runwayAt(s, 2000)], [100, 1, 0, 0])
})

test('a checkpointed stream vests from settled; an ended one is frozen and refunds nothing more', () => {
  const s = stream({ settled: 500n, since: 2000 })
  assert.equal(vestedAt(s, 2010), 600n)
  assert.equal(paidUntil(s), 2050)
  const ended = stream({ settled: 300n, withdrawn: 300n, refunded: 705n, since: 1030, endedAt: 1030 })
  assert.deepEqual(
    [vestedAt(ended, 9999), withdrawableAt(ended, 9999), refundableAt(ended, 9999), paidUntil(ended), runwayAt(ended, 0)],
    [300n, 0n, 0n, 1030, 0],
  )
})

test('rates too large to multiply by the elapsed time never overflow past the deposit', () => {
  const s = stream({ ratePerSecond: 2n ** 200n, deposit: 2n ** 201n })
  assert.equal(vestedAt(s, 1000 + 10 ** 9), 2n ** 201n)
})
