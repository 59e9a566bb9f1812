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
