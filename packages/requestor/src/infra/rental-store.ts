/**
 * The renter's rentals, in `<data dir>/rentals.json` (0600). Every change is
 * a read-modify-write under a lock file (`rentals.json.lock`, created
 * exclusively; one older than {@link STALE_LOCK_MS} is taken over), written
 * atomically, so two `golem-vm` processes never lose each other's changes.
 *
 * @module
 */
import { open, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { RequestorError } from '../domain/errors.js'
import type { Rentals } from '../app/ports/rentals.js'
import { RentalFile, type Rental } from '../domain/rental.js'
import { ensurePrivateDir, parseJsonOrUndefined, readIfExists, replaceFile } from '@golem-vm/common'

/** Name of the rentals file in the data dir. */
export const RENTALS_FILE = 'rentals.json'
/** A lock held longer than this belongs to a crashed process. */
export const STALE_LOCK_MS = 30_000
const LOCK_ATTEMPTS = 200
const LOCK_RETRY_MS = 25

/** Rentals on disk. Methods are safe to call from concurrent processes. */
export class RentalStore implements Rentals {
  readonly #dir: string
  readonly #file: string
  readonly #lock: string

  constructor(dataDir: string) {
    this.#dir = dataDir
    this.#file = join(dataDir, RENTALS_FILE)
    this.#lock = `${this.#file}.lock`
  }

  /** Every rental, oldest first. */
  async list(): Promise<Rental[]> {
    return (await this.#read()).rentals
  }

  /** The rental called `name`, if any. */
  async get(name: string): Promise<Rental | undefined> {
    return (await this.#read()).rentals.find((r) => r.name === name)
  }

  /** Adds a rental; throws NAME_TAKEN when the name is in use here. */
  async insert(rental: Rental): Promise<void> {
    await this.#change((rentals) => {
      if (rentals.some((r) => r.name === rental.name)) {
        throw new RequestorError('NAME_TAKEN', `you already have a VM called "${rental.name}" (golem-vm info ${rental.name}); choose another name`)
      }
      return [...rentals, rental]
    })
  }

  /** Applies `patch` to the rental `name` and stamps `updated_at`; resolves with the result (undefined if it is gone). */
  async update(name: string, patch: Partial<Omit<Rental, 'name' | 'created_at'>>): Promise<Rental | undefined> {
    let updated: Rental | undefined
    await this.#change((rentals) =>
      rentals.map((r) => {
        if (r.name !== name) return r
        updated = { ...r, ...patch, updated_at: new Date().toISOString() }
        return updated
      }),
    )
    return updated
  }

  /** Removes the rental `name`; false when there was none. */
  async remove(name: string): Promise<boolean> {
    let removed = false
    await this.#change((rentals) => {
      removed = rentals.some((r) => r.name === name)
      return rentals.filter((r) => r.name !== name)
    })
    return removed
  }

  async #read(): Promise<RentalFile> {
    const text = await readIfExists(this.#file)
    if (text === undefined) return { version: 1, rentals: [] }
    const json = parseJsonOrUndefined(text)
    const parsed = RentalFile.safeParse(json)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new RequestorError(
        'LOCAL_STATE',
        `${this.#file} is damaged (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'not JSON'}); restore it from a backup or move it away (the VMs keep running; golem-vm list --provider-id ID shows them)`,
      )
    }
    return parsed.data
  }

  async #change(apply: (rentals: Rental[]) => Rental[]): Promise<void> {
    await ensurePrivateDir(this.#dir)
    await this.#withLock(async () => {
      const current = await this.#read()
      const rentals = apply(current.rentals)
      await replaceFile(this.#file, `${JSON.stringify({ version: 1, rentals }, null, 2)}\n`, 0o600)
    })
  }

  async #withLock(work: () => Promise<void>): Promise<void> {
    for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
      if (await this.#tryLock()) {
        try {
          await work()
        } finally {
          await unlink(this.#lock).catch(() => undefined)
        }
        return
      }
      await sleep(LOCK_RETRY_MS)
    }
    throw new RequestorError('LOCAL_STATE', `${this.#lock} is held by another golem-vm process; wait for it to finish (or remove the file if none runs)`)
  }

  async #tryLock(): Promise<boolean> {
    try {
      const handle = await open(this.#lock, 'wx', 0o600)
      await handle.writeFile(String(process.pid))
      await handle.close()
      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const age = await stat(this.#lock).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    )
    if (age > STALE_LOCK_MS) await unlink(this.#lock).catch(() => undefined)
    return false
  }
}
