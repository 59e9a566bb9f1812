/**
 * The provider's public address: configured, or asked of address services.
 *
 * @module
 */
import { isIP } from 'node:net'

/** Asks each service in turn (5 s each) for this host's public address; rejects naming every failure. */
export async function detectPublicIp(services: readonly string[], timeoutMs = 5000): Promise<string> {
  const failures: string[] = []
  for (const url of services) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
      const text = (await response.text()).trim()
      if (response.ok && isIP(text) !== 0) return text
      failures.push(`${url}: answered ${response.status} "${text.slice(0, 40)}"`)
    } catch (error) {
      failures.push(`${url}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  throw new Error(`the public address could not be detected (${failures.join('; ')}); set GOLEM_PROVIDER_PUBLIC_IP to the address renters should connect to`)
}
