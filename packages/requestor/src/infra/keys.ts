/**
 * The renter's SSH key: one ed25519 pair of the requestor's own, in
 * `<data dir>/ssh/id_ed25519` (0600) and `id_ed25519.pub` (0644), made on
 * first use. The user's `~/.ssh` keys are never read or uploaded. A key that
 * has gone missing is not silently replaced for `ssh`: VMs created with it
 * would refuse the new one.
 *
 * @module
 */
import { join } from 'node:path'
import { RequestorError } from '../domain/errors.js'
import { createFileOnce, ensurePrivateDir, readIfExists, replaceFile, tightenMode } from '@golem-vm/common'
import { fingerprint, generateEd25519KeyPair, publicKeyOfPrivate } from '@golem-vm/protocol/openssh-key'
import type { SshKey } from '../app/ports/ssh.js'

export type { SshKey }

/** Comment of the public key line, so the key is recognisable in a VM's authorized_keys. */
export const KEY_COMMENT = 'golem-vm-requestor'

/** Path of the private key in a data dir. */
export const sshKeyPath = (dataDir: string): string => join(dataDir, 'ssh', 'id_ed25519')

async function readKey(path: string): Promise<SshKey | undefined> {
  const text = await readIfExists(path)
  if (text === undefined) return undefined
  const publicKey = publicKeyOfPrivate(text)
  if (publicKey === undefined) {
    throw new RequestorError(
      'LOCAL_STATE',
      `${path} is not an unencrypted OpenSSH ed25519 private key; restore it from a backup, or move it away (VMs created with it will no longer accept golem-vm ssh)`,
    )
  }
  await tightenMode(path, 0o600)
  const line = `${publicKey} ${KEY_COMMENT}`
  // The .pub file is a convenience copy; it is rewritten whenever it is missing or differs.
  if ((await readIfExists(`${path}.pub`))?.trim() !== line) await replaceFile(`${path}.pub`, `${line}\n`, 0o644)
  return { privateKeyPath: path, publicKey: line, fingerprint: fingerprint(line), created: false }
}

/** The existing key; throws SSH_KEY_MISSING when there is none (for `ssh`, which must not make a new one). */
export async function loadSshKey(dataDir: string): Promise<SshKey> {
  const path = sshKeyPath(dataDir)
  const key = await readKey(path)
  if (key === undefined) {
    throw new RequestorError(
      'SSH_KEY_MISSING',
      `the requestor's SSH key ${path} is missing; VMs created with it cannot be reached with golem-vm ssh. Restore it from a backup (destroying and re-creating the VM gives it the new key)`,
    )
  }
  return key
}

/** The key, made on first use. Safe against a concurrent first use: one key wins, both callers get it. */
export async function loadOrCreateSshKey(dataDir: string): Promise<SshKey> {
  const path = sshKeyPath(dataDir)
  await ensurePrivateDir(join(dataDir, 'ssh'))
  for (let attempt = 0; attempt < 2; attempt++) {
    const existing = await readKey(path)
    if (existing !== undefined) return existing
    const pair = generateEd25519KeyPair(KEY_COMMENT)
    if (await createFileOnce(path, pair.privateKey, 0o600)) {
      await replaceFile(`${path}.pub`, `${pair.publicKey}\n`, 0o644)
      return { privateKeyPath: path, publicKey: pair.publicKey, fingerprint: fingerprint(pair.publicKey), created: true }
    }
  }
  throw new RequestorError('LOCAL_STATE', `${path} keeps appearing and disappearing; is another program rewriting it?`)
}
