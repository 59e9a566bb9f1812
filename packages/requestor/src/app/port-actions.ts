/**
 * The renter's port mappings on an existing VM: list, add, remove. Each asks
 * the VM's provider (the mappings live there, not in the data dir) and
 * answers with the VM as the provider reports it afterwards.
 *
 * @module
 */
import { RequestorError } from '../domain/errors.js'
import { cleanText } from '../domain/terminal-text.js'
import type { PortAsk } from '../domain/ports.js'
import type { RequestorDeps } from './deps.js'
import { locate, type VmAddress } from './locate.js'
import { showVm, type VmView } from './rental-actions.js'

/** The VM with its mappings. */
export const listPorts = (deps: RequestorDeps, address: VmAddress): Promise<VmView> => showVm(deps, address)

/** Maps more guest ports of the VM. */
export async function addPorts(deps: RequestorDeps, address: VmAddress, ports: readonly PortAsk[]): Promise<VmView> {
  if (ports.length === 0) throw new RequestorError('INVALID_ARGUMENT', 'name at least one port to add, such as 8080 or 27015/udp')
  const located = await locate(deps, address)
  return { rental: located.rental ?? null, vm: await located.client.addPorts(located.vmId, ports) }
}

/** Removes the VM's mapping on a public port (as `golem-vm ports NAME` lists it). */
export async function removePort(deps: RequestorDeps, address: VmAddress, publicPortText: string): Promise<VmView> {
  const publicPort = Number(publicPortText)
  if (!/^\d{1,5}$/.test(publicPortText) || publicPort < 1 || publicPort > 65_535) {
    throw new RequestorError(
      'INVALID_ARGUMENT',
      `give the public port of the mapping to remove, as golem-vm ports ${address.name} lists it (got "${cleanText(publicPortText.slice(0, 20))}")`,
    )
  }
  const located = await locate(deps, address)
  return { rental: located.rental ?? null, vm: await located.client.removePort(located.vmId, publicPort) }
}
