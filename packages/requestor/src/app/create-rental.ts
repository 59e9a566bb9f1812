/**
 * `golem-vm create`: checks the request and the provider's advertised
 * capacity, records the rental *before* asking the provider (so a create
 * interrupted half-way is never an orphan: `golem-vm destroy` can still
 * remove it), creates the VM with the renter's SSH key, then records where
 * to SSH to.
 *
 * @module
 */
import { hourlyCost, pricesOf, type OfferPricing, type VmResources } from '@golem-vm/protocol'
import { capacityShortfall, imageProblem, nameProblem, resolveResources, type ResourceOptions } from '../domain/resources.js'
import { isSafeUser, sshHostFor, urlHost } from '../domain/endpoint.js'
import { messageOf, RequestorError } from '../domain/errors.js'
import type { PortAsk } from '../domain/ports.js'
import { runwaySeconds, tokenText, type RentalPayment } from '../domain/payment.js'
import type { Rental } from '../domain/rental.js'
import { cleanText } from '../domain/terminal-text.js'
import type { ProviderAccess, ProviderVm } from '../domain/provider-answers.js'
import { checkedProviderId, clientFor, providerFromDiscovery, type Client } from './locate.js'
import type { Notice, ProviderTarget, RequestorDeps } from './deps.js'
import { openStream, planStream, type PlannedStream } from './payments.js'
import type { PaymentChain } from './ports/payment-chain.js'

/** What the renter asked for. */
export interface CreateRequest extends ResourceOptions {
  readonly name: string
  readonly providerId: string
  readonly image?: string | undefined
  readonly allowUnverified?: boolean | undefined
  /** Guest ports to map besides SSH (`--port`). */
  readonly ports?: readonly PortAsk[] | undefined
  /** How many hours to pay for up front on a priced provider (`--hours`, decimals allowed). */
  readonly hours?: string | undefined
}

/** The steps a create goes through, for progress display. */
export type CreatePhase = 'checking' | 'paying' | 'creating' | 'finishing'

/** How the caller follows and cancels a create. */
export interface CreateOptions {
  readonly signal?: AbortSignal | undefined
  readonly onPhase?: ((phase: CreatePhase, detail: string) => void) | undefined
}

/** The created rental and what the user should know. */
export interface CreateResult {
  readonly rental: Rental
  /** The VM as the provider answered the create, with its port mappings. */
  readonly vm: ProviderVm
  readonly notices: readonly Notice[]
}

// Refuses ports the advertisement says this provider cannot give (none, too many, or UDP where it offers none).
function portShortfall(resources: Readonly<Record<string, number>>, ports: readonly PortAsk[], providerId: string): string | undefined {
  if (ports.length === 0) return undefined
  const perVm = resources.ports_per_vm
  if (perVm === undefined) return `provider ${providerId} does not advertise port mappings (it may run an older version)`
  if (ports.length > perVm) return `provider ${providerId} can map ${perVm} port(s) for a VM now, ${ports.length} asked for`
  if (ports.some((p) => p.protocol === 'udp') && resources.udp !== 1) return `provider ${providerId} does not offer UDP ports`
  return undefined
}

function validate(req: CreateRequest): { resources: VmResources; providerId: string } {
  const problems = [nameProblem(req.name), req.image === undefined ? undefined : imageProblem(req.image)].filter((p) => p !== undefined)
  let resources: VmResources | undefined
  try {
    resources = resolveResources(req)
  } catch (error) {
    problems.push(messageOf(error))
  }
  let providerId = ''
  try {
    providerId = checkedProviderId(req.providerId)
    if (req.hours !== undefined) runwaySeconds(req.hours)
  } catch (error) {
    problems.push(messageOf(error))
  }
  if (problems.length > 0 || resources === undefined) throw new RequestorError('INVALID_ARGUMENT', cleanText(problems.join('; ')))
  return { resources, providerId }
}

async function assertNameFree(deps: RequestorDeps, name: string): Promise<void> {
  if ((await deps.store.get(name)) !== undefined) {
    throw new RequestorError('NAME_TAKEN', `you already have a VM called "${name}" (golem-vm info ${name}); choose another name`)
  }
}

// The record written before the provider is asked; its status says the outcome is open.
function pendingRental(
  req: CreateRequest,
  resources: VmResources,
  target: ProviderTarget,
  parts: { renter: string; fingerprint: string; providerName: string | null },
): Rental {
  const now = new Date().toISOString()
  return {
    name: req.name,
    vm_id: req.name,
    provider_id: target.providerId,
    provider_name: parts.providerName,
    provider_url: target.baseUrl,
    renter: parts.renter,
    status: 'creating',
    resources,
    image: req.image ?? '24.04',
    ssh_host: urlHost(target.baseUrl),
    ssh_port: null,
    ssh_user: 'ubuntu',
    ssh_key_fingerprint: parts.fingerprint,
    accept_unsigned_answers: target.acceptUnsigned === true,
    created_at: now,
    updated_at: now,
  }
}

/** Creates a VM on the provider and records it; see the module comment for the order of steps. */
export async function createRental(deps: RequestorDeps, req: CreateRequest, opts: CreateOptions = {}): Promise<CreateResult> {
  const { resources, providerId } = validate(req)
  await assertNameFree(deps, req.name)
  opts.onPhase?.('checking', `looking up provider ${providerId}`)
  const { ad, target } = await providerFromDiscovery(deps, providerId, req.allowUnverified === true)
  const shortfall = capacityShortfall(ad.resources, resources)
  if (shortfall.length > 0) {
    throw new RequestorError(
      'CAPACITY_GONE',
      `provider ${providerId} does not have room for this VM (${shortfall.join('; ')}); choose a smaller size, or another provider: golem-vm providers --cpu ${resources.cpu} --memory ${resources.memory} --storage ${resources.storage}`,
    )
  }
  const ports = req.ports ?? []
  const portProblem = portShortfall(ad.resources, ports, providerId)
  if (portProblem !== undefined)
    throw new RequestorError('CAPACITY_GONE', `${portProblem}; ask for fewer ports or choose another provider (golem-vm providers shows PORTS)`)
  const notices: Notice[] = []
  // The provider's address is checked (clientFor) before anything is paid or recorded.
  const client = clientFor(deps, target, await deps.identity())
  const plan = await planPayment(deps, ad.pricing, resources, req, notices)
  let vm: ProviderVm
  try {
    vm = await payAndCreate(deps, { req, resources, target, client, ports, plan, providerName: ad.provider_name ?? null, notices }, opts)
  } finally {
    plan?.chain.close()
  }
  if (ports.length > 0 && vm.ports.length < ports.length)
    notices.push(`the provider mapped ${vm.ports.length} of the ${ports.length} ports asked for; golem-vm ports ${req.name} shows them`)
  opts.onPhase?.('finishing', 'asking where to connect')
  const access = await client.access(vm.id).catch(() => undefined)
  const rental = await deps.store.update(req.name, accessPatch(vm, access, target.baseUrl))
  if (rental === undefined)
    throw new RequestorError(
      'LOCAL_STATE',
      `the record of "${req.name}" vanished while it was created; the VM exists on ${target.baseUrl}: golem-vm info ${req.name} --provider-id ${providerId}`,
    )
  // The host keys came in the provider's signed answer: ssh will accept only them, from the first login on.
  if (rental.ssh_host_keys !== undefined && rental.ssh_host_keys.length > 0 && rental.ssh_port !== null)
    await deps.pinHostKeys(rental.name, rental.ssh_host, rental.ssh_port, rental.ssh_host_keys)
  return { rental, vm, notices }
}

// A priced provider needs --hours and a reachable chain on which the renter can pay; a free one ignores --hours.
async function planPayment(
  deps: RequestorDeps,
  pricing: OfferPricing | undefined,
  resources: VmResources,
  req: CreateRequest,
  notices: Notice[],
): Promise<PlannedStream | undefined> {
  if (pricing === undefined) {
    if (req.hours !== undefined) notices.push(`provider ${req.providerId} is free: --hours is ignored and nothing is paid`)
    return undefined
  }
  const perHour = tokenText(hourlyCost(pricesOf(pricing), resources), pricing)
  if (req.hours === undefined) {
    throw new RequestorError(
      'INVALID_ARGUMENT',
      `provider ${req.providerId} charges ${perHour} per hour for this VM; say how long to pay for up front with --hours (decimals allowed: --hours 0.5 is 30 minutes; golem-vm topup adds more later)`,
    )
  }
  return planStream(deps, pricing, resources, runwaySeconds(req.hours))
}

/** What {@link payAndCreate} works with. */
interface CreateWork {
  readonly req: CreateRequest
  readonly resources: VmResources
  readonly target: ProviderTarget
  readonly client: Client
  readonly ports: readonly PortAsk[]
  readonly plan: PlannedStream | undefined
  readonly providerName: string | null
  readonly notices: Notice[]
}

// Records the rental, opens its stream (when paid), then asks the provider; a refused paid create ends the stream for the refund.
async function payAndCreate(deps: RequestorDeps, w: CreateWork, opts: CreateOptions): Promise<ProviderVm> {
  const { req, target, plan } = w
  const identity = await deps.identity()
  const key = await deps.sshKey(true)
  if (identity.created) w.notices.push(`a new renter identity ${identity.address} was made in ${identity.file}; keep it: it is what owns your VMs`)
  if (key.created) w.notices.push(`a new SSH key was made in ${key.privateKeyPath} (your ~/.ssh keys are never used)`)
  const providerName = w.providerName === null ? null : cleanText(w.providerName)
  await deps.store.insert(pendingRental(req, w.resources, target, { renter: identity.address, fingerprint: key.fingerprint, providerName }))
  let payment: RentalPayment | undefined
  if (plan !== undefined) {
    opts.onPhase?.('paying', `opening a payment stream of ${tokenText(plan.deposit, plan.pricing)} for ${plan.seconds} s`)
    try {
      payment = await openStream(plan, target.providerId, req.name)
    } catch (error) {
      await deps.store.remove(req.name)
      throw error
    }
    await deps.store.update(req.name, { payment })
  }
  opts.onPhase?.('creating', `creating "${req.name}" on ${target.baseUrl}`)
  const body = { name: req.name, ssh_key: key.publicKey, resources: w.resources, image: req.image, ...(w.ports.length === 0 ? {} : { ports: w.ports }) }
  return createOnProvider(deps, w.client, payment === undefined ? body : { ...body, stream_id: payment.stream_id }, opts.signal, {
    paid: plan !== undefined && payment !== undefined ? { chain: plan.chain, payment } : undefined,
  })
}

// A refused paid create: the stream is ended so the deposit comes back; if that fails the record stays, for destroy to finish it.
async function refundRefused(deps: RequestorDeps, paid: { chain: PaymentChain; payment: RentalPayment }, name: string, refusal: unknown): Promise<unknown> {
  const { payment } = paid
  try {
    const ended = await paid.chain.end(BigInt(payment.stream_id))
    await deps.store.remove(name)
    if (!(refusal instanceof RequestorError)) return refusal
    return new RequestorError(
      refusal.code,
      `${refusal.message}. Stream ${payment.stream_id} was ended: ${tokenText(ended.refunded, payment)} came back to you`,
      {
        cause: refusal,
      },
    )
  } catch (error) {
    await deps.store.update(name, { status: 'error' })
    return new RequestorError(
      refusal instanceof RequestorError ? refusal.code : 'PAYMENT_FAILED',
      `${messageOf(refusal)}. Ending its payment stream ${payment.stream_id} failed too (${messageOf(error)}): golem-vm destroy ${name} ends it and returns the deposit`,
      { cause: refusal },
    )
  }
}

// A refused create leaves nothing behind, so its record goes (a paid one's stream is ended); an unknown outcome keeps the record for destroy.
async function createOnProvider(
  deps: RequestorDeps,
  client: Client,
  body: Parameters<Client['create']>[0],
  signal: AbortSignal | undefined,
  extra: { paid: { chain: PaymentChain; payment: RentalPayment } | undefined },
): Promise<ProviderVm> {
  try {
    return await client.create(body, { signal })
  } catch (error) {
    const unknown = error instanceof RequestorError && ['PROVIDER_TIMEOUT', 'INTERRUPTED', 'BAD_RESPONSE', 'ANSWER_UNVERIFIED'].includes(error.code)
    if (!unknown) {
      if (extra.paid !== undefined) throw await refundRefused(deps, extra.paid, body.name, error)
      await deps.store.remove(body.name)
      throw error
    }
    await deps.store.update(body.name, { status: 'unknown' })
    const hint = `the provider may still create "${body.name}", so its record is kept with status "unknown": golem-vm info ${body.name} asks the provider whether it did, and golem-vm destroy ${body.name} deletes it there and removes the record (both need the provider to answer)`
    throw new RequestorError(error.code, `${error.message}. ${hint}`, { cause: error })
  }
}

// What the provider's answers add to the pending record. The resources stay those asked for (an
// original provider's later reports of memory and storage are wrong); an image it does not report stays the one asked for.
function accessPatch(vm: ProviderVm, access: ProviderAccess | undefined, baseUrl: string): Partial<Rental> {
  const user = access?.ssh_user ?? null
  return {
    vm_id: access?.vm_id ?? vm.id,
    status: vm.status,
    ...(vm.image === null ? {} : { image: vm.image }),
    ssh_host: sshHostFor(access?.ssh_host, baseUrl),
    ssh_port: access?.ssh_port ?? vm.ssh_port,
    ssh_user: user !== null && isSafeUser(user) ? user : 'ubuntu',
    ...(access === undefined || access.ssh_host_keys.length === 0 ? {} : { ssh_host_keys: access.ssh_host_keys }),
  }
}
