/**
 * 9. Renters' mapped TCP ports (issue 16), side by side with the SSH port
 * of the same VM, in both forwarding modes, with the direct path as the
 * reference. One peer server (sink, source, echo; bench/lib/peer-server.ts)
 * stands in for the guest on its port 22 and on the mapped guest port 8080.
 *
 * - user space: the real daemon on the fake Multipass; a VM created with
 *   `ports: [{guest: 8080}]`; its sshd is stopped so the peer takes the VM's
 *   address 127.0.0.N on both ports; the daemon's relay thread forwards both
 *   public ports (the SSH port with its SSH checks off, as the peer speaks
 *   raw bytes; the mapped port never has them).
 * - kernel (as root with nftables): the provider's VM network and
 *   KernelForwarder (bench/lib/kernel-path.ts), the VM a namespace on the
 *   bridge; the SSH port and a port mapped with `openPort` are DNATed by the
 *   provider's nftables table, traffic counters included.
 *
 *   bulk 512 MiB each way (best of 2)   mapped ≥ 0.8× the SSH port of the same path
 */
import { buildKernelPath, kernelPathUnavailable } from './lib/kernel-path.js'
import { createWorld, instanceOf, SMALL_VM, startDaemon } from './lib/daemon.js'
import { httpJson } from './lib/http.js'
import { download, startPeerServer, upload, waitUntilClosed, type Endpoint } from './lib/peer.js'
import { profileArgs, type BenchContext, type Benchmark } from './lib/report.js'
import { MiB } from './lib/stats.js'
import { RAW_TCP_ENV } from './ssh-proxy.js'

const BULK = 512 * MiB
const ROUNDS = 2
const GUEST_PORT = 8080
const MB = 1e6

interface Path {
  readonly name: string
  readonly to: Endpoint
}
type Best = Map<string, { up: number; down: number }>

/** The user-space paths: the VM's SSH port and mapped port through the daemon's relay, and the peer directly. */
async function userSpace(ctx: BenchContext): Promise<Path[]> {
  const world = await createWorld(ctx.scope)
  const daemon = await startDaemon(ctx.scope, world, { nodeArgs: profileArgs(ctx), env: RAW_TCP_ENV })
  const created = await httpJson<{ ssh_port: number; ports: { public_port: number }[] }>(
    daemon.baseUrl,
    'POST',
    '/api/v1/vms',
    { name: 'mapped', ssh_key: world.key.publicKey, resources: SMALL_VM, ports: [{ guest: GUEST_PORT }] },
    { agent: false },
  )
  const mapped = created.body.ports[0]?.public_port
  if (created.status !== 201 || mapped === undefined) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`)
  const record = world.instance(await instanceOf(daemon, 'mapped'))
  process.kill(record.sshdPid, 'SIGTERM')
  await waitUntilClosed({ host: record.ip, port: 22 })
  await startPeerServer(ctx.scope, [
    { host: record.ip, port: 22 },
    { host: record.ip, port: GUEST_PORT },
  ])
  return [
    { name: 'direct', to: { host: record.ip, port: GUEST_PORT } },
    { name: 'proxy ssh', to: { host: '127.0.0.1', port: created.body.ssh_port } },
    { name: 'proxy mapped', to: { host: '127.0.0.1', port: mapped } },
  ]
}

/** The kernel paths (none when not root): the SSH port and a mapped port, DNATed to the namespace VM. */
async function kernel(ctx: BenchContext): Promise<Path[]> {
  const unavailable = kernelPathUnavailable()
  if (unavailable !== undefined) {
    ctx.note(`kernel forwarding not measured: ${unavailable}`)
    return []
  }
  const path = await buildKernelPath(ctx.scope)
  const mapped = await path.mapTcp(GUEST_PORT)
  await startPeerServer(ctx.scope, [path.vmAddress, { host: path.vmAddress.host, port: GUEST_PORT }], path.namespace)
  return [
    { name: 'kernel ssh', to: path.publicPort },
    { name: 'kernel mapped', to: mapped },
  ]
}

async function bulk(ctx: BenchContext, paths: readonly Path[]): Promise<Best> {
  const best: Best = new Map()
  for (let round = 1; round <= ROUNDS; round++) {
    // A different order each round, so that no path always follows the same one.
    for (const path of paths.map((_, i) => paths[(i + round) % paths.length] as Path)) {
      ctx.signal.throwIfAborted()
      const up = BULK / (await upload(path.to, BULK)) / MB
      const down = BULK / (await download(path.to, BULK)) / MB
      const b = best.get(path.name) ?? { up: 0, down: 0 }
      best.set(path.name, { up: Math.max(b.up, up), down: Math.max(b.down, down) })
    }
    ctx.progress(`round ${round}: ${[...best].map(([k, v]) => `${k} ↑${v.up.toFixed(0)} ↓${v.down.toFixed(0)}`).join(', ')} MB/s`)
  }
  return best
}

function figures(ctx: BenchContext, best: Best): void {
  const direct = best.get('direct')
  for (const mode of ['proxy', 'kernel'] as const) {
    const [ssh, mapped] = [best.get(`${mode} ssh`), best.get(`${mode} mapped`)]
    if (ssh === undefined || mapped === undefined) continue
    const label = mode === 'proxy' ? 'user-space proxy' : 'kernel forwarding (isolated)'
    for (const [dir, key] of [
      ['renter→VM', 'up'],
      ['VM→renter', 'down'],
    ] as const) {
      ctx.figure({
        name: `${label}: mapped TCP port, bulk 512 MiB ${dir}, vs the SSH port`,
        value: mapped[key],
        unit: 'MB/s',
        reference: { label: 'SSH port', value: ssh[key] },
        target: '≥ 0.8× SSH port',
        pass: mapped[key] >= 0.8 * ssh[key],
      })
      if (direct !== undefined)
        ctx.figure({
          name: `${label}: mapped TCP port, bulk 512 MiB ${dir}, vs direct`,
          value: mapped[key],
          unit: 'MB/s',
          reference: { label: 'direct', value: direct[key] },
        })
    }
  }
}

async function run(ctx: BenchContext): Promise<void> {
  ctx.progress('user space: daemon, VM with a mapped port, peer')
  const paths = [...(await userSpace(ctx)), ...(await kernel(ctx))]
  ctx.note(`paths: ${paths.map((p) => `${p.name} ${p.to.host}:${p.to.port}`).join(', ')}; direct is the peer on the VM's address, no forwarding`)
  figures(ctx, await bulk(ctx, paths))
}

export const mappedPorts: Benchmark = {
  name: 'mapped-ports',
  title: "Renters' mapped TCP ports: throughput next to the SSH port, user-space proxy and kernel forwarding",
  budgetMs: 240_000,
  run,
}
