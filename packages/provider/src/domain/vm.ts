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
  /** The renter's name for the VM; the key in every API path. */
  readonly id: string
  /** The backend's name for the instance, `golem-<id>-<utc timestamp>`. */
  readonly instance: string
  /** Address of the renter that signed the create request, or null (unsigned legacy request). */
  readonly owner: string | null
  readonly status: VmStatus
  readonly resources: VmResources
  readonly image: string
  /** The user the renter logs in as: the image's default user, resolved once at create. */
  readonly sshUser: string
  readonly sshKey: string
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
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** Statuses during which another operation on the same VM must wait. */
export const TRANSITIONAL_STATUSES: readonly VmStatus[] = ['creating', 'starting', 'stopping', 'deleting']

const pad = (n: number) => String(n).padStart(2, '0')

/** The backend instance name: `golem-<id>-<YYYYmmdd-HHMMSS>` in UTC, as the original named them. */
export function instanceName(id: string, at: Date): string {
  const d = `${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}`
  const t = `${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}`
  return `golem-${id}-${d}-${t}`
}

/** Backend instances this provider may own start with this prefix; others are never touched. */
export const INSTANCE_PREFIX = 'golem-'
