/**
 * Payment faults against the real daemon (fake multipass) and a real local
 * chain (issue 18): the daemon reads the chain through a TCP relay the test
 * cuts, so an RPC outage is real. While the chain does not answer the paid VM
 * keeps running, its payment state is `unknown`, and the monitor backs off
 * (fewer and fewer connection attempts); when the chain answers again the
 * state comes back. A stream that ran dry while the provider was down is
 * handled at start as if the provider had been up: the VM is stopped (never
 * deleted then) with `delete_at` = paid-until + grace.
 */
import assert from 'node:assert/strict'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { VmInfo } from '@golem-vm/protocol'
import { startDaemon, type Daemon } from '../helpers/daemon.js'
import { startChain, type TestChain } from '../helpers/chain.js'
import { fakeInstances, multipassWorld } from '../helpers/multipass-world.js'
import { PRICES, RATE, SMALL, waitFor } from '../helpers/priced-provider.js'
import { providerIdOf, renter } from '../helpers/renter.js'

const GRACE_SECONDS = 3600

/**
 * A loopback TCP relay in front of the chain's RPC. `cut()` drops every open
 * connection and refuses (accepts and drops at once) every new one, counting
 * the attempts; `restore()` relays again.
 */
interface Relay {
  readonly url: string
  cut(): void
  restore(): void
  /** When each connection was attempted while cut (ms since the epoch). */
  readonly refused: number[]
}

async function startRelay(t: TestContext, target: string): Promise<Relay> {
  const { hostname, port } = new URL(target)
  const open = new Set<Socket>()
  const refused: number[] = []
  let up = true
  const server: Server = createServer((client) => {
    if (!up) {
      refused.push(Date.now())
      client.destroy()
      return
    }
    const upstream = connect(Number(port), hostname)
    open.add(client).add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      open.delete(client)
      open.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    for (const s of open) s.destroy()
    server.close()
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the relay has no port')
  return {
    url: `http://127.0.0.1:${address.port}`,
    refused,
    cut: () => {
      up = false
      for (const s of open) s.destroy()
      open.clear()
    },
    restore: () => {
      up = true
    },
  }
}

test('payment faults: an RPC outage leaves the VM running in state unknown and the monitor backs off; a stream that ran dry while the provider was down gives the grace state at start', async (t) => {
  const chain: TestChain = await startChain(t)
  const relay = await startRelay(t, chain.info.rpc_url)
  const w = await multipassWorld(t, {
    ...chain.providerEnv,
    GOLEM_PROVIDER_PAYMENT_RPC_URL: relay.url,
    ...PRICES,
    GOLEM_PROVIDER_MIN_RUNWAY_SECONDS: '20',
    GOLEM_PROVIDER_PAYMENT_WARNING_SECONDS: '60',
    GOLEM_PROVIDER_PAYMENT_GRACE_SECONDS: String(GRACE_SECONDS),
    GOLEM_PROVIDER_PAYMENT_CHECK_INTERVAL: '1',
    GOLEM_PROVIDER_WITHDRAW_INTERVAL: '0',
  })
  let daemon: Daemon = await startDaemon(t, { env: w.env, timeoutMs: 60_000 })
  const providerId = providerIdOf(daemon)
  const payerKey = chain.info.accounts[1]?.private_key ?? ''
  const payer = chain.client(payerKey)
  let alice = renter(daemon, payerKey)
  const open = async (vmId: string, seconds: number) => {
    const { stream } = await payer.open({ recipient: providerId, token: chain.info.token, vmId, deposit: RATE * BigInt(seconds), ratePerSecond: RATE })
    return stream.id.toString()
  }
  const create = async (name: string, streamId: string) => {
    const res = await alice.api('POST', '/api/v1/vms', { name, ssh_key: w.key.publicKey, resources: SMALL, stream_id: streamId })
    assert.equal(res.status, 201, JSON.stringify(res.body))
  }
  const get = async (name: string) => (await alice.api('GET', `/api/v1/vms/${name}`)) as { status: number; body: VmInfo }

  await t.test('the chain goes away: the VM keeps running, its state is unknown, the monitor backs off; it recovers when the chain answers', async () => {
    await create('steady', await open('steady', 3600))
    await waitFor(
      'the first read',
      () => get('steady'),
      (r) => r.body.payment?.state === 'paid',
    )
    relay.cut()
    const unknown = await waitFor(
      'the unknown state',
      () => get('steady'),
      (r) => r.body.payment?.state === 'unknown',
      30_000,
    )
    assert.equal(unknown.body.status, 'running')
    assert.match(unknown.body.payment?.notice ?? '', /nothing is done to the VM/)
    assert.equal(unknown.body.payment?.delete_at, null)
    // About 30 s of outage at a 1 s check interval: without a backoff that is ~30 passes; doubling gives ~1+2+4+8+16.
    await sleep(30_000)
    const still = await get('steady')
    assert.equal(still.body.status, 'running')
    assert.equal(still.body.payment?.state, 'unknown')
    assert.deepEqual(
      fakeInstances(w).map((vm) => vm.state),
      ['Running'],
      'nothing was done to the VM',
    )
    const passes = relay.refused.filter((at, i) => i === 0 || at - (relay.refused[i - 1] ?? 0) > 500)
    assert.ok(passes.length >= 3, `the monitor kept trying: ${passes.length} passes`)
    assert.ok(passes.length <= 8, `the monitor backs off: ${passes.length} passes in 30 s at a 1 s interval`)
    const gaps = passes.slice(1).map((at, i) => at - (passes[i] ?? 0))
    t.diagnostic(`monitor passes during the outage: ${passes.length}, gaps ${JSON.stringify(gaps)} ms`)
    assert.ok((gaps.at(-1) ?? 0) >= 3_500, `the gaps grow: ${JSON.stringify(gaps)}`)
    relay.restore()
    // The next pass is at most the maximum backoff away; here the doubling reached 16-32 s.
    const back = await waitFor(
      'the recovery',
      () => get('steady'),
      (r) => r.body.payment?.state === 'paid',
      90_000,
    )
    assert.equal(back.body.status, 'running')
    assert.ok((back.body.payment?.runway_seconds ?? 0) > 3000)
    assert.ok(daemon.logs.some((l) => l.msg === 'payment chain answers again'))
  })

  await t.test('a stream that ran dry while the provider was down: at start the VM is stopped, not deleted, with delete_at = paid-until + grace', async () => {
    await create('dry', await open('dry', 25))
    const before = await waitFor(
      'the first read',
      () => get('dry'),
      (r) => r.body.payment?.paid_until !== null && r.body.payment?.paid_until !== undefined,
    )
    const paidUntil = Date.parse(before.body.payment?.paid_until ?? '')
    assert.equal(before.body.status, 'running')
    assert.equal(await daemon.stop(), 0)
    const waitMs = paidUntil + 3_000 - Date.now()
    assert.ok(waitMs > 0, 'the provider stopped before the paid time ran out')
    await sleep(waitMs)
    daemon = await startDaemon(t, { env: w.env, timeoutMs: 60_000 })
    alice = renter(daemon, payerKey)
    const stopped = await waitFor(
      'the stop at start',
      () => get('dry'),
      (r) => r.body.status === 'stopped',
      60_000,
    )
    assert.equal(stopped.body.payment?.state, 'expired-grace')
    assert.equal(stopped.body.payment.runway_seconds, 0)
    assert.equal(stopped.body.payment.paid_until, before.body.payment?.paid_until)
    assert.equal(Date.parse(stopped.body.payment.delete_at ?? ''), paidUntil + GRACE_SECONDS * 1000, 'grace counts from paid-until, not from the restart')
    assert.deepEqual(
      fakeInstances(w)
        .map((vm) => `${vm.name.replace(/^golem-(.+)-\d{8}-\d{6}$/, '$1')}:${vm.state}`)
        .sort(),
      ['dry:Stopped', 'steady:Running'],
      'the disk is kept; the other paid VM runs on',
    )
    const steady = await get('steady')
    assert.equal(steady.body.payment?.state, 'paid', 'the restart re-read the other stream')
  })
})
