/**
 * `golem-chain`: the local test chain (`npm run chain`) and its faucet
 * (`npm run -s chain:fund -- <address> [amount]`).
 *
 * `start` runs a Hardhat node on 127.0.0.1, deploys the test token and the
 * StreamPayments contract, funds four test accounts, prints one JSON line
 * (RPC URL, chain id, addresses, test accounts), writes the same to a state
 * file that `fund` reads, and runs until interrupted.
 *
 * @module
 */
import { rmSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command, CommanderError } from 'commander'
import { formatUnits, getAddress, parseUnits } from 'ethers'
import { deployLocalContracts, fundAddress, type LocalChainInfo } from './deploy.js'
import { startHardhatNode } from './hardhat-node.js'

/** Where `start` records the running chain by default, and `fund` looks for it. */
export const DEFAULT_STATE_FILE = join(tmpdir(), 'golem-local-chain.json')

const program = new Command('golem-chain')
  .description('A local EVM chain with the test token and the StreamPayments contract, for tests and the local network.')
  .exitOverride()

program
  .command('start')
  .description('Start the chain, deploy, fund test accounts, print one JSON line, and run until Ctrl-C.')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--port <port>', 'port to listen on (0: any free port)', '8545')
  .option('--block-interval-ms <ms>', 'also mine an empty block this often (0: only for transactions)', '1000')
  .option('--state-file <path>', 'where to record the chain for golem-chain fund', DEFAULT_STATE_FILE)
  .option('--log-file <path>', "write the node's own output (every RPC call) here")
  .action(async (opts: { host: string; port: string; blockIntervalMs: string; stateFile: string; logFile?: string }) => {
    const node = await startHardhatNode({ host: opts.host, port: Number(opts.port), blockIntervalMs: Number(opts.blockIntervalMs), logFile: opts.logFile })
    let info: LocalChainInfo
    try {
      info = await deployLocalContracts(node.rpcUrl)
    } catch (error) {
      await node.stop()
      throw error
    }
    writeFileSync(opts.stateFile, `${JSON.stringify(info)}\n`, { mode: 0o600 })
    process.stdout.write(`${JSON.stringify(info)}\n`)
    const stop = (): void => {
      void node.stop().then(() => rmSync(opts.stateFile, { force: true }))
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    const code = await node.exited
    rmSync(opts.stateFile, { force: true })
    if (code !== 0 && code !== null) throw new Error(`the Hardhat node exited with ${code}`)
  })

program
  .command('fund')
  .description('Give an address gas and test tokens on the local chain.')
  .argument('<address>', 'the address to fund')
  .argument('[amount]', 'test tokens, in token units (decimals allowed)', '1000')
  .option('--rpc-url <url>', 'the chain (default: the one golem-chain start recorded)')
  .option('--token <address>', 'the test token (default: the one golem-chain start recorded)')
  .option('--state-file <path>', 'the record golem-chain start wrote', DEFAULT_STATE_FILE)
  .action(async (address: string, amount: string, opts: { rpcUrl?: string; token?: string; stateFile: string }) => {
    const recorded = opts.rpcUrl !== undefined && opts.token !== undefined ? undefined : readState(opts.stateFile)
    const rpcUrl = opts.rpcUrl ?? recorded?.rpc_url ?? ''
    const token = opts.token ?? recorded?.token ?? ''
    const decimals = recorded?.token_decimals ?? 18
    const to = getAddress(address)
    const result = await fundAddress(rpcUrl, token, to, parseUnits(amount, decimals))
    process.stdout.write(
      `${JSON.stringify({ address: to, token, token_balance: formatUnits(result.tokenBalance, decimals), eth_balance: formatUnits(result.ethBalance, 18) })}\n`,
    )
  })

function readState(path: string): LocalChainInfo {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LocalChainInfo
  } catch {
    throw new Error(`no running local chain recorded in ${path}: start one with npm run chain, or pass --rpc-url and --token`)
  }
}

try {
  await program.parseAsync()
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2
  } else {
    process.stderr.write(`golem-chain: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  }
}
