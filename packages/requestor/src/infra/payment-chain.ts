/**
 * The renter's payment chain over `@golem-vm/payments/client`: checks the
 * configured RPC and the provider's contract before anything is signed, and
 * turns the client's three kinds of failure into requestor errors that say
 * what to do. ethers and the client are loaded only when a paid provider is
 * used, so the other commands stay quick.
 *
 * @module
 */
import type { Stream } from '@golem-vm/payments'
import type { ChainError, StreamPaymentsClient } from '@golem-vm/payments/client'
import { RequestorError } from '../domain/errors.js'
import type { Balances, PaymentChain, PaymentTarget } from '../app/ports/payment-chain.js'

/** Where the chain is and who signs. */
export interface PaymentChainOptions {
  readonly rpcUrl: string | null
  readonly privateKey: string
}

const RPC_HINT = 'GOLEM_REQUESTOR_PAYMENT_RPC_URL'

// The client's failure as the renter's: what happened, and what to do about it.
function translated(error: unknown, rpcUrl: string, isChainError: (e: unknown) => e is ChainError): unknown {
  if (!isChainError(error)) return error
  if (error.kind === 'unavailable')
    return new RequestorError('PAYMENT_CHAIN_UNAVAILABLE', `the payment chain at ${rpcUrl} does not answer (${error.message}); try again later`, {
      cause: error,
    })
  if (error.kind === 'insufficient-funds')
    return new RequestorError('INSUFFICIENT_FUNDS', `${error.message}: your address needs some of the chain's coin for gas (golem-vm identity shows it)`, {
      cause: error,
    })
  return new RequestorError('PAYMENT_FAILED', error.message, { cause: error })
}

/** Connects to the payment contract at `target` and checks it; see {@link PaymentChain} and `RequestorDeps.paymentChain`. */
export async function connectPaymentChain(opts: PaymentChainOptions, target: PaymentTarget): Promise<PaymentChain> {
  const rpcUrl = opts.rpcUrl
  if (rpcUrl === null) {
    throw new RequestorError(
      'PAYMENT_NOT_CONFIGURED',
      `this provider is paid on chain ${target.chainId}; set ${RPC_HINT} to a JSON-RPC URL of that chain (the local test chain prints its own) and try again`,
    )
  }
  const { ChainError, StreamPaymentsClient, readChainId } = await import('@golem-vm/payments/client')
  const isChainError = (e: unknown): e is ChainError => e instanceof ChainError
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (error) {
      throw translated(error, rpcUrl, isChainError)
    }
  }
  const chainId = await guard(() => readChainId(rpcUrl))
  if (chainId !== BigInt(target.chainId)) {
    throw new RequestorError(
      'PAYMENT_CHAIN_MISMATCH',
      `${RPC_HINT} (${rpcUrl}) is chain ${chainId}, but this provider is paid on chain ${target.chainId}; point ${RPC_HINT} at that chain`,
    )
  }
  const client = new StreamPaymentsClient({ rpcUrl, chainId, contract: target.contract, privateKey: opts.privateKey })
  try {
    if (!(await guard(() => client.isStreamPaymentsContract()))) {
      throw new RequestorError(
        'PAYMENT_CONTRACT_INVALID',
        `the provider's payment contract ${target.contract} on chain ${target.chainId} is not the StreamPayments contract golem-vm knows; nothing was paid (choose another provider)`,
      )
    }
  } catch (error) {
    client.close()
    throw error
  }
  return adapter(client, guard)
}

function adapter(client: StreamPaymentsClient, guard: <T>(fn: () => Promise<T>) => Promise<T>): PaymentChain {
  return {
    address: client.address,
    balances: (token): Promise<Balances> =>
      guard(async () => {
        const [tokens, gas] = await Promise.all([client.tokenBalance(token, client.address), client.provider.getBalance(client.address)])
        return { token: tokens, gas }
      }),
    open: (req): Promise<Stream> => guard(async () => (await client.open(req)).stream),
    topUp: (id, token, amount) =>
      guard(async () => {
        await client.topUp(id, token, amount)
      }),
    end: (id) => guard(async () => client.end(id)),
    stream: (id) => guard(() => client.getStream(id)),
    now: () => guard(async () => (await client.latestBlock()).timestamp),
    close: () => {
      client.close()
    },
  }
}
