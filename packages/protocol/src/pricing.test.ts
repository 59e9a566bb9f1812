import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatTokenAmount, hourlyCost, parseTokenAmount, requiredRatePerSecond } from './pricing.js'

test('token amounts convert exactly, without floating point, and refuse what the token cannot hold', () => {
  assert.deepEqual(parseTokenAmount('0.36', 18), { ok: true, value: 360_000_000_000_000_000n })
  assert.deepEqual(parseTokenAmount('1.10', 2), { ok: true, value: 110n })
  assert.deepEqual(parseTokenAmount('0.1000', 1), { ok: true, value: 1n }, 'trailing zeros are not precision')
  assert.deepEqual(parseTokenAmount('123456789012345678901234567890', 18), { ok: true, value: 123456789012345678901234567890n * 10n ** 18n })
  assert.equal(parseTokenAmount('0.001', 2).ok, false)
  for (const bad of ['', '1e3', '-1', '0x10', '1.', '.5', 'NaN']) assert.equal(parseTokenAmount(bad, 18).ok, false, bad)
  assert.equal(formatTokenAmount(360_000_000_000_000_000n, 18), '0.36')
  assert.equal(formatTokenAmount(1n, 18), '0.000000000000000001')
  assert.equal(formatTokenAmount(5n * 10n ** 18n, 18), '5')
  assert.equal(formatTokenAmount(7n, 0), '7')
})

test('the rate a stream needs is the hourly cost over 3600, rounded up', () => {
  const prices = { perCpuHour: 360n, perGbMemoryHour: 36n, perGbStorageHour: 1n }
  assert.equal(hourlyCost(prices, { cpu: 2, memory: 4, storage: 20 }), 2n * 360n + 4n * 36n + 20n)
  assert.equal(requiredRatePerSecond(prices, { cpu: 1, memory: 1, storage: 10 }), 1n, '406 an hour needs 1 per second')
  assert.equal(
    requiredRatePerSecond({ perCpuHour: 7200n, perGbMemoryHour: 0n, perGbStorageHour: 0n }, { cpu: 1, memory: 1, storage: 10 }),
    2n,
    'exact division is not rounded',
  )
  assert.equal(requiredRatePerSecond({ perCpuHour: 0n, perGbMemoryHour: 0n, perGbStorageHour: 0n }, { cpu: 1, memory: 1, storage: 10 }), 0n)
})
