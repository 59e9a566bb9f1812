/**
 * Payments against the real daemon (fake multipass) and a real local chain
 * (one Hardhat node for the whole file): a priced provider advertises its
 * price, refuses creates whose stream is missing or wrong — each with its own
 * code, leaving nothing behind — accepts a correct one exactly once, warns,
 * stops the VM when its paid time runs out (never deletes it then), starts it
 * again after a top-up, deletes it after the grace period, and pays the
 * operator what vested.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import type { VmInfo } from '@golem-vm/protocol'
import { PROVIDER_BIN, startDaemon, type Daemon } from '../helpers/daemon.js'
import { startChain, type TestChain } from '../helpers/chain.js'
import { fakeInstances, multipassWorld } from '../helpers/multipass-world.js'
import { PRICES, RATE, SMALL, waitFor } from '../helpers/priced-provider.js'
import { providerIdOf, renter, type Renter } from '../helpers/renter.js'
import { parseSamples, sample } from '../helpers/prometheus-text.js'
import { tokenUnits } from '../../src/infra/metrics/provider-metrics.js'

test('a priced provider: refusals leave nothing, one stream pays one VM, runway end stops (not deletes), top-up restarts, grace deletes, earnings withdrawn', async (t) => {
  const chain: TestChain = await startChain(t)
  const w = await multipassWorld(t, {
    ...chain.providerEnv,
    ...PRICES,
    GOLEM_PROVIDER_MIN_RUNWAY_SECONDS: '20',
    GOLEM_PROVIDER_PAYMENT_WARNING_SECONDS: '3600',
    GOLEM_PROVIDER_PAYMENT_GRACE_SECONDS: '45',
    GOLEM_PROVIDER_PAYMENT_CHECK_INTERVAL: '2',
    GOLEM_PROVIDER_WITHDRAW_INTERVAL: '0',
  })
  const daemon: Daemon = await startDaemon(t, { env: w.env, timeoutMs: 60_000 })
  const providerId = providerIdOf(daemon)
  await chain.fund(providerId, 0n) // gas for withdrawals
  const [payerKey, otherKey] = [chain.info.accounts[1]?.private_key ?? '', chain.info.accounts[2]?.private_key ?? '']
  const alice: Renter = renter(daemon, payerKey)
  const bob: Renter = renter(daemon, otherKey)
  const aliceChain = chain.client(payerKey)
  const open = async (vmId: string, opts: { seconds?: number; rate?: bigint; recipient?: string } = {}) => {
    const rate = opts.rate ?? RATE
    const { stream } = await aliceChain.open({
      recipient: opts.recipient ?? providerId,
      token: chain.info.token,
      vmId,
      deposit: rate * BigInt(opts.seconds ?? 40),
      ratePerSecond: rate,
    })
    return stream.id.toString()
  }
  const create = (who: Renter, name: string, streamId?: string) =>
    who.api('POST', '/api/v1/vms', { name, ssh_key: w.key.publicKey, resources: SMALL, ...(streamId === undefined ? {} : { stream_id: streamId }) })
  const get = async (name: string) => (await alice.api('GET', `/api/v1/vms/${name}`)) as { status: number; body: VmInfo }
  const adminToken = readFileSync(join(w.dataDir, 'admin-token'), 'utf8').trim()
  const admin = async (method: string, path: string) => {
    const res = await fetch(`${daemon.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(60_000) })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }

  await t.test('the status shows the prices in exact base units', async () => {
    const status = (await (await fetch(`${daemon.baseUrl}/api/v1/provider/status`)).json()) as { pricing: Record<string, unknown> }
    assert.deepEqual(status.pricing, {
      chain_id: chain.info.chain_id,
      contract: chain.info.contract,
      token: chain.info.token,
      token_symbol: 'tGLM',
      token_decimals: 18,
      per_cpu_hour: '360000000000000000',
      per_gb_memory_hour: '36000000000000000',
      per_gb_storage_hour: '3600000000000000',
    })
  })

  await t.test('every wrong stream is refused with its own 402 code, and nothing is left behind', async () => {
    const cases: [string, () => Promise<{ status: number; body: unknown }>][] = [
      ['PAYMENT_REQUIRED', () => create(alice, 'no-stream')],
      ['PAYMENT_STREAM_NOT_FOUND', () => create(alice, 'ghost', '999999')],
      ['PAYMENT_WRONG_RECIPIENT', async () => create(alice, 'elsewhere', await open('elsewhere', { recipient: chain.info.accounts[3]?.address ?? '' }))],
      ['PAYMENT_WRONG_VM', async () => create(alice, 'this-vm', await open('that-vm'))],
      ['PAYMENT_RATE_TOO_LOW', async () => create(alice, 'cheap', await open('cheap', { rate: RATE - 1n }))],
      ['PAYMENT_RUNWAY_TOO_SHORT', async () => create(alice, 'short', await open('short', { seconds: 5 }))],
      ['PAYMENT_WRONG_PAYER', async () => create(bob, 'borrowed', await open('borrowed'))],
      [
        'PAYMENT_STREAM_ENDED',
        async () => {
          const id = await open('ended')
          await aliceChain.end(BigInt(id))
          return create(alice, 'ended', id)
        },
      ],
    ]
    for (const [code, attempt] of cases) {
      const res = await attempt()
      assert.equal(res.status, 402, `${code}: ${JSON.stringify(res.body)}`)
      assert.equal((res.body as { code: string }).code, code, JSON.stringify(res.body))
    }
    assert.deepEqual((await alice.api('GET', '/api/v1/vms')).body, [])
    assert.deepEqual(fakeInstances(w), [], 'nothing was launched')
  })

  let streamId = ''
  await t.test('two creates with one stream at once: exactly one VM; the stream is never accepted again', async () => {
    streamId = await open('paid-vm')
    const both = await Promise.all([create(alice, 'paid-vm', streamId), create(alice, 'paid-vm', streamId)])
    const statuses = both.map((r) => r.status).sort()
    assert.deepEqual(statuses, [201, 402], JSON.stringify(both.map((r) => r.body)))
    assert.equal(both.find((r) => r.status === 402)?.body && (both.find((r) => r.status === 402)?.body as { code: string }).code, 'PAYMENT_STREAM_USED')
    const info = (await get('paid-vm')).body
    assert.equal(info.status, 'running')
    assert.equal(info.payment?.stream_id, streamId)
    assert.equal(info.payment.state, 'low', 'runway below the warning threshold: the renter is warned')
    assert.match(info.payment.notice ?? '', /top the stream up/)
    assert.equal(fakeInstances(w).length, 1)
  })

  await t.test('when the runway ends the VM is stopped, not deleted; a top-up starts it again', async () => {
    const stopped = await waitFor(
      'the stop',
      () => get('paid-vm'),
      (r) => r.body.status === 'stopped',
      90_000,
    )
    assert.equal(stopped.body.payment?.state, 'expired-grace')
    assert.equal(stopped.body.payment.runway_seconds, 0)
    assert.ok(stopped.body.payment.delete_at !== null)
    assert.equal(fakeInstances(w).length, 1, 'the disk is kept')
    const start = await alice.api('POST', '/api/v1/vms/paid-vm/start')
    assert.equal((start.body as { code: string }).code, 'PAYMENT_EXPIRED')
    await aliceChain.topUp(BigInt(streamId), chain.info.token, RATE * 15n)
    const running = await waitFor(
      'the restart',
      () => get('paid-vm'),
      (r) => r.body.status === 'running' && r.body.payment?.state === 'low',
      60_000,
    )
    assert.ok((running.body.payment?.runway_seconds ?? 0) > 0)
  })

  await t.test('after the grace period without a top-up the VM is deleted', async () => {
    await waitFor(
      'the stop',
      () => get('paid-vm'),
      (r) => r.body.status === 'stopped',
      60_000,
    )
    await waitFor(
      'the deletion',
      () => get('paid-vm'),
      (r) => r.status === 404,
      120_000,
    )
    assert.deepEqual(fakeInstances(w), [])
  })

  await t.test('earnings: what vested is withdrawn to the provider', async () => {
    const before = await chain.balance(providerId)
    const report = await admin('GET', '/api/v1/provider/earnings')
    assert.equal(report.status, 200, JSON.stringify(report.body))
    const total = report.body.total as { earned: string; pending: string; withdrawn: string }
    assert.ok(BigInt(total.pending) > 0n)
    assert.equal(BigInt(total.earned), BigInt(total.pending) + BigInt(total.withdrawn))
    const cli = JSON.parse(
      execFileSync(process.execPath, [PROVIDER_BIN, 'earnings', '--json'], {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/root',
          GOLEM_PROVIDER_ENV_FILE: '/nonexistent',
          GOLEM_PROVIDER_DATA_DIR: w.dataDir,
          GOLEM_PROVIDER_HOST: '127.0.0.1',
          GOLEM_PROVIDER_PORT: new URL(daemon.baseUrl).port,
        },
      }).toString(),
    ) as { total: unknown }
    assert.deepEqual(cli.total, total, 'golem-provider earnings shows the same')
    const withdrawn = await admin('POST', '/api/v1/provider/earnings/withdraw')
    assert.equal(withdrawn.status, 200, JSON.stringify(withdrawn.body))
    const paid = BigInt((withdrawn.body as { total: string }).total)
    assert.equal((await chain.balance(providerId)) - before, paid)
    // The paid VM ran about 40 + 15 s of paid time: what vested is that time at its rate, whole seconds.
    assert.equal(paid % RATE, 0n)
    assert.ok(paid >= RATE * 50n && paid <= RATE * 55n, `paid ${paid / RATE} s`)
    const renterRefused = await alice.api('GET', '/api/v1/provider/earnings')
    assert.equal(renterRefused.status, 401)
    // GET /metrics (issue 19): earned, withdrawn and pending in token units; the scrape after a withdrawal starts a fresh read.
    const scrape = async () => {
      const res = await fetch(`${daemon.baseUrl}/metrics`, { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(30_000) })
      assert.equal(res.status, 200)
      const samples = parseSamples(await res.text())
      const of = (state: string) => sample(samples, 'golem_provider_earnings', { token: 'tGLM', state })
      return { earned: of('earned'), withdrawn: of('withdrawn'), pending: of('pending') }
    }
    const metrics = await waitFor('the withdrawal in /metrics', scrape, (m) => m.withdrawn === tokenUnits(paid, 18), 30_000)
    assert.equal(metrics.earned, tokenUnits(paid, 18), 'the stream ran dry before the VM was deleted: all it earned is withdrawn')
    assert.equal(metrics.pending, 0)
  })
})
