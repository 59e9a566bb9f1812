// Operator settings that widen the anti-scanner rule, with the real process.
// All probes go to 127.0.0.1: a "foreign" caller is made with
// X-Forwarded-For through a trusted proxy (the test itself, on 127.0.0.1).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CheckPortsResponse } from '@golem-vm/protocol'
import { startChecker } from './helpers/checker-process.js'
import { expectError, postCheck } from './helpers/http.js'
import { openPort } from './helpers/local-ports.js'

const BEHIND_PROXY = { PORT_CHECKER_TRUST_PROXY: '127.0.0.1', PORT_CHECKER_RATE_LIMIT_PER_MINUTE: '1000' }
const FROM_ELSEWHERE = { 'x-forwarded-for': '203.0.113.7' }

test('behind a trusted proxy the forwarded address is the caller: its own address passes, another is refused', async (t) => {
  const checker = await startChecker(t, BEHIND_PROXY)
  const open = await openPort(t)
  expectError(await postCheck(checker.url, { provider_ip: '127.0.0.1', ports: [open] }, FROM_ELSEWHERE), 403, 'FOREIGN_ADDRESS')
})

test('PORT_CHECKER_ALLOW_FOREIGN_ADDRESS lets a caller have another address checked', async (t) => {
  const checker = await startChecker(t, { ...BEHIND_PROXY, PORT_CHECKER_ALLOW_FOREIGN_ADDRESS: 'true' })
  const open = await openPort(t)
  const answer = await postCheck(checker.url, { provider_ip: '127.0.0.1', ports: [open] }, FROM_ELSEWHERE)
  assert.equal(answer.status, 200, answer.text)
  assert.deepEqual(CheckPortsResponse.parse(JSON.parse(answer.text)).results[String(open)], { accessible: true, error: null })
})

test("PORT_CHECKER_ALLOW_HOSTNAMES resolves a hostname, which must still be the caller's address", async (t) => {
  const checker = await startChecker(t, { PORT_CHECKER_ALLOW_HOSTNAMES: 'true', PORT_CHECKER_RATE_LIMIT_PER_MINUTE: '1000' })
  const open = await openPort(t)
  const answer = await postCheck(checker.url, { provider_ip: 'localhost', ports: [open] })
  assert.equal(answer.status, 200, answer.text)
  assert.equal(CheckPortsResponse.parse(JSON.parse(answer.text)).success, true)
})
