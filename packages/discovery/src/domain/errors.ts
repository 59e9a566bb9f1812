/**
 * The discovery service's error catalogue. Codes keep the original's names
 * (`ADV_00x`, `AUTH_00x`, `RATE_001`) and add new ones after them;
 * `http/error-handler.ts` is the only place that maps a code to an HTTP status,
 * and the README's table documents each (a test keeps them in step).
 *
 * @module
 */
import { ClientError, type DiscoveryIssue } from '@golem-vm/protocol'

/** Every code a client can receive; each line says when. */
export const ERROR_CODES = [
  'ADV_001', // storing the advertisement failed
  'ADV_002', // a resource filter is below 1
  'ADV_003', // listing failed
  'ADV_004', // advertisement not found (or expired)
  'ADV_005', // request validation failed (every problem listed)
  'ADV_006', // body is not valid JSON
  'ADV_007', // unsupported content type
  'ADV_008', // body too large
  'ADV_009', // ip_address is not the address the post came from
  'ADV_010', // ip_address is not a public address (production mode)
  'ADV_011', // too many providers advertise from this address
  'AUTH_001', // signature does not match the provider id and the request
  'AUTH_002', // signature timestamp too far from the server clock, or older than an accepted one
  'AUTH_003', // provider credentials missing
  'AUTH_004', // not authorised to delete this advertisement
  'AUTH_005', // signed request replayed
  'AUTH_006', // signature headers malformed
  'AUTH_007', // unsigned request for a provider that signs
  'AUTH_008', // unsigned requests are not accepted
  'RATE_001', // rate limit exceeded
  'ROUTE_001', // no such route
  'SERVER_001', // unexpected server error
  'SERVER_002', // the database does not answer (503, retry)
] as const

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number]

/** An error whose code and message are meant for the client. */
export class DiscoveryError extends ClientError<ErrorCode, DiscoveryIssue> {
  override readonly name = 'DiscoveryError'
}

/**
 * The store cannot reach its database (connection refused or lost, server
 * shutting down). Callers answer 503 and retry later; the store reconnects
 * by itself.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError'
}
