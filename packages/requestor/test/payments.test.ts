/**
 * The renter pays through the whole network, as real processes: a local
 * chain (Hardhat, the token and StreamPayments deployed), the discovery
 * service, the port checker, a priced provider daemon (fake multipass) and
 * the `golem-vm` CLI. The renter sees the price, is refused clearly without
 * --hours, without a chain, with a chain that does not answer and without
 * funds (nothing recorded, nothing paid); a stream the provider refuses is
 * ended at once (the deposit comes back); a paid VM shows its paid-until and
 * refund, is topped up, and destroy ends the stream: the renter gets back
 * exactly what did not vest.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { StreamPaymentsClient } from '@golem-vm/payments/client'
import { deployLocalContracts, fundAddress, startHardhatNode } from '@golem-vm/payments/local-chain'
import type { Rental } from '../src/domain/rental.js'
import type { StreamEnding, StreamView } from '../src/app/payments.js'
import type { ProviderVm } from '../src/domain/provider-answers.js'
import { cli, json, startDiscovery, startPortChecker, startProvider, tempDir, waitFor, type CliEnv } from './helpers/network.js'

const RATE = 120_000_000_000_000n // base units per second of the small size at the prices below
const TOKENS = 10n ** 18n // one tGLM

interface ErrorJson {
  error: { code: string; message: string; exit_code: number }
}

test(
  'a renter pays a priced provider with golem-vm: price, clear refusals, stream per VM, info, top-up, refund on destroy',
  { timeout: 600_000 },
  async (t) => {
    const node = await startHardhatNode({ port: 0, blockIntervalMs: 1000 })
    t.after(() => node.stop())
    const chain = await deployLocalContracts(node.rpcUrl)
    const reader = new StreamPaymentsClient({ rpcUrl: chain.rpc_url, chainId: BigInt(chain.chain_id), contract: chain.contract })
    t.after(() => reader.close())
    const [discoveryUrl, portCheckerUrl] = await Promise.all([startDiscovery(t), startPortChecker(t)])
    const provider = await startProvider(t, discoveryUrl, portCheckerUrl, {
      GOLEM_PROVIDER_PAYMENT_RPC_URL: chain.rpc_url,
      GOLEM_PROVIDER_PAYMENT_CONTRACT: chain.contract,
      GOLEM_PROVIDER_PAYMENT_TOKEN: chain.token,
      GOLEM_PROVIDER_PRICE_PER_CPU_HOUR: '0.36',
      GOLEM_PROVIDER_PRICE_PER_GB_MEMORY_HOUR: '0.036',
      GOLEM_PROVIDER_PRICE_PER_GB_STORAGE_HOUR: '0.0036',
      GOLEM_PROVIDER_MIN_RUNWAY_SECONDS: '60',
      GOLEM_PROVIDER_PAYMENT_CHECK_INTERVAL: '5',
    })
    const dataDir = join(tempDir(t), 'alice')
    const alice: CliEnv = { dataDir, discoveryUrl, extra: { GOLEM_REQUESTOR_PAYMENT_RPC_URL: chain.rpc_url } }
    const noChain: CliEnv = { dataDir, discoveryUrl }
    const deadChain: CliEnv = { dataDir, discoveryUrl, extra: { GOLEM_REQUESTOR_PAYMENT_RPC_URL: 'http://127.0.0.1:9/' } }
    const create = (env: CliEnv, name: string, ...more: string[]) =>
      cli(['create', name, '--provider-id', provider.providerId, '--size', 'small', ...more, '--json'], env)
    const refused = async (env: CliEnv, name: string, more: string[], code: string, exit: number, message: RegExp) => {
      const result = await create(env, name, ...more)
      assert.equal(result.code, exit, result.stdout + result.stderr)
      const error = json<ErrorJson>(result).error
      assert.equal(error.code, code, error.message)
      assert.match(error.message, message)
      assert.deepEqual(json<{ rentals: Rental[] }>(await cli(['list', '--json'], alice)).rentals, [], 'nothing recorded')
    }
    const balance = (address: string) => reader.tokenBalance(chain.token, address)

    const address = json<{ address: string }>(await cli(['identity', '--json'], alice)).address
    assert.match(address, /^0x[0-9a-fA-F]{40}$/)

    await t.test('providers shows the unit prices and the price of the asked size per hour', async () => {
      const offer = await waitFor('the priced advertisement', async () => {
        const result = await cli(['providers', '--json', '--cpu', '2', '--memory', '2', '--storage', '20'], alice)
        assert.equal(result.code, 0, result.stderr)
        return json<{ providers: { provider_id: string; pricing: unknown; price_per_hour: { amount: string } | null }[] }>(result).providers.find(
          (p) => p.provider_id === provider.providerId,
        )
      })
      assert.ok(offer.pricing !== null)
      assert.equal(offer.price_per_hour?.amount, '864000000000000000', '2 × 0.36 + 2 × 0.036 + 20 × 0.0036 tGLM')
      const human = await cli(['providers'], alice)
      assert.match(human.stdout, /0\.432 tGLM +0\.36\/CPU 0\.036\/GB 0\.0036\/GB disk/)
    })

    await t.test('refused before anything is paid: no --hours, no chain, a chain that does not answer, no funds', async () => {
      await refused(alice, 'web-1', [], 'INVALID_ARGUMENT', 2, /charges 0\.432 tGLM per hour for this VM; .*--hours/)
      await refused(alice, 'web-1', ['--hours', 'soon'], 'INVALID_ARGUMENT', 2, /--hours must be a number of hours/)
      await refused(noChain, 'web-1', ['--hours', '1'], 'PAYMENT_NOT_CONFIGURED', 2, /GOLEM_REQUESTOR_PAYMENT_RPC_URL/)
      await refused(deadChain, 'web-1', ['--hours', '1'], 'PAYMENT_CHAIN_UNAVAILABLE', 5, /does not answer/)
      await refused(alice, 'web-1', ['--hours', '1'], 'INSUFFICIENT_FUNDS', 9, new RegExp(`needs 0\\.432 tGLM, but your address ${address} holds 0 tGLM`))
    })

    await fundAddress(chain.rpc_url, chain.token, address, TOKENS)

    await t.test('a stream the provider refuses (runway below its minimum) is ended at once: the deposit comes back', async () => {
      await refused(alice, 'web-1', ['--hours', '0.01'], 'PAYMENT_REFUSED', 9, /at least 60 s.*Stream \d+ was ended: .* tGLM came back to you/)
      const left = await balance(address)
      // 36 s were deposited; the few seconds between the open and the end vested to the provider.
      assert.ok(TOKENS - left < RATE * 10n, `the renter lost ${TOKENS - left} base units`)
    })

    let view: { vm: ProviderVm; stream: StreamView; rental: Rental }
    await t.test('create --hours opens one stream for the VM; info shows paid-until and the refund', async () => {
      const before = await balance(address)
      const result = await create(alice, 'web-1', '--hours', '0.05')
      assert.equal(result.code, 0, result.stdout + result.stderr)
      const rental = json<{ rental: Rental }>(result).rental
      assert.equal(rental.payment?.rate_per_second, RATE.toString())
      assert.equal(before - (await balance(address)), RATE * 180n, '0.05 h = 180 s deposited')
      view = json<typeof view>(await cli(['info', 'web-1', '--json'], alice))
      assert.equal(view.vm.status, 'running')
      assert.equal(view.vm.payment?.stream_id, rental.payment.stream_id)
      assert.ok(['paid', 'low'].includes(view.vm.payment.state))
      assert.equal(view.stream.deposit, (RATE * 180n).toString())
      assert.equal(BigInt(view.stream.paid) + BigInt(view.stream.refund_if_ended_now), RATE * 180n)
      assert.equal(view.vm.payment.paid_until, view.stream.paid_until, 'provider and chain agree on the paid-until time')
      const human = await cli(['info', 'web-1'], alice)
      assert.match(human.stdout, /payment: +(paid|low), paid until /)
      assert.match(human.stdout, /refund: +[\d.]+ tGLM if destroyed now/)
    })

    await t.test('topup adds paid time at the stream rate', async () => {
      const result = await cli(['topup', 'web-1', '--hours', '0.05', '--json'], alice)
      assert.equal(result.code, 0, result.stdout + result.stderr)
      const after = json<StreamView & { added: string }>(result)
      assert.equal(after.added, (RATE * 180n).toString())
      assert.equal(Date.parse(after.paid_until) - Date.parse(view.stream.paid_until), 180_000)
      const missing = await cli(['topup', 'nope', '--hours', '1', '--json'], alice)
      assert.equal(json<ErrorJson>(missing).error.code, 'RENTAL_NOT_FOUND')
    })

    await t.test('destroy deletes the VM and ends the stream: what did not vest comes back', async () => {
      const before = await balance(address)
      const result = await cli(['destroy', 'web-1', '--json'], alice)
      assert.equal(result.code, 0, result.stdout + result.stderr)
      const ended = json<{ status: string; payment: StreamEnding }>(result)
      assert.equal(ended.status, 'deleted')
      assert.equal(BigInt(ended.payment.refunded) + BigInt(ended.payment.paid_to_provider), RATE * 360n)
      assert.ok(BigInt(ended.payment.refunded) > RATE * 200n, 'most of the 360 s had not vested')
      assert.equal((await balance(address)) - before, BigInt(ended.payment.refunded))
      const stream = await reader.getStream(BigInt(view.rental.payment?.stream_id ?? '0'))
      assert.ok(stream !== undefined && stream.endedAt !== 0)
      assert.deepEqual(json<{ rentals: Rental[] }>(await cli(['list', '--json'], alice)).rentals, [])
    })
  },
)
