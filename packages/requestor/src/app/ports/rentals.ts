/**
 * The port to the renter's record of its rentals. `infra/rental-store.ts`
 * implements it (a JSON file under a lock).
 *
 * @module
 */
import type { Rental } from '../../domain/rental.js'

/** The renter's rentals by name; each change is atomic against other CLI processes. */
export interface Rentals {
  list(): Promise<Rental[]>
  get(name: string): Promise<Rental | undefined>
  /** Adds a rental; rejects with NAME_TAKEN when the name is in use. */
  insert(rental: Rental): Promise<void>
  /** Applies `patch` and stamps `updated_at`; resolves with the result (undefined if it is gone). */
  update(name: string, patch: Partial<Omit<Rental, 'name' | 'created_at'>>): Promise<Rental | undefined>
  /** Removes the rental; false when there was none. */
  remove(name: string): Promise<boolean>
}
