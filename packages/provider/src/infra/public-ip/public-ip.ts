/**
 * The provider's public address: configured, or asked of address services.
 *
 * @module
 */
import { isIP } from 'node:net'
import { deadlineSignal } from '@golem-vm/common'

/** No address service told this host's public address; the message names every failure and the fix. */
export class PublicIpError extends Error {
  override readonly name = 'PublicIpError'
  readonly code = 'PUBLIC_IP_UNKNOWN'
}

/** Asks each service in turn (5 s each) for this host's public address; rejects with {@link PublicIpError} naming every failure. */
export async function detectPublicIp(services: readonly string[], signal?: AbortSignal, timeoutMs = 5000): Promise<string> {
  const failures: string[] = []
  for (const url of services) {
    signal?.throwIfAborted()
    try {
      const response = await fetch(url, { signal: deadlineSignal(timeoutMs, ...(signal === undefined ? [] : [signal])) })
      const text = (await response.text()).trim()
      if (response.ok && isIP(text) !== 0) return text
      failures.push(`${url}: answered ${response.status} "${text.slice(0, 40)}"`)
    } catch (error) {
      failures.push(`${url}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  throw new PublicIpError(`the public address could not be detected (${failures.join('; ')}); set GOLEM_PROVIDER_PUBLIC_IP to the address renters should connect to`)
}
