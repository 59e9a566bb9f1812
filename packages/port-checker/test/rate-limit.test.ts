import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startChecker } from './helpers/checker-process.js'
import { expectError, get, postCheck } from './helpers/http.js'
import { closedPort } from './helpers/local-ports.js'

test('past PORT_CHECKER_RATE_LIMIT_PER_MINUTE a caller gets a real 429 with a JSON body; /health stays open', async (t) => {
  const checker = await startChecker(t, { PORT_CHECKER_RATE_LIMIT_PER_MINUTE: '2' })
  const body = { provider_ip: '127.0.0.1', ports: [await closedPort()] }
  assert.equal((await postCheck(checker.url, body)).status, 200)
  assert.equal((await postCheck(checker.url, body)).status, 200)
  const limited = await postCheck(checker.url, body)
  const error = expectError(limited, 429, 'RATE_LIMITED')
  assert.match(error.message, /at most 2 per minute/)
  assert.ok(Number(limited.headers.get('retry-after')) > 0)
  assert.equal((await get(checker.url, '/health')).status, 200)
})
