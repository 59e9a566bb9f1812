/**
 * VM records as the API shows them, with the original's field names.
 *
 * @module
 */
import type { PortMapping, VmAccessInfo, VmInfo, VmPayment } from '@golem-vm/protocol'
import { fingerprint } from '@golem-vm/protocol/openssh-key'
import type { VmRecord } from '../domain/vm.js'

/** The VM's mappings as renters connect to them: the provider's public address and each public port. */
export const toPortMappings = (vm: VmRecord, host: string): PortMapping[] =>
  vm.ports.map((p) => ({ guest: p.guest, protocol: p.protocol, public_port: p.publicPort, host }))

/** The VM as the API shows it; `payment` for a paid VM (from the payment monitor). */
export const toVmInfo = (vm: VmRecord, host: string, payment?: VmPayment): VmInfo => ({
  id: vm.name,
  name: vm.name,
  status: vm.status,
  resources: vm.resources,
  ip_address: vm.ipAddress,
  ssh_port: vm.sshPort,
  created_at: vm.createdAt.toISOString(),
  updated_at: vm.updatedAt.toISOString(),
  error_message: vm.errorMessage,
  image: vm.image,
  ports: toPortMappings(vm, host),
  ...(payment === undefined ? {} : { payment }),
})

export const toAccessInfo = (vm: VmRecord, sshHost: string): VmAccessInfo => ({
  ssh_host: sshHost,
  ssh_port: vm.sshPort,
  ssh_user: vm.sshUser,
  vm_id: vm.name,
  multipass_name: vm.instance,
  ports: toPortMappings(vm, sshHost),
  ...(vm.hostKey == null ? {} : { ssh_host_keys: [vm.hostKey.publicKey], ssh_host_key_fingerprints: [fingerprint(vm.hostKey.publicKey)] }),
})
