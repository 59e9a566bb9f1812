/**
 * The VM record: what the provider's store keeps about each VM, and the
 * rules for naming its backend instance.
 *
 * @module
 */
import type { VmResources, VmStatus } from '@golem-vm/protocol'
import type { PortMapping } from './port-mappings.js'
import type { VmAttachment } from './vm-network.js'

/** Where the VM's SSH server answers, as seen from the provider host. */
export interface SshEndpoint {
  readonly host: string
  readonly port: number
}

export interface VmRecord {
  /**
   * The provider's own key for the VM, unique inside the provider: the instance name for VMs made
   * since names are scoped per owner, the name for older ones. Renters never see it.
   */
  readonly id: string
  /** The renter's name for the VM: the key in every renter's API path, unique within its {@link VmRecord.scope}. */
  readonly name: string
  /** Whose name space the VM is in: the signing renter's address, `operator` or `unsigned` ({@link ownerScope}). */
  readonly scope: string
  /** The backend's name for the instance, `golem-<name>-<utc timestamp>` (and `-<n>` when that was taken). */
  readonly instance: string
  /** Address of the renter that signed the create request, or null (the operator, or an unsigned legacy request). */
  readonly owner: string | null
  readonly status: VmStatus
  readonly resources: VmResources
  readonly image: string
  /** The user the renter logs in as: the image's default user, resolved once at create. */
  readonly sshUser: string
  readonly sshKey: string
  /**
   * The VM's own SSH host key, made by the provider at create and given to the guest through cloud-init
   * (`ssh_keys`), so the renter can pin it from the first login; absent for VMs made before host keys were issued.
   */
  readonly hostKey?: VmHostKey | null
  /** Public port of the SSH proxy, held for the VM's whole life. */
  readonly sshPort: number
  /** The renter's mapped ports besides SSH, by public port; each held until the mapping or the VM is deleted. */
  readonly ports: readonly PortMapping[]
  /** The VM's SSH server as the proxy reaches it; null until it first ran. */
  readonly endpoint: SshEndpoint | null
  /** The VM's own address (private), as the backend reports it. */
  readonly ipAddress: string | null
  /** Its TAP, MAC and address on the provider's isolated network; null when VMs are not isolated (or the backend owns the network). */
  readonly attachment: VmAttachment | null
  readonly errorMessage: string | null
  /** How the VM is paid for; null for a free VM. */
  readonly payment: VmPaymentRecord | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** An ed25519 SSH host key: the OpenSSH private key file's text and the public key line. */
export interface VmHostKey {
  readonly privateKey: string
  readonly publicKey: string
}

/** A paid VM's stream and what the payment monitor decided about it (kept across restarts). */
export interface VmPaymentRecord {
  /** The stream's id on the payment contract, as a decimal string. */
  readonly streamId: string
  /** The rate the stream carried when the VM was created (base units per second). */
  readonly ratePerSecond: bigint
  /** When its paid time ran out (the stream's paid-until), while it is not topped up; null while paid. */
  readonly expiredAt: Date | null
  /** True when the monitor stopped the VM for lack of payment (a top-up starts it again). */
  readonly stoppedForPayment: boolean
}

/** Statuses during which another operation on the same VM must wait. */
export const TRANSITIONAL_STATUSES: readonly VmStatus[] = ['creating', 'starting', 'stopping', 'deleting']

const pad = (n: number) => String(n).padStart(2, '0')

/**
 * The backend instance name: `golem-<name>-<YYYYmmdd-HHMMSS>` in UTC, as the original named them;
 * `attempt` > 0 appends `-<attempt>`, for two owners' VMs of one name created in the same second.
 */
export function instanceName(name: string, at: Date, attempt = 0): string {
  const d = `${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}`
  const t = `${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}`
  return `golem-${name}-${d}-${t}${attempt > 0 ? `-${attempt}` : ''}`
}

/** The name space of the operator's VMs (made with the admin token). */
export const OPERATOR_SCOPE = 'operator'
/** The name space that every unsigned (transition-mode) caller shares. */
export const UNSIGNED_SCOPE = 'unsigned'

/**
 * Whose name space a VM is in: a signing renter's own (its address), the operator's, or the one all
 * unsigned callers share. VM names are unique within a scope only, so one renter's names say nothing
 * about another's. An address is `0x` and hex, so it never equals the two words.
 */
export function ownerScope(owner: { readonly kind: 'operator' } | { readonly kind: 'renter'; readonly address: string | null }): string {
  if (owner.kind === 'operator') return OPERATOR_SCOPE
  return owner.address ?? UNSIGNED_SCOPE
}

/** Backend instances this provider may own start with this prefix; others are never touched. */
export const INSTANCE_PREFIX = 'golem-'
