/**
 * The pure part of the payments package: the contract's vesting rules and the
 * VM binding. No I/O and no ethers: the provider loads this at start.
 * The chain client is `@golem-vm/payments/client`; ABI and bytecode are
 * `@golem-vm/payments/artifacts`; the local test chain is `@golem-vm/payments/local-chain`.
 *
 * @module
 */
export * from './stream-math.js'
export type { ContractArtifact } from './artifact.js'
