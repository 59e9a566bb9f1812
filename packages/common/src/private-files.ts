/**
 * Private files in the data dir: directories 0700, files created and
 * replaced atomically (a complete temporary file, then link or rename), so a
 * crash or a concurrent `golem-vm` never leaves half a key or half a state file.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { chmod, link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'

/** Creates `dir` (and parents) with mode 0700; an existing one is tightened to 0700 when others can enter it. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const mode = (await stat(dir)).mode & 0o777
  if ((mode & 0o077) !== 0) await chmod(dir, 0o700)
}

async function writeTemp(path: string, data: string, mode: number): Promise<string> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  const handle = await open(tmp, 'wx', mode)
  try {
    await handle.writeFile(data, 'utf8')
    await handle.sync()
  } finally {
    await handle.close()
  }
  await chmod(tmp, mode)
  return tmp
}

/** Atomically creates `path` with `data`; false (and nothing written) when it already exists. */
export async function createFileOnce(path: string, data: string, mode: number): Promise<boolean> {
  const tmp = await writeTemp(path, data, mode)
  try {
    await link(tmp, path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  } finally {
    await unlink(tmp)
  }
}

/** Atomically replaces (or creates) `path` with `data`. */
export async function replaceFile(path: string, data: string, mode: number): Promise<void> {
  const tmp = await writeTemp(path, data, mode)
  try {
    await rename(tmp, path)
  } catch (error) {
    await unlink(tmp).catch(() => undefined)
    throw error
  }
  await syncDir(dirname(path))
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** The text of `path`, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** Sets `path` to `mode` when it grants more than that; true when it did. */
export async function tightenMode(path: string, mode: number): Promise<boolean> {
  const current = (await stat(path)).mode & 0o777
  if ((current & ~mode) === 0) return false
  await chmod(path, mode)
  return true
}
