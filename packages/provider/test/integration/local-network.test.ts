/**
 * `npm run local-network` (scripts/local-network/main.ts) as a newcomer's CI
 * would run it: the whole network on 127.0.0.1 with a real QEMU VM (the Debian
 * test guest with real cloud-init), the renter's `golem-vm ssh` prints the VM's hostname, and
 * then nothing of the run is left: no process (the node services, golem-vm
 * and ssh inherit a marker variable set here; QEMU, started with a minimal
 * environment, is found by its working directory in the run's dir and by the
 * VM's unique name on its command line), no throw-away dir, no listening port,
 * and (as root, where the provider isolates its VMs) no bridge or nftables
 * table of the provider's VM network.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { planVmNetwork } from '../../src/domain/vm-network.js'
import { isListening, PROVIDER_BIN, REPO_ROOT } from '../helpers/daemon.js'

const MARKER = 'LOCAL_NETWORK_TEST_MARKER'
const TIMEOUT_MS = 10 * 60_000

// The names the run's provider gave its VM network (they derive from its data dir), and what of them the host still has.
function networkLeftovers(dir: string): string[] {
  const plan = planVmNetwork({ dataDir: join(dir, 'provider'), dns: [] })
  const left: string[] = []
  if (existsSync(`/sys/class/net/${plan.bridge}`)) left.push(`bridge ${plan.bridge}`)
  if (process.getuid?.() === 0) {
    const tables = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' })
    if (tables.status === 0 && tables.stdout.split('\n').some((line) => line.trim().endsWith(` ${plan.table}`))) left.push(`nftables table ${plan.table}`)
  }
  return left
}

const qemuInstalled = (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, 'qemu-system-x86_64')))

const read = (path: string): string => {
  try {
    return readFileSync(path, 'latin1')
  } catch {
    return ''
  }
}

// Live (not zombie) processes whose environment holds the marker, whose working directory is under `dir`,
// or whose command line names the VM's instance (`golem-<name>-<date>-<time>`).
function processesOfRun(marker: string, dir: string | undefined, vmName: string): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    const stat = read(`/proc/${entry}/stat`)
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    if (stat === '' || state === 'Z' || state === 'X') continue
    let cwd = ''
    try {
      cwd = readlinkSync(`/proc/${entry}/cwd`)
    } catch {
      // Gone or not ours to read.
    }
    const underDir = dir !== undefined && (cwd === dir || cwd.startsWith(`${dir}/`))
    const command = read(`/proc/${entry}/cmdline`).split('\0').join(' ').trim()
    if (underDir || command.includes(`golem-${vmName}-`) || `${read(`/proc/${entry}/environ`)}\0`.includes(`${MARKER}=${marker}\0`)) {
      found.push({ pid: Number(entry), command })
    }
  }
  return found
}

test(
  'npm run local-network --exit-after-ssh: a real VM through the whole network on this machine, and nothing left behind',
  {
    timeout: TIMEOUT_MS + 120_000,
    skip: qemuInstalled ? false : 'qemu-system-x86_64 is not installed',
  },
  async (t) => {
    const marker = randomBytes(8).toString('hex')
    const name = `ln-${marker.slice(0, 6)}`
    let output = ''
    let dir: string | undefined
    t.after(() => {
      // Whatever happened, leave nothing: kill what is left of the run and remove its dir.
      for (const p of processesOfRun(marker, dir, name)) {
        try {
          process.kill(p.pid, 'SIGKILL')
        } catch {
          // Gone.
        }
      }
      if (dir !== undefined && process.getuid?.() === 0 && networkLeftovers(dir).length > 0) {
        // A run that failed before its own clean-up leaves its VM network: remove it as an operator would.
        spawnSync(process.execPath, [PROVIDER_BIN, 'uninstall-network', '--force'], {
          env: { ...process.env, GOLEM_PROVIDER_DATA_DIR: join(dir, 'provider'), GOLEM_PROVIDER_ENV_FILE: '/nonexistent' },
          timeout: 60_000,
        })
      }
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    })

    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/local-network/main.ts', '--exit-after-ssh', '--image', 'debian-12-test', '--name', name],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, [MARKER]: marker, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    const collect = (chunk: Buffer): void => {
      output += chunk.toString()
      dir ??= /data dir: (\S+)/.exec(output)?.[1]
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    let timedOut = false
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        timedOut = true
        child.kill('SIGTERM')
        setTimeout(() => child.kill('SIGKILL'), 60_000).unref()
      }, TIMEOUT_MS)
      child.once('exit', (exitCode) => {
        clearTimeout(timer)
        resolve(exitCode)
      })
    })
    const shown = `\n--- output ---\n${output}`
    assert.equal(timedOut, false, `did not finish within ${TIMEOUT_MS / 60_000} min${shown}`)
    assert.equal(code, 0, `exit code${shown}`)

    // The renter listed the provider, rented the VM and logged in to it: ssh printed the VM's hostname.
    assert.match(output, /\$ golem-vm providers\n.*\n.*0x[0-9a-fA-F]{40} +local-network/, `providers table${shown}`)
    assert.ok(output.includes(`$ golem-vm ssh ${name} -- hostname\n`), `ssh command shown${shown}`)
    assert.match(output, new RegExp(`-- hostname\\n(\\[[0-9:]+\\] )?${name}\\n`), `the VM's hostname from ssh${shown}`)
    assert.match(output, new RegExp(`Linux ${name} \\S+.*x86_64`), `uname -a from ssh${shown}`)

    // What a person would type: the golem-vm commands with their environment, and the plain ssh line.
    const discoveryUrl = /GOLEM_REQUESTOR_DISCOVERY_URL=(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
    const dataDir = /GOLEM_REQUESTOR_DATA_DIR=(\S+)/.exec(output)?.[1]
    assert.ok(discoveryUrl !== undefined && dataDir !== undefined, `the renter's environment is printed${shown}`)
    assert.ok(dir !== undefined && dataDir.startsWith(`${dir}/`), `the renter's data dir lies in the throw-away dir${shown}`)
    for (const command of [
      'npx golem-vm providers',
      `npx golem-vm create ${name} --provider-id 0x`,
      `npx golem-vm ssh ${name} -- hostname`,
      `npx golem-vm destroy ${name}`,
    ]) {
      assert.ok(output.includes(command), `prints "${command}"${shown}`)
    }
    const plainSsh = /(ssh -i \S+ -p (\d+) .*ubuntu@127\.0\.0\.1)/.exec(output)
    assert.ok(plainSsh !== null, `prints the plain ssh line${shown}`)
    const vmSshPort = Number(plainSsh[2])

    // The clean-up: through the CLI, in order, and complete.
    assert.ok(output.includes(`golem-vm destroy ${name}: done`), `the VM was destroyed through the CLI${shown}`)
    assert.ok(output.includes('nothing left'), `the script's own check${shown}`)
    assert.equal(existsSync(dir), false, `the throw-away dir ${dir} is removed`)
    assert.deepEqual(networkLeftovers(dir), [], `the provider's VM network is removed${shown}`)
    const left = processesOfRun(marker, dir, name)
    assert.deepEqual(left, [], `no process of the run is left (qemu, node services, golem-vm, ssh)${shown}`)
    const ports = /ports: provider API (\d+), SSH (\d+)-(\d+), discovery (\d+), port checker (\d+)/.exec(output)
    assert.ok(ports !== null, `the ports are printed${shown}`)
    const [apiPort, sshStart, sshEnd, discoveryPort, checkerPort] = ports.slice(1).map(Number) as [number, number, number, number, number]
    assert.ok(vmSshPort >= sshStart && vmSshPort <= sshEnd, `the VM's SSH port ${vmSshPort} is in the provider's range`)
    const all = [apiPort, discoveryPort, checkerPort, Number(new URL(discoveryUrl).port)]
    for (let p = sshStart; p <= sshEnd; p++) all.push(p)
    for (const port of all) assert.equal(await isListening(port), false, `port ${port} is free again`)
  },
)
