/**
 * The use cases on an existing VM: show, start, stop, destroy, list a
 * provider's VMs, and prepare an SSH login. Each keeps the local record in
 * step with what the provider answered, and says plainly what a provider
 * cannot do (an original 0.1.21 provider has no start and stop).
 *
 * @module
 */
import { ALLOW_PRIVATE_HINT, connectProblem } from '../domain/endpoint.js'
import { messageOf, RequestorError } from '../domain/errors.js'
import type { Rental } from '../domain/rental.js'
import type { ProviderVm } from '../domain/provider-answers.js'
import type { SshTarget } from './ports/ssh.js'
import { endStream, readStream, type StreamEnding, type StreamView } from './payments.js'
import type { RequestorDeps } from './deps.js'
import { checkedName, checkedProviderId, clientFor, locate, providerFromDiscovery, type Located, type VmAddress } from './locate.js'

/** A VM as the provider reports it, with the local record (when there is one) brought up to date. */
export interface VmView {
  readonly rental: Rental | null
  readonly vm: ProviderVm
  /** A paid rental's stream as the chain has it (info only); null for a free VM or when the chain was not asked. */
  readonly stream?: StreamView | null
  /** Why the stream could not be read (info only); null when it was, or for a free VM. */
  readonly stream_error?: string | null
}

/** The outcome of destroy. `already_gone` means the provider had no such VM any more; the record was removed. */
export interface DestroyResult {
  readonly name: string
  readonly provider_id: string
  readonly status: 'deleted' | 'already_gone'
  /** The paid VM's stream, ended for the refund; null for a free VM or a stream that had ended already. */
  readonly payment: StreamEnding | null
}

/** A provider's VMs as it lists them for the renter. */
export interface ProviderListing {
  readonly provider_id: string
  readonly vms: ProviderVm[]
  /** Entries left out because they were not VMs golem-vm can read. */
  readonly hidden_malformed: number
  /**
   * True when the provider speaks the original 0.1.21 API, which knows no
   * owners: it lists every renter's VMs, not only this renter's.
   */
  readonly all_renters: boolean
}

async function refreshed(deps: RequestorDeps, located: Located, vm: ProviderVm): Promise<VmView> {
  if (located.rental === undefined) return { rental: null, vm }
  const rental = await deps.store.update(located.rental.name, { status: vm.status, ...(vm.ssh_port === null ? {} : { ssh_port: vm.ssh_port }) })
  return { rental: rental ?? null, vm }
}

// A VM the provider does not know, or an operation it does not have: say what that means for this VM.
function explained(error: unknown, located: Located, name: string): unknown {
  if (!(error instanceof RequestorError)) return error
  if (error.code === 'NOT_SUPPORTED') return new RequestorError('NOT_SUPPORTED', `${error.message}; the VM "${name}" is untouched`, { cause: error })
  if (error.code !== 'VM_NOT_FOUND' || located.rental === undefined) return error
  return new RequestorError(
    'VM_NOT_FOUND',
    `the provider at ${located.target.baseUrl} has no VM "${name}" for you any more (it may have been deleted there); golem-vm destroy ${name} removes the local record`,
    { cause: error },
  )
}

/** The VM's current state from its provider, and a paid rental's stream from the chain (a chain that does not answer is reported, not fatal). */
export async function showVm(deps: RequestorDeps, address: VmAddress): Promise<VmView> {
  const located = await locate(deps, address)
  const vm = await located.client.get(located.vmId).catch((error: unknown) => {
    throw explained(error, located, address.name)
  })
  const view = await refreshed(deps, located, vm)
  const payment = view.rental?.payment
  if (payment === undefined) return view
  try {
    return { ...view, stream: await readStream(deps, payment), stream_error: null }
  } catch (error) {
    return { ...view, stream: null, stream_error: messageOf(error) }
  }
}

/** Starts the VM; resolves once it runs. */
export async function startVm(deps: RequestorDeps, address: VmAddress, signal?: AbortSignal): Promise<VmView> {
  const located = await locate(deps, address)
  const vm = await located.client.start(located.vmId, { signal }).catch((error: unknown) => {
    throw explained(error, located, address.name)
  })
  return refreshed(deps, located, vm)
}

/** Stops the VM (it keeps its disk and SSH port). */
export async function stopVm(deps: RequestorDeps, address: VmAddress, signal?: AbortSignal): Promise<VmView> {
  const located = await locate(deps, address)
  const vm = await located.client.stop(located.vmId, { signal }).catch((error: unknown) => {
    throw explained(error, located, address.name)
  })
  return refreshed(deps, located, vm)
}

/** Deletes the VM on its provider and forgets it here. A VM the provider no longer has only loses its record. */
export async function destroyVm(deps: RequestorDeps, address: VmAddress, signal?: AbortSignal): Promise<DestroyResult> {
  const located = await locate(deps, address)
  let status: DestroyResult['status'] = 'deleted'
  try {
    await located.client.delete(located.vmId, { signal })
  } catch (error) {
    const gone = error instanceof RequestorError && error.code === 'VM_NOT_FOUND' && located.rental !== undefined
    if (!gone) throw error
    status = 'already_gone'
  }
  const payment = located.rental?.payment === undefined ? null : await endAfterDelete(deps, located.rental, status)
  if (located.rental !== undefined) await deps.store.remove(located.rental.name)
  await deps.forgetHostKeys(checkedName(address.name))
  return { name: address.name, provider_id: located.target.providerId, status, payment }
}

// The VM is gone: its stream is ended so the unvested rest comes back. If that fails the record stays (status deleted) for a second destroy.
async function endAfterDelete(deps: RequestorDeps, rental: Rental, status: DestroyResult['status']): Promise<StreamEnding | null> {
  if (rental.payment === undefined) return null
  try {
    return (await endStream(deps, rental.payment)) ?? null
  } catch (error) {
    await deps.store.update(rental.name, { status: 'deleted' })
    const what = status === 'deleted' ? 'is deleted' : 'was already gone'
    throw new RequestorError(
      error instanceof RequestorError ? error.code : 'PAYMENT_FAILED',
      `the VM "${rental.name}" ${what} on the provider, but ending its payment stream ${rental.payment.stream_id} failed: ${messageOf(error)}. Run golem-vm destroy ${rental.name} again to end it and get the unpaid rest back`,
      { cause: error },
    )
  }
}

/** The renter's VMs on one provider, as the provider reports them (whether recorded here or not). */
export async function listOnProvider(deps: RequestorDeps, providerId: string, allowUnverified = false): Promise<ProviderListing> {
  const { target } = await providerFromDiscovery(deps, checkedProviderId(providerId), allowUnverified)
  const identity = await deps.identity()
  const { vms, malformed } = await clientFor(deps, target, identity).list()
  return { provider_id: target.providerId, vms, hidden_malformed: malformed, all_renters: vms.some((vm) => vm.image === null) }
}

/**
 * Where `golem-vm ssh NAME` connects. Uses the port recorded at create (it
 * stays the VM's for its whole life); asks the provider only when none was
 * recorded. Never makes a new SSH key: the VM accepts only the one it got.
 * Refuses a host the renter may not connect to (see `endpoint.ts`).
 */
export async function prepareSsh(deps: RequestorDeps, name: string): Promise<{ rental: Rental; target: SshTarget }> {
  let rental = await deps.store.get(checkedName(name))
  if (rental === undefined) throw new RequestorError('RENTAL_NOT_FOUND', `you have no VM called "${name}" in ${deps.config.dataDir}; golem-vm list shows yours`)
  const key = await deps.sshKey(false)
  if (key.fingerprint !== rental.ssh_key_fingerprint) {
    throw new RequestorError(
      'SSH_KEY_MISSING',
      `the VM "${name}" was given the SSH key ${rental.ssh_key_fingerprint}, but ${key.privateKeyPath} is ${key.fingerprint}; restore the key it was created with`,
    )
  }
  const problem = connectProblem(rental.ssh_host, deps.config.allowPrivateAddresses)
  if (problem !== undefined) {
    throw new RequestorError(
      'ADDRESS_NOT_PUBLIC',
      `the provider gave ${rental.ssh_host} as the SSH address of "${name}", ${problem}; golem-vm connects only to public addresses (${ALLOW_PRIVATE_HINT})`,
    )
  }
  if (rental.ssh_port === null) {
    const located = await locate(deps, { name })
    const access = await located.client.access(located.vmId).catch((error: unknown) => {
      throw explained(error, located, name)
    })
    rental = (await deps.store.update(name, { ssh_port: access.ssh_port })) ?? rental
  }
  const port = rental.ssh_port ?? 22
  const pinned = (rental.ssh_host_keys?.length ?? 0) > 0
  const target = {
    privateKeyPath: key.privateKeyPath,
    knownHostsFile: await deps.knownHostsFile(name),
    host: rental.ssh_host,
    port,
    user: rental.ssh_user,
    pinned,
  }
  return { rental, target }
}
