/**
 * The payment chain adapter: the {@link PaymentChain} port over the
 * StreamPayments client, and the start-up of a priced provider — the chain
 * id read from the node, the contract's code checked against this
 * repository's build, the token's symbol and decimals read, and the
 * configured prices (decimal token units) turned into exact base units.
 * ethers is loaded only here, and only when payments are on.
 *
 * @module
 */
import { parseTokenAmount, type OfferPricing } from '@golem-vm/protocol'
import type { Stream } from '@golem-vm/payments'
import type { PaymentConfig } from '../../config.js'
import { PaymentChainUnavailable, type PaymentChain } from '../../app/ports/payment-chain.js'

/** A payment setting the operator must fix, or a chain that cannot be used; start-up stops with it. */
export class PaymentSetupError extends Error {
  override readonly name = 'PaymentSetupError'
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** A connected chain, the advertised pricing, and the prices in base units. */
export interface ConnectedPayments {
  readonly chain: PaymentChain
  readonly pricing: OfferPricing
  readonly withdrawThreshold: bigint
  close(): void
}

/** Connects to the payment chain with the provider's key and checks the contract and the token. */
export async function connectPayments(cfg: PaymentConfig, privateKey: string): Promise<ConnectedPayments> {
  const { ChainError, StreamPaymentsClient, isChainUnavailable, readChainId } = await import('@golem-vm/payments/client')
  const setup =
    (what: string) =>
    (error: unknown): never => {
      if (isChainUnavailable(error))
        throw new PaymentSetupError('PAYMENT_CHAIN_UNAVAILABLE', `GOLEM_PROVIDER_PAYMENT_RPC_URL: ${what}: ${error.message}; is the node running?`, {
          cause: error,
        })
      if (error instanceof ChainError) throw new PaymentSetupError('PAYMENT_SETUP_FAILED', `${what}: ${error.message}`, { cause: error })
      throw error
    }
  const chainId = await readChainId(cfg.rpcUrl).catch(setup('reading the chain id'))
  const client = new StreamPaymentsClient({ rpcUrl: cfg.rpcUrl, chainId, contract: cfg.contract, privateKey })
  try {
    if (!(await client.isStreamPaymentsContract().catch(setup('reading the contract')))) {
      throw new PaymentSetupError(
        'PAYMENT_CONTRACT_INVALID',
        `GOLEM_PROVIDER_PAYMENT_CONTRACT: ${cfg.contract} on chain ${chainId} is not the StreamPayments contract of this release (its code differs); name the deployed contract`,
      )
    }
    const token = await client.tokenInfo(cfg.token).catch(setup(`reading the token ${cfg.token} (GOLEM_PROVIDER_PAYMENT_TOKEN)`))
    const units = (name: string, text: string): string => {
      const parsed = parseTokenAmount(text, token.decimals)
      if (!parsed.ok) throw new PaymentSetupError('PRICE_INVALID', `GOLEM_PROVIDER_${name}: ${parsed.reason} (${token.symbol} has ${token.decimals})`)
      return parsed.value.toString()
    }
    const pricing: OfferPricing = {
      chain_id: Number(chainId),
      contract: cfg.contract,
      token: cfg.token,
      token_symbol: token.symbol,
      token_decimals: token.decimals,
      per_cpu_hour: units('PRICE_PER_CPU_HOUR', cfg.prices.cpu),
      per_gb_memory_hour: units('PRICE_PER_GB_MEMORY_HOUR', cfg.prices.memory),
      per_gb_storage_hour: units('PRICE_PER_GB_STORAGE_HOUR', cfg.prices.storage),
    }
    const withdrawThreshold = BigInt(units('WITHDRAW_THRESHOLD', cfg.withdrawThreshold))
    const unavailable = (error: unknown): never => {
      if (isChainUnavailable(error)) throw new PaymentChainUnavailable(error.message, { cause: error })
      if (error instanceof ChainError && error.kind === 'insufficient-funds')
        throw new PaymentChainUnavailable(`${error.message} (the provider account ${client.address} needs gas)`, { cause: error })
      throw error
    }
    const chain: PaymentChain = {
      readStream: (id: bigint): Promise<Stream | undefined> => client.getStream(id).catch(unavailable),
      withdraw: async (ids) => (await client.withdraw(ids).catch(unavailable)).amounts,
    }
    return { chain, pricing, withdrawThreshold, close: () => client.close() }
  } catch (error) {
    client.close()
    throw error
  }
}
