/**
 * QEMU's runtime forwards against a real QEMU (no guest: `-machine none`):
 * a guest port gets a loopback port QEMU picks, TCP and UDP apart, and
 * asking again returns the same forward instead of adding a second one.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { withQmp } from '../../src/drivers/qemu/qmp-client.js'
import { forwardGuestPort } from '../../src/drivers/qemu/qmp-queries.js'
import { tempDir } from '../helpers/daemon.js'

test('hostfwd at run time: one loopback port per guest port and protocol, found again on the next ask', async (t) => {
  const socket = join(tempDir(t), 'qmp.sock')
  const qemu = spawn(
    'qemu-system-x86_64',
    ['-machine', 'none', '-nodefaults', '-display', 'none', '-netdev', 'user,id=n0', '-qmp', `unix:${socket},server=on,wait=off`],
    { stdio: 'ignore' },
  )
  t.after(async () => {
    if (qemu.exitCode === null) {
      qemu.kill('SIGKILL')
      await once(qemu, 'exit')
    }
  })
  for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(100)
  const opts = { timeoutMs: 10_000, signal: AbortSignal.timeout(30_000) }
  const first = await withQmp(socket, opts, async (qmp) => ({
    tcp: await forwardGuestPort(qmp, 'tcp', 8080),
    udp: await forwardGuestPort(qmp, 'udp', 8080),
    again: await forwardGuestPort(qmp, 'tcp', 8080),
  }))
  assert.ok(first.tcp !== undefined && first.udp !== undefined)
  assert.equal(first.again, first.tcp, 'no second forward for the same port')
  const later = await withQmp(socket, opts, (qmp) => forwardGuestPort(qmp, 'udp', 8080))
  assert.equal(later, first.udp)
})
