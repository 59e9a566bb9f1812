/**
 * The port the use cases keep VM records through: the provider's one source
 * of truth. Allocated resources and ports are derived from the records, never
 * counted separately, so they cannot drift. `infra/store/` implements it on SQLite.
 *
 * @module
 */
import type { VmStatus } from '@golem-vm/protocol'
import type { LedgerSnapshot, PortAllocation, UnknownInstance } from '../../domain/capacity.js'
import type { PortMapping } from '../../domain/port-mappings.js'
import type { SshEndpoint, VmRecord } from '../../domain/vm.js'
import type { VmAttachment } from '../../domain/vm-network.js'

export type NewVm = Omit<VmRecord, 'sshPort' | 'ports' | 'status' | 'endpoint' | 'ipAddress' | 'attachment' | 'errorMessage' | 'updatedAt' | 'payment'> & {
  /** The stream that pays for a paid VM; claimed in the same transaction as the reservation. */
  readonly payment?: { readonly streamId: string; readonly ratePerSecond: bigint } | undefined
}

export interface VmPatch {
  readonly status?: VmStatus
  readonly endpoint?: SshEndpoint | null
  readonly ipAddress?: string | null
  readonly errorMessage?: string | null
  /** A paid VM's payment decisions (ignored for a free VM). */
  readonly paymentExpiredAt?: Date | null
  readonly stoppedForPayment?: boolean
}

/** A stream a VM was ever created with: never accepted again, also after the VM is gone. */
export interface UsedStream {
  readonly streamId: string
  readonly vmId: string
  readonly usedAt: Date
}

export interface VmStore {
  /**
   * Inserts the record in status `creating` with the ports `decide` picks, in
   * one transaction with the ledger read that `decide` sees: two concurrent
   * reservations can never both fit into the same free capacity or port.
   * Throws VM_NAME_TAKEN if the scope has a VM of that name, PAYMENT_STREAM_USED if the VM's
   * stream was ever claimed before, or whatever `decide` throws. A paid VM's
   * stream is claimed for good in the same transaction.
   */
  reserve(vm: NewVm, decide: (snapshot: LedgerSnapshot) => PortAllocation): VmRecord
  /**
   * Adds the mappings `decide` picks to the VM, in one transaction with the
   * record and ledger it sees: two concurrent additions never get the same
   * public port. Returns the updated record, or undefined if the VM is gone;
   * throws whatever `decide` throws (nothing is added then).
   */
  addPorts(id: string, decide: (vm: VmRecord, snapshot: LedgerSnapshot) => readonly PortMapping[]): VmRecord | undefined
  /** Removes the VM's mapping on `publicPort`; returns false when the VM has none there. */
  removePort(id: string, publicPort: number): boolean
  /** By the provider's own key ({@link VmRecord.id}). */
  get(id: string): VmRecord | undefined
  /** The VM of that name in that name space ({@link VmRecord.scope}). */
  findByName(scope: string, name: string): VmRecord | undefined
  list(): VmRecord[]
  /** Updates fields; returns the new record, or undefined if the VM is gone. */
  update(id: string, patch: VmPatch): VmRecord | undefined
  /**
   * Moves the VM to `to` only if its status is one of `from` (compare-and-set).
   * Returns the new record, or the current one unchanged when the status did not match.
   */
  transition(id: string, from: readonly VmStatus[], to: VmStatus): { ok: boolean; vm: VmRecord | undefined }
  /**
   * Gives the VM its place on the isolated network: `allocate` sees every
   * attachment held and picks a free one, in one transaction, so two VMs can
   * never get the same address or TAP. Returns the updated record, or
   * undefined if the VM is gone; throws if `allocate` finds none.
   */
  assignAttachment(id: string, allocate: (taken: readonly VmAttachment[]) => VmAttachment | undefined): VmRecord | undefined
  /** Deletes the record, releasing its resources and port (a paid VM's stream stays claimed). */
  remove(id: string): void
  /** Gives a stream back: only for a create that was undone, so the renter may retry with it. */
  releaseStream(streamId: string): void
  /** Every stream ever claimed, oldest first. */
  usedStreams(): UsedStream[]
  snapshot(): LedgerSnapshot
  /**
   * Sets the backend instances no record names (found by the reconciler at start):
   * the snapshot counts their resources as allocated and each as a VM, so status,
   * advertisement and admission never offer what they hold. Kept in memory: every start finds them again.
   */
  setUnknownInstances(instances: readonly UnknownInstance[]): void
  unknownInstances(): readonly UnknownInstance[]
  close(): void
}
