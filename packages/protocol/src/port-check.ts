/**
 * The port-check server's HTTP API: request, response and error schemas,
 * shared by the server (validation, OpenAPI) and the provider's client.
 * Field names and the 200 body follow the original port checker 0.1.21
 * (`POST /check-ports`, `GET /health`), so an existing provider can use either.
 *
 * @module
 */
import { z } from 'zod'

/** Port the port-check server listens on unless configured otherwise (the original's console script). */
export const DEFAULT_PORT_CHECKER_PORT = 9000

/** Ports a server accepts per request unless its operator sets another bound; a whole default SSH range (101) fits. */
export const DEFAULT_MAX_PORTS_PER_REQUEST = 128

export const MIN_TCP_PORT = 1
export const MAX_TCP_PORT = 65_535

/** The `error` text of a port whose TCP connect was actively refused (an RST came back). */
export const ERROR_CONNECTION_REFUSED = 'Connection refused'
/** The `error` text of a port whose TCP connect got no answer within the timeout on every attempt. */
export const ERROR_CONNECTION_TIMED_OUT = 'Connection timed out'
/** The `error` text of a port the server had no time left to check (request deadline); not part of the original. */
export const ERROR_DEADLINE_EXCEEDED = 'Check deadline exceeded'

const IPV4 = z.ipv4()
const IPV6 = z.ipv6()
const HOSTNAME = z.hostname()

// A hostname's last label is never all digits (RFC 3696 §2), so "999.1.1.1" is neither an IP nor a hostname.
const looksLikeHostname = (text: string): boolean => HOSTNAME.safeParse(text).success && !/(^|\.)\d+\.?$/.test(text)

/** True when `text` is an IPv4 address in dotted-decimal form or an IPv6 address (no zone id, no brackets). */
export const isIpLiteral = (text: string): boolean => IPV4.safeParse(text).success || IPV6.safeParse(text).success

export const ProviderAddress = z
  .string()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .refine(
    (text) => isIpLiteral(text) || looksLikeHostname(text),
    'must be an IPv4 address such as "203.0.113.7", an IPv6 address, or (only where the checker allows it) a hostname',
  )
  .meta({
    description:
      'Address to check. Must be the address the request comes from unless the checker allows foreign addresses; ' +
      'an IPv4-mapped IPv6 address (::ffff:a.b.c.d) counts as a.b.c.d. Hostnames are refused unless the checker allows them.',
    example: '203.0.113.7',
  })

export const TcpPort = z
  .number()
  .int('must be a whole number')
  .min(MIN_TCP_PORT, `must be at least ${MIN_TCP_PORT}`)
  .max(MAX_TCP_PORT, `must be at most ${MAX_TCP_PORT}`)
  .meta({ description: 'A TCP port, 1 to 65535, as a JSON number (strings such as "80" are refused).', example: 50800 })

/**
 * The `POST /check-ports` body. Duplicated ports are checked once. How many
 * distinct ports a request may hold is the server's setting (default
 * {@link DEFAULT_MAX_PORTS_PER_REQUEST}); more gives `TOO_MANY_PORTS`.
 */
export const CheckPortsRequest = z
  .object({
    provider_ip: ProviderAddress,
    ports: z.array(TcpPort).meta({ description: 'Ports to check, in the order the results should list them.' }),
  })
  .meta({ id: 'CheckPortsRequest' })
export type CheckPortsRequest = z.infer<typeof CheckPortsRequest>

export const PortResult = z
  .object({
    accessible: z.boolean().meta({ description: 'True when a TCP connection to the port was established.' }),
    error: z.string().nullable().meta({
      description: 'Null when accessible; else "Connection refused", "Connection timed out", "Check deadline exceeded" or another system error text.',
      example: ERROR_CONNECTION_REFUSED,
    }),
  })
  .meta({ id: 'PortResult' })
export type PortResult = z.infer<typeof PortResult>

/**
 * The 200 body of `POST /check-ports` as this server sends it. `results` has
 * one key per distinct port (decimal string), written in request order;
 * `success` and `message` count distinct ports.
 */
export const CheckPortsResponse = z
  .object({
    success: z.boolean().meta({ description: 'True when at least one port is accessible (the original meaning).' }),
    all_accessible: z.boolean().meta({ description: 'True when every requested port is accessible (false for an empty list). Not sent by the original.' }),
    results: z.record(z.string().regex(/^[1-9]\d{0,4}$/), PortResult).meta({ description: 'Result per distinct port, keyed by the port as a decimal string.' }),
    message: z
      .string()
      .meta({ description: 'Summary, e.g. "Successfully verified 2 out of 3 ports" (distinct ports).', example: 'Successfully verified 2 out of 3 ports' }),
  })
  .meta({ id: 'CheckPortsResponse' })
export type CheckPortsResponse = z.infer<typeof CheckPortsResponse>

/** What a client accepts from any checker, including the original 0.1.21, which does not send `all_accessible`. */
export const CheckPortsResponseCompat = CheckPortsResponse.extend({ all_accessible: z.boolean().optional() })
export type CheckPortsResponseCompat = z.infer<typeof CheckPortsResponseCompat>

export const PortCheckHealth = z.object({ status: z.literal('ok') }).meta({ id: 'PortCheckHealth' })
export type PortCheckHealth = z.infer<typeof PortCheckHealth>

/** Every error code the port-check server sends; each has one HTTP status (see the server's README). */
export const PORT_CHECK_ERROR_CODES = [
  'VALIDATION_FAILED',
  'TOO_MANY_PORTS',
  'HOSTNAME_NOT_ALLOWED',
  'HOSTNAME_NOT_RESOLVED',
  'FOREIGN_ADDRESS',
  'ROUTE_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'SHUTTING_DOWN',
  'INTERNAL',
] as const
export const PortCheckErrorCode = z.enum(PORT_CHECK_ERROR_CODES)
export type PortCheckErrorCode = z.infer<typeof PortCheckErrorCode>

export const PortCheckErrorIssue = z.object({
  path: z.string().meta({ description: 'Where in the body, e.g. "ports.2"; empty for the body itself.' }),
  message: z.string(),
})

/** Every error body of the port-check server: JSON, never plain text. */
export const PortCheckErrorBody = z
  .object({
    code: PortCheckErrorCode.meta({ description: 'Stable error code, e.g. FOREIGN_ADDRESS.' }),
    message: z.string().meta({ description: 'What went wrong and what to do about it.' }),
    detail: z.string().meta({ description: 'Same as message; the key FastAPI clients of the original read.' }),
    issues: z.array(PortCheckErrorIssue).optional().meta({ description: 'Every validation problem (VALIDATION_FAILED only).' }),
  })
  .meta({ id: 'PortCheckErrorBody' })
export type PortCheckErrorBody = z.infer<typeof PortCheckErrorBody>

/**
 * JSON text of a 200 body with the `results` keys in the order of `order`
 * (distinct ports as the request listed them). JavaScript objects list
 * integer-like keys in ascending order, so `JSON.stringify` alone cannot keep
 * the request order the wire promises. Throws when `response` does not match
 * {@link CheckPortsResponse} or `order` does not name exactly its result keys.
 */
export function serializeCheckPortsResponse(response: CheckPortsResponse, order: readonly number[]): string {
  const checked = CheckPortsResponse.parse(response)
  const keys = order.map(String)
  const known = Object.keys(checked.results)
  if (keys.length !== known.length || keys.some((key) => !Object.hasOwn(checked.results, key))) {
    throw new Error(`result order [${keys.join(', ')}] does not match the result keys [${known.join(', ')}]`)
  }
  const results = keys.map((key) => `${JSON.stringify(key)}:${JSON.stringify(checked.results[key])}`).join(',')
  const head = `"success":${JSON.stringify(checked.success)},"all_accessible":${JSON.stringify(checked.all_accessible)}`
  return `{${head},"results":{${results}},"message":${JSON.stringify(checked.message)}}`
}
