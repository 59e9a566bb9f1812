/**
 * How the renter reads a provider's answers, from this project's provider or
 * from an original 0.1.21 one (its wire format: ../shared/design/protocol.md,
 * section A). What the renter acts on is checked strictly — the VM id it
 * puts in later paths, the status it records, the SSH port it connects to;
 * what it only shows is tolerated: a missing or malformed field becomes null
 * (the original sends no `image` and no `ssh_user`, answers `null` to a
 * delete, and writes timestamps without a zone). Every string that is kept
 * is made safe for a terminal on the way in.
 *
 * @module
 */
import { VmName, VmPayment, VmStatus } from '@golem-vm/protocol'
import { z } from 'zod'
import { cleanText } from './terminal-text.js'

/** A VM status: ours, or the original's `deleted` (a Multipass instance deleted but not purged). */
export const ProviderVmStatus = z.union([VmStatus, z.literal('deleted')])
export type ProviderVmStatus = z.infer<typeof ProviderVmStatus>

/** A VM id as it goes into later paths: the provider's name rules, so no id can be a path of its own. */
const VmId = VmName

// A shown-only field: kept (made terminal-safe) when it is a string, null otherwise.
const shownText = z
  .unknown()
  .optional()
  .transform((value) => (typeof value === 'string' ? cleanText(value.slice(0, 1000)) : null))
const shownPort = z
  .unknown()
  .optional()
  .transform((value) => (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65_535 ? (value as number) : null))
const shownCount = z.int().min(0).max(1_000_000)
const shownResources = z
  .object({ cpu: shownCount, memory: shownCount, storage: shownCount })
  .transform(({ cpu, memory, storage }) => ({ cpu, memory, storage }))
  .nullable()
  .optional()
  .catch(null)
  .transform((resources) => resources ?? null)

// One mapping as shown: every field checked; the host made safe for a terminal.
const shownMapping = z
  .object({
    guest: z.int().min(1).max(65_535),
    protocol: z.enum(['tcp', 'udp']),
    public_port: z.int().min(1).max(65_535),
    host: z
      .string()
      .max(255)
      .transform((host) => cleanText(host)),
  })
  .transform(({ guest, protocol, public_port, host }) => ({ guest, protocol, public_port, host }))

// The mappings besides SSH: well-formed entries only; none from a provider that reports none (the original).
const shownMappings = z
  .unknown()
  .optional()
  .transform((value) =>
    Array.isArray(value)
      ? value.slice(0, 256).flatMap((entry) => {
          const parsed = shownMapping.safeParse(entry)
          return parsed.success ? [parsed.data] : []
        })
      : [],
  )

// The VM's host keys the provider issued (they go into a known_hosts file): `type base64` only, anything else dropped; none from the original.
const hostKeys = z
  .unknown()
  .optional()
  .transform((value) =>
    Array.isArray(value)
      ? value.slice(0, 8).flatMap((line: unknown) => {
          const key =
            typeof line === 'string' ? /^(ssh-ed25519|ecdsa-sha2-nistp(?:256|384|521)|ssh-rsa) ([A-Za-z0-9+/]{16,4096}={0,2})(?: |$)/.exec(line) : null
          return key === null ? [] : [`${key[1]} ${key[2]}`]
        })
      : [],
  )
// How a paid VM is paid for, as the provider reports it: kept when well-formed (its notice made safe), null otherwise or for a free VM.
const shownPayment = z
  .unknown()
  .optional()
  .transform((value) => {
    const parsed = VmPayment.safeParse(value)
    if (!parsed.success) return null
    const p = parsed.data
    return { ...p, notice: p.notice === null ? null : cleanText(p.notice.slice(0, 1000)) }
  })

/** A VM as any provider reports it, normalised: what was not reported is null. */
export const ProviderVm = z
  .object({
    id: VmId,
    name: shownText,
    status: ProviderVmStatus,
    resources: shownResources,
    ip_address: shownText,
    ssh_port: shownPort,
    created_at: shownText,
    updated_at: shownText,
    error_message: shownText,
    image: shownText,
    ports: shownMappings,
    payment: shownPayment,
  })
  .transform((vm) => ({ ...vm, name: vm.name ?? vm.id }))
export type ProviderVm = z.infer<typeof ProviderVm>

/**
 * Where to SSH to a VM. `ssh_port` and `vm_id` are what the renter acts on;
 * `ssh_user` defaults to the original's fixed `ubuntu`; the host is checked
 * where it is used (see `endpoint.ts`).
 */
export const ProviderAccess = z.object({
  vm_id: VmId,
  ssh_port: z.int().min(1).max(65_535),
  ssh_host: shownText,
  ssh_user: shownText,
  ssh_host_keys: hostKeys,
})
export type ProviderAccess = z.infer<typeof ProviderAccess>

/** The answer to a delete: ours (`{"vm_id", "status": "deleted"}`) or the original's `null`. */
export const ProviderDeleted = z.union([z.null(), z.object({ status: z.literal('deleted') })])

/**
 * True when `vm` is the original's way of saying it has no VM `id`: it
 * answers `GET /vms/{id}` with 200, status `error` and this exact message.
 */
export const isOriginalNotFound = (vm: ProviderVm, id: string): boolean =>
  vm.status === 'error' && vm.image === null && vm.error_message === `VM ${id} not found`
