import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fakeServer } from '@golem-vm/common/fake-http-server'
import { AdminClient, apiRequest, CliError } from './admin-client.js'

test("the admin client sends the token and reads the list; the API's refusal keeps its code", async (t) => {
  const server = await fakeServer(t, (req) =>
    req.url === '/api/v1/vms' ? { status: 200, json: [] } : { status: 404, json: { code: 'VM_NOT_FOUND', message: 'VM Not Found: there is no VM "x"' } },
  )
  const client = new AdminClient(server.baseUrl, 'secret')
  assert.deepEqual(await client.list(), [])
  assert.equal(server.requests[0]?.headers.authorization, 'Bearer secret')
  const answer = await client.request('DELETE', '/vms/x')
  assert.equal(answer.status, 404)
})

// Its own deadline governs, not a transport limit: a slow answer within it arrives, one past it is PROVIDER_TIMEOUT.
test('a request waits as long as its deadline allows and no longer', async (t) => {
  const server = await fakeServer(t, async () => {
    await sleep(400)
    return { status: 200, json: [] }
  })
  assert.deepEqual(await new AdminClient(server.baseUrl, 'secret', 10_000).list(), [])
  await assert.rejects(new AdminClient(server.baseUrl, 'secret', 100).list(), (e: unknown) => e instanceof CliError && e.code === 'PROVIDER_TIMEOUT')
})

test('no provider, or something that is not one, is a CliError with a code', async (t) => {
  await assert.rejects(
    apiRequest('http://127.0.0.1:9', 'GET', '/provider/status', { timeoutMs: 5000 }),
    (e: unknown) => e instanceof CliError && e.code === 'PROVIDER_UNREACHABLE',
  )
  const server = await fakeServer(t, () => ({ status: 200, text: '<html>', contentType: 'text/html' }))
  await assert.rejects(
    apiRequest(server.baseUrl, 'GET', '/provider/status', { timeoutMs: 5000 }),
    (e: unknown) => e instanceof CliError && e.code === 'BAD_RESPONSE',
  )
})
