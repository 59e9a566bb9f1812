import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { ERROR_CODES } from '../domain/errors.js'
import { STATUS_OF, toDiscoveryError } from './error-handler.js'

test('the README documents every error code with its status, and nothing else', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
  const documented = new Map([...readme.matchAll(/^\| `([A-Z]+_\d{3})` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]))
  for (const code of ERROR_CODES) assert.equal(documented.get(code), STATUS_OF[code], `${code} is documented with status ${STATUS_OF[code]}`)
  assert.equal(documented.size, ERROR_CODES.length)
})

test('unexpected errors become SERVER_001 without leaking their message', () => {
  const mapped = toDiscoveryError(new Error('SQLITE_CORRUPT at /secret/path'))
  assert.equal(mapped.code, 'SERVER_001')
  assert.doesNotMatch(mapped.message, /secret/)
})

test('other client errors from Fastify become ADV_006', () => {
  assert.equal(toDiscoveryError(Object.assign(new Error('bad url'), { statusCode: 400 })).code, 'ADV_006')
})
