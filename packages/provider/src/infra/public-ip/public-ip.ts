/**
 * The provider's public address: configured, or asked of address services.
 *
 * @module
 */
import { isIP } from 'node:net'
import { httpRequest } from '@golem-vm/common/http-request'

/** An address service answers an address: a few bytes. Anything longer than this is not read. */
export const MAX_ANSWER_BYTES = 1024

/** No address service told this host's public address; the message names every failure and the fix. */
export class PublicIpError extends Error {
  override readonly name = 'PublicIpError'
  readonly code = 'PUBLIC_IP_UNKNOWN'
}

/**
 * Asks each service in turn (5 s each, answers up to {@link MAX_ANSWER_BYTES})
 * for this host's public address; rejects with {@link PublicIpError} naming every failure.
 */
export async function detectPublicIp(services: readonly string[], signal?: AbortSignal, timeoutMs = 5000): Promise<string> {
  const failures: string[] = []
  for (const url of services) {
    signal?.throwIfAborted()
    try {
      const target = new URL(url)
      const response = await httpRequest({
        method: 'GET',
        baseUrl: target.origin,
        path: `${target.pathname}${target.search}`,
        headers: { accept: 'text/plain' },
        timeoutMs,
        maxResponseBytes: MAX_ANSWER_BYTES,
        signal,
      })
      const text = response.body.trim()
      if (response.status >= 200 && response.status < 300 && isIP(text) !== 0) return text
      failures.push(`${url}: answered ${response.status} "${text.slice(0, 40)}"`)
    } catch (error) {
      failures.push(`${url}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  throw new PublicIpError(
    `the public address could not be detected (${failures.join('; ')}); set GOLEM_PROVIDER_PUBLIC_IP to the address renters should connect to`,
  )
}
