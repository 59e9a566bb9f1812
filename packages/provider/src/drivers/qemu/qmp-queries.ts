/**
 * The QMP questions the driver asks a running QEMU: its run state, the
 * loopback port forwarded to the guest's SSH server (`info usernet`), and
 * what the guest wrote to its serial console since the last read.
 *
 * @module
 */
import { CONSOLE_DEVICE, CONSOLE_RING_BYTES, NETDEV_ID } from './qemu-argv.js'
import { QmpError, withQmp, type QmpOptions, type QmpSession } from './qmp-client.js'

export interface VmRuntime {
  /** QEMU's run state: running, paused, shutdown (the guest powered off; `-no-shutdown` keeps QEMU), … */
  readonly status: string
  readonly sshPort: number | undefined
  /** The console bytes drained from the ring, when asked for (none when QEMU has no ring: an older VM). */
  readonly console?: Buffer | undefined
}

/**
 * Finds the host port forwarded to `guestPort` in the output of the human
 * monitor's `info usernet`:
 * `TCP[HOST_FORWARD]  14  127.0.0.1 46771  10.0.2.15  22  0  0`.
 */
export function parseForwardedPort(infoUsernet: string, guestPort = 22, protocol: 'tcp' | 'udp' = 'tcp'): number | undefined {
  const kind = `${protocol.toUpperCase()}[HOST_FORWARD]`
  for (const line of infoUsernet.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/)
    if (!fields[0]?.startsWith(kind) || fields.length < 6) continue
    const [, , , hostPort, , destPort] = fields
    if (Number(destPort) === guestPort && /^\d+$/.test(hostPort ?? '')) return Number(hostPort)
  }
  return undefined
}

const statusOf = (value: unknown): string =>
  typeof value === 'object' && value !== null && 'status' in value && typeof value.status === 'string' ? value.status : 'unknown'

/** Takes what the console's ring holds (and empties it); undefined when this QEMU has no ring. */
export async function readConsoleRing(qmp: QmpSession): Promise<Buffer | undefined> {
  try {
    const data = await qmp.execute('ringbuf-read', { device: CONSOLE_DEVICE, size: CONSOLE_RING_BYTES, format: 'base64' })
    return typeof data === 'string' ? Buffer.from(data, 'base64') : undefined
  } catch (error) {
    if (error instanceof QmpError && error.kind === 'command') return undefined
    throw error
  }
}

/**
 * Asks QEMU for its run state and the forwarded SSH port, in one QMP session;
 * with `drainConsole`, also takes the console's new bytes.
 */
export async function queryVm(socketPath: string, opts: QmpOptions, drainConsole = false): Promise<VmRuntime> {
  return withQmp(socketPath, opts, async (qmp) => {
    const status = statusOf(await qmp.execute('query-status'))
    // A VM on a TAP has no user-mode network: no forward to find.
    const usernet = await qmp.execute('human-monitor-command', { 'command-line': 'info usernet' }).catch((error: unknown) => {
      if (error instanceof QmpError && error.kind === 'command') return undefined
      throw error
    })
    const sshPort = typeof usernet === 'string' ? parseForwardedPort(usernet) : undefined
    return drainConsole ? { status, sshPort, console: await readConsoleRing(qmp) } : { status, sshPort }
  })
}

/**
 * The loopback port QEMU forwards to the guest's `guest` port: the one it
 * already has (after a provider restart), or a new one QEMU picks
 * (`hostfwd_add` with host port 0, read back from `info usernet`).
 */
export async function forwardGuestPort(qmp: QmpSession, protocol: 'tcp' | 'udp', guest: number): Promise<number | undefined> {
  const usernet = async () => {
    const text = await qmp.execute('human-monitor-command', { 'command-line': 'info usernet' })
    return typeof text === 'string' ? parseForwardedPort(text, guest, protocol) : undefined
  }
  const existing = await usernet()
  if (existing !== undefined) return existing
  const answer = await qmp.execute('human-monitor-command', { 'command-line': `hostfwd_add ${NETDEV_ID} ${protocol}:127.0.0.1:0-:${guest}` })
  if (typeof answer === 'string' && answer.trim() !== '') throw new Error(`hostfwd_add refused: ${answer.trim()}`)
  return usernet()
}
