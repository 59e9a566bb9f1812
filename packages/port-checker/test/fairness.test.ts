// The attack of issue 15 item 4 against the real checker process: one caller
// queues many checks of filtered ports (each connect waits for its timeout)
// and another caller's small check must not wait behind them. A filtered port
// is made with a throw-away nftables table that drops SYNs to a few loopback
// ports (root only; removed after the test, even when it fails).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { createServer } from 'node:net'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { CheckPortsResponse } from '@golem-vm/protocol'
import { startChecker } from './helpers/checker-process.js'

const isRoot = process.getuid?.() === 0

// Drops TCP SYNs from this host to 127.0.0.1 on `ports` until the test ends.
function filterPorts(t: TestContext, ports: { start: number; end: number }): void {
  const table = `golem_pc_fair_${process.pid}_${randomBytes(3).toString('hex')}`
  execFileSync('nft', ['-f', '-'], {
    input: `table inet ${table} {\n chain out {\n  type filter hook output priority 0; policy accept;\n  ip daddr 127.0.0.1 tcp dport ${ports.start}-${ports.end} tcp flags syn drop\n }\n}\n`,
  })
  t.after(() => {
    execFileSync('nft', ['delete', 'table', 'inet', table])
  })
}

// POST /check-ports from `localAddress`, which the checker sees as the caller (and the address it may probe).
function checkFrom(url: string, localAddress: string, ports: number[]): Promise<{ status: number; text: string }> {
  const body = JSON.stringify({ provider_ip: localAddress, ports })
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${url}/check-ports`,
      { method: 'POST', localAddress, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: 60_000 },
      (response) => {
        let text = ''
        response
          .setEncoding('utf8')
          .on('data', (chunk: string) => {
            text += chunk
          })
          .on('end', () => resolve({ status: response.statusCode ?? 0, text }))
      },
    )
    request.on('error', reject).on('timeout', () => request.destroy(new Error('no answer in 60 s')))
    request.end(body)
  })
}

// Connects the kernel is still trying to open to 127.0.0.1 on `ports` (the filtered connects in flight).
const synSent = (ports: { start: number; end: number }): number =>
  execFileSync('ss', ['-Htn', 'state', 'syn-sent', 'dst', '127.0.0.1'])
    .toString()
    .split('\n')
    .filter((line) => {
      const port = Number(/127\.0\.0\.1:(\d+)\s*$/.exec(line.trim())?.[1])
      return port >= ports.start && port <= ports.end
    }).length

test(
  "one caller queueing checks of filtered ports does not starve another caller's check",
  { skip: isRoot ? false : 'needs root (nftables)', timeout: 120_000 },
  async (t) => {
    const start = 20_000 + Math.floor(Math.random() * 20_000)
    const filtered = { start, end: start + 39 }
    filterPorts(t, filtered)
    const checker = await startChecker(t, {
      PORT_CHECKER_MAX_CONCURRENT_CONNECTS: '4',
      PORT_CHECKER_CONNECTS_PER_REQUEST: '4',
      PORT_CHECKER_ATTEMPTS: '1',
      PORT_CHECKER_CONNECT_TIMEOUT_MS: '2000',
      PORT_CHECKER_REQUEST_DEADLINE_MS: '8000',
      PORT_CHECKER_RATE_LIMIT_PER_MINUTE: '1000',
    })
    // The victim's own open port, on its own address.
    const listener = createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.2', resolve))
    t.after(() => new Promise<void>((resolve) => listener.close(() => resolve())))
    const victimPort = (listener.address() as { port: number }).port

    // Six checks of 40 filtered ports each: 24 connects want the 4 slots, each holding one for 2 s.
    const all = Array.from({ length: 40 }, (_, i) => filtered.start + i)
    const attack = Array.from({ length: 6 }, () => checkFrom(checker.url, '127.0.0.1', all))
    for (let i = 0; i < 100 && synSent(filtered) < 4; i++) await sleep(50)
    assert.equal(synSent(filtered), 4, 'the attacker holds every connect slot')

    const victim = await checkFrom(checker.url, '127.0.0.2', [victimPort])
    assert.equal(victim.status, 200, victim.text)
    assert.deepEqual(
      CheckPortsResponse.parse(JSON.parse(victim.text)).results[String(victimPort)],
      { accessible: true, error: null },
      "the victim's port is checked although 20 of the attacker's connects were queued before it",
    )

    // The attacker's own checks end as they always did: filtered ports time out or run out of time.
    for (const answer of await Promise.all(attack)) {
      assert.equal(answer.status, 200, answer.text)
      const results = Object.values(CheckPortsResponse.parse(JSON.parse(answer.text)).results)
      assert.equal(results.length, 40)
      assert.ok(
        results.every((r) => !r.accessible && (r.error === 'Connection timed out' || r.error === 'Check deadline exceeded')),
        answer.text,
      )
    }
  },
)
