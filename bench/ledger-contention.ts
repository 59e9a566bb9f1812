/**
 * 6. The capacity ledger under contention: 1,000 creates at once, each on its
 * own connection, against an offer with room for exactly 5 VMs (5 CPU cores,
 * 1 core each). Exactly 5 must succeed, none may get a 5xx; reported: the
 * time until all are answered and until all refusals are answered.
 * Reference: 1,000 simultaneous GET /api/v1/vms/{unknown} (404s) against the
 * same daemon, the same way: the cost of the connections and the HTTP layer.
 */
import { Agent } from 'node:http'
import { createWorld, SMALL_VM, startDaemon } from './lib/daemon.js'
import { httpJson, type Answer } from './lib/http.js'
import { profileArgs, type BenchContext, type Benchmark } from './lib/report.js'

const REQUESTS = 1000
const ROOM = 5

async function burst(
  n: number,
  send: (i: number, agent: Agent) => Promise<Answer<unknown> & { error?: string }>,
): Promise<{ answers: (Answer<unknown> & { error?: string })[]; wall: number }> {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity })
  const started = performance.now()
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => send(i, agent)))
  const wall = performance.now() - started
  agent.destroy()
  return { answers, wall }
}

const tally = (answers: readonly { status: number }[]) => {
  const by: Record<string, number> = {}
  for (const a of answers) by[String(a.status)] = (by[String(a.status)] ?? 0) + 1
  return by
}

async function run(ctx: BenchContext): Promise<void> {
  const { scope } = ctx
  const world = await createWorld(scope)
  const daemon = await startDaemon(scope, world, { env: { GOLEM_PROVIDER_OFFER_CPU_CORES: String(ROOM) }, nodeArgs: profileArgs(ctx) })

  ctx.progress(`reference: ${REQUESTS} GET of an unknown VM at once`)
  const ref = await burst(REQUESTS, (i, agent) => httpJson(daemon.baseUrl, 'GET', `/api/v1/vms/nobody-${i}`, undefined, { agent, timeoutMs: 120_000 }))
  ctx.signal.throwIfAborted()

  ctx.progress(`${REQUESTS} POST /api/v1/vms at once, room for ${ROOM}`)
  const res = await burst(REQUESTS, (i, agent) =>
    httpJson(
      daemon.baseUrl,
      'POST',
      '/api/v1/vms',
      { name: `crowd-${String(i).padStart(4, '0')}`, ssh_key: world.key.publicKey, resources: SMALL_VM },
      { agent, timeoutMs: 120_000 },
    ),
  )
  const created = res.answers.filter((a) => a.status === 201)
  const refused = res.answers.filter((a) => a.status !== 201)
  const serverErrors = res.answers.filter((a) => a.status >= 500 || a.status === 0)
  const lastRefusal = Math.max(0, ...refused.map((a) => a.ms))
  // Unsigned callers are listed no VMs (issue 15 item 9): the ledger's own count is in the status.
  const status = await httpJson<{ capacity: { allocated: { cpu: number } }; vms: { count: number } }>(daemon.baseUrl, 'GET', '/api/v1/provider/status')
  const codes = tally(res.answers)
  const refusalCodes: Record<string, number> = {}
  for (const a of refused) {
    const code = (a.body as { code?: string } | undefined)?.code ?? a.error ?? '?'
    refusalCodes[code] = (refusalCodes[code] ?? 0) + 1
  }

  ctx.figure({
    name: `creates that succeeded (of ${REQUESTS.toLocaleString('en-US')})`,
    value: created.length,
    unit: '',
    target: `exactly ${ROOM}`,
    pass: created.length === ROOM && status.body.vms.count === ROOM && status.body.capacity.allocated.cpu === ROOM,
  })
  ctx.figure({ name: '5xx or failed requests', value: serverErrors.length, unit: '', target: '0', pass: serverErrors.length === 0 })
  ctx.figure({ name: 'time until all answered', value: res.wall, unit: 'ms', reference: { label: `${REQUESTS} GET 404`, value: ref.wall } })
  ctx.figure({
    name: `time until all ${refused.length} refusals answered`,
    value: lastRefusal,
    unit: 'ms',
    reference: { label: `${REQUESTS} GET 404`, value: ref.wall },
  })
  ctx.note(
    `answers ${JSON.stringify(codes)}, refusal codes ${JSON.stringify(refusalCodes)}; afterwards ${status.body.vms.count} VMs in the ledger, ${status.body.capacity.allocated.cpu} cores allocated; reference answers ${JSON.stringify(tally(ref.answers))}`,
  )
}

export const ledgerContention: Benchmark = { name: 'ledger-contention', title: '1,000 concurrent creates, room for 5', budgetMs: 120_000, run }
