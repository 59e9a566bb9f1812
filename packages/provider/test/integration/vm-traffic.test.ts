/**
 * Isolated VMs' forwarded traffic on the real kernel: a namespace stands in
 * for a VM with a TCP and a UDP echo behind kernel-forwarded public ports;
 * renters on the host and on "the internet" send known amounts; the
 * nftables counters of the provider's table, read as the provider reads them,
 * give each VM its bytes in and out and its connections, and keep them when
 * the firewall is replaced and while the VM is stopped.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { KernelTraffic } from '../../src/app/kernel-traffic.js'
import type { ForwardingStats } from '../../src/app/ports/telemetry.js'
import { freePortRange } from '../helpers/daemon.js'
import { netnsUnavailable } from '../helpers/netns.js'
import { addVm, LIMITS, world } from '../helpers/vm-network-world.js'

const PAYLOAD = 200_000
const DATAGRAM = 1000
const DATAGRAMS = 4
// Per packet: an Ethernet-less IPv4 + TCP header with options is under 80 bytes; a 200 kB transfer takes a few hundred packets.
const HEADERS_AT_MOST = 60_000

// An echo in the namespace (socat), ended after the test.
async function echo(t: TestContext, ns: string, address: string): Promise<void> {
  for (const args of [
    [`TCP4-LISTEN:8080,bind=${address},fork,reuseaddr`, 'EXEC:cat'],
    [`UDP4-RECVFROM:5353,bind=${address},fork`, 'EXEC:cat'],
  ]) {
    const child = spawn('ip', ['netns', 'exec', ns, 'socat', '-T', '5', ...args], { stdio: 'ignore' })
    t.after(() => {
      child.kill('SIGKILL')
    })
  }
  await sleep(500)
}

// Sends PAYLOAD bytes to host:port from the namespace (or the host) and reads the echo to the end (bounded).
function tcpRoundTrip(host: string, port: number, ns?: string): Promise<number> {
  const script = `head -c ${PAYLOAD} /dev/zero | socat -T 10 - TCP4:${host}:${port},shut-down | wc -c`
  return new Promise((resolve, reject) => {
    const [file, args] = ns === undefined ? ['sh', ['-c', script]] : ['ip', ['netns', 'exec', ns, 'sh', '-c', script]]
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += String(d)))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(Number(out.trim()))
      else reject(new Error(`the TCP round trip failed (${code})`))
    })
  })
}

// DATAGRAMS datagrams from one socket on the host; resolves with the bytes echoed back.
function udpRoundTrip(port: number): Promise<number> {
  const script = `for i in $(seq ${DATAGRAMS}); do head -c ${DATAGRAM} /dev/zero; sleep 0.2; done | socat -T 2 -b ${DATAGRAM} - UDP4:127.0.0.1:${port} | wc -c`
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += String(d)))
    child.once('exit', () => resolve(Number(out.trim())))
  })
}

test(
  "the kernel counts each isolated VM's forwarded bytes and connections; the counts survive a firewall replace and a stop",
  { skip: netnsUnavailable(), timeout: 180_000 },
  async (t) => {
    const w = await world(t, { ...LIMITS, connectionsPerSource: 10, connectionsPerVm: 20 })
    const [sshPort = 0] = w.ports
    const address = await addVm(w, 'vm-a', sshPort)
    const extra = await freePortRange(2)
    const web = { guest: 8080, protocol: 'tcp' as const, publicPort: extra.start }
    const game = { guest: 5353, protocol: 'udp' as const, publicPort: extra.start + 1 }
    await w.forwarder.openPort('vm-a', web, { host: address, port: web.guest })
    await w.forwarder.openPort('vm-a', game, { host: address, port: game.guest })
    await echo(t, w.ns.vm1, address)
    const traffic = new KernelTraffic({
      read: () => w.network.traffic(),
      portsOf: (id) => w.forwarder.portsOf(id),
      intervalMs: 60_000,
      logger: pino({ level: 'silent' }),
    })
    const read = async (): Promise<ForwardingStats> => {
      await traffic.update()
      const stats = traffic.stats('vm-a')
      assert.ok(stats !== undefined)
      return stats
    }
    assert.deepEqual(await read(), { accepted: 0, refused: 0, bytesIn: 0, bytesOut: 0 })
    assert.equal(traffic.stats('no-such-vm'), undefined, 'a VM without public ports has no figures')

    // Two TCP renters (the host itself and the internet) and one UDP renter.
    assert.equal(await tcpRoundTrip('127.0.0.1', web.publicPort), PAYLOAD)
    assert.equal(await tcpRoundTrip(w.at.hostFromInternet, web.publicPort, w.ns.internet), PAYLOAD)
    assert.equal(await udpRoundTrip(game.publicPort), DATAGRAM * DATAGRAMS)
    const after = await read()
    const sent = 2 * PAYLOAD + DATAGRAM * DATAGRAMS
    for (const [label, bytes] of [
      ['in', after.bytesIn],
      ['out', after.bytesOut],
    ] as const)
      assert.ok(bytes >= sent && bytes <= sent + HEADERS_AT_MOST, `bytes ${label}: ${bytes} for ${sent} of payload (${JSON.stringify(after)})`)
    assert.equal(after.accepted, 3, `two TCP connections and one UDP flow: ${JSON.stringify(after)}`)
    assert.equal(after.refused, 0)
    assert.equal(after.open, undefined, 'the kernel gives no count of open connections')

    // A firewall replace (another VM's change) starts the counters from their values; a stopped VM keeps its figures.
    await w.network.refresh()
    assert.deepEqual(await read(), after, 'the same after the table was replaced')
    await w.forwarder.setPortTarget('vm-a', web.publicPort, null)
    await w.forwarder.setTarget('vm-a', null)
    assert.deepEqual(await read(), after, 'the same while the VM is stopped')
    await w.forwarder.setPortTarget('vm-a', web.publicPort, { host: address, port: web.guest })
    await w.forwarder.setTarget('vm-a', { host: address, port: 22 })
    assert.equal(await tcpRoundTrip('127.0.0.1', web.publicPort), PAYLOAD)
    const more = await read()
    assert.equal(more.accepted, 4)
    assert.ok(more.bytesIn >= after.bytesIn + PAYLOAD, `counting went on after the start: ${JSON.stringify(more)}`)

    // Deleting the VM's ports removes its counters from the table.
    await w.forwarder.close('vm-a')
    assert.equal(traffic.stats('vm-a'), undefined)
    const left = await w.network.traffic()
    assert.deepEqual([...left.keys()], [], `no counter of a closed port is left: ${[...left.keys()].join(', ')}`)
  },
)
