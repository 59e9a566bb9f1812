/**
 * Readiness of a VM's SSH server. A TCP connect is not enough: QEMU's user
 * networking accepts connections before the guest is up, so ready means the
 * server sent its `SSH-` identification banner.
 *
 * @module
 */
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { SshEndpoint } from '../../domain/vm.js'

/** Resolves true if the endpoint sends an SSH banner within `timeoutMs`. */
export function readSshBanner(endpoint: SshEndpoint, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: endpoint.host, port: endpoint.port })
    let received = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.on('error', () => done(false))
    socket.on('close', () => done(false))
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
      if (received.includes('SSH-')) done(true)
      else if (received.length > 1024) done(false)
    })
  })
}

/**
 * Polls until the SSH banner arrives; rejects when `signal` aborts (the caller's deadline).
 * Each attempt is bounded; attempts are spaced by `intervalMs`.
 */
export async function waitForSsh(endpoint: SshEndpoint, signal: AbortSignal, intervalMs = 500): Promise<void> {
  for (;;) {
    signal.throwIfAborted()
    if (await readSshBanner(endpoint, 2000)) return
    await sleep(intervalMs, undefined, { signal })
  }
}
