/**
 * The renter's SSH key and where a rental's VM is reached with it.
 * `infra/keys.ts` loads or makes the key; `infra/ssh.ts` runs ssh.
 *
 * @module
 */

/** The renter's SSH key as the CLI uses it. */
export interface SshKey {
  /** Absolute path of the private key, for `ssh -i`. */
  readonly privateKeyPath: string
  /** The public key line sent to providers (`ssh-ed25519 AAAA… golem-vm`). */
  readonly publicKey: string
  /** `SHA256:…`, as ssh-keygen -l prints it. */
  readonly fingerprint: string
  /** True when this call made the key. */
  readonly created: boolean
}

/** Where a rental's VM is reached and with which key. */
export interface SshTarget {
  readonly privateKeyPath: string
  readonly knownHostsFile: string
  readonly host: string
  readonly port: number
  readonly user: string
  /** True when the VM's host key was pinned from the provider's signed answer: ssh accepts only it (StrictHostKeyChecking=yes). */
  readonly pinned?: boolean
}
