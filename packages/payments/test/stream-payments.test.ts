/**
 * The StreamPayments contract on a real local EVM node (Hardhat's), with
 * block time set by the test: vesting at its boundaries, withdraw, top-up
 * (before and after the runway ran out), end by either party, the VM binding,
 * every event, and that nobody but a stream's parties can move its funds.
 * Each case also checks the TypeScript mirror (stream-math.ts) against the
 * contract's own views at the same block.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Contract } from 'ethers'
import { STREAM_PAYMENTS, TEST_TOKEN } from '../src/artifacts.js'
import { ChainError, StreamPaymentsClient } from '../src/client/index.js'
import { paidUntil, refundableAt, vestedAt, vmBinding, withdrawableAt, type Stream } from '../src/stream-math.js'
import { startTestChain, type TestChain } from './helpers/chain.js'

const RATE = 1_000_000_000_000n // base units per second
const BIG_ALLOWANCE = 10n ** 30n

describe('StreamPayments on a local chain', () => {
  let chain: TestChain
  let payer: StreamPaymentsClient
  let provider: StreamPaymentsClient
  let stranger: StreamPaymentsClient
  let reader: Contract
  let clock: number

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- before() may have failed before assigning it
  after(() => chain?.stop())
  before(async () => {
    chain = await startTestChain()
    payer = chain.client(0)
    provider = chain.client(1)
    stranger = chain.client(2)
    reader = new Contract(chain.info.contract, STREAM_PAYMENTS.abi, payer.provider)
    // One allowance up front, so each operation below is exactly one transaction in a block whose time the test sets.
    for (const c of [payer, provider, stranger]) {
      const { Wallet } = await import('ethers')
      const account = chain.info.accounts.find((a) => a.address === c.address)!
      const wallet = new Wallet(account.private_key, c.provider)
      const approve = new Contract(chain.info.token, TEST_TOKEN.abi, wallet).getFunction('approve')
      await ((await approve.send(chain.info.contract, BIG_ALLOWANCE)) as { wait(): Promise<unknown> }).wait()
    }
    clock = (await payer.latestBlock()).timestamp + 100
  })

  // Runs one transaction in a block at `t` seconds after the test's current base time.
  const at = async <T>(offset: number, fn: () => Promise<T>): Promise<T> => {
    await chain.setNextBlockTime(clock + offset)
    return fn()
  }
  const open = (offset: number, deposit: bigint, vmId = 'vm-a', recipient = provider.address) =>
    at(offset, () => payer.open({ recipient, token: chain.info.token, vmId, deposit, ratePerSecond: RATE }))
  const balance = (address: string) => payer.tokenBalance(chain.info.token, address)
  const viewsAt = async (id: bigint, block: number) => {
    const view = (name: string) => reader.getFunction(name).staticCall(id, { blockTag: block }) as Promise<bigint>
    return {
      vested: await view('vestedAmount'),
      withdrawable: await view('withdrawable'),
      refundable: await view('refundable'),
      paidUntil: Number(await view('paidUntil')),
    }
  }
  // The contract's views at block time `offset` equal the TypeScript mirror's.
  const assertMirror = async (stream: Stream, offset: number) => {
    const latest = await payer.latestBlock()
    const block = latest.timestamp === clock + offset ? latest.number : await chain.mineAt(clock + offset)
    const onChain = await viewsAt(stream.id, block)
    const t = clock + offset
    assert.deepEqual(onChain, {
      vested: vestedAt(stream, t),
      withdrawable: withdrawableAt(stream, t),
      refundable: refundableAt(stream, t),
      paidUntil: paidUntil(stream),
    })
    return onChain
  }
  const nextBase = async () => {
    clock = (await payer.latestBlock()).timestamp + 1000
  }

  test('vesting: nothing at the start, rate per second, all of it at the exact end, no more after', async () => {
    await nextBase()
    const deposit = 100n * RATE + 7n // 7 base units of dust beyond 100 whole seconds
    const { stream } = await open(0, deposit)
    assert.equal(stream.since, clock)
    assert.equal(paidUntil(stream), clock + 100)
    assert.equal((await assertMirror(stream, 0)).vested, 0n)
    assert.equal((await assertMirror(stream, 1)).vested, RATE)
    assert.equal((await assertMirror(stream, 99)).vested, 99n * RATE)
    assert.equal((await assertMirror(stream, 100)).vested, 100n * RATE)
    assert.equal((await assertMirror(stream, 101)).vested, deposit, 'the dust vests in the second after paid-until')
    assert.equal((await assertMirror(stream, 10_000)).vested, deposit)
  })

  test('withdraw pays the recipient what vested, once; nobody else can withdraw', async () => {
    await nextBase()
    const { stream } = await open(0, 60n * RATE)
    const before = await balance(provider.address)
    const first = await at(30, () => provider.withdraw([stream.id]))
    assert.equal(first.amounts.get(stream.id), 30n * RATE)
    assert.equal(await balance(provider.address), before + 30n * RATE)
    const again = await at(31, () => provider.withdraw([stream.id]))
    assert.equal(again.amounts.get(stream.id), RATE, 'only the second vested since')
    for (const who of [payer, stranger]) {
      await assert.rejects(
        at(40, () => who.withdraw([stream.id])),
        (e: ChainError) => e.kind === 'reverted' && e.revert?.name === 'NotRecipient',
      )
    }
    const read = (await provider.getStream(stream.id))!
    assert.equal(read.withdrawn, 31n * RATE)
    await assertMirror(read, 45)
    await assertMirror(read, 61)
  })

  test('end by the payer: vested to the provider, the rest back to the payer, then frozen', async () => {
    await nextBase()
    const { stream } = await open(0, 100n * RATE)
    await at(10, () => provider.withdraw([stream.id]))
    const [providerBefore, payerBefore] = [await balance(provider.address), await balance(payer.address)]
    const ended = await at(40, () => payer.end(stream.id))
    assert.deepEqual([ended.paidToRecipient, ended.refunded], [30n * RATE, 60n * RATE])
    assert.equal(await balance(provider.address), providerBefore + 30n * RATE)
    assert.equal(await balance(payer.address), payerBefore + 60n * RATE)
    const read = (await payer.getStream(stream.id))!
    assert.equal(read.endedAt, clock + 40)
    assert.deepEqual([read.withdrawn, read.refunded], [40n * RATE, 60n * RATE])
    const later = await assertMirror(read, 500)
    assert.deepEqual([later.vested, later.withdrawable, later.refundable, later.paidUntil], [40n * RATE, 0n, 0n, clock + 40])
    await assert.rejects(
      at(501, () => payer.topUp(stream.id, chain.info.token, RATE)),
      (e: ChainError) => e.revert?.name === 'StreamAlreadyEnded',
    )
    await assert.rejects(
      at(502, () => provider.end(stream.id)),
      (e: ChainError) => e.revert?.name === 'StreamAlreadyEnded',
    )
    assert.equal((await at(503, () => provider.withdraw([stream.id]))).amounts.size, 0, 'nothing left to withdraw')
  })

  test('end by the provider settles the same way; a stranger cannot end', async () => {
    await nextBase()
    const { stream } = await open(0, 50n * RATE)
    await assert.rejects(
      at(5, () => stranger.end(stream.id)),
      (e: ChainError) => e.revert?.name === 'NotParty',
    )
    const payerBefore = await balance(payer.address)
    const ended = await at(20, () => provider.end(stream.id))
    assert.deepEqual([ended.paidToRecipient, ended.refunded], [20n * RATE, 30n * RATE])
    assert.equal(await balance(payer.address), payerBefore + 30n * RATE)
  })

  test('top-up before the end extends the runway; only the payer may top up', async () => {
    await nextBase()
    const { stream } = await open(0, 100n * RATE)
    await at(40, () => payer.topUp(stream.id, chain.info.token, 50n * RATE))
    const read = (await payer.getStream(stream.id))!
    assert.equal(paidUntil(read), clock + 150)
    assert.equal((await assertMirror(read, 120)).vested, 120n * RATE, 'vesting continues without a break')
    for (const [i, who] of [provider, stranger].entries()) {
      await assert.rejects(
        at(121 + i, () => who.topUp(stream.id, chain.info.token, RATE)),
        (e: ChainError) => e.revert?.name === 'NotPayer',
      )
    }
  })

  test('top-up after the runway ran out restarts vesting then: the unfunded gap is not charged', async () => {
    await nextBase()
    const { stream } = await open(0, 10n * RATE)
    await at(25, () => payer.topUp(stream.id, chain.info.token, 10n * RATE))
    const read = (await payer.getStream(stream.id))!
    assert.deepEqual([read.settled, read.since, read.deposit], [10n * RATE, clock + 25, 20n * RATE])
    assert.equal(paidUntil(read), clock + 35)
    assert.equal((await assertMirror(read, 30)).vested, 15n * RATE)
    assert.equal((await assertMirror(read, 36)).vested, 20n * RATE)
  })

  test('the stream carries its binding to one provider and one VM, and every change is an event', async () => {
    await nextBase()
    const { stream } = await open(0, 30n * RATE, 'web-1')
    assert.equal(stream.vmId, vmBinding('web-1'))
    assert.notEqual(stream.vmId, vmBinding('web-2'))
    assert.equal(stream.recipient, provider.address)
    assert.equal(stream.token, chain.info.token)
    assert.equal(stream.payer, payer.address)
    await at(5, () => payer.topUp(stream.id, chain.info.token, 10n * RATE))
    await at(10, () => provider.withdraw([stream.id]))
    await at(15, () => payer.end(stream.id))
    const head = (await payer.latestBlock()).number
    const events = await payer.eventsOf([stream.id], 0, head)
    assert.deepEqual(
      events.map((e) => e.name),
      ['StreamOpened', 'StreamToppedUp', 'Withdrawn', 'StreamEnded'],
    )
    const [opened, topped, withdrawn, ended] = events.map((e) => e.args)
    assert.deepEqual(
      [opened?.payer, opened?.recipient, opened?.token, opened?.vmId, opened?.deposit, opened?.ratePerSecond, opened?.paidUntil],
      [payer.address, provider.address, chain.info.token, vmBinding('web-1'), 30n * RATE, RATE, BigInt(clock + 30)],
    )
    assert.deepEqual([topped?.amount, topped?.deposit, topped?.paidUntil], [10n * RATE, 40n * RATE, BigInt(clock + 40)])
    assert.equal(withdrawn?.amount, 10n * RATE)
    assert.deepEqual([ended?.endedBy, ended?.paidToRecipient, ended?.refunded], [payer.address, 5n * RATE, 25n * RATE])
    assert.deepEqual(await payer.eventsOf([stream.id + 1000n], 0, head), [], 'events are selected by stream id')
  })

  test('opening refuses what would be a broken stream', async () => {
    await nextBase()
    const refuse = (req: Partial<Parameters<StreamPaymentsClient['open']>[0]>, reason: string) =>
      assert.rejects(
        payer.open({ recipient: provider.address, token: chain.info.token, vmId: 'x', deposit: 10n * RATE, ratePerSecond: RATE, ...req }),
        (e: ChainError) => e.kind === 'reverted' && (e.revert?.name === reason || e.revert?.args[0] === reason),
        reason,
      )
    await refuse({ ratePerSecond: 0n }, 'rate is zero')
    await refuse({ deposit: RATE - 1n }, 'deposit does not pay for one second')
    await refuse({ recipient: payer.address }, 'payer and recipient are the same address')
    await refuse({ recipient: '0x0000000000000000000000000000000000000000' }, 'recipient is the zero address')
    await refuse({ deposit: 0n }, 'ZeroAmount')
  })

  test('the contract holds exactly the funds of its open streams; unknown streams read as absent', async () => {
    const count = (await reader.getFunction('streamCount').staticCall()) as bigint
    let owed = 0n
    for (let id = 1n; id <= count; id++) {
      const s = (await payer.getStream(id))!
      owed += s.deposit - s.withdrawn - s.refunded
    }
    assert.equal(await balance(chain.info.contract), owed)
    assert.equal(await payer.getStream(count + 1n), undefined)
  })

  test("the deployed code is this repository's contract; another address is not", async () => {
    assert.equal(await payer.isStreamPaymentsContract(), true)
    const elsewhere = new StreamPaymentsClient({ rpcUrl: chain.info.rpc_url, chainId: BigInt(chain.info.chain_id), contract: chain.info.token })
    try {
      assert.equal(await elsewhere.isStreamPaymentsContract(), false)
    } finally {
      elsewhere.close()
    }
  })
})
