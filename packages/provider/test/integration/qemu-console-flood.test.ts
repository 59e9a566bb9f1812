/**
 * Issue 15 item 7 against the real daemon and real QEMU (the tiny guest): a
 * renter makes its guest flood the serial console, the provider stops (its
 * VMs keep running), and the console log on disk does not grow while it is
 * down; QEMU keeps only its ring of the latest output, which the provider
 * drains into the log when it is back. The VM stays reachable throughout.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { api, startDaemon } from '../helpers/daemon.js'
import { sshRun } from '../helpers/ssh.js'
import { qemuWorld } from '../helpers/test-guest.js'

const FLOOD = 'golem-console-flood'
const MiB = 1024 * 1024

const size = (path: string): number => (existsSync(path) ? statSync(path).size : 0)
const read = (path: string): string => (existsSync(path) ? readFileSync(path, 'latin1') : '')
const rssKiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])

test(
  'a guest flooding its serial console while the provider is stopped costs no disk; the log is drained and capped when it is back',
  { timeout: 5 * 60_000 },
  async (t) => {
    const { dataDir, env, key } = await qemuWorld(t, 'tiny-test')
    let daemon = await startDaemon(t, { env })
    const created = await api<{ ssh_port: number }>(daemon.baseUrl, 'POST', '/api/v1/vms', {
      name: 'chatty',
      ssh_key: key.publicKey,
      image: 'tiny-test',
      resources: { cpu: 1, memory: 1, storage: 10 },
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const ssh = (command: string) => sshRun({ port: created.body.ssh_port, user: 'root', key: key.privateKeyPath, command })
    const [instance = ''] = readdirSync(join(dataDir, 'vms'))
    const vmDir = join(dataDir, 'vms', instance)
    const pid = Number(readFileSync(join(vmDir, 'qemu.pid'), 'utf8'))
    // Lines of the guest's clock between bursts of 5000 lines, so the drained log shows when they were written.
    const flood = await ssh(
      `setsid sh -c 'while :; do echo "tick $(date +%s)"; yes ${FLOOD} | head -n 5000; done > /dev/ttyS0' </dev/null >/dev/null 2>&1 & date +%s`,
    )
    assert.equal(flood.code, 0, flood.stderr)
    const guestClockAhead = Number(flood.stdout) - Math.round(Date.now() / 1000)

    assert.equal(await daemon.stop(), 0)
    const log = join(vmDir, 'console.log')
    const [logBefore, rssBefore, stoppedAt] = [size(log), rssKiB(pid), Math.round(Date.now() / 1000)]
    await sleep(20_000)
    assert.equal(size(log), logBefore, 'nothing writes the console log while the provider is down')
    // QEMU's resident memory includes the guest's pages (bounded by its RAM); the console adds at most its ring.
    const rssGrowthMiB = (rssKiB(pid) - rssBefore) / 1024

    daemon = await startDaemon(t, { env })
    const drained = read(`${log}.1`) + read(log)
    assert.ok(size(log) + size(`${log}.1`) <= 3 * MiB, 'the log and its previous part stay under their caps')
    const ticks = [...drained.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]) - guestClockAhead)
    const lastTick = Math.max(...ticks)
    assert.ok(lastTick >= stoppedAt + 15, `the guest kept writing while the provider was down (last line from ${lastTick - stoppedAt} s after the stop)`)
    t.diagnostic(
      `provider down 20 s: console.log ${logBefore} → ${size(log)} bytes; QEMU RSS +${rssGrowthMiB.toFixed(1)} MiB; drained ${drained.length} bytes, ${ticks.length} bursts of 5000 lines`,
    )
    const stopped = await ssh('pkill -f "while :"; pkill yes; hostname')
    assert.equal(stopped.stdout, 'chatty', `the VM still answers through the proxy: ${stopped.stderr}`)
    assert.equal((await api(daemon.baseUrl, 'DELETE', '/api/v1/vms/chatty')).status, 200)
  },
)
