/**
 * A local chain for one test file: a Hardhat node on a free loopback port
 * with the contracts deployed, clients for the test accounts, and control of
 * block time. Always stopped after the test.
 *
 * @module
 */
import { StreamPaymentsClient } from '../../src/client/index.js'
import { deployLocalContracts, startHardhatNode, type LocalChainInfo } from '../../src/local-chain/index.js'

export interface TestChain {
  readonly info: LocalChainInfo
  /** A client signing with test account `index` (0-3). */
  client(index: number): StreamPaymentsClient
  /** Sends a JSON-RPC request to the node. */
  rpc(method: string, params?: unknown[]): Promise<unknown>
  /** Makes the next mined block carry timestamp `t`. */
  setNextBlockTime(t: number): Promise<void>
  /** Mines one block at timestamp `t` and returns its number. */
  mineAt(t: number): Promise<number>
  /** Closes the clients and stops the node. */
  stop(): Promise<void>
}

/**
 * Starts a chain (blocks only when transactions arrive unless
 * `blockIntervalMs` is given); the caller stops it (`after(() => chain.stop())`).
 */
export async function startTestChain(opts: { blockIntervalMs?: number } = {}): Promise<TestChain> {
  const node = await startHardhatNode({ port: 0, blockIntervalMs: opts.blockIntervalMs ?? 0 })
  const clients: StreamPaymentsClient[] = []
  const stop = async (): Promise<void> => {
    for (const c of clients) c.close()
    await node.stop()
  }
  let info
  try {
    info = await deployLocalContracts(node.rpcUrl)
  } catch (error) {
    await stop()
    throw error
  }
  let id = 0
  const rpc = async (method: string, params: unknown[] = []): Promise<unknown> => {
    const response = await fetch(info.rpc_url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    })
    const body = (await response.json()) as { result?: unknown; error?: { message: string } }
    if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`)
    return body.result
  }
  return {
    info,
    rpc,
    stop,
    client(index) {
      const account = info.accounts[index]
      if (account === undefined) throw new Error(`no test account ${index}`)
      const client = new StreamPaymentsClient({
        rpcUrl: info.rpc_url,
        chainId: BigInt(info.chain_id),
        contract: info.contract,
        privateKey: account.private_key,
      })
      clients.push(client)
      return client
    },
    async setNextBlockTime(time) {
      await rpc('evm_setNextBlockTimestamp', [time])
    },
    async mineAt(time) {
      await rpc('evm_mine', [time])
      return Number(await rpc('eth_blockNumber'))
    },
  }
}
