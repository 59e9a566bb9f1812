/**
 * `golem-provider uninstall-network`: removes what the provider made on this
 * host for its isolated VM network (its nftables tables, TAPs and bridge,
 * and the host settings it changed), one line per removal. Refuses while the
 * provider runs (it would put the rules back) and while VMs are attached
 * (their network would go with it) unless forced.
 *
 * @module
 */
import { existsSync } from 'node:fs'
import { uninstallVmNetwork } from '../app/isolated-network.js'
import type { Config } from '../config.js'
import { planVmNetwork } from '../domain/vm-network.js'
import { LinuxNetworkDevices } from '../infra/network/linux-network-devices.js'
import { SqliteVmStore, StoreInUseError } from '../infra/store/sqlite-vm-store.js'
import { CliError } from './admin-client.js'

/** Removes the VM network of the provider whose settings are `config`; resolves with one line per thing removed. */
export async function uninstallNetworkCommand(config: Config, opts: { force: boolean }): Promise<string[]> {
  if (process.getuid?.() !== 0)
    throw new CliError('NOT_ROOT', 'removing the VM network needs root (it changes bridges, TAP devices and nftables): run it with sudo')
  const attached = existsSync(config.dbPath) ? attachedVms(config.dbPath) : []
  if (attached.length > 0 && !opts.force) {
    throw new CliError(
      'VMS_ATTACHED',
      `VMs still use the network: ${attached.join(', ')}; delete them first (golem-provider delete-vm NAME while the provider runs), or pass --force to cut them off`,
    )
  }
  const plan = planVmNetwork({ dataDir: config.dataDir, bridge: config.vmNetwork.bridge, subnet: config.vmNetwork.subnet, dns: config.vmNetwork.dns })
  return uninstallVmNetwork(plan, new LinuxNetworkDevices(config.dataDir))
}

// The VMs with a place on the network, read from the store (which a running provider holds exclusively).
function attachedVms(dbPath: string): string[] {
  let store: SqliteVmStore
  try {
    store = new SqliteVmStore(dbPath)
  } catch (error) {
    if (error instanceof StoreInUseError)
      throw new CliError('PROVIDER_RUNNING', 'the provider is running and would restore its rules: stop it first (systemctl stop golem-provider, or Ctrl-C)')
    throw error
  }
  try {
    return store
      .list()
      .filter((vm) => vm.attachment !== null)
      .map((vm) => vm.id)
  } finally {
    store.close()
  }
}
