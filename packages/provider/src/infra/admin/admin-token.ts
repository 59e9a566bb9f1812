/**
 * The operator's admin credential: a random token created at first start in
 * the data dir (mode 0600), read by the provider CLI. It sees and manages every VM.
 *
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, rename, writeFile } from 'node:fs/promises'
import { readIfExists } from '@golem-vm/common'
import { join } from 'node:path'

export const ADMIN_TOKEN_FILE = 'admin-token'

/** Reads the token, creating it (atomically, 0600) on first use. */
export async function loadOrCreateAdminToken(dataDir: string): Promise<string> {
  const path = join(dataDir, ADMIN_TOKEN_FILE)
  const existing = (await readIfExists(path))?.trim()
  if (existing !== undefined && /^[0-9a-f]{64}$/.test(existing)) {
    await chmod(path, 0o600)
    return existing
  }
  const token = randomBytes(32).toString('hex')
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, `${token}\n`, { mode: 0o600 })
  await rename(tmp, path)
  return token
}

/** Compares a presented token with the real one in constant time. */
export function tokenMatches(presented: string, actual: string): boolean {
  const a = Buffer.from(presented)
  const b = Buffer.from(actual)
  return a.length === b.length && timingSafeEqual(a, b)
}
