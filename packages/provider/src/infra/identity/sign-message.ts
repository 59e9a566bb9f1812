/**
 * EIP-191 `personal_sign`, as the background thread does it. secp256k1 in
 * JavaScript takes 1–13 ms per signature on a small host, more while the code
 * is cold (a provider signs a few times an hour), and the event loop that
 * answers the API must not wait for it. ethers is loaded here on the first
 * signature, so the thread costs nothing until then.
 *
 * @module
 */
import type { SigningKey } from 'ethers'
import type { SignJob } from '../background/jobs.js'

let ethers: Promise<typeof import('ethers')> | undefined
// One key per provider: its SigningKey is kept between signatures.
let cached: { readonly privateKey: string; readonly key: SigningKey } | undefined

export async function signMessage({ privateKey, message }: SignJob): Promise<string> {
  ethers ??= import('ethers')
  const { SigningKey, hashMessage } = await ethers
  if (cached?.privateKey !== privateKey) cached = { privateKey, key: new SigningKey(privateKey) }
  return cached.key.sign(hashMessage(message)).serialized
}
