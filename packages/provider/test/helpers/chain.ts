/**
 * A local payment chain for one provider test file: a Hardhat node on a free
 * loopback port with the test token and StreamPayments deployed (through
 * `@golem-vm/payments/local-chain`, what `npm run chain` runs), clients for
 * any key, and the faucet. Stopped after the test.
 *
 * @module
 */
import type { TestContext } from 'node:test'
import { StreamPaymentsClient } from '@golem-vm/payments/client'
import { deployLocalContracts, fundAddress, startHardhatNode, type LocalChainInfo } from '@golem-vm/payments/local-chain'

export interface TestChain {
  readonly info: LocalChainInfo
  /** A client signing with `privateKey` (closed after the test). */
  client(privateKey: string): StreamPaymentsClient
  /** Gas and `tokens` base units of the test token for `address`. */
  fund(address: string, tokens: bigint): Promise<void>
  /** The test token balance of `address`. */
  balance(address: string): Promise<bigint>
  /** The provider settings that point a daemon at this chain. */
  readonly providerEnv: Record<string, string>
}

export async function startChain(t: TestContext): Promise<TestChain> {
  const node = await startHardhatNode({ port: 0, blockIntervalMs: 1000 })
  const clients: StreamPaymentsClient[] = []
  t.after(async () => {
    for (const c of clients) c.close()
    await node.stop()
  })
  const info = await deployLocalContracts(node.rpcUrl)
  const client = (privateKey: string): StreamPaymentsClient => {
    const c = new StreamPaymentsClient({ rpcUrl: info.rpc_url, chainId: BigInt(info.chain_id), contract: info.contract, privateKey })
    clients.push(c)
    return c
  }
  const reader = client(info.accounts[0]?.private_key ?? '')
  return {
    info,
    client,
    fund: async (address, tokens) => {
      await fundAddress(info.rpc_url, info.token, address, tokens)
    },
    balance: (address) => reader.tokenBalance(info.token, address),
    providerEnv: { GOLEM_PROVIDER_PAYMENT_RPC_URL: info.rpc_url, GOLEM_PROVIDER_PAYMENT_CONTRACT: info.contract, GOLEM_PROVIDER_PAYMENT_TOKEN: info.token },
  }
}
