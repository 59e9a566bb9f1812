/**
 * Renters' VMs walled off from the host, for real: the daemon as a process,
 * the QEMU backend, two tiny test guests on the provider's bridge, and
 * network namespaces standing in for the internet (a TEST-NET address
 * routed through the host), the operator's LAN and the cloud metadata
 * service. From inside a VM, everything but the internet is unreachable; the
 * renter logs in with the real `ssh` through the public port, which the
 * kernel forwards; and all of it holds across stop/start, a provider restart
 * and a SIGKILL. Deleting a VM leaves no TAP or rule of it, and uninstalling
 * the network leaves nothing at all.
 */
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import net from 'node:net'
import { test, type TestContext } from 'node:test'
import { uninstallVmNetwork } from '../../src/app/isolated-network.js'
import { planVmNetwork, type VmNetworkPlan } from '../../src/domain/vm-network.js'
import { LinuxNetworkDevices } from '../../src/infra/network/linux-network-devices.js'
import { api, bootRequest, PROVIDER_BIN, startDaemon, type Daemon } from '../helpers/daemon.js'
import { ip, Lab, netnsUnavailable, outsideWorld } from '../helpers/netns.js'
import { sshRun } from '../helpers/ssh.js'
import { qemuWorld, reapProcessesUnder, type QemuWorld } from '../helpers/test-guest.js'

const skip = netnsUnavailable()
/** A create or start under software emulation on a busy 2-core host; below fetch's 300 s header timeout. */
const BOOT_LIMIT_S = 240
// A request that may wait for a whole boot.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the type is the caller's claim about the response
const slowApi = <T>(base: string, method: string, path: string, body?: unknown) => bootRequest<T>(base, method, path, body, (BOOT_LIMIT_S + 30) * 1000)

function hostListener(t: TestContext, host: string): Promise<number> {
  const server = net.createServer((s) => {
    s.on('error', () => undefined)
    s.end('host\r\n')
  })
  t.after(() => {
    server.close()
  })
  return new Promise((resolve) => server.listen({ host, port: 0 }, () => resolve((server.address() as net.AddressInfo).port)))
}

interface Vm {
  readonly name: string
  readonly port: number
  readonly address: string
}

const links = (): string[] => (JSON.parse(ip('-j', 'link', 'show')) as { ifname: string }[]).map((l) => l.ifname)
const nftTables = (): string => execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' })
const ruleset = (plan: VmNetworkPlan): string =>
  ['inet', 'bridge'].map((family) => execFileSync('nft', ['list', 'table', family, plan.table], { encoding: 'utf8' })).join('\n')

test(
  'isolated VMs: only the internet is reachable from inside; renters log in through the kernel-forwarded port; it holds across stop/start, restart and SIGKILL; delete and uninstall leave nothing',
  { skip, timeout: 30 * 60_000 },
  async (t) => {
    // Cleanup in this order, failed or not: the daemons, the VMs' QEMUs, the provider's network, the namespaces (then the world's files).
    const daemons: Daemon[] = []
    const made: { world?: QemuWorld; lab?: Lab } = {}
    t.after(async () => {
      for (const d of daemons) await d.kill()
      if (made.world !== undefined) {
        reapProcessesUnder(made.world.dataDir)
        await uninstallVmNetwork(planVmNetwork({ dataDir: made.world.dataDir, dns: [] }), new LinuxNetworkDevices(made.world.dataDir)).catch(() => undefined)
      }
      await made.lab?.cleanup()
    })
    const lab = new Lab(t)
    made.lab = lab
    const out = await outsideWorld(lab)
    const loopbackPort = await hostListener(t, '127.0.0.1')
    const everywherePort = await hostListener(t, '0.0.0.0')
    const w = await qemuWorld(t, 'tiny-test', { GOLEM_PROVIDER_CREATE_TIMEOUT: String(BOOT_LIMIT_S), GOLEM_PROVIDER_HOST: '0.0.0.0' })
    made.world = w
    const plan = planVmNetwork({ dataDir: w.dataDir, dns: [] })
    const start = async (): Promise<Daemon> => {
      const d = await startDaemon(t, { env: w.env, timeoutMs: 120_000 })
      daemons.push(d)
      return d
    }
    let daemon = await start()
    const apiPort = Number(new URL(daemon.baseUrl).port)
    const prepared = daemon.logs.find((l) => l.msg === 'VM network prepared')
    assert.ok(prepared !== undefined, 'the log lists what the VM network made on the host')

    const create = async (name: string): Promise<Vm> => {
      const created = await slowApi<{ ssh_port: number; status: string; ip_address?: string }>(daemon.baseUrl, 'POST', '/api/v1/vms', {
        name,
        ssh_key: w.key.publicKey,
        image: 'tiny-test',
        resources: { cpu: 1, memory: 1, storage: 10 },
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const record = (await api<{ ip_address: string }>(daemon.baseUrl, 'GET', `/api/v1/vms/${name}`)).body
      return { name, port: created.body.ssh_port, address: record.ip_address }
    }
    const [a, b] = await Promise.all([create('iso-a'), create('iso-b')])
    assert.ok(a.address.startsWith(plan.subnet.network.split('.').slice(0, 3).join('.')), `the VM has its fixed address on the provider's subnet: ${a.address}`)

    const ssh = (vm: Vm, command: string, host = '127.0.0.1', netns?: string) =>
      sshRun({ host, port: vm.port, user: 'root', key: w.key.privateKeyPath, command, timeoutMs: 90_000, netns })

    // From inside VM a: each target's first line, or "none". All at once: a dropped SYN costs the probe's timeout.
    const targets: Record<string, [string, number]> = {
      internet: [out.internet, 80],
      lan: [out.lan, 80],
      metadata: ['169.254.169.254', 80],
      hostApi: [plan.gateway, apiPort],
      hostByGateway: [plan.gateway, everywherePort],
      hostLoopbackByGateway: [plan.gateway, loopbackPort],
      hostByOtherAddress: [out.hostFromInternet, everywherePort],
      otherVm: [b.address, 22],
    }
    // busybox nc waits for the peer to close: `timeout` ends it; the first line tells who answered (a banner, HTTP, SSH).
    const probeScript =
      Object.entries(targets)
        .map(
          ([name, [host, port]]) =>
            `( r=$( (printf 'GET /health HTTP/1.0\\r\\n\\r\\n' | timeout 5 nc ${host} ${port} | head -n 1) 2>/dev/null | tr -d '\\r'); echo "${name}=\${r}" ) &`,
        )
        .join('\n') + '\nwait'
    const answered = (line: string | undefined): boolean => /^(internet|lan|metadata|host|HTTP\/|SSH-)/.test(line ?? '')
    const reachable = async (label: string): Promise<void> => {
      const probed = await ssh(a, probeScript)
      assert.equal(probed.code, 0, `${label}: ssh into the VM: ${probed.stderr}`)
      const seen = Object.fromEntries(probed.stdout.split('\n').map((line) => line.split('=', 2) as [string, string]))
      assert.equal(seen.internet, 'internet', `${label}: the VM reaches the internet (${probed.stdout})`)
      for (const name of Object.keys(targets).filter((n) => n !== 'internet'))
        assert.equal(answered(seen[name]), false, `${label}: ${name} must be unreachable from the VM (${probed.stdout})`)
    }
    const login = async (label: string): Promise<void> => {
      const local = await ssh(a, 'hostname')
      assert.deepEqual([local.code, local.stdout], [0, 'iso-a'], `${label}: login on the host through 127.0.0.1: ${local.stderr}`)
      const remote = await ssh(b, 'hostname', out.hostFromInternet, out.ns.internet)
      assert.deepEqual([remote.code, remote.stdout], [0, 'iso-b'], `${label}: login from the internet through the host's address: ${remote.stderr}`)
    }

    await reachable('after create')
    await login('after create')
    assert.equal(links().filter((l) => l.startsWith(plan.tapPrefix)).length, 2, 'one TAP per VM')

    const stopped = await slowApi<{ status: string }>(daemon.baseUrl, 'POST', '/api/v1/vms/iso-a/stop')
    assert.equal(stopped.body.status, 'stopped')
    const started = await slowApi<{ status: string }>(daemon.baseUrl, 'POST', '/api/v1/vms/iso-a/start')
    assert.equal(started.body.status, 'running', JSON.stringify(started.body))
    await reachable('after stop and start')

    // A provider that is stopped forwards nothing itself: the kernel does, and the walls stay.
    assert.equal(await daemon.stop(), 0)
    await login('while the provider is stopped')
    daemon = await start()
    await login('after a provider restart')

    await daemon.kill()
    await login('while the provider is dead (SIGKILL)')
    await reachable('while the provider is dead (SIGKILL)')
    daemon = await start()
    await login('after SIGKILL and a restart')

    const deleted = await api(daemon.baseUrl, 'DELETE', '/api/v1/vms/iso-b')
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body))
    const tapOfB = links().filter((l) => l.startsWith(plan.tapPrefix))
    assert.equal(tapOfB.length, 1, `only VM a's TAP is left: ${tapOfB.join(', ')}`)
    const rules = ruleset(plan)
    assert.ok(!rules.includes(b.address) && !rules.includes(`${b.port} :`), "no rule names the deleted VM's address or port")
    const stillA = await ssh(a, 'hostname')
    assert.equal(stillA.stdout, 'iso-a', 'the other VM is still reachable')

    assert.equal((await api(daemon.baseUrl, 'DELETE', '/api/v1/vms/iso-a')).status, 200)
    assert.equal(links().filter((l) => l.startsWith(plan.tapPrefix)).length, 0, 'no TAP is left')
    assert.equal(await daemon.stop(), 0)
    const removed = await uninstallVmNetwork(plan, new LinuxNetworkDevices(w.dataDir))
    assert.ok(removed.includes(`bridge ${plan.bridge}`), removed.join('; '))
    assert.equal(links().includes(plan.bridge), false, 'no bridge is left')
    assert.ok(!nftTables().includes(plan.table), 'no table is left')
    await lab.cleanup()
    const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    assert.ok(!namespaces.includes(lab.suffix), `no namespace is left: ${namespaces}`)
  },
)

test(
  'golem-provider uninstall-network removes the bridge, table and settings the provider made, and refuses while the provider runs',
  { skip, timeout: 5 * 60_000 },
  async (t) => {
    const w = await qemuWorld(t, 'tiny-test')
    const plan = planVmNetwork({ dataDir: w.dataDir, dns: [] })
    const cli = (): Promise<{ code: number; out: string }> =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          [PROVIDER_BIN, 'uninstall-network'],
          { env: { ...process.env, ...w.env, GOLEM_PROVIDER_ENV_FILE: '/nonexistent' }, timeout: 60_000 },
          (error, stdout, stderr) => {
            resolve({ code: error === null ? 0 : Number(error.code ?? 1), out: `${stdout}${stderr}` })
          },
        )
      })
    const daemon = await startDaemon(t, { env: w.env, timeoutMs: 120_000 })
    assert.ok(links().includes(plan.bridge), 'the provider made its bridge')
    assert.ok(nftTables().includes(plan.table), 'and its table')
    const refused = await cli()
    assert.equal(refused.code, 1)
    assert.match(refused.out, /the provider is running .*stop it first .*\[PROVIDER_RUNNING\]/)
    assert.ok(links().includes(plan.bridge), 'a refusal changes nothing')
    assert.equal(await daemon.stop(), 0)
    assert.ok(nftTables().includes(plan.table), 'a stopped provider leaves its rules in force')
    const done = await cli()
    assert.equal(done.code, 0, done.out)
    assert.match(done.out, new RegExp(`removed nftables tables inet ${plan.table} and bridge ${plan.table}\\nremoved bridge ${plan.bridge}`))
    assert.equal(links().includes(plan.bridge), false, 'no bridge is left')
    assert.ok(!nftTables().includes(plan.table), 'no table is left')
    const again = await cli()
    assert.equal(again.code, 0, again.out)
    assert.match(again.out, /^nothing to remove: /, 'a second run claims no removal')
    assert.doesNotMatch(again.out, /removed/)
  },
)
