/**
 * Prepares a fresh local chain for tests and the local network: deploys the
 * test token and the StreamPayments contract from the committed artifacts,
 * and gives accounts gas and tokens. Only for development chains: it uses
 * Hardhat's public development keys and its `hardhat_setBalance` method.
 *
 * @module
 */
import { ContractFactory, HDNodeWallet, JsonRpcProvider, Contract, NonceManager, isError, parseEther, toBeHex, type Signer } from 'ethers'
import { STREAM_PAYMENTS, TEST_TOKEN } from '../artifacts.js'
import { HARDHAT_MNEMONIC } from './hardhat-node.js'

/** What `npm run chain` prints and writes to its state file (snake_case: it is read by scripts and people). */
export interface LocalChainInfo {
  readonly rpc_url: string
  readonly chain_id: number
  readonly contract: string
  readonly token: string
  readonly token_symbol: string
  readonly token_decimals: number
  /** Account 0: deployed the contracts and mints the token. */
  readonly deployer: string
  /** Funded test accounts (Hardhat's public development keys: never use them on a real chain). */
  readonly accounts: readonly { readonly address: string; readonly private_key: string }[]
}

/** Symbol and name of the local test token. */
export const TEST_TOKEN_SYMBOL = 'tGLM'
export const TEST_TOKEN_NAME = 'Test GLM'
const DECIMALS = 18
/** Gas every funded account gets (ETH). */
export const FUNDED_ETH = parseEther('100')

/** The i-th development account of the Hardhat mnemonic. */
export function developmentAccount(index: number): HDNodeWallet {
  return HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, '', "m/44'/60'/0'/0").deriveChild(index)
}

const tokenOf = (address: string, signer: Signer): Contract => new Contract(address, TEST_TOKEN.abi, signer)

/**
 * Deploys the token and the contract with account 0 and gives accounts
 * 1..`fundAccounts` gas and `tokensEach` (base units).
 */
export async function deployLocalContracts(rpcUrl: string, opts: { fundAccounts?: number; tokensEach?: bigint } = {}): Promise<LocalChainInfo> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, polling: false, cacheTimeout: -1 })
  try {
    const { chainId } = await provider.getNetwork()
    const deployer = new NonceManager(developmentAccount(0).connect(provider))
    const token = await deploy(new ContractFactory(TEST_TOKEN.abi, TEST_TOKEN.bytecode, deployer), [TEST_TOKEN_NAME, TEST_TOKEN_SYMBOL])
    const streams = await deploy(new ContractFactory(STREAM_PAYMENTS.abi, STREAM_PAYMENTS.bytecode, deployer), [])
    const accounts = Array.from({ length: opts.fundAccounts ?? 4 }, (_, i) => developmentAccount(i + 1))
    const tokensEach = opts.tokensEach ?? 1_000_000n * 10n ** BigInt(DECIMALS)
    for (const account of accounts) await fundWith(provider, deployer, token, account.address, tokensEach)
    return {
      rpc_url: rpcUrl,
      chain_id: Number(chainId),
      contract: streams,
      token,
      token_symbol: TEST_TOKEN_SYMBOL,
      token_decimals: DECIMALS,
      deployer: await deployer.getAddress(),
      accounts: accounts.map((a) => ({ address: a.address, private_key: a.privateKey })),
    }
  } finally {
    provider.destroy()
  }
}

async function deploy(factory: ContractFactory, args: unknown[]): Promise<string> {
  const contract = await factory.deploy(...args)
  await contract.waitForDeployment()
  return contract.getAddress()
}

/**
 * Gives `address` gas (its ETH balance set to {@link FUNDED_ETH} unless higher)
 * and mints it `amount` base units of the test token. Safe to run from several
 * processes at once: a nonce taken by another process is retried.
 */
export async function fundAddress(rpcUrl: string, token: string, address: string, amount: bigint): Promise<{ tokenBalance: bigint; ethBalance: bigint }> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, polling: false, cacheTimeout: -1 })
  try {
    const minter = new NonceManager(developmentAccount(0).connect(provider))
    const contract = tokenOf(token, minter)
    await fundWith(provider, minter, contract.target as string, address, amount)
    const [tokenBalance, ethBalance] = await Promise.all([
      contract.getFunction('balanceOf').staticCall(address) as Promise<bigint>,
      provider.getBalance(address),
    ])
    return { tokenBalance, ethBalance }
  } finally {
    provider.destroy()
  }
}

async function fundWith(provider: JsonRpcProvider, minter: NonceManager, token: string, address: string, amount: bigint): Promise<void> {
  const balance = await provider.getBalance(address)
  if (balance < FUNDED_ETH) await provider.send('hardhat_setBalance', [address, toBeHex(FUNDED_ETH)])
  if (amount === 0n) return
  for (let attempt = 1; ; attempt++) {
    try {
      const tx = (await tokenOf(token, minter).getFunction('mint').send(address, amount)) as { wait(): Promise<unknown> }
      await tx.wait()
      return
    } catch (error) {
      // Another process minted with the same nonce: read the nonce again and retry.
      const nonceTaken = isError(error, 'NONCE_EXPIRED') || isError(error, 'REPLACEMENT_UNDERPRICED') || /nonce/i.test(String(error))
      if (!nonceTaken || attempt >= 5) throw error
      minter.reset()
    }
  }
}
