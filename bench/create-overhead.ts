/**
 * 3. The provider's own time per create: POST /api/v1/vms time minus the
 * backend's own time. The daemon runs the fake multipass through a wrapper
 * that records, with bash's $EPOCHREALTIME, when each call started and ended;
 * the backend's time is the sum of the calls made during that create, plus
 * the VM's sshd answering the provider's readiness probe (timed by the
 * benchmark itself, directly, right after the create). Creates run one at a
 * time, each followed by a delete, on the real disk (fsync included).
 * Target: ≤ 20 ms median.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { createWorld, FAKE_BIN, instanceOf, SMALL_VM, startDaemon } from './lib/daemon.js'
import { httpJson } from './lib/http.js'
import { runCommand } from './lib/proc.js'
import { profileArgs, Skip, type BenchContext, type Benchmark } from './lib/report.js'
import { summarize } from './lib/stats.js'

const CREATES = 12
/** The first creates warm the daemon's code paths up; they are not counted. */
const WARMUP = 2

/**
 * A tiny C program in front of the fake: it notes the time, runs the fake,
 * waits for it and notes the time again, so the span is the fake's own
 * time (its start included) and nothing of the wrapper's own start is in it.
 */
const wrapperSource = (target: string, log: string) => `
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  struct timespec a, b;
  int status = 0;
  clock_gettime(CLOCK_REALTIME, &a);
  pid_t pid = fork();
  if (pid == 0) { argv[0] = ${JSON.stringify(target)}; execv(argv[0], argv); _exit(127); }
  while (waitpid(pid, &status, 0) < 0) {}
  clock_gettime(CLOCK_REALTIME, &b);
  FILE *f = fopen(${JSON.stringify(log)}, "a");
  if (f) { fprintf(f, "%ld.%06ld %ld.%06ld %s\\n", (long)a.tv_sec, a.tv_nsec / 1000, (long)b.tv_sec, b.tv_nsec / 1000, argc > 1 ? argv[1] : "-"); fclose(f); }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
`

/** Compiles the timing wrapper for `target`; resolves with its path. */
async function buildWrapper(dir: string, name: string, target: string, log: string): Promise<string> {
  const source = join(dir, `${name}.c`)
  const binary = join(dir, name)
  writeFileSync(source, wrapperSource(target, log))
  const cc = await runCommand('cc', ['-O2', '-o', binary, source], { timeoutMs: 60_000 })
  if (cc.code !== 0) throw new Skip(`cannot compile the timing wrapper (cc): ${cc.stderr.trim().split('\n')[0] ?? ''}`)
  return binary
}

interface Call {
  readonly start: number
  readonly end: number
  readonly command: string
}
const readCalls = (path: string): Call[] => {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return []
  }
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [s, e, command] = line.split(' ')
      return { start: Number(s) * 1000, end: Number(e) * 1000, command: command ?? '' }
    })
}

/** Milliseconds from connect until the SSH server's banner arrives. */
function bannerMs(host: string): Promise<number> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: 22 })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('no banner in 5 s'))
    }, 5000)
    socket.once('data', () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(performance.now() - started)
    })
    socket.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
}

async function run(ctx: BenchContext): Promise<void> {
  const { scope } = ctx
  const world = await createWorld(scope)
  const timingLog = join(world.dir, 'backend-calls.log')
  const wrapperPath = await buildWrapper(world.dir, 'multipass-timed', FAKE_BIN, timingLog)

  // What starting a process costs a Node process here (fork, exec, exit notification), outside any span the
  // wrapper can see: the same wrapper around /bin/true, started from this process.
  const calibrationLog = join(world.dir, 'calibration.log')
  const calibration = await buildWrapper(world.dir, 'true-timed', '/bin/true', calibrationLog)
  const startCost: number[] = []
  for (let i = 0; i < 20; i++) {
    const before = readCalls(calibrationLog).length
    const outer = await runCommand(calibration, ['x'])
    const inner = readCalls(calibrationLog).slice(before)[0]
    if (inner !== undefined) startCost.push(outer.ms - (inner.end - inner.start))
  }
  ctx.progress('process start cost calibrated')

  const daemon = await startDaemon(scope, world, { logLevel: 'info', env: { GOLEM_PROVIDER_MULTIPASS_BINARY_PATH: wrapperPath }, nodeArgs: profileArgs(ctx) })
  const rows: { post: number; backend: number; banner: number; launchPhase: number; sshPhase: number; calls: number }[] = []
  for (let i = 0; i < CREATES; i++) {
    ctx.signal.throwIfAborted()
    const name = `solo-${i + 1}`
    const before = readCalls(timingLog).length
    const res = await httpJson<{ ip_address: string }>(
      daemon.baseUrl,
      'POST',
      '/api/v1/vms',
      { name, ssh_key: world.key.publicKey, resources: SMALL_VM },
      { agent: false },
    )
    if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${JSON.stringify(res.body)}`)
    const calls = readCalls(timingLog).slice(before)
    const banner = Math.min(await bannerMs(res.body.ip_address), await bannerMs(res.body.ip_address), await bannerMs(res.body.ip_address))
    const instance = await instanceOf(daemon, name)
    const created = await daemon.waitForLog((l) => l.msg === 'vm created' && l.instance === instance, 5000)
    const phases = created.phasesMs as { launch: number; ssh: number }
    const backend = calls.reduce((sum, c) => sum + (c.end - c.start), 0)
    if (i >= WARMUP) rows.push({ post: res.ms, backend, banner, launchPhase: phases.launch, sshPhase: phases.ssh, calls: calls.length })
    const removed = await httpJson(daemon.baseUrl, 'DELETE', `/api/v1/vms/${name}`, undefined, { agent: false })
    if (removed.status !== 200) throw new Error(`delete ${name}: ${removed.status}`)
  }
  const overhead = summarize(rows.map((r) => r.post - r.backend - r.banner))
  const post = summarize(rows.map((r) => r.post))
  const backend = summarize(rows.map((r) => r.backend))
  const banner = summarize(rows.map((r) => r.banner))
  const driverSide = summarize(rows.map((r) => r.launchPhase - r.backend))
  const sshWait = summarize(rows.map((r) => r.sshPhase - r.banner))

  ctx.figure({
    name: 'provider overhead per create, median',
    value: overhead.p50,
    unit: 'ms',
    reference: { label: "backend's own time", value: backend.p50 + banner.p50 },
    target: '≤ 20 ms',
    pass: overhead.p50 <= 20,
  })
  const calls = rows[0]?.calls ?? 2
  const start = summarize(startCost).p50
  ctx.figure({ name: 'provider overhead per create, p90', value: overhead.p90, unit: 'ms' })
  ctx.figure({
    name: `  without starting its ${calls} CLI processes (${start.toFixed(1)} ms each, calibrated)`,
    value: overhead.p50 - calls * start,
    unit: 'ms',
    target: '(≤ 20 ms)',
    pass: overhead.p50 - calls * start <= 20,
  })
  ctx.figure({ name: 'POST /api/v1/vms, median', value: post.p50, unit: 'ms', reference: { label: 'backend calls', value: backend.p50 } })
  ctx.figure({ name: 'of which: driver around the CLI calls (launch phase − calls)', value: driverSide.p50, unit: 'ms' })
  ctx.figure({
    name: 'of which: HTTP, validation, ledger, proxy open, record (POST − launch − ssh phases)',
    value: summarize(rows.map((r) => r.post - r.launchPhase - r.sshPhase)).p50,
    unit: 'ms',
  })
  ctx.figure({
    name: "of which: SSH readiness probe beyond the sshd's banner time",
    value: sshWait.p50,
    unit: 'ms',
    reference: { label: 'sshd banner', value: banner.p50 },
  })
  ctx.note(
    `${rows.length} creates counted (after ${WARMUP} warm-up), ${calls} backend calls each (launch, info). Backend time = the fake's own span per call, measured by a C wrapper; the provider's time includes starting each CLI process, which costs a Node process here ${start.toFixed(1)} ms median (p90 ${summarize(startCost).p90.toFixed(1)} ms) — calibrated with the same wrapper around /bin/true.`,
  )
}

export const createOverhead: Benchmark = { name: 'create-overhead', title: 'provider overhead per create', budgetMs: 90_000, run }
