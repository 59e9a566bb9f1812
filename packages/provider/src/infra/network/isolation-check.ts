/**
 * Whether this host lets the provider isolate VMs: root (bridges, TAPs and
 * nftables need CAP_NET_ADMIN), `/dev/net/tun`, the `ip` and `nft` tools,
 * and a kernel whose nftables answers. One sentence per thing missing, each
 * saying how to fix it; empty when isolation is possible.
 *
 * @module
 */
import { access, constants } from 'node:fs/promises'
import { ExecFailure, run } from '../exec/run.js'

const TIMEOUT_MS = 10_000

async function tool(file: string, args: readonly string[], fix: string): Promise<string | undefined> {
  try {
    await run(file, args, { timeoutMs: TIMEOUT_MS })
    return undefined
  } catch (error) {
    const why = error instanceof ExecFailure ? (error.kind === 'spawn' ? 'is not installed' : `fails (${error.reason})`) : String(error)
    return `\`${[file, ...args].join(' ')}\` ${why}: ${fix}`
  }
}

/** What stands in the way of isolating VMs on this host (empty: nothing). */
export async function isolationProblems(uid: number | undefined = process.getuid?.(), needs: { tun: boolean } = { tun: true }): Promise<string[]> {
  if (uid !== 0)
    return [
      'the provider does not run as root (it needs to create a bridge, TAP devices and nftables rules): run it as root, e.g. with `golem-provider install-service`',
    ]
  const problems: string[] = []
  if (needs.tun)
    await access('/dev/net/tun', constants.R_OK | constants.W_OK).catch(() => {
      problems.push('/dev/net/tun is missing: load the tun module (`modprobe tun`), or give the container the device')
    })
  const checks = await Promise.all([
    tool('ip', ['-V'], 'install iproute2 (Debian: apt install iproute2)'),
    tool('nft', ['list', 'tables'], 'install nftables (Debian: apt install nftables) on a kernel with nf_tables'),
  ])
  problems.push(...checks.filter((c): c is string => c !== undefined))
  return problems
}
