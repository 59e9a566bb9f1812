/**
 * EIP-191 `personal_sign`, as the background thread does it. secp256k1 in
 * JavaScript takes 1–13 ms per signature on a small host, more while the code
 * is cold (a provider signs a few times an hour), and the event loop that
 * answers the API must not wait for it. The curve code is loaded here on the
 * first signature, so the thread costs nothing for it until then.
 *
 * @module
 */
import type { SignJob } from '../background/jobs.js'

let eth: Promise<typeof import('@golem-vm/protocol/eth')> | undefined

export async function signMessage({ privateKey, message }: SignJob): Promise<string> {
  eth ??= import('@golem-vm/protocol/eth')
  return (await eth).signMessage(privateKey, message)
}
