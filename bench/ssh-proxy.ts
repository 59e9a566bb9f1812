/**
 * 4. The SSH proxy of the real daemon. One VM's SSH server is replaced by a
 * local peer (sink, source, echo; bench/lib/peer-server.ts) on the VM's own
 * address 127.0.0.N:22, so the daemon's proxy forwards to it exactly as to a
 * VM; the same peer is reached directly (reference: loopback) and through
 * `socat TCP-LISTEN:…,fork TCP:…` (reference: the same forward by socat).
 *
 *   bulk 1 GiB each way (best of 3)   ≥ 1.0× socat and ≥ 0.5× direct
 *   64-byte round trip, median         ≤ socat's
 *   1,000 simultaneous connections     all succeed
 *   a reader that stops reading while the sender pushes 512 MiB (both ways): RSS grows ≤ 16 MiB
 *   an SSH session's round trip (real ssh, real sshd) while another VM launches: p99 added ≤ 10 ms
 *
 * As root with nftables, also the kernel path of an isolated provider
 * (bench/lib/kernel-path.ts, on the compiled provider: the provider's bridge, nftables table and
 * KernelForwarder; the VM a namespace on a port of the bridge, with its own
 * peer server): 127.0.0.1:<public port> DNATed to the VM's port 22, and the
 * VM's address over the bridge without DNAT (reference: bridge).
 *
 *   kernel path, bulk 1 GiB each way   ≥ 0.8× direct (loopback)
 */
import { buildKernelPath, kernelPathUnavailable } from './lib/kernel-path.js'
import { createVm, createWorld, freePort, instanceOf, SMALL_VM, startDaemon, type Daemon, type World } from './lib/daemon.js'
import { httpJson } from './lib/http.js'
import { download, roundTrips, simultaneous, startPeerServer, upload, uploadToStalledReader, waitUntilClosed, type Endpoint } from './lib/peer.js'
import { sleep, spawnTracked, stopChild } from './lib/proc.js'
import { profileArgs, type BenchContext, type Benchmark } from './lib/report.js'
import { cpuSeconds, RssSampler, settledRssKiB, treeRssKiB } from './lib/rss.js'
import { SshEchoSession } from './lib/ssh.js'
import { GiB, MiB, summarize } from './lib/stats.js'

const BULK = GiB
const ROUNDS = 3
const ROUND_TRIPS = 2000
const CONNECTIONS = 1000
const STALLED = 512 * MiB
const STALL_MS = 3000
const MB = 1e6
/** Launches during which SSH round trips are sampled (pooled, with idle windows between). */
const SSH_LAUNCHES = 3

interface Path {
  readonly name: 'direct' | 'socat' | 'proxy' | 'before' | 'kernel' | 'bridge'
  readonly to: Endpoint
  /** The forwarding process, whose CPU time is counted (none for direct). */
  readonly pid?: number
}
interface Paths {
  readonly direct: Path
  readonly socat: Path
  readonly proxy: Path
  readonly before?: Path
  /** The kernel path and its bridge reference (as root with nftables). */
  readonly kernel?: Path
  readonly bridge?: Path
}
/** The paths in a different order each round, so that no path always follows the same one. */
const each = (paths: Paths, round = 0): Path[] => {
  const list = [paths.direct, paths.socat, paths.proxy, ...[paths.before, paths.kernel, paths.bridge].filter((p) => p !== undefined)]
  return list.map((_, i) => list[(i + round) % list.length] ?? paths.direct)
}

async function socatForward(ctx: BenchContext, target: Endpoint): Promise<{ endpoint: Endpoint; pid: number }> {
  const port = await freePort()
  const child = spawnTracked('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr,backlog=4096`, `TCP:${target.host}:${target.port}`], {
    stdio: 'ignore',
  })
  ctx.scope.defer('stop socat', () => stopChild(child, 2000))
  for (let i = 0; i < 100; i++) {
    try {
      await roundTrips({ host: '127.0.0.1', port }, 1, 8, 2000)
      if (child.pid === undefined) break
      return { endpoint: { host: '127.0.0.1', port }, pid: child.pid }
    } catch {
      await sleep(50)
    }
  }
  throw new Error('socat did not start')
}

/** Creates a VM and stops its sshd, so that the peer server can take its address. */
async function sinkVm(daemon: Daemon, world: World, name: string): Promise<{ vmAddress: Endpoint; proxyPort: number }> {
  const vm = await createVm(daemon, world, name)
  const record = world.instance(await instanceOf(daemon, name))
  process.kill(record.sshdPid, 'SIGTERM')
  const vmAddress = { host: record.ip, port: 22 }
  await waitUntilClosed(vmAddress)
  return { vmAddress, proxyPort: vm.ssh_port }
}

async function bulk(ctx: BenchContext, paths: Paths): Promise<void> {
  const best = new Map<string, { up: number; down: number; cpu: number }>()
  for (let round = 1; round <= ROUNDS; round++) {
    for (const path of each(paths, round)) {
      ctx.signal.throwIfAborted()
      const before = path.pid === undefined ? 0 : cpuSeconds(path.pid)
      const up = BULK / (await upload(path.to, BULK)) / MB
      const down = BULK / (await download(path.to, BULK)) / MB
      if (path.pid !== undefined) await sleep(200) // socat's per-connection child is counted once reaped
      const cpu = path.pid === undefined ? 0 : cpuSeconds(path.pid) - before
      const b = best.get(path.name) ?? { up: 0, down: 0, cpu: 0 }
      best.set(path.name, { up: Math.max(b.up, up), down: Math.max(b.down, down), cpu: b.cpu + cpu })
    }
    ctx.progress(`bulk round ${round}: ${[...best].map(([k, v]) => `${k} ↑${v.up.toFixed(0)} ↓${v.down.toFixed(0)}`).join(', ')} MB/s`)
  }
  const [direct, socat, proxy, before] = [best.get('direct'), best.get('socat'), best.get('proxy'), best.get('before')]
  if (direct === undefined || socat === undefined || proxy === undefined) throw new Error('bulk: a path is missing')
  for (const [dir, key] of [
    ['renter→VM', 'up'],
    ['VM→renter', 'down'],
  ] as const) {
    ctx.figure({
      name: `bulk 1 GiB ${dir}, vs socat`,
      value: proxy[key],
      unit: 'MB/s',
      reference: { label: 'socat', value: socat[key] },
      target: '≥ 1.0× socat',
      pass: proxy[key] >= socat[key],
    })
    ctx.figure({
      name: `bulk 1 GiB ${dir}, vs direct`,
      value: proxy[key],
      unit: 'MB/s',
      reference: { label: 'direct', value: direct[key] },
      target: '≥ 0.5× direct',
      pass: proxy[key] >= 0.5 * direct[key],
    })
    if (before !== undefined)
      ctx.figure({ name: `bulk 1 GiB ${dir}, vs the baseline build`, value: proxy[key], unit: 'MB/s', reference: { label: 'before', value: before[key] } })
    kernelBulk(ctx, dir, best.get('kernel')?.[key], best.get('bridge')?.[key], direct[key])
  }
  const perGiB = (seconds: number) => seconds / (ROUNDS * 2 * (BULK / GiB))
  ctx.figure({
    name: 'CPU time per GiB forwarded (whole process)',
    value: perGiB(proxy.cpu),
    unit: 's',
    reference: { label: 'socat', value: perGiB(socat.cpu) },
  })
  if (before !== undefined)
    ctx.figure({
      name: 'CPU time per GiB forwarded, vs the baseline build',
      value: perGiB(proxy.cpu),
      unit: 's',
      reference: { label: 'before', value: perGiB(before.cpu) },
    })
}

// The kernel path's figures (when it was measured): against direct loopback (the target), and the bridge alone.
function kernelBulk(ctx: BenchContext, dir: string, kernel: number | undefined, bridge: number | undefined, direct: number): void {
  if (kernel === undefined) return
  ctx.figure({
    name: `kernel forwarding (isolated): bulk 1 GiB ${dir}, vs direct`,
    value: kernel,
    unit: 'MB/s',
    reference: { label: 'direct', value: direct },
    target: '≥ 0.8× direct',
    pass: kernel >= 0.8 * direct,
  })
  if (bridge !== undefined)
    ctx.figure({
      name: `kernel forwarding (isolated): bulk 1 GiB ${dir}, vs the bridge without DNAT`,
      value: kernel,
      unit: 'MB/s',
      reference: { label: 'bridge', value: bridge },
    })
}

async function latency(ctx: BenchContext, paths: Paths): Promise<void> {
  const all = new Map<string, number[]>()
  for (let round = 0; round < ROUNDS; round++) {
    for (const path of each(paths, round)) {
      ctx.signal.throwIfAborted()
      all.set(path.name, [...(all.get(path.name) ?? []), ...(await roundTrips(path.to, ROUND_TRIPS))])
    }
  }
  const [direct, socat, proxy] = [summarize(all.get('direct') ?? []), summarize(all.get('socat') ?? []), summarize(all.get('proxy') ?? [])]
  ctx.figure({
    name: '64-byte round trip, median',
    value: proxy.p50,
    unit: 'µs',
    reference: { label: 'socat', value: socat.p50 },
    target: '≤ socat',
    pass: proxy.p50 <= socat.p50,
  })
  ctx.figure({ name: '64-byte round trip, median, vs direct', value: proxy.p50, unit: 'µs', reference: { label: 'direct', value: direct.p50 } })
  ctx.figure({ name: '64-byte round trip, p99', value: proxy.p99, unit: 'µs', reference: { label: 'socat', value: socat.p99 } })
  const kernel = all.get('kernel')
  if (kernel !== undefined) {
    const k = summarize(kernel)
    ctx.figure({
      name: 'kernel forwarding (isolated): 64-byte round trip, median, vs direct',
      value: k.p50,
      unit: 'µs',
      reference: { label: 'direct', value: direct.p50 },
    })
    ctx.figure({ name: 'kernel forwarding (isolated): 64-byte round trip, p99', value: k.p99, unit: 'µs', reference: { label: 'direct', value: direct.p99 } })
    const bridge = all.get('bridge')
    if (bridge !== undefined)
      ctx.figure({
        name: 'kernel forwarding (isolated): 64-byte round trip, median, vs the bridge without DNAT',
        value: k.p50,
        unit: 'µs',
        reference: { label: 'bridge', value: summarize(bridge).p50 },
      })
  }
  const before = all.get('before')
  if (before !== undefined)
    ctx.figure({
      name: '64-byte round trip, median, vs the baseline build',
      value: proxy.p50,
      unit: 'µs',
      reference: { label: 'before', value: summarize(before).p50 },
    })
}

async function manyConnections(ctx: BenchContext, paths: Paths): Promise<void> {
  const direct = await simultaneous(paths.direct.to, CONNECTIONS)
  await sleep(500)
  const proxy = await simultaneous(paths.proxy.to, CONNECTIONS)
  ctx.figure({
    name: `${CONNECTIONS.toLocaleString('en-US')} simultaneous connections, succeeded`,
    value: proxy.ok,
    unit: '',
    reference: { label: 'direct', value: direct.ok },
    target: `all ${CONNECTIONS.toLocaleString('en-US')}`,
    pass: proxy.ok === CONNECTIONS,
  })
  if (paths.kernel !== undefined) {
    await sleep(500)
    const kernel = await simultaneous(paths.kernel.to, CONNECTIONS)
    ctx.figure({
      name: `kernel forwarding (isolated): ${CONNECTIONS.toLocaleString('en-US')} simultaneous connections, succeeded`,
      value: kernel.ok,
      unit: '',
      reference: { label: 'direct', value: direct.ok },
      target: `all ${CONNECTIONS.toLocaleString('en-US')}`,
      pass: kernel.ok === CONNECTIONS,
    })
    ctx.note(
      `1,000 connections through the kernel path in ${Math.round(kernel.ms)} ms${kernel.failed > 0 ? `; failures ${JSON.stringify(kernel.errors)}` : ''}`,
    )
  }
  ctx.note(
    `1,000 connections: through the proxy all open and echoed in ${Math.round(proxy.ms)} ms (direct ${Math.round(direct.ms)} ms)${proxy.failed > 0 ? `; failures ${JSON.stringify(proxy.errors)}` : ''}`,
  )
}

async function stalledReaders(ctx: BenchContext, daemon: Daemon, paths: Paths): Promise<void> {
  // Through the proxy: the renter stops reading while the VM pushes; then the VM stops reading while the renter pushes.
  const measure = async (read: () => number | undefined, to: Endpoint) => {
    const out: { down: number; up: number; downAll: number; upAll: number } = { down: 0, up: 0, downAll: 0, upAll: 0 }
    for (const direction of ['down', 'up'] as const) {
      ctx.signal.throwIfAborted()
      const baseline = Math.min(
        read() ?? 0,
        await (async () => {
          await sleep(300)
          return read() ?? Number.POSITIVE_INFINITY
        })(),
      )
      const sampler = new RssSampler(read, 20)
      let stallPeak = 0
      const stalled = async () => {
        stallPeak = sampler.max
      }
      try {
        if (direction === 'down') {
          await download(to, STALLED, { stallMs: STALL_MS, onStalled: stalled, timeoutMs: 60_000 })
        } else {
          const watch = sleep(STALL_MS - 100).then(stalled)
          await uploadToStalledReader(to, STALLED, STALL_MS, 60_000)
          await watch
        }
      } finally {
        sampler.stop()
      }
      const all = sampler.stop()
      out[direction] = (stallPeak - baseline) / 1024
      out[direction === 'down' ? 'downAll' : 'upAll'] = (all.max - baseline) / 1024
    }
    return out
  }
  await settledRssKiB(daemon.pid, 600, 3)
  const proxy = await measure(() => treeRssKiB(daemon.pid).total, paths.proxy.to)
  const socat = await measure(() => treeRssKiB(paths.socat.pid ?? 0).total, paths.socat.to)
  ctx.figure({
    name: 'renter stops reading, VM pushes 512 MiB: RSS growth',
    value: proxy.down,
    unit: 'MiB',
    reference: { label: 'socat', value: socat.down },
    ratio: null,
    target: '≤ 16 MiB',
    pass: proxy.down <= 16,
  })
  ctx.figure({
    name: 'VM stops reading, renter pushes 512 MiB: RSS growth',
    value: proxy.up,
    unit: 'MiB',
    reference: { label: 'socat', value: socat.up },
    ratio: null,
    target: '≤ 16 MiB',
    pass: proxy.up <= 16,
  })
  ctx.note(
    `stalled readers: the whole 512 MiB arrived intact both ways after the ${STALL_MS / 1000} s stall; RSS peak including the catch-up transfer: +${proxy.downAll.toFixed(1)} / +${proxy.upAll.toFixed(1)} MiB (socat +${socat.downAll.toFixed(1)} / +${socat.upAll.toFixed(1)})`,
  )
}

async function sshDuringLaunch(ctx: BenchContext, daemon: Daemon, world: World, shell: { ip: string; port: number }): Promise<void> {
  const viaProxy = await SshEchoSession.open({ key: world.key.privateKeyPath, port: shell.port })
  ctx.scope.defer('close ssh session', () => viaProxy.close())
  const direct = await SshEchoSession.open({ key: world.key.privateKeyPath, host: shell.ip, port: 22 })
  ctx.scope.defer('close ssh session', () => direct.close())
  const proxyIdle: number[] = []
  const proxyDuring: number[] = []
  const directIdle: number[] = []
  const directDuring: number[] = []
  // Round trips on both sessions, alternating, until `until()` or `maxMs`.
  const sample = async (p: number[], d: number[], until: () => boolean, maxMs: number) => {
    const deadline = performance.now() + maxMs
    while (!until() && performance.now() < deadline) {
      ctx.signal.throwIfAborted()
      p.push(await viaProxy.roundTrip())
      d.push(await direct.roundTrip())
      await sleep(5)
    }
  }
  for (let i = 0; i < 20; i++) {
    await viaProxy.roundTrip()
    await direct.roundTrip()
  }
  const launchMs: number[] = []
  for (let i = 1; i <= SSH_LAUNCHES; i++) {
    await sample(proxyIdle, directIdle, () => false, 1500)
    world.control({ delayMs: { launch: 2000 } })
    let done = false
    const started = performance.now()
    const create = httpJson(
      daemon.baseUrl,
      'POST',
      '/api/v1/vms',
      { name: `launching-${i}`, ssh_key: world.key.publicKey, resources: SMALL_VM },
      { agent: false },
    ).finally(() => {
      done = true
    })
    await sample(proxyDuring, directDuring, () => done, 30_000)
    const created = await create
    launchMs.push(performance.now() - started)
    world.control({})
    if (created.status !== 201) throw new Error(`create during the ssh test: ${created.status} ${JSON.stringify(created.body)}`)
  }
  const [pi, pd, di, dd] = [summarize(proxyIdle), summarize(proxyDuring), summarize(directIdle), summarize(directDuring)]
  const added = pd.p99 - pi.p99
  ctx.figure({
    name: 'ssh session round trip while a VM launches: p99 added',
    value: added,
    unit: 'ms',
    reference: { label: 'direct to sshd', value: dd.p99 - di.p99 },
    ratio: null,
    target: '≤ 10 ms',
    pass: added <= 10,
  })
  ctx.note(
    `ssh round trips (ms), ${SSH_LAUNCHES} launches of ${launchMs.map((m) => (m / 1000).toFixed(1)).join(', ')} s: through the proxy idle p50 ${pi.p50.toFixed(2)} p99 ${pi.p99.toFixed(2)} (n=${pi.n}), during p50 ${pd.p50.toFixed(2)} p99 ${pd.p99.toFixed(2)} max ${pd.max.toFixed(1)} (n=${pd.n}); direct to the VM's sshd idle p99 ${di.p99.toFixed(2)}, during p99 ${dd.p99.toFixed(2)} max ${dd.max.toFixed(1)}`,
  )
}

/**
 * The peers speak raw bytes, not SSH, and 1,000 connections come from one
 * address: the proxy's SSH checks are off and its per-source caps out of the
 * way (the relaying measured is the same; the checks only read a
 * connection's first few KiB).
 */
export const RAW_TCP_ENV = {
  GOLEM_PROVIDER_PROXY_HANDSHAKE_TIMEOUT: '0',
  GOLEM_PROVIDER_PROXY_MAX_CONNECTIONS_PER_SOURCE: '100000',
  GOLEM_PROVIDER_PROXY_MAX_HANDSHAKES_PER_SOURCE: '10000',
}

// The isolated provider's kernel path and its bridge reference, each with a peer like the sink VM's; none when not root.
async function kernelPaths(ctx: BenchContext): Promise<Pick<Paths, 'kernel' | 'bridge'>> {
  const unavailable = kernelPathUnavailable()
  if (unavailable !== undefined) {
    ctx.note(`kernel forwarding not measured: ${unavailable}`)
    return {}
  }
  const path = await buildKernelPath(ctx.scope)
  await startPeerServer(ctx.scope, [path.vmAddress], path.namespace)
  ctx.note(
    `kernel path: 127.0.0.1:${path.publicPort.port} DNATed by the provider's nftables table to ${path.vmAddress.host}:22, a namespace on the provider's bridge; "bridge" is the same peer at its address without DNAT`,
  )
  return { kernel: { name: 'kernel', to: path.publicPort }, bridge: { name: 'bridge', to: path.vmAddress } }
}

async function run(ctx: BenchContext): Promise<void> {
  const { scope } = ctx
  const world = await createWorld(scope)
  const daemon = await startDaemon(scope, world, { nodeArgs: profileArgs(ctx), env: RAW_TCP_ENV })
  ctx.progress('creating the sink VM and the shell VM')
  const sink = await sinkVm(daemon, world, 'sink')
  const shellVm = await createVm(daemon, world, 'shell')
  // BENCH_BASELINE_BIN: another build of the provider (e.g. before a change) measured side by side on the same peer.
  const baselineBin = process.env.BENCH_BASELINE_BIN
  let before: Path | undefined
  const peers = [sink.vmAddress]
  if (baselineBin !== undefined && baselineBin !== '') {
    const baseWorld = await createWorld(scope)
    const baseDaemon = await startDaemon(scope, baseWorld, { bin: baselineBin, env: RAW_TCP_ENV })
    const baseSink = await sinkVm(baseDaemon, baseWorld, 'sink')
    peers.push(baseSink.vmAddress)
    before = { name: 'before', to: { host: '127.0.0.1', port: baseSink.proxyPort }, pid: baseDaemon.pid }
    ctx.note(`baseline build measured side by side: ${baselineBin}`)
  }
  await startPeerServer(scope, peers)
  const socat = await socatForward(ctx, sink.vmAddress)
  const kernel = await kernelPaths(ctx)
  const paths: Paths = {
    direct: { name: 'direct', to: sink.vmAddress },
    socat: { name: 'socat', to: socat.endpoint, pid: socat.pid },
    proxy: { name: 'proxy', to: { host: '127.0.0.1', port: sink.proxyPort }, pid: daemon.pid },
    before,
    ...kernel,
  }

  ctx.progress('ssh round trips while another VM launches')
  await sshDuringLaunch(ctx, daemon, world, { ip: shellVm.ip_address ?? '', port: shellVm.ssh_port })
  ctx.progress('bulk transfers')
  await bulk(ctx, paths)
  ctx.progress('64-byte round trips')
  await latency(ctx, paths)
  ctx.progress('1,000 simultaneous connections')
  await manyConnections(ctx, paths)
  ctx.progress('stalled readers')
  await stalledReaders(ctx, daemon, paths)
}

export const sshProxy: Benchmark = {
  name: 'ssh-proxy',
  title: 'SSH proxy and kernel forwarding: throughput, latency, connections, backpressure, isolation',
  budgetMs: 400_000,
  run,
}
