import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { ERROR_CODES } from '../domain/errors.js'
import { STATUS } from './error-handler.js'

// docs/errors.md is the operator's and renter's reference: it must list exactly the codes, with their statuses.
test('docs/errors.md lists every error code with its status, and nothing else', () => {
  const doc = readFileSync(new URL('../../../../../docs/errors.md', import.meta.url), 'utf8')
  const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])])
  assert.deepEqual(new Map(rows as [string, number][]), new Map(ERROR_CODES.map((c) => [c, STATUS[c]])))
})
