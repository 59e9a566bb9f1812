/**
 * Runs Hardhat 2's local EVM node (`hardhat node`) as a child process on a
 * loopback port, offline, and stops it. Hardhat is used only as a JSON-RPC
 * node: contracts are compiled with solc by this package, so Hardhat's own
 * compile step (which would download compilers) never runs.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { PACKAGE_ROOT } from '../build/compile.js'

const require = createRequire(import.meta.url)

/** The well-known development mnemonic of Hardhat's node; its accounts hold 10,000 ETH each. Never use it on a real chain. */
export const HARDHAT_MNEMONIC = 'test test test test test test test test test test test junk'

export interface HardhatNodeOptions {
  /** Address to listen on (default 127.0.0.1). */
  readonly host?: string
  /** Port (default 0: any free port). */
  readonly port?: number
  /** Also mine an empty block this often, so block time follows the clock; 0 mines only for transactions. */
  readonly blockIntervalMs?: number
  /** File that receives the node's own output (every RPC call it served); discarded when unset. */
  readonly logFile?: string
  /** How long to wait for the node to listen (default 60 s). */
  readonly startTimeoutMs?: number
}

export interface HardhatNode {
  readonly rpcUrl: string
  readonly process: ChildProcess
  /** Resolves when the node exits, with its exit code. */
  readonly exited: Promise<number | null>
  /** Stops the node (SIGTERM, then SIGKILL after 5 s) and waits for it. */
  stop(): Promise<void>
}

const LISTENING = /JSON-RPC server at (http:\/\/\S+?)\/?$/

/** Starts the node and resolves once it listens; rejects with its output if it exits or does not listen in time. */
export async function startHardhatNode(opts: HardhatNodeOptions = {}): Promise<HardhatNode> {
  const cli = join(require.resolve('hardhat/package.json'), '..', 'internal/cli/bootstrap.js')
  const args = [
    cli,
    '--config',
    join(PACKAGE_ROOT, 'chain/hardhat.config.cjs'),
    'node',
    '--hostname',
    opts.host ?? '127.0.0.1',
    '--port',
    String(opts.port ?? 0),
  ]
  const child = spawn(process.execPath, args, {
    cwd: PACKAGE_ROOT,
    env: {
      ...process.env,
      HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true',
      GOLEM_CHAIN_BLOCK_INTERVAL_MS: String(opts.blockIntervalMs ?? 1000),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const log = opts.logFile === undefined ? undefined : createWriteStream(opts.logFile, { flags: 'a' })
  let output = ''
  child.stderr.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000)
    log?.write(chunk)
  })
  const rpcUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the Hardhat node did not listen within ${(opts.startTimeoutMs ?? 60_000) / 1000} s: ${output}`))
    }, opts.startTimeoutMs ?? 60_000)
    createInterface({ input: child.stdout }).on('line', (line) => {
      log?.write(`${line}\n`)
      const match = LISTENING.exec(line)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      } else {
        output = (output + line + '\n').slice(-4000)
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`the Hardhat node exited with ${code} before it listened: ${output}`))
    })
  })
  return {
    rpcUrl,
    process: child,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      }
      log?.end()
    },
  }
}
