/**
 * The one place that wires concrete parts together: the rental store, the
 * discovery client, provider clients, the identity and the SSH key, all in
 * the configured data dir. Keys and identity are loaded lazily, so commands
 * that do not need them (`list`, `providers`) never make them.
 *
 * @module
 */
import type { RequestorDeps } from './app/deps.js'
import type { RequestorConfig } from './config.js'
import { DiscoveryClient } from './infra/discovery-client.js'
import { loadOrCreateIdentity, type RenterIdentity } from './infra/identity.js'
import { loadOrCreateSshKey, loadSshKey } from './infra/keys.js'
import { forgetHostKeys, knownHostsFile, pinHostKeys } from './infra/known-hosts.js'
import { connectPaymentChain } from './infra/payment-chain.js'
import { ProviderClient } from './infra/provider-client.js'
import { RentalStore } from './infra/rental-store.js'

/** Builds the use cases' dependencies for `config`; `warn` gets what the user should know but is no error (an unsigned provider's answers used). */
export function compose(config: RequestorConfig, warn: (message: string) => void = () => undefined): RequestorDeps {
  let identity: Promise<RenterIdentity> | undefined
  const loadIdentity = (): Promise<RenterIdentity> => (identity ??= loadOrCreateIdentity(config.dataDir))
  return {
    config,
    store: new RentalStore(config.dataDir),
    discovery: new DiscoveryClient({ baseUrl: config.discoveryUrl }),
    identity: loadIdentity,
    sshKey: (create) => (create ? loadOrCreateSshKey(config.dataDir) : loadSshKey(config.dataDir)),
    provider: (target, signer) =>
      new ProviderClient({
        baseUrl: target.baseUrl,
        providerId: target.providerId,
        signer,
        longTimeoutMs: config.createTimeoutMs,
        acceptUnsigned: target.acceptUnsigned === true,
        warn,
      }),
    knownHostsFile: (name) => knownHostsFile(config.dataDir, name),
    forgetHostKeys: (name) => forgetHostKeys(config.dataDir, name),
    pinHostKeys: (name, host, port, keys) => pinHostKeys(config.dataDir, name, host, port, keys),
    paymentChain: async (target) => connectPaymentChain({ rpcUrl: config.paymentRpcUrl, privateKey: (await loadIdentity()).wallet.privateKey }, target),
  }
}
