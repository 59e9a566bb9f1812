/**
 * Where a provider is reached: its API URL from the advertisement, and the
 * host a renter's `ssh` connects to. Pure, so the rules are tested alone.
 *
 * @module
 */
import { DEFAULT_PROVIDER_PORT, IpAddress } from '@golem-vm/protocol'

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

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

/** True for an IP address or a DNS host name: nothing ssh could read as an option or a path. */
export const isSafeHost = (host: string): boolean =>
  /^[\d.]+$/.test(host) || host.includes(':') ? IpAddress.safeParse(host).success : HOST_NAME.test(host)

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host.startsWith('127.') || host === '0.0.0.0' || host === '::'

/**
 * The host to SSH to: the provider's `ssh_host` when it is usable, else the
 * host the API was reached at. A loopback or unspecified `ssh_host` from a
 * provider reached at another address (an original provider without a
 * configured public IP says "localhost") is replaced by that address.
 */
export function sshHostFor(reportedHost: string | undefined, apiUrl: string): string {
  const apiHost = urlHost(apiUrl)
  if (reportedHost === undefined || !isSafeHost(reportedHost)) return apiHost
  if (isLoopback(reportedHost) && !isLoopback(apiHost)) return apiHost
  return reportedHost
}

/** A login name ssh accepts and no shell or option parser can misread. */
export const isSafeUser = (user: string): boolean => /^[a-z_][a-z0-9_-]{0,31}$/.test(user)
