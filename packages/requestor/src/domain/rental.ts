/**
 * A rental: one VM this renter created, as remembered in the data dir. It is
 * also the `rental` object of the `--json` output (see the README).
 *
 * @module
 */
import { VmResources, VmStatus } from '@golem-vm/protocol'
import { z } from 'zod'
import { RentalPayment } from './payment.js'

/**
 * Last known state: the provider's VM status (an original provider also
 * reports `deleted`), or `creating`/`unknown` while the outcome of a create is open.
 */
export const RentalStatus = z.union([VmStatus, z.enum(['deleted', 'unknown'])])
export type RentalStatus = z.infer<typeof RentalStatus>

/** The schema of a rental record. */
export const Rental = z.object({
  /** The name chosen by the renter (unique in this data dir). */
  name: z.string(),
  /** The VM id on the provider, used in every API path (the provider uses the name). */
  vm_id: z.string(),
  /** The provider's Ethereum address (the audience of every signed request). */
  provider_id: z.string(),
  provider_name: z.string().nullable(),
  /** Base URL of the provider API, from its advertisement at create time. */
  provider_url: z.string(),
  /** The renter address that created (and owns) the VM. */
  renter: z.string(),
  status: RentalStatus,
  resources: VmResources,
  image: z.string(),
  ssh_host: z.string(),
  ssh_port: z.number().int().nullable(),
  ssh_user: z.string(),
  /** SHA256 fingerprint of the SSH key installed in the VM, as ssh-keygen -l prints it. */
  ssh_key_fingerprint: z.string(),
  /** The VM's SSH host keys from the provider's signed /access answer, pinned in its known_hosts file; absent or empty: the first key seen is trusted. */
  ssh_host_keys: z.array(z.string()).optional(),
  /**
   * True when the renter chose to trust this provider at create
   * (`--allow-unverified`): its unsigned answers are used, with a warning.
   * Absent (older records) or false: every answer must carry its signature.
   */
  accept_unsigned_answers: z.boolean().optional(),
  created_at: z.string(),
  updated_at: z.string(),
  /** The payment stream that pays for the VM; absent on a free provider (and in records made before payments). */
  payment: RentalPayment.optional(),
})
export type Rental = z.infer<typeof Rental>

/** The rentals file: a version, so that a later format can be told apart. */
export const RentalFile = z.object({ version: z.literal(1), rentals: z.array(Rental) })
export type RentalFile = z.infer<typeof RentalFile>
