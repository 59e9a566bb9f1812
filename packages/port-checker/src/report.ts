/**
 * Turns port verdicts into the wire's 200 body.
 *
 * @module
 */
import type { CheckPortsResponse, PortResult } from '@golem-vm/protocol'
import type { PortOutcome } from './checker.js'

/**
 * Builds the `POST /check-ports` 200 body from one verdict per distinct port.
 * `success` is true when at least one port is accessible (the original's
 * meaning), `all_accessible` when every one is (false for none), and
 * `message` counts distinct ports. `results` holds the same verdicts; its
 * key order on the wire comes from `serializeCheckPortsResponse`.
 */
export function buildResponse(outcomes: readonly PortOutcome[]): CheckPortsResponse {
  const accessible = outcomes.filter((o) => o.accessible).length
  const results: Record<string, PortResult> = {}
  for (const o of outcomes) results[String(o.port)] = { accessible: o.accessible, error: o.error }
  return {
    success: accessible > 0,
    all_accessible: outcomes.length > 0 && accessible === outcomes.length,
    results,
    message: `Successfully verified ${accessible} out of ${outcomes.length} ports`,
  }
}
