/**
 * The discovery service's wire contract, shared by the service (validation,
 * OpenAPI), the provider's advertiser (what to post, how to sign it) and the
 * requestor (what a listing contains). Routes and field names follow the
 * original discovery-server 0.1.21 so its requestor keeps working.
 *
 * @module
 */
import { isIP } from 'node:net'
import { z } from 'zod'
import { API_PREFIX } from './provider-api.js'
import { BaseUnits, OfferPricing } from './pricing.js'
import { SIGNATURE_HEADERS, SIGNATURE_SCHEME, signRequest, type RequestSignature, type RequestSigner } from './signing.js'

/** The audience every request to the discovery service is signed for. */
export const DISCOVERY_AUDIENCE = 'discovery'
/** Port of the original discovery service, kept as the default. */
export const DEFAULT_DISCOVERY_PORT = 9001
/** Collection path: POST to publish, GET to list. */
export const ADVERTISEMENTS_PATH = `${API_PREFIX}/advertisements`

/** Path of one provider's advertisement (GET or DELETE). */
export const advertisementPath = (providerId: string): string => `${ADVERTISEMENTS_PATH}/${encodeURIComponent(providerId)}`

// Officially assigned ISO 3166-1 alpha-2 codes (249), plus XK (Kosovo, user-assigned
// but returned by the common IP geolocation databases a provider may use).
const COUNTRY_CODES = new Set(
  `AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
   CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
   GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP
   KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT
   MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
   SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
   UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK`.split(/\s+/),
)

/** True when `code` (any case) is an ISO 3166-1 alpha-2 country code. */
export const isCountryCode = (code: string): boolean => /^[A-Za-z]{2}$/.test(code) && COUNTRY_CODES.has(code.toUpperCase())

/** Resource keys every advertisement must carry, each at least 1. */
export const REQUIRED_RESOURCES = ['cpu', 'memory', 'storage'] as const
/** Most resource entries one advertisement may carry. */
export const MAX_RESOURCE_KEYS = 16
const RESOURCE_KEY = /^[a-z][a-z0-9_]{0,31}$/

/** An ISO 3166-1 alpha-2 country code (plus XK), any letter case. */
export const CountryCode = z
  .string()
  .refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code such as "SE", "DE" or "GB" (any case)')
  .meta({ description: 'ISO 3166-1 alpha-2 country code; stored and returned upper-case.', example: 'SE' })

/** A literal IPv4 or IPv6 address a requestor can connect to. */
export const IpAddress = z
  .string()
  .max(64)
  .refine((ip) => isIP(ip) !== 0 && !ip.includes('%'), 'must be an IPv4 or IPv6 address, such as "203.0.113.7" or "2001:db8::7" (no host names, no zone)')
  .refine((ip) => ip !== '0.0.0.0' && ip !== '::', 'must be an address requestors can reach, not the unspecified address')
  .meta({ description: 'Public IPv4 or IPv6 address requestors connect to.', example: '203.0.113.7' })

const requiredResource = (key: string, what: string) =>
  z
    .int({ error: (issue) => (issue.input === undefined ? `${key} is required (${what})` : `${key} must be a whole number (${what})`) })
    .min(1, `${key} must be at least 1 (${what})`)

/** Free resources: cpu, memory and storage (each >= 1) plus other whole-number entries (>= 0). */
export const AdvertisedResources = z
  .object({ cpu: requiredResource('cpu', 'CPU cores'), memory: requiredResource('memory', 'GB'), storage: requiredResource('storage', 'GB') })
  .catchall(z.int('must be a whole number').min(0, 'must be at least 0'))
  .superRefine((resources, ctx) => {
    const keys = Object.keys(resources)
    for (const key of keys) {
      if (!RESOURCE_KEY.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'resource names are lower-case letters, digits and "_" (at most 32)' })
    }
    if (keys.length > MAX_RESOURCE_KEYS) ctx.addIssue({ code: 'custom', message: `must have at most ${MAX_RESOURCE_KEYS} entries` })
  })
  .meta({
    description: 'Free resources as whole numbers: cpu (cores), memory (GB), storage (GB), each >= 1; other integer keys (e.g. gpu) are kept.',
    example: { cpu: 4, memory: 8, storage: 100 },
  })
export type AdvertisedResources = z.infer<typeof AdvertisedResources>

/**
 * The body of `POST /api/v1/advertisements`. Unknown keys are refused (so a
 * typo is reported, not silently dropped); the optional keys are ignored by
 * the original requestor.
 */
export const AdvertisementBody = z
  .strictObject({
    ip_address: IpAddress,
    country: CountryCode,
    resources: AdvertisedResources,
    provider_name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters')
      .optional()
      .meta({ description: 'Human-readable name shown to requestors; defaults to the provider id.' }),
    version: z
      .string()
      .min(1)
      .max(32)
      .regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]*$/, 'must be a version such as "0.2.0"')
      .optional()
      .meta({ description: 'Provider software version.' }),
    arch: z
      .string()
      .regex(/^[a-z0-9_]{1,16}$/, 'must be an architecture name such as "x86_64" or "aarch64"')
      .optional()
      .meta({ description: 'CPU architecture of the VMs offered.' }),
    api_port: z.int().min(1).max(65_535).optional().meta({ description: 'Port of the provider API (the original always used 7466).' }),
    ssh_ports_free: z.int().min(0).max(65_535).optional().meta({ description: 'How many verified SSH ports are free.' }),
    pricing: OfferPricing.optional().meta({ description: 'What renting costs (absent: free); renters pay through a payment stream.' }),
    isolated: z.boolean().optional().meta({
      description:
        "True when the provider walls its VMs off from its host, its LAN, the metadata service and each other (only the internet is reachable from inside); false when it runs them unisolated; absent from providers that do not say (the original's).",
    }),
  })
  .meta({ id: 'AdvertisementBody' })
export type AdvertisementBody = z.infer<typeof AdvertisementBody>

/**
 * What the provider signed when it posted an advertisement: the exact request
 * (path and body bytes as UTF-8 text), its signing time, nonce and EIP-191
 * signature. Any renter can recompute the canonical message (audience
 * "discovery", method POST) and recover the provider's address from it, and
 * compare the advertisement's fields with the body: a discovery service
 * cannot change an advertisement without this check failing
 * (`verifyAdvertisement`).
 */
export const AdvertisementProof = z
  .object({
    scheme: z.string().meta({ description: `Signature scheme; "${SIGNATURE_SCHEME}".` }),
    path: z.string().meta({ description: 'Request path the provider signed, as sent.' }),
    body: z.string().meta({ description: 'The exact body the provider posted and signed (UTF-8 JSON text).' }),
    timestamp: z.number().meta({ description: 'Signing time, epoch milliseconds (X-Golem-Timestamp).' }),
    nonce: z.string().meta({ description: 'The request nonce (X-Golem-Nonce).' }),
    signature: z.string().meta({ description: 'EIP-191 signature over the canonical request message (X-Provider-Signature).' }),
  })
  .meta({ id: 'AdvertisementProof' })
export type AdvertisementProof = z.infer<typeof AdvertisementProof>

const Timestamp = z.string().meta({ description: 'ISO 8601 UTC timestamp.', example: '2026-11-24T10:00:00.000Z' })

/** An advertisement as this service returns it; keys in the original's order, then the additions. */
export const Advertisement = z
  .object({
    provider_id: z.string().meta({ description: 'EIP-55 checksummed Ethereum address of the provider.' }),
    ip_address: z.string(),
    country: z.string(),
    resources: z.record(z.string(), z.number()),
    created_at: Timestamp.meta({ description: 'When this advertisement was first posted (since it last expired).' }),
    updated_at: Timestamp.meta({ description: 'When it was last posted; it expires a configured time after this.' }),
    provider_name: z.string(),
    version: z.string().optional(),
    arch: z.string().optional(),
    api_port: z.number().optional(),
    ssh_ports_free: z.number().optional(),
    pricing: OfferPricing.optional(),
    isolated: z.boolean().optional().meta({ description: 'Whether the provider isolates its VMs (absent: it did not say; treat as not isolated).' }),
    signed: z.boolean().meta({ description: 'False for an unsigned post accepted in the transition mode.' }),
    proof: AdvertisementProof.optional().meta({ description: 'The signed post behind this advertisement (absent for unsigned posts): verify it yourself.' }),
  })
  .meta({ id: 'Advertisement' })
export type Advertisement = z.infer<typeof Advertisement>

/**
 * What a client may receive from any discovery service: an original 0.1.21
 * server omits `provider_name` and `signed` and writes timestamps without a zone.
 */
export const AdvertisementFromAnyServer = Advertisement.extend({ provider_name: z.string().optional(), signed: z.boolean().optional() })
export type AdvertisementFromAnyServer = z.infer<typeof AdvertisementFromAnyServer>

/** Response of the listing. */
export const AdvertisementList = z.array(Advertisement)

const WholeNumberText = z.string().regex(/^[+-]?\d{1,9}$/, 'must be a whole number of at most 9 digits')

/** Most advertisements one listing page holds (`limit`), and how many when `limit` is not given. */
export const MAX_PAGE_SIZE = 500
export const DEFAULT_PAGE_SIZE = 100

/**
 * Query of `GET /api/v1/advertisements`; numbers must be >= 1 (checked by the
 * service, ADV_002). The answer is one page (a bare array, as in the
 * original); when more match, a `Link: <…>; rel="next"` header gives the
 * next page's path, whose `after` is an opaque cursor.
 */
export const AdvertisementQuery = z.strictObject({
  cpu: WholeNumberText.optional().meta({ description: 'At least this many CPU cores.' }),
  memory: WholeNumberText.optional().meta({ description: 'At least this much memory (GB).' }),
  storage: WholeNumberText.optional().meta({ description: 'At least this much storage (GB).' }),
  country: CountryCode.optional().meta({ description: 'Only this country (case-insensitive).' }),
  isolated: z.enum(['true', 'false'], 'must be "true" or "false"').optional().meta({
    description:
      'Only providers that said they isolate their VMs ("true"), or only those that said they do not ("false"); providers that said nothing match neither.',
  }),
  token: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a token address (0x and 40 hex digits)')
    .optional()
    .meta({ description: 'Only providers paid in this ERC-20 token (case-insensitive), and free ones. Required with any max_price_* filter.' }),
  max_price_per_cpu_hour: BaseUnits.optional().meta({
    description: 'Only providers asking at most this many base units of `token` per vCPU per hour (free ones always match).',
  }),
  max_price_per_gb_memory_hour: BaseUnits.optional().meta({
    description: 'Only providers asking at most this many base units of `token` per GB of memory per hour (free ones always match).',
  }),
  max_price_per_gb_storage_hour: BaseUnits.optional().meta({
    description: 'Only providers asking at most this many base units of `token` per GB of storage per hour (free ones always match).',
  }),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'must be a whole number')
    .refine((v) => Number(v) >= 1 && Number(v) <= MAX_PAGE_SIZE, `must be from 1 to ${MAX_PAGE_SIZE}`)
    .optional()
    .meta({ description: `Page size (default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}).` }),
  after: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a cursor from a Link header')
    .optional()
    .meta({ description: "Cursor of the next page, from the previous page's Link header." }),
})
export type AdvertisementQuery = z.infer<typeof AdvertisementQuery>

/** Response of a successful DELETE (the original's). */
export const DeleteAdvertisementResponse = z.object({ status: z.literal('success') })
/** Response of `GET /health` (the original's, plus whether the database answers). */
export const DiscoveryHealth = z.object({ status: z.literal('healthy'), database: z.literal('ok').optional() })
/** The 503 answer of `GET /health` while the database does not answer. */
export const DiscoveryUnhealthy = z.object({ status: z.literal('unhealthy'), database: z.literal('unavailable'), message: z.string() })

/** One problem of a request that failed validation, in the shape of the original's 422 entries. */
export const DiscoveryIssue = z.object({
  loc: z.array(z.union([z.string(), z.number()])).meta({ description: 'Where: "body", "query" or "path", then the field path.' }),
  msg: z.string(),
  type: z.string().meta({ description: 'Kind of problem, e.g. "invalid_type" or "unrecognized_keys".' }),
})
export type DiscoveryIssue = z.infer<typeof DiscoveryIssue>

/**
 * Every error of the discovery service: `detail` keeps the original's
 * `{"detail":{"code","message"}}`; `code` and `message` repeat it at the top
 * level; `detail.issues` lists every problem of a request that failed validation.
 */
export const DiscoveryErrorBody = z
  .object({
    code: z.string().meta({ description: 'Stable error code, e.g. ADV_004 or AUTH_001.' }),
    message: z.string().meta({ description: 'What went wrong and what to do about it.' }),
    detail: z.object({ code: z.string(), message: z.string(), issues: z.array(DiscoveryIssue).optional() }),
  })
  .meta({ id: 'DiscoveryErrorBody' })
export type DiscoveryErrorBody = z.infer<typeof DiscoveryErrorBody>

/** The four signature headers of a discovery request, from a signature made for audience "discovery". */
export function discoveryAuthHeaders(signature: RequestSignature): Record<string, string> {
  return {
    [SIGNATURE_HEADERS.providerId]: signature.signer,
    [SIGNATURE_HEADERS.providerSignature]: signature.signature,
    [SIGNATURE_HEADERS.timestamp]: String(signature.timestamp),
    [SIGNATURE_HEADERS.nonce]: signature.nonce,
  }
}

/**
 * Signs one request to the discovery service and returns the headers to send
 * with it. `path` includes any query string; `body` must be the exact bytes
 * that will be sent (an empty string for DELETE). Adds `content-type` when
 * there is a body. `now` and `nonce` are injectable for tests.
 */
export async function signDiscoveryRequest(
  signer: RequestSigner,
  req: { method: string; path: string; body: string },
  now?: number,
  nonce?: string,
): Promise<Record<string, string>> {
  const signature = await signRequest(signer, { audience: DISCOVERY_AUDIENCE, ...req }, now, nonce)
  const headers = discoveryAuthHeaders(signature)
  return req.body === '' ? headers : { ...headers, 'content-type': 'application/json' }
}
