/**
 * The JSON-RPC connection under the client: an ethers provider pinned to a
 * chain id the caller already knows (so ethers never loops trying to detect
 * the network while a node is down), with a bounded request timeout, and a
 * raw `eth_chainId` query to learn that id in the first place.
 *
 * @module
 */
import { FetchRequest, JsonRpcProvider, Network } from 'ethers'
import { ChainError } from './chain-error.js'

/** Default deadline of one JSON-RPC request. */
export const DEFAULT_RPC_TIMEOUT_MS = 10_000

/** An ethers provider for `rpcUrl` on chain `chainId`; makes no request until used. */
export function rpcProvider(rpcUrl: string, chainId: bigint, timeoutMs = DEFAULT_RPC_TIMEOUT_MS): JsonRpcProvider {
  const request = new FetchRequest(rpcUrl)
  request.timeout = timeoutMs
  return new JsonRpcProvider(request, Network.from(chainId), { staticNetwork: true, batchMaxCount: 1, polling: false, cacheTimeout: -1 })
}

/** Asks the node for its chain id. Rejects with ChainError `unavailable` when it does not answer in time. */
export async function readChainId(rpcUrl: string, timeoutMs = DEFAULT_RPC_TIMEOUT_MS): Promise<bigint> {
  let response: Response
  try {
    response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (error) {
    throw new ChainError('unavailable', `the payment RPC ${rpcUrl} does not answer: ${(error as Error).message}`, undefined, { cause: error })
  }
  const body = (await response.json().catch(() => undefined)) as { result?: unknown } | undefined
  if (!response.ok || typeof body?.result !== 'string' || !/^0x[0-9a-f]+$/i.test(body.result)) {
    throw new ChainError('unavailable', `the payment RPC ${rpcUrl} gave no chain id (HTTP ${response.status})`)
  }
  return BigInt(body.result)
}
