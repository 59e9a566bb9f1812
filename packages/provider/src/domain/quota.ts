/**
 * Per-renter limits, so one renter cannot take the whole provider (issue 15
 * item 19). Pure: the use case calls {@link checkQuota} inside the store's
 * reservation transaction, with what the renter's VMs hold at that moment,
 * so two parallel creates of one renter can never both pass the limit.
 *
 * @module
 */
import type { VmResources } from '@golem-vm/protocol'
import { ProviderError } from './errors.js'

/** The most one renter may hold at once; 0 means no limit of that kind. */
export interface RenterQuota {
  readonly vms: number
  readonly cpu: number
  readonly memory: number
  readonly storage: number
}

/** What a renter's VMs hold now. */
export interface RenterUsage {
  readonly vms: number
  readonly cpu: number
  readonly memory: number
  readonly storage: number
}

const UNITS = { cpu: 'CPU cores', memory: 'GB of memory', storage: 'GB of storage' } as const

/** Throws RENTER_QUOTA_EXCEEDED, saying which limit and how much is left, when one more VM of `request` would pass a limit. */
export function checkQuota(request: VmResources, usage: RenterUsage, quota: RenterQuota): void {
  if (quota.vms > 0 && usage.vms + 1 > quota.vms) {
    throw new ProviderError('RENTER_QUOTA_EXCEEDED', `this provider lets one renter hold at most ${quota.vms} VMs and you hold ${usage.vms}; delete one first`)
  }
  for (const k of ['cpu', 'memory', 'storage'] as const) {
    if (quota[k] > 0 && usage[k] + request[k] > quota[k]) {
      throw new ProviderError(
        'RENTER_QUOTA_EXCEEDED',
        `this provider lets one renter hold at most ${quota[k]} ${UNITS[k]} and your VMs hold ${usage[k]}; ask for at most ${Math.max(0, quota[k] - usage[k])} or delete a VM first`,
      )
    }
  }
}
