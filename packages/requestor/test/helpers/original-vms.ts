/**
 * The VM side of the original-provider fake (see `original-provider.ts`):
 * VMs launched with the fake `multipass` exactly as provider 0.1.21 launches
 * them (its name mapping, its cloud-init document, its `multipass` calls),
 * each reached through a raw TCP relay like the original's SSH proxy. The
 * fake multipass backs every VM with a real sshd, so `ssh` through the relay
 * is a real login.
 *
 * @module
 */
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { FAKE_MULTIPASS_DIR } from './network.js'

/** One VM the fake original provider created. */
export interface OriginalVm {
  readonly name: string
  readonly multipassName: string
  readonly resources: { cpu: number; memory: number; storage: number }
  readonly ip: string
  readonly sshPort: number
  readonly relay: net.Server
}

/** The original's cloud-init (protocol.md A.7), byte for byte. */
export const originalCloudInit = (name: string, sshKey: string): string => `#cloud-config
---
version: 1
hostname: ${name}
package_update: true
package_upgrade: true
preserve_hostname: false
ssh_authorized_keys:
- ${sshKey}
users:
- name: root
  ssh_authorized_keys:
  - ${sshKey}
write_files:
- path: /etc/ssh/sshd_config.d/allow_root.conf
  content: 'PermitRootLogin prohibit-password

    '
  owner: root:root
  permissions: '0644'
runcmd:
- systemctl restart ssh
`

// `golem-<name>-<YYYYmmdd-HHMMSS>` in local time, as the original names instances.
const stamp = (d: Date): string => {
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`
}

/** Runs the fake multipass; resolves with stdout, rejects with its stderr. */
export function multipass(state: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      join(FAKE_MULTIPASS_DIR, 'multipass'),
      args,
      { env: { ...process.env, FAKE_MULTIPASS_STATE: state }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error === null) resolve(stdout)
        else reject(new Error(`multipass ${args.join(' ')} failed: ${stderr}`))
      },
    )
  })
}

/** What `multipass info NAME --format json` says of one instance. */
export interface InstanceInfo {
  readonly state: string
  readonly cpu_count: string
  readonly ipv4: string[]
}

/** `multipass info` of one instance; undefined when multipass has none. */
export async function instanceInfo(state: string, multipassName: string): Promise<InstanceInfo | undefined> {
  try {
    const json = JSON.parse(await multipass(state, ['info', multipassName, '--format', 'json'])) as { info: Record<string, InstanceInfo> }
    return json.info[multipassName]
  } catch {
    return undefined
  }
}

// A raw TCP relay from host:0 to target:22, as the original's proxy (either side closing closes the other).
function startRelay(host: string, target: string): Promise<net.Server> {
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: target, port: 22 })
    client.pipe(upstream).pipe(client)
    const close = (): void => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', close).on('close', close)
    upstream.on('error', close).on('close', close)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => resolve(server))
  })
}

/**
 * Launches a VM as the original does (A.2 steps 3-6): cloud-init file,
 * `multipass launch`, `multipass info` for the address, a relay on `host`.
 */
export async function launchOriginalVm(
  state: string,
  host: string,
  req: { name: string; sshKey: string; image: string; resources: OriginalVm['resources'] },
): Promise<OriginalVm> {
  const multipassName = `golem-${req.name}-${stamp(new Date())}`
  const file = join(state, `${req.name}-${stamp(new Date())}.yaml`)
  writeFileSync(file, originalCloudInit(req.name, req.sshKey), { mode: 0o644 })
  const { cpu, memory, storage } = req.resources
  await multipass(state, [
    'launch',
    req.image,
    '--name',
    multipassName,
    '--cloud-init',
    file,
    '--cpus',
    String(cpu),
    '--memory',
    `${memory}G`,
    '--disk',
    `${storage}G`,
  ])
  const ip = (await instanceInfo(state, multipassName))?.ipv4[0]
  if (ip === undefined) throw new Error(`multipass reports no address for ${multipassName}`)
  const relay = await startRelay(host, ip)
  return { name: req.name, multipassName, resources: req.resources, ip, sshPort: (relay.address() as net.AddressInfo).port, relay }
}

/** Deletes the VM as the original does: `multipass delete`, a host-wide `multipass purge`, the relay closed. */
export async function deleteOriginalVm(state: string, vm: OriginalVm): Promise<void> {
  vm.relay.close()
  await multipass(state, ['delete', vm.multipassName])
  await multipass(state, ['purge'])
}
