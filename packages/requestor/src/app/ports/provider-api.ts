/**
 * The port to one provider's VM API, on behalf of one renter.
 * `infra/provider-client.ts` implements it (this project's provider and the
 * original 0.1.21 one alike).
 *
 * @module
 */
import type { VmResources } from '@golem-vm/protocol'
import type { PortAsk } from '../../domain/ports.js'
import type { ProviderAccess, ProviderVm } from '../../domain/provider-answers.js'

/** What the renter sends to create a VM. */
export interface CreateVmBody {
  readonly name: string
  readonly ssh_key: string
  readonly resources: VmResources
  readonly image?: string | undefined
  /** Guest ports to map besides SSH; left out of the body when none (original providers know no ports). */
  readonly ports?: readonly PortAsk[] | undefined
  /** The payment stream that pays for the VM (a priced provider requires it); left out for a free one. */
  readonly stream_id?: string | undefined
}

/** Per-call options of the long operations. */
export interface CallOptions {
  readonly signal?: AbortSignal | undefined
}

/** A provider's VM list: the well-formed entries, and how many were not. */
export interface ProviderVmList {
  readonly vms: ProviderVm[]
  readonly malformed: number
}

/** The calls the use cases make; each rejects with a RequestorError saying what failed. */
export interface ProviderApi {
  create(body: CreateVmBody, opts?: CallOptions): Promise<ProviderVm>
  list(): Promise<ProviderVmList>
  get(id: string): Promise<ProviderVm>
  access(id: string): Promise<ProviderAccess>
  start(id: string, opts?: CallOptions): Promise<ProviderVm>
  stop(id: string, opts?: CallOptions): Promise<ProviderVm>
  delete(id: string, opts?: CallOptions): Promise<void>
  /** Maps more guest ports of the VM. */
  addPorts(id: string, ports: readonly PortAsk[]): Promise<ProviderVm>
  /** Removes the VM's mapping on `publicPort`. */
  removePort(id: string, publicPort: number): Promise<ProviderVm>
}
