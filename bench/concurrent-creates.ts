/**
 * 2. Ten creates at once, each launch taking 2 s (fake multipass, 50 ms info):
 * wall time until all ten are answered. Reference: the fake itself doing the
 * same ten launches (+ info) at once, without the provider; its own time is
 * ~0.5–0.9 s per launch on top of the 2 s delay.
 * Target: ≤ 3 s.
 */
import { createWorld, startDaemon, SMALL_VM } from './lib/daemon.js'
import { launchDirect } from './lib/fake-direct.js'
import { httpJson } from './lib/http.js'
import { profileArgs, type BenchContext, type Benchmark } from './lib/report.js'
import { summarize } from './lib/stats.js'

const CREATES = 10
const CONTROL = { delayMs: { launch: 2000, info: 50 } }

async function run(ctx: BenchContext): Promise<void> {
  const { scope } = ctx
  const world = await createWorld(scope)
  world.control(CONTROL)

  ctx.progress(`reference: the fake alone, ${CREATES} launches + info at once`)
  const refStart = performance.now()
  const direct = await Promise.all(Array.from({ length: CREATES }, (_, i) => launchDirect(world, `ref-${i + 1}`)))
  const refWall = performance.now() - refStart
  const reset = await world.fake(['--fake-reset'])
  if (reset.code !== 0) throw new Error(`fake reset: ${reset.stderr}`)
  ctx.signal.throwIfAborted()

  const daemon = await startDaemon(scope, world, { bigDisk: true, logLevel: 'info', nodeArgs: profileArgs(ctx) })
  world.control(CONTROL)
  ctx.progress(`provider: ${CREATES} POST /api/v1/vms at once`)
  const started = performance.now()
  const answers = await Promise.all(
    Array.from({ length: CREATES }, (_, i) =>
      httpJson(daemon.baseUrl, 'POST', '/api/v1/vms', { name: `burst-${i + 1}`, ssh_key: world.key.publicKey, resources: SMALL_VM }, { agent: false }),
    ),
  )
  const wall = performance.now() - started
  const failed = answers.filter((a) => a.status !== 201)
  if (failed.length > 0)
    ctx.note(
      `${failed.length} creates failed: ${failed
        .map((f) => `${f.status} ${JSON.stringify(f.body)}`)
        .slice(0, 3)
        .join('; ')}`,
    )
  const each = summarize(answers.map((a) => a.ms))
  const fakeOwn = summarize(direct.map((d) => d.launchMs - CONTROL.delayMs.launch))
  const phases = daemon.logs.filter((l) => l.msg === 'vm created').map((l) => l.phasesMs as { launch: number; ssh: number })

  ctx.figure({
    name: `${CREATES} concurrent creates, wall time`,
    value: wall / 1000,
    unit: 's',
    reference: { label: 'fake alone', value: refWall / 1000 },
    target: '≤ 3 s',
    pass: wall <= 3000 && failed.length === 0,
  })
  ctx.figure({ name: 'added by the provider (wall − fake alone)', value: (wall - refWall) / 1000, unit: 's' })
  ctx.figure({ name: 'first / last answer', value: each.min / 1000, unit: 's', reference: { label: 'last', value: each.max / 1000 }, ratio: null })
  ctx.figure({
    name: "fake's own time per launch (beyond the 2 s delay), median",
    value: fakeOwn.p50,
    unit: 'ms',
    reference: { label: 'max', value: fakeOwn.max },
    ratio: null,
  })
  ctx.note(
    `provider phases (ms) launch p50 ${summarize(phases.map((p) => p.launch)).p50} max ${summarize(phases.map((p) => p.launch)).max}, ssh p50 ${summarize(phases.map((p) => p.ssh)).p50}; fake alone: launch+info p50 ${Math.round(summarize(direct.map((d) => d.totalMs)).p50)} ms, max ${Math.round(summarize(direct.map((d) => d.totalMs)).max)} ms`,
  )
}

export const concurrentCreates: Benchmark = { name: 'concurrent-creates', title: '10 concurrent creates, 2 s launch each', budgetMs: 90_000, run }
