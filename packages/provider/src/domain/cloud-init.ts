/**
 * The cloud-init documents a VM boots with, the same for every backend:
 * Multipass gets the user-data on stdin, QEMU as a NoCloud seed.
 *
 * Both are YAML in block style whose every string is a JSON string literal,
 * which YAML reads as a double-quoted scalar (1.1, cloud-init's loader, and
 * 1.2 alike). The keys are this module's constants and no value can leave its
 * quotes (JSON escapes newlines and quotes), so no input can add keys to the
 * document; and the daemon needs no YAML library (one cost 5.6 MiB resident
 * and 50 ms of start-up: bench/RESULTS.md). Block style, rather than JSON
 * itself, keeps the documents readable by the simplest cloud-init readers
 * (the tiny test guest's among them).
 *
 * @module
 */

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
type Value = string | boolean | readonly string[]

function toYaml(document: Readonly<Record<string, Value>>): string {
  const lines: string[] = []
  for (const [key, value] of Object.entries(document)) {
    if (typeof value === 'object') lines.push(`${key}:`, ...value.map((item) => `  - ${JSON.stringify(item)}`))
    else lines.push(`${key}: ${JSON.stringify(value)}`)
  }
  return `${lines.join('\n')}\n`
}

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
    userData: `#cloud-config\n${toYaml(userData)}`,
    metaData: toYaml(metaData),
  }
}
