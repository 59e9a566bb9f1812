/**
 * The anti-scanner rule: which address a request may have probed. By default
 * only the address the request comes from; hostnames are refused unless the
 * operator allows them, and even then the resolved address must be the
 * caller's own unless foreign addresses are allowed too.
 *
 * @module
 */
import { canonicalIp } from './address.js'
import { PortCheckError } from './errors.js'

/** What the operator allows. Both default to false. */
export interface TargetPolicy {
  readonly allowForeignAddress: boolean
  readonly allowHostnames: boolean
}

/** Resolves a hostname to its IP addresses (any family); rejects when it has none. */
export type Lookup = (hostname: string) => Promise<readonly string[]>

const foreign = (requested: string, caller: string): PortCheckError =>
  new PortCheckError(
    'FOREIGN_ADDRESS',
    `provider_ip ${requested} is not the address this request comes from (${caller}); this checker only checks the ` +
      `caller's own address. Send the request from the host you want checked, with provider_ip set to its public address.`,
  )

// Picks the address to probe among a hostname's addresses.
function pickResolved(hostname: string, addresses: readonly string[], caller: string | undefined, policy: TargetPolicy): string {
  const [first] = addresses
  if (first === undefined) {
    throw new PortCheckError('HOSTNAME_NOT_RESOLVED', `hostname ${hostname} has no IP address; send the IP address to check instead`)
  }
  if (policy.allowForeignAddress) return first
  const own = addresses.find((address) => address === caller)
  if (own !== undefined) return own
  throw foreign(`${hostname} (${addresses.join(', ')})`, caller ?? 'unknown')
}

async function resolveHostname(hostname: string, lookup: Lookup): Promise<string[]> {
  try {
    const addresses = await lookup(hostname)
    return addresses.map(canonicalIp).filter((address) => address !== undefined)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new PortCheckError('HOSTNAME_NOT_RESOLVED', `hostname ${hostname} could not be resolved (${reason}); send the IP address to check instead`, [], {
      cause: error,
    })
  }
}

/**
 * Returns the IP literal to probe for `requested` (the body's `provider_ip`)
 * when the request comes from `callerAddress`. Throws `FOREIGN_ADDRESS` when
 * the address is not the caller's and the policy does not allow it,
 * `HOSTNAME_NOT_ALLOWED` for a hostname the policy does not allow, and
 * `HOSTNAME_NOT_RESOLVED` when an allowed hostname has no address. Calls
 * `lookup` only for an allowed hostname.
 */
export async function resolveTarget(requested: string, callerAddress: string, policy: TargetPolicy, lookup: Lookup): Promise<string> {
  const caller = canonicalIp(callerAddress)
  const ip = canonicalIp(requested)
  if (ip !== undefined) {
    if (policy.allowForeignAddress || ip === caller) return ip
    throw foreign(requested, caller ?? callerAddress)
  }
  if (!policy.allowHostnames) {
    throw new PortCheckError(
      'HOSTNAME_NOT_ALLOWED',
      `provider_ip "${requested}" is a hostname and this checker does not resolve hostnames; send an IP address${caller === undefined ? '' : ` (yours is ${caller})`}`,
    )
  }
  return pickResolved(requested, await resolveHostname(requested, lookup), caller, policy)
}
