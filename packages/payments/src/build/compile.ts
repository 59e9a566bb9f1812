/**
 * Compiles the Solidity sources under `contracts/` with the `solc` npm
 * package (the compiler itself, as WebAssembly: nothing is downloaded), and
 * renders the artifacts module `src/artifacts.ts` that the rest of the
 * repository imports. The same function serves the build
 * (`build-contracts.ts`) and the drift check (`test/artifacts.test.ts`).
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)

/** The package's root directory (this file is compiled to `dist/src/build/`). */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..')
/** Where the generated module lives, committed beside the code that uses it. */
export const ARTIFACTS_MODULE = join(PACKAGE_ROOT, 'src/artifacts.ts')

/** The contracts to compile, by source path under `contracts/`, with the contract each defines. */
export const CONTRACTS = [
  { source: 'StreamPayments.sol', name: 'StreamPayments', exportName: 'STREAM_PAYMENTS' },
  { source: 'test/TestToken.sol', name: 'TestToken', exportName: 'TEST_TOKEN' },
] as const

/**
 * Compiler settings. `shanghai` runs on every EVM chain in use today (PUSH0 is
 * its newest opcode); the optimizer's usual 200 runs suit contracts called often.
 */
export const COMPILER_SETTINGS = { evmVersion: 'shanghai', optimizer: { enabled: true, runs: 200 } } as const

/** One compiled contract. */
export interface CompiledContract {
  readonly name: string
  readonly exportName: string
  readonly abi: readonly unknown[]
  /** Creation code, 0x-prefixed. */
  readonly bytecode: string
  /** Code as deployed (what `eth_getCode` returns), 0x-prefixed. */
  readonly deployedBytecode: string
}

export interface Compilation {
  /** The compiler's full version string. */
  readonly compiler: string
  readonly contracts: readonly CompiledContract[]
}

/** Thrown when the sources do not compile; the message holds every compiler error. */
export class CompileError extends Error {
  override readonly name = 'CompileError'
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[]
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>
}

interface Solc {
  version(): string
  compile(input: string, callbacks: { import: (path: string) => { contents: string } | { error: string } }): string
}

// Resolves imports such as "@openzeppelin/contracts/..." from node_modules, and nothing else.
function readImport(path: string): { contents: string } | { error: string } {
  try {
    return { contents: readFileSync(require.resolve(path), 'utf8') }
  } catch (error) {
    return { error: `cannot import ${path}: ${(error as Error).message}` }
  }
}

/** Compiles every contract in {@link CONTRACTS}. Rejects with {@link CompileError} on any error (warnings too). */
export async function compileContracts(): Promise<Compilation> {
  const solc = (await import('solc')).default as Solc
  const sources = Object.fromEntries(CONTRACTS.map((c) => [c.source, { content: readFileSync(join(PACKAGE_ROOT, 'contracts', c.source), 'utf8') }]))
  const input = {
    language: 'Solidity',
    sources,
    settings: { ...COMPILER_SETTINGS, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } } },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: readImport })) as SolcOutput
  const problems = (output.errors ?? []).map((e) => e.formattedMessage)
  if (problems.length > 0) throw new CompileError(`the contracts do not compile cleanly:\n${problems.join('\n')}`)
  const contracts = CONTRACTS.map((c) => {
    const compiled = output.contracts?.[c.source]?.[c.name]
    if (compiled === undefined) throw new CompileError(`solc produced no ${c.name} from ${c.source}`)
    return {
      name: c.name,
      exportName: c.exportName,
      abi: compiled.abi,
      bytecode: `0x${compiled.evm.bytecode.object}`,
      deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
    }
  })
  return { compiler: solc.version(), contracts }
}

/** The text of `src/artifacts.ts` for a compilation: deterministic, so a diff means the sources changed. */
export function renderArtifactsModule(compilation: Compilation): string {
  const header = [
    '// Generated from contracts/*.sol by `npm run -w @golem-vm/payments build:contracts`. Do not edit:',
    '// test/artifacts.test.ts compiles the sources again and fails when this file differs.',
    "import type { ContractArtifact } from './artifact.js'",
    '',
    `/** The compiler and settings these artifacts were built with. */`,
    `export const COMPILER = ${JSON.stringify({ version: compilation.compiler, settings: COMPILER_SETTINGS })} as const`,
    '',
  ]
  const bodies = compilation.contracts.map((c) =>
    [
      `/** ${c.name}: ABI, creation code and deployed code. */`,
      `export const ${c.exportName}: ContractArtifact = {`,
      `  contractName: ${JSON.stringify(c.name)},`,
      `  abi: ${JSON.stringify(c.abi, null, 2).replace(/\n/g, '\n  ')},`,
      `  bytecode: ${JSON.stringify(c.bytecode)},`,
      `  deployedBytecode: ${JSON.stringify(c.deployedBytecode)},`,
      '}',
      '',
    ].join('\n'),
  )
  return `${header.join('\n')}\n${bodies.join('\n')}`
}
