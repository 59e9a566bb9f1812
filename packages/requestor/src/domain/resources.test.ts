import assert from 'node:assert/strict'
import { test } from 'node:test'
import { capacityShortfall, imageProblem, nameProblem, resolveResources } from './resources.js'

test('a size or all three values, never both, never a partial set', () => {
  assert.deepEqual(resolveResources({ size: 'medium' }), { cpu: 2, memory: 4, storage: 20 })
  assert.deepEqual(resolveResources({ cpu: '2', memory: '2', storage: '20' }), { cpu: 2, memory: 2, storage: 20 })
  assert.throws(() => resolveResources({ size: 'small', cpu: '1' }), { code: 'INVALID_ARGUMENT', message: /not both/ })
  assert.throws(() => resolveResources({ cpu: '2' }), { message: /missing --memory, --storage/ })
  assert.throws(() => resolveResources({}), { message: /give --size/ })
  assert.throws(() => resolveResources({ size: 'huge' }), { message: /small, medium, large, xlarge/ })
})

test("every bad value is reported at once, with the provider's rules", () => {
  assert.throws(
    () => resolveResources({ cpu: '3', memory: '1.5', storage: '5' }),
    (error: Error) => {
      assert.match(error.message, /--cpu: CPU cores must be one of 1, 2, 4, 8, 16 \(got "3"\)/)
      assert.match(error.message, /--memory: .*got "1.5"/)
      assert.match(error.message, /--storage: storage must be at least 10 GB/)
      return true
    },
  )
})

test("names and images follow the provider's rules", () => {
  assert.equal(nameProblem('web-1'), undefined)
  assert.match(nameProblem('Web_1') ?? '', /a-z, 0-9/)
  assert.match(nameProblem('a;rm -rf') ?? '', /a-z/)
  assert.equal(imageProblem('24.04'), undefined)
  assert.match(imageProblem('../x') ?? '', /--image/)
})

test('the capacity check lists what falls short', () => {
  assert.deepEqual(capacityShortfall({ cpu: 4, memory: 8, storage: 100 }, { cpu: 4, memory: 8, storage: 100 }), [])
  assert.deepEqual(capacityShortfall({ cpu: 1, memory: 8 }, { cpu: 2, memory: 4, storage: 20 }), ['2 CPU asked, 1 free', '20 GB storage asked, 0 free'])
})
