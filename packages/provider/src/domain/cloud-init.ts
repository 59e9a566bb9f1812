/**
 * The cloud-init documents a VM boots with, the same for every backend:
 * Multipass gets the user-data as a file, QEMU as a NoCloud seed.
 * Emitted with a YAML library, never by string building, so no input can
 * add keys to the document.
 *
 * @module
 */
import { stringify } from 'yaml'

export interface CloudInitInput {
  /** The VM's hostname (its id). */
  readonly hostname: string
  /** A fresh id per VM instance, so cloud-init runs again for it. */
  readonly instanceId: string
  /** The renter's public key, already validated and canonical (`type base64`). */
  readonly sshKey: string
}

export interface CloudInitDocuments {
  readonly userData: string
  readonly metaData: string
}

/**
 * The renter's key goes to the image's default user (`ubuntu` on Ubuntu) and,
 * with `disable_root: false`, to root as well (root logs in by key only: the
 * images' sshd default is `PermitRootLogin prohibit-password`). Unlike the
 * original there is no `users:` list (it suppressed the default user) and no
 * package upgrade at boot (it made every boot slow).
 */
export function buildCloudInit(input: CloudInitInput): CloudInitDocuments {
  const userData = {
    hostname: input.hostname,
    preserve_hostname: false,
    manage_etc_hosts: true,
    ssh_pwauth: false,
    disable_root: false,
    ssh_authorized_keys: [input.sshKey],
  }
  const metaData = { 'instance-id': input.instanceId, 'local-hostname': input.hostname }
  return {
    userData: `#cloud-config\n${stringify(userData, { lineWidth: 0 })}`,
    metaData: stringify(metaData, { lineWidth: 0 }),
  }
}
