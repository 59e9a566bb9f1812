import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { DiscoveryError } from './errors.js'
import { toFilter } from './filter.js'

test('a query becomes a filter with numbers and an upper-case country', () => {
  assert.deepEqual(toFilter({}), {})
  assert.deepEqual(toFilter({ cpu: '2', memory: '+4', storage: '100', country: 'se' }), { cpu: 2, memory: 4, storage: 100, country: 'SE' })
})

test('a minimum below 1 is ADV_002, naming every offender', () => {
  assert.throws(
    () => toFilter({ cpu: '0', storage: '-3' }),
    (error: unknown) => {
      assert.ok(error instanceof DiscoveryError)
      assert.equal(error.code, 'ADV_002')
      assert.match(error.message, /cpu=0, storage=-3/)
      return true
    },
  )
})

test('a token and maximum unit prices become a price filter; a maximum without a token is ADV_005 naming token', () => {
  const token = `0x${'Ab'.repeat(20)}`
  assert.deepEqual(toFilter({ token, max_price_per_cpu_hour: '360000000000000000', max_price_per_gb_storage_hour: '0' }), {
    token: token.toLowerCase(),
    maxPrice: { per_cpu_hour: '360000000000000000', per_gb_storage_hour: '0' },
  })
  assert.deepEqual(toFilter({ token }), { token: token.toLowerCase() })
  assert.throws(
    () => toFilter({ max_price_per_gb_memory_hour: '1' }),
    (error: unknown) => {
      assert.ok(error instanceof DiscoveryError)
      assert.equal(error.code, 'ADV_005')
      assert.match(error.message, /add token=0x/)
      return true
    },
  )
})
