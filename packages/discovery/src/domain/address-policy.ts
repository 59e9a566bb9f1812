/**
 * Which advertised addresses are accepted. An advertisement must be worth
 * something an attacker cannot mint for free: its `ip_address` must be the
 * address the post came from (an IPv6 address: the same /64), so one machine
 * cannot advertise thousands of addresses it does not have; and in
 * production it must be a public address, never loopback, private,
 * link-local, multicast, carrier-grade NAT or reserved.
 *
 * @module
 */
import { addressScope } from '@golem-vm/protocol'
import { sourceKey } from '@golem-vm/common'
import { DiscoveryError } from './errors.js'

/** The configured rules. */
export interface AddressPolicy {
  /** `source`: the advertised address must be the posting address; `off`: not checked. */
  readonly check: 'source' | 'off'
  /** Accept addresses that are not public (development, private networks, tests). */
  readonly allowPrivate: boolean
}

/** Throws ADV_010 for a non-public address (unless allowed) and ADV_009 for one that is not the posting address. */
export function checkAdvertisedAddress(ip: string, source: string, policy: AddressPolicy): void {
  const scope = addressScope(ip)
  if (scope !== 'public' && !policy.allowPrivate) {
    throw new DiscoveryError(
      'ADV_010',
      `ip_address ${ip} is a ${scope} address, which renters on the public network cannot reach; advertise the provider's public address (a development or private network sets GOLEM_DISCOVERY_ENVIRONMENT=development or GOLEM_DISCOVERY_ALLOW_PRIVATE_ADDRESSES=true)`,
      [{ loc: ['body', 'ip_address'], msg: `a ${scope} address is not accepted`, type: 'address_scope' }],
    )
  }
  if (policy.check === 'source' && sourceKey(ip) !== sourceKey(source)) {
    throw new DiscoveryError(
      'ADV_009',
      `ip_address ${ip} is not the address this advertisement was posted from (${source}); post from the address you advertise (an IPv6 address must be in the same /64)`,
    )
  }
}
