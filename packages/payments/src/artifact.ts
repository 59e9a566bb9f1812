/**
 * The shape of a compiled contract as the rest of the repository uses it.
 *
 * @module
 */

/** ABI and code of one contract, as generated into `artifacts.ts`. */
export interface ContractArtifact {
  readonly contractName: string
  /** The JSON ABI, as solc emits it. */
  readonly abi: readonly Record<string, unknown>[]
  /** Creation code (constructor included), 0x-prefixed hex. */
  readonly bytecode: string
  /** Runtime code as deployed, 0x-prefixed hex: what `eth_getCode` returns for a deployment. */
  readonly deployedBytecode: string
}
