/**
 * Where a provider is reached: its API URL from the advertisement, the host
 * a renter's `ssh` connects to, and whether the renter may connect there at
 * all. Pure, so the rules are tested alone.
 *
 * @module
 */
import { addressScope, DEFAULT_PROVIDER_PORT, IpAddress, type AddressScope } from '@golem-vm/protocol'

/** The parts of an advertisement that locate the provider's API. */
export interface ProviderLocation {
  readonly ip_address: string
  readonly api_port?: number | undefined
}

// Only IPv6 addresses contain colons; URLs need them in brackets.
const bracketed = (host: string): string => (host.includes(':') ? `[${host}]` : host)

/** `http://<ip>:<api_port or 7466>`, IPv6 in brackets. */
export function providerUrl(ad: ProviderLocation): string {
  return `http://${bracketed(ad.ip_address)}:${ad.api_port ?? DEFAULT_PROVIDER_PORT}`
}

/** The host part of a provider URL, without IPv6 brackets. */
export function urlHost(url: string): string {
  return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1')
}

const isLoopback = (host: string): boolean => /^127\./.test(host) || host === '::1' || host === '0.0.0.0' || host === '::'

/**
 * The host to SSH to: the provider's `ssh_host` when it is an IP address,
 * else the address the API was reached at. Host names are not followed (no
 * name resolution decides where the renter connects), and a loopback or
 * unspecified `ssh_host` from a provider reached at another address (an
 * original provider without a configured public IP says "localhost") is
 * replaced by that address. Whether the result may be connected to at all
 * is {@link connectProblem}'s question.
 */
export function sshHostFor(reportedHost: string | null | undefined, apiUrl: string): string {
  const apiHost = urlHost(apiUrl)
  if (reportedHost === undefined || reportedHost === null || !IpAddress.safeParse(reportedHost).success) return apiHost
  if (isLoopback(reportedHost) && !isLoopback(apiHost)) return apiHost
  return reportedHost
}

/** A login name ssh accepts and no shell or option parser can misread. */
export const isSafeUser = (user: string): boolean => /^[a-z_][a-z0-9_-]{0,31}$/.test(user)

// Address scopes as people read them.
const SCOPE_NAMES: Readonly<Record<Exclude<AddressScope, 'public'>, string>> = {
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local address',
  multicast: 'a multicast address',
  shared: 'a carrier-grade NAT address (100.64.0.0/10)',
  reserved: 'a reserved address',
}

/**
 * Why the renter must not connect to `host` (a provider's API or SSH
 * address), or undefined when it may: only IP addresses (nothing is
 * resolved), and in production only public ones; with `allowPrivate`
 * (development mode, or the `--allow-private-addresses` flag) any IP address.
 */
export function connectProblem(host: string, allowPrivate: boolean): string | undefined {
  if (!IpAddress.safeParse(host).success) return host === '0.0.0.0' || host === '::' ? 'the unspecified address' : 'not an IP address'
  const scope = addressScope(host)
  return scope === 'public' || allowPrivate ? undefined : SCOPE_NAMES[scope]
}

/** How to allow private addresses, for messages. */
export const ALLOW_PRIVATE_HINT = 'for a local test network set GOLEM_REQUESTOR_ENVIRONMENT=development or pass --allow-private-addresses'
