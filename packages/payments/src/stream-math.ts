/**
 * The contract's vesting rules in TypeScript, exactly (bigint, whole seconds),
 * so the provider and the renter can reason about a stream they have read
 * once without asking the chain again: what has vested, until when the
 * deposit pays, what ending now would return. `test/stream-payments.test.ts`
 * checks these against the deployed contract at the same block times.
 *
 * @module
 */
import { keccak_256 } from '@noble/hashes/sha3'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils'

/** A stream as the contract stores it. Amounts in the token's base units, times in Unix seconds. */
export interface Stream {
  readonly id: bigint
  readonly payer: string
  readonly recipient: string
  readonly token: string
  /** keccak256 of the VM id it is bound to, 0x-prefixed. */
  readonly vmId: string
  readonly ratePerSecond: bigint
  readonly deposit: bigint
  readonly settled: bigint
  readonly withdrawn: bigint
  readonly refunded: bigint
  readonly since: number
  /** 0 while the stream is open. */
  readonly endedAt: number
}

/** The binding a stream carries for a VM: keccak256 of its id as UTF-8, 0x-prefixed (the contract's `vmId`). */
export function vmBinding(vmId: string): string {
  return `0x${bytesToHex(keccak_256(utf8ToBytes(vmId)))}`
}

/** True once either party ended the stream. */
export const isEnded = (s: Stream): boolean => s.endedAt !== 0

/** What has vested at Unix time `t` (the contract's `_vestedAt`): frozen at the end, capped at the deposit. */
export function vestedAt(s: Stream, t: number): bigint {
  if (isEnded(s) || t <= s.since) return s.settled
  const remaining = s.deposit - s.settled
  const elapsed = BigInt(t - s.since)
  if (elapsed > remaining / s.ratePerSecond) return s.deposit
  return s.settled + elapsed * s.ratePerSecond
}

/** The last second the deposit fully pays for; for an ended stream, its end. */
export function paidUntil(s: Stream): number {
  if (isEnded(s)) return s.endedAt
  return s.since + Number((s.deposit - s.settled) / s.ratePerSecond)
}

/** Seconds of runway left at `t` (0 once it ran out or the stream ended). */
export function runwayAt(s: Stream, t: number): number {
  return isEnded(s) ? 0 : Math.max(0, paidUntil(s) - t)
}

/** What the recipient could withdraw at `t`. */
export const withdrawableAt = (s: Stream, t: number): bigint => vestedAt(s, t) - s.withdrawn

/** What ending the stream at `t` would return to the payer. */
export const refundableAt = (s: Stream, t: number): bigint => (isEnded(s) ? 0n : s.deposit - vestedAt(s, t))
