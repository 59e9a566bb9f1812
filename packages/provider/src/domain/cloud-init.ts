/**
 * The cloud-init documents a VM boots with, the same for every backend:
 * Multipass gets the user-data as a file, QEMU as a NoCloud seed.
 * Emitted with a YAML library, never by string building, so no input can
 * add keys to the document; and every string value is double-quoted, so no
 * value can change its type: cloud-init reads YAML 1.1, where a plain `yes`,
 * `off`, `null`, `~`, `0b101`, `0x1f`, `1e3` or `0o17` is a boolean, null or
 * number, and a MAC address such as `52:54:00:12:34:56` a base-60 number (a
 * VM named `yes` got no hostname and no SSH key before).
 *
 * @module
 */
import { stringify } from 'yaml'
import type { GuestNetwork } from './vm-network.js'
import type { VmHostKey } from './vm.js'

export interface CloudInitInput {
  /** The VM's hostname (its id). */
  readonly hostname: string
  /** A fresh id per VM instance, so cloud-init runs again for it. */
  readonly instanceId: string
  /** The renter's public key, already validated and canonical (`type base64`). */
  readonly sshKey: string
  /** The VM's SSH host key (ed25519), installed instead of one the guest would make; absent: the guest makes its own. */
  readonly hostKey?: VmHostKey | null | undefined
  /** A fixed address on the provider's isolated network; undefined: the backend's own network (DHCP). */
  readonly network?: GuestNetwork | undefined
}

export interface CloudInitDocuments {
  readonly userData: string
  readonly metaData: string
  /** NoCloud `network-config` (version 2), when the guest gets a fixed address. */
  readonly networkConfig?: string | undefined
}

// Keys stay plain (they are ours and fixed); every string value is quoted; no line folding.
const YAML_OPTIONS = { lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' } as const

/**
 * The line cloud-init prints on the guest's console when it has finished
 * (its `final_message`, written by the last stage, every boot): until then
 * the guest may still be restarting its SSH server.
 */
export const readyMarker = (instanceId: string): string => `golem-provider: ${instanceId} is ready`

// Matched by MAC (the interface name differs between images) and named eth0; no DHCP.
function networkConfig(n: GuestNetwork): string {
  const config = {
    version: 2,
    ethernets: {
      eth0: {
        match: { macaddress: n.mac },
        'set-name': 'eth0',
        dhcp4: false,
        dhcp6: false,
        addresses: [`${n.address}/${n.prefixLength}`],
        routes: [{ to: '0.0.0.0/0', via: n.gateway }],
        nameservers: { addresses: [...n.dns] },
      },
    },
  }
  return stringify(config, YAML_OPTIONS)
}

/**
 * The renter's key goes to the image's default user (`ubuntu` on Ubuntu) and,
 * with `disable_root: false`, to root as well (root logs in by key only: the
 * images' sshd default is `PermitRootLogin prohibit-password`). Unlike the
 * original there is no `users:` list (it suppressed the default user) and no
 * package upgrade at boot (it made every boot slow). `final_message` marks
 * the end of cloud-init's work on the console (see `readyMarker`).
 */
export function buildCloudInit(input: CloudInitInput): CloudInitDocuments {
  const userData = {
    hostname: input.hostname,
    preserve_hostname: false,
    manage_etc_hosts: true,
    ssh_pwauth: false,
    disable_root: false,
    ssh_authorized_keys: [input.sshKey],
    // The provider's host key for this VM (its fingerprint is in the signed /access answer); no other type is made.
    ...(input.hostKey == null
      ? {}
      : { ssh_keys: { ed25519_private: input.hostKey.privateKey, ed25519_public: input.hostKey.publicKey }, ssh_genkeytypes: ['ed25519'] }),
    final_message: readyMarker(input.instanceId),
  }
  const metaData = { 'instance-id': input.instanceId, 'local-hostname': input.hostname }
  return {
    userData: `#cloud-config\n${stringify(userData, YAML_OPTIONS)}`,
    metaData: stringify(metaData, YAML_OPTIONS),
    networkConfig: input.network === undefined ? undefined : networkConfig(input.network),
  }
}
