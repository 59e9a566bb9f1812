/**
 * A typed client of the StreamPayments contract on any EVM chain, over
 * ethers 6: reads streams (as {@link Stream}, bigint amounts), opens, tops
 * up, ends and withdraws from them with one key, reads the contract's events
 * for a set of streams, and checks that an address holds this project's
 * contract. Every failure is a {@link ChainError}.
 *
 * @module
 */
import { Contract, Interface, Wallet, ZeroHash, isError, toBeHex, zeroPadValue, type JsonRpcProvider, type Log, type TransactionReceipt } from 'ethers'
import { STREAM_PAYMENTS, TEST_TOKEN } from '../artifacts.js'
import type { Stream } from '../stream-math.js'
import { vmBinding } from '../stream-math.js'
import { ChainError } from './chain-error.js'
import { DEFAULT_RPC_TIMEOUT_MS, rpcProvider } from './rpc.js'

const ERC20_ABI = [
  'function symbol() view returns (string)',
  'function decimals() view returns (uint8)',
  'function balanceOf(address) view returns (uint256)',
  'function allowance(address owner, address spender) view returns (uint256)',
  'function approve(address spender, uint256 amount) returns (bool)',
]

/** The events the contract emits, by name. */
export type StreamEventName = 'StreamOpened' | 'StreamToppedUp' | 'Withdrawn' | 'StreamEnded'

/** One event of the contract. */
export interface StreamEvent {
  readonly name: StreamEventName
  readonly streamId: bigint
  readonly blockNumber: number
  readonly transactionHash: string
  readonly args: Readonly<Record<string, unknown>>
}

/** What an ERC-20 token calls itself. */
export interface TokenInfo {
  readonly address: string
  readonly symbol: string
  readonly decimals: number
}

export interface ClientOptions {
  readonly rpcUrl: string
  /** The chain's id, read beforehand with `readChainId` (or remembered from an earlier run). */
  readonly chainId: bigint
  /** Address of the StreamPayments contract. */
  readonly contract: string
  /** Key that signs transactions; without it the client only reads. */
  readonly privateKey?: string
  readonly timeoutMs?: number
  /** How long to wait for a transaction to be mined (default 120 s). */
  readonly confirmTimeoutMs?: number
}

export interface OpenStreamRequest {
  readonly recipient: string
  readonly token: string
  /** The VM's id (its name); the stream is bound to keccak256 of it. */
  readonly vmId: string
  readonly deposit: bigint
  readonly ratePerSecond: bigint
}

const streamsInterface = new Interface(STREAM_PAYMENTS.abi)
// The contract's own errors plus ERC-20's standard ones (EIP-6093, OpenZeppelin's), so a token's refusal is readable too.
const errorsInterface = new Interface([...STREAM_PAYMENTS.abi, ...TEST_TOKEN.abi.filter((f) => f.type === 'error' && String(f.name).startsWith('ERC20'))])
const EVENT_NAMES: readonly StreamEventName[] = ['StreamOpened', 'StreamToppedUp', 'Withdrawn', 'StreamEnded']

/** A client of one StreamPayments deployment. Transactions from one client are sent one at a time. */
export class StreamPaymentsClient {
  readonly provider: JsonRpcProvider
  readonly contractAddress: string
  readonly #contract: Contract
  readonly #wallet: Wallet | undefined
  readonly #confirmTimeoutMs: number
  #queue: Promise<unknown> = Promise.resolve()

  constructor(opts: ClientOptions) {
    this.provider = rpcProvider(opts.rpcUrl, opts.chainId, opts.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS)
    this.contractAddress = opts.contract
    this.#wallet = opts.privateKey === undefined ? undefined : new Wallet(opts.privateKey, this.provider)
    this.#contract = new Contract(opts.contract, streamsInterface, this.#wallet ?? this.provider)
    this.#confirmTimeoutMs = opts.confirmTimeoutMs ?? 120_000
  }

  /** The address that signs this client's transactions. */
  get address(): string {
    return this.#signer().address
  }

  /** The stream with this id, or undefined when no such stream was opened (or its opening is not mined yet). */
  async getStream(id: bigint): Promise<Stream | undefined> {
    try {
      const raw = (await this.#contract.getFunction('getStream').staticCall(id)) as RawStream
      return toStream(id, raw)
    } catch (error) {
      const failure = toChainError(error, 'read stream')
      if (failure.revert?.name === 'UnknownStream') return undefined
      throw failure
    }
  }

  /** True when `eth_getCode` at the contract address is exactly this repository's compiled StreamPayments. */
  async isStreamPaymentsContract(): Promise<boolean> {
    const code = await call('read contract code', () => this.provider.getCode(this.contractAddress))
    return code.toLowerCase() === STREAM_PAYMENTS.deployedBytecode.toLowerCase()
  }

  /** Symbol and decimals of an ERC-20 token. */
  async tokenInfo(token: string): Promise<TokenInfo> {
    const erc20 = new Contract(token, ERC20_ABI, this.provider)
    const [symbol, decimals] = await call('read token', () =>
      Promise.all([erc20.getFunction('symbol').staticCall() as Promise<string>, erc20.getFunction('decimals').staticCall() as Promise<bigint>]),
    )
    return { address: token, symbol, decimals: Number(decimals) }
  }

  /** `owner`'s balance of `token`, in base units. */
  async tokenBalance(token: string, owner: string): Promise<bigint> {
    const erc20 = new Contract(token, ERC20_ABI, this.provider)
    return call('read balance', () => erc20.getFunction('balanceOf').staticCall(owner) as Promise<bigint>)
  }

  /** Timestamp and number of the latest block. */
  async latestBlock(): Promise<{ number: number; timestamp: number }> {
    const block = await call('read latest block', () => this.provider.getBlock('latest'))
    if (block === null) throw new ChainError('unavailable', 'the node returned no latest block')
    return { number: block.number, timestamp: block.timestamp }
  }

  /** Approves the deposit when needed, opens the stream, and returns it as mined. */
  async open(req: OpenStreamRequest): Promise<{ stream: Stream; transactionHash: string }> {
    return this.#serial(async () => {
      await this.#ensureAllowance(req.token, req.deposit)
      const receipt = await this.#send('open stream', 'open', [req.recipient, req.token, vmBinding(req.vmId), req.deposit, req.ratePerSecond])
      const opened = parseEvents(receipt.logs).find((e) => e.name === 'StreamOpened')
      if (opened === undefined) throw new ChainError('reverted', 'the open transaction emitted no StreamOpened event')
      const stream = await this.getStream(opened.streamId)
      if (stream === undefined) throw new ChainError('unavailable', `stream ${opened.streamId} was opened but cannot be read back`)
      return { stream, transactionHash: receipt.hash }
    })
  }

  /** Adds `amount` to the stream's deposit (approving it first when needed). */
  async topUp(id: bigint, token: string, amount: bigint): Promise<{ transactionHash: string }> {
    return this.#serial(async () => {
      await this.#ensureAllowance(token, amount)
      const receipt = await this.#send('top up stream', 'topUp', [id, amount])
      return { transactionHash: receipt.hash }
    })
  }

  /** Ends the stream; returns what went to the recipient and back to the payer. */
  async end(id: bigint): Promise<{ paidToRecipient: bigint; refunded: bigint; transactionHash: string }> {
    return this.#serial(async () => {
      const receipt = await this.#send('end stream', 'end', [id])
      const ended = parseEvents(receipt.logs).find((e) => e.name === 'StreamEnded')
      return { paidToRecipient: asBigInt(ended?.args.paidToRecipient), refunded: asBigInt(ended?.args.refunded), transactionHash: receipt.hash }
    })
  }

  /** Withdraws everything vested from these streams (this client must be their recipient); returns the amount per stream. */
  async withdraw(ids: readonly bigint[]): Promise<{ amounts: Map<bigint, bigint>; transactionHash: string }> {
    return this.#serial(async () => {
      const receipt = await this.#send('withdraw', 'withdrawMany', [ids])
      const amounts = new Map<bigint, bigint>()
      for (const e of parseEvents(receipt.logs)) if (e.name === 'Withdrawn') amounts.set(e.streamId, asBigInt(e.args.amount))
      return { amounts, transactionHash: receipt.hash }
    })
  }

  /** The contract's events about these streams in blocks `fromBlock`..`toBlock` (both included). */
  async eventsOf(ids: readonly bigint[], fromBlock: number, toBlock: number): Promise<StreamEvent[]> {
    if (ids.length === 0 || toBlock < fromBlock) return []
    const topics = [EVENT_NAMES.map((n) => streamsInterface.getEvent(n)?.topicHash ?? ZeroHash), ids.map((id) => zeroPadValue(toBeHex(id), 32))]
    const logs = await call('read events', () => this.provider.getLogs({ address: this.contractAddress, topics, fromBlock, toBlock }))
    return parseEvents(logs)
  }

  /** Stops the client's connection (pending requests fail). */
  close(): void {
    this.provider.destroy()
  }

  #signer(): Wallet {
    if (this.#wallet === undefined) throw new Error('this payment client has no key: it can only read')
    return this.#wallet
  }

  // One transaction at a time, so two never take the same nonce.
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn)
    this.#queue = next.catch(() => undefined)
    return next
  }

  async #ensureAllowance(token: string, amount: bigint): Promise<void> {
    const erc20 = new Contract(token, ERC20_ABI, this.#signer())
    const allowance = await call(
      'read allowance',
      () => erc20.getFunction('allowance').staticCall(this.#signer().address, this.contractAddress) as Promise<bigint>,
    )
    if (allowance >= amount) return
    await this.#mine('approve token', () => erc20.getFunction('approve').send(this.contractAddress, amount))
  }

  async #send(what: string, method: string, args: readonly unknown[]): Promise<TransactionReceipt> {
    return this.#mine(what, () => this.#contract.getFunction(method).send(...args))
  }

  async #mine(
    what: string,
    send: () => Promise<{ wait(confirms?: number, timeout?: number): Promise<TransactionReceipt | null> }>,
  ): Promise<TransactionReceipt> {
    const tx = await call(what, send)
    const receipt = await call(`${what} (waiting to be mined)`, () => tx.wait(1, this.#confirmTimeoutMs))
    if (receipt === null) throw new ChainError('unavailable', `${what}: the transaction was not mined`)
    return receipt
  }
}

type RawStream = [string, string, string, string, bigint, bigint, bigint, bigint, bigint, bigint, bigint]

function toStream(id: bigint, raw: RawStream): Stream {
  const [payer, recipient, token, vmId, ratePerSecond, deposit, settled, withdrawn, refunded, since, endedAt] = raw
  return { id, payer, recipient, token, vmId, ratePerSecond, deposit, settled, withdrawn, refunded, since: Number(since), endedAt: Number(endedAt) }
}

/** Decodes the contract's events among `logs` (others are skipped). */
export function parseEvents(logs: readonly Log[]): StreamEvent[] {
  const events: StreamEvent[] = []
  for (const log of logs) {
    const parsed = streamsInterface.parseLog({ topics: [...log.topics], data: log.data })
    if (parsed === null || !EVENT_NAMES.includes(parsed.name as StreamEventName)) continue
    const args = Object.fromEntries(parsed.fragment.inputs.map((input, i) => [input.name, parsed.args[i] as unknown]))
    events.push({
      name: parsed.name as StreamEventName,
      streamId: asBigInt(args.streamId),
      blockNumber: log.blockNumber,
      transactionHash: log.transactionHash,
      args,
    })
  }
  return events
}

const asBigInt = (value: unknown): bigint => (typeof value === 'bigint' ? value : 0n)

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    throw toChainError(error, what)
  }
}

// Sorts an ethers failure into the three kinds callers act on; a revert carries the contract's decoded error.
function toChainError(error: unknown, what: string): ChainError {
  if (error instanceof ChainError) return error
  if (isError(error, 'CALL_EXCEPTION')) {
    const data = typeof error.data === 'string' ? error.data : undefined
    const decoded = data === undefined ? null : errorsInterface.parseError(data)
    const revert = decoded === null ? undefined : { name: decoded.name, args: [...decoded.args] as unknown[] }
    const reason = revert === undefined ? (error.reason ?? error.shortMessage) : `${revert.name}(${revert.args.map(String).join(', ')})`
    return new ChainError('reverted', `${what}: the contract refused: ${reason}`, revert, { cause: error })
  }
  if (isError(error, 'INSUFFICIENT_FUNDS')) {
    return new ChainError('insufficient-funds', `${what}: the account cannot pay for gas: fund it`, undefined, { cause: error })
  }
  const message = error instanceof Error ? ('shortMessage' in error ? String(error.shortMessage) : error.message) : String(error)
  return new ChainError('unavailable', `${what}: ${message}`, undefined, { cause: error })
}
