/**
 * The rentals' known_hosts files: `<data dir>/known_hosts/<VM name>`, one
 * per rental, so a VM's host key is never confused with another's. A name
 * becomes a file name here only when it is a VM name (a-z, 0-9 and "-"), and
 * the `known_hosts` directory must be a real directory of the data dir: a
 * path is never followed out of the data dir, whatever a provider or the
 * command line supplies.
 *
 * @module
 */
import { lstat, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { VM_NAME_PATTERN } from '@golem-vm/protocol'
import { ensurePrivateDir } from '@golem-vm/common'
import { RequestorError } from '../domain/errors.js'

/** The known_hosts directory of a data dir. */
export const knownHostsDir = (dataDir: string): string => join(dataDir, 'known_hosts')

/** The known_hosts file of the rental `name`; throws for a name that is not a VM name. */
export function knownHostsPath(dataDir: string, name: string): string {
  if (!VM_NAME_PATTERN.test(name) || name.length > 64)
    throw new RequestorError('INVALID_ARGUMENT', `"${name.replace(/[^\x20-\x7e]/g, '?')}" is not a VM name (a-z, 0-9 and "-")`)
  return join(knownHostsDir(dataDir), name)
}

// The directory, made 0700 on first use; a symbolic link or a non-directory in its place is refused.
async function realDir(dataDir: string): Promise<string> {
  const dir = knownHostsDir(dataDir)
  const existing = await lstat(dir).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  })
  if (existing !== undefined && !existing.isDirectory()) {
    throw new RequestorError(
      'LOCAL_STATE',
      `${dir} is not a directory (${existing.isSymbolicLink() ? 'a symbolic link' : 'a file'}); golem-vm keeps host keys only in a real directory of its data dir: move it away`,
    )
  }
  await ensurePrivateDir(dir)
  return dir
}

/** The rental's known_hosts file (its directory made on first use). */
export async function knownHostsFile(dataDir: string, name: string): Promise<string> {
  const file = knownHostsPath(dataDir, name)
  await realDir(dataDir)
  return file
}

/** Writes the rental's known_hosts file with `keys` as the only keys of host:port (pinned from the provider's signed answer). */
export async function pinHostKeys(dataDir: string, name: string, host: string, port: number, keys: readonly string[]): Promise<void> {
  const file = await knownHostsFile(dataDir, name)
  const where = port === 22 ? host : `[${host}]:${port}`
  await writeFile(file, keys.map((key) => `${where} ${key}\n`).join(''), { mode: 0o600 })
}

/** Removes the rental's recorded host keys (after destroy); nothing outside the directory is touched. */
export async function forgetHostKeys(dataDir: string, name: string): Promise<void> {
  const file = knownHostsPath(dataDir, name)
  await realDir(dataDir)
  await rm(file, { force: true })
  await rm(`${file}.old`, { force: true })
}
