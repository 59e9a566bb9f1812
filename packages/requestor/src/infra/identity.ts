/**
 * The renter's identity: an Ethereum key whose address owns the renter's VMs
 * on every provider and signs every request. Made on first use as
 * `<data dir>/identity.json` (0600, `{"address","private_key"}`, the same
 * plain format as the provider's key file). Losing it loses control of the
 * VMs through the API, so it is never replaced silently.
 *
 * @module
 */
import { parseJsonOrUndefined } from '@golem-vm/common'
import { join } from 'node:path'
import { Wallet } from 'ethers'
import { RequestorError } from '../domain/errors.js'
import { createFileOnce, ensurePrivateDir, readIfExists, tightenMode } from '@golem-vm/common'
import type { RenterIdentity } from '../app/ports/renter-identity.js'

/** Name of the identity file in the data dir. */
export const IDENTITY_FILE = 'identity.json'

export type { RenterIdentity }

function parseIdentity(path: string, text: string): Wallet {
  const json = parseJsonOrUndefined(text)
  const key = (typeof json === 'object' && json !== null ? json : {}) as { address?: unknown; private_key?: unknown }
  if (typeof key.private_key !== 'string' || !/^(0x)?[0-9a-fA-F]{64}$/.test(key.private_key)) {
    throw new RequestorError(
      'LOCAL_STATE',
      `${path} has no valid "private_key"; restore it from a backup (without it your VMs can no longer be managed), or move it away to start a new identity`,
    )
  }
  const wallet = new Wallet(key.private_key.startsWith('0x') ? key.private_key : `0x${key.private_key}`)
  if (typeof key.address === 'string' && key.address.toLowerCase() !== wallet.address.toLowerCase()) {
    throw new RequestorError('LOCAL_STATE', `the "address" in ${path} does not belong to its "private_key"; the file is damaged, restore it from a backup`)
  }
  return wallet
}

/** Loads the identity from the data dir, making it on first use. */
export async function loadOrCreateIdentity(dataDir: string): Promise<RenterIdentity> {
  await ensurePrivateDir(dataDir)
  const file = join(dataDir, IDENTITY_FILE)
  for (let attempt = 0; attempt < 2; attempt++) {
    const text = await readIfExists(file)
    if (text !== undefined) {
      const wallet = parseIdentity(file, text)
      await tightenMode(file, 0o600)
      return { wallet, address: wallet.address, file, created: false }
    }
    const wallet = new Wallet(Wallet.createRandom().privateKey)
    const data = `${JSON.stringify({ address: wallet.address, private_key: wallet.privateKey })}\n`
    if (await createFileOnce(file, data, 0o600)) return { wallet, address: wallet.address, file, created: true }
  }
  throw new RequestorError('LOCAL_STATE', `${file} keeps appearing and disappearing; is another program rewriting it?`)
}
