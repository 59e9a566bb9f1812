/**
 * The QMP questions the driver asks a running QEMU: its run state and the
 * loopback port forwarded to the guest's SSH server (`info usernet`).
 *
 * @module
 */
import { withQmp, type QmpOptions } from './qmp-client.js'

export interface VmRuntime {
  /** QEMU's run state: running, paused, shutdown, inmigrate, … */
  readonly status: string
  readonly sshPort: number | undefined
}

/**
 * Finds the host port forwarded to `guestPort` in the output of the human
 * monitor's `info usernet`:
 * `TCP[HOST_FORWARD]  14  127.0.0.1 46771  10.0.2.15  22  0  0`.
 */
export function parseForwardedPort(infoUsernet: string, guestPort = 22): number | undefined {
  for (const line of infoUsernet.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/)
    if (!fields[0]?.startsWith('TCP[HOST_FORWARD]') || fields.length < 6) continue
    const [, , , hostPort, , destPort] = fields
    if (Number(destPort) === guestPort && /^\d+$/.test(hostPort ?? '')) return Number(hostPort)
  }
  return undefined
}

const statusOf = (value: unknown): string =>
  typeof value === 'object' && value !== null && 'status' in value && typeof value.status === 'string' ? value.status : 'unknown'

/** Asks QEMU for its run state and the forwarded SSH port, in one QMP session. */
export async function queryVm(socketPath: string, opts: QmpOptions): Promise<VmRuntime> {
  return withQmp(socketPath, opts, async (qmp) => {
    const status = statusOf(await qmp.execute('query-status'))
    const usernet = await qmp.execute('human-monitor-command', { 'command-line': 'info usernet' })
    return { status, sshPort: typeof usernet === 'string' ? parseForwardedPort(usernet) : undefined }
  })
}
