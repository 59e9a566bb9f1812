import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { ANSWER_SIGNATURE_HEADER, SIGNATURE_HEADERS, signAnswer } from '@golem-vm/protocol'
import { Wallet } from 'ethers'
import { fakeServer, type SeenRequest } from '@golem-vm/common/fake-http-server'
import { ProviderClient } from './provider-client.js'

const provider = new Wallet(Wallet.createRandom().privateKey)
const renter = new Wallet(Wallet.createRandom().privateKey)
const ACCESS = { vm_id: 'web-1', ssh_host: '203.0.113.7', ssh_port: 50800, ssh_user: 'ubuntu' }

type Mode = 'signed' | 'unsigned' | 'tampered' | 'other-key' | 'replayed'

// A provider answering /access, signing (or not, or wrongly) as `mode` says.
async function signingProvider(t: TestContext, mode: () => Mode) {
  let previous: string | undefined
  return fakeServer(t, async (req: SeenRequest) => {
    const text = JSON.stringify(ACCESS)
    const nonce = String(req.headers[SIGNATURE_HEADERS.nonce])
    const m = mode()
    const signer = m === 'other-key' ? Wallet.createRandom() : provider
    const signature = await signAnswer(signer, { nonce, method: req.method, path: req.url, status: 200, body: text })
    const sent = m === 'replayed' ? (previous ?? signature) : signature
    previous = signature
    const body = m === 'tampered' ? text.replace('50800', '50801') : text
    const headers: Record<string, string> = m === 'unsigned' ? {} : { [ANSWER_SIGNATURE_HEADER]: sent }
    return { status: 200, text: body, headers }
  })
}

const client = (baseUrl: string, acceptUnsigned: boolean, warnings: string[] = []) =>
  new ProviderClient({ baseUrl, providerId: provider.address, signer: renter, acceptUnsigned, warn: (m) => warnings.push(m) })

test("an answer signed by the chosen provider for this request is used; changed, another key's or replayed ones never", async (t) => {
  let mode: Mode = 'signed'
  const server = await signingProvider(t, () => mode)
  for (const accept of [false, true]) {
    mode = 'signed'
    assert.equal((await client(server.baseUrl, accept).access('web-1')).ssh_port, 50800)
    for (const bad of ['tampered', 'other-key', 'replayed'] as const) {
      mode = bad
      await assert.rejects(client(server.baseUrl, accept).access('web-1'), {
        code: 'ANSWER_UNVERIFIED',
        message:
          /does not carry provider 0x[0-9a-fA-F]{40} at http:\/\/127\.0\.0\.1:\d+'s signature \(the answer was not signed by this provider for this request.*nothing in it was used/,
      })
    }
  }
})

test('an unsigned answer is refused unless the renter trusts the provider; then it is used after one warning', async (t) => {
  const server = await signingProvider(t, () => 'unsigned')
  await assert.rejects(client(server.baseUrl, false).access('web-1'), {
    code: 'ANSWER_UNVERIFIED',
    message: /answered reading where to SSH to the VM without a signature.*pass --allow-unverified only if you trust/,
  })
  await assert.rejects(client(server.baseUrl, false).delete('web-1'), { code: 'ANSWER_UNVERIFIED', message: /may still have taken effect/ })
  const warnings: string[] = []
  const trusting = client(server.baseUrl, true, warnings)
  assert.equal((await trusting.access('web-1')).ssh_port, 50800)
  assert.equal((await trusting.access('web-1')).ssh_port, 50800)
  assert.equal(warnings.length, 1)
  assert.match(warnings[0] ?? '', /does not sign its answers.*--allow-unverified.*could change them/)
})
