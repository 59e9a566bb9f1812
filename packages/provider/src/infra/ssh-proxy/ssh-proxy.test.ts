/**
 * The proxy's manager with its real relay thread: listeners through the
 * thread, bind errors, counters reported back, and the thread's restart
 * after it dies.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test, type TestContext } from 'node:test'
import { Worker } from 'node:worker_threads'
import pino from 'pino'
import { freePortRange } from '@golem-vm/common'
import { LOOSE } from '../../../test/helpers/relay.js'
import { closedByPeer, connectTo, fakeVm, readToEnd, waitFor } from '../../../test/helpers/tcp.js'
import { PortBindError } from '../../app/ports/ssh-forwarder.js'
import { RELAY_THREAD_URL, SshProxy, type SshProxyOptions } from './ssh-proxy.js'
import type { RelayThreadData } from './relay-messages.js'

interface Watched {
  readonly proxy: SshProxy
  /** Every relay thread the proxy started, in order. */
  readonly threads: Worker[]
  /** The proxy's log messages. */
  readonly logs: string[]
}

function watchedProxy(t: TestContext, options: Partial<SshProxyOptions> = {}): Watched {
  const threads: Worker[] = []
  const logs: string[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => logs.push((JSON.parse(line) as { msg: string }).msg) })
  const proxy = new SshProxy({
    ...LOOSE,
    logger,
    startThread: (data: RelayThreadData) => {
      const thread = new Worker(RELAY_THREAD_URL, { workerData: data })
      threads.push(thread)
      return thread
    },
    ...options,
  })
  t.after(() => proxy.closeAll())
  return { proxy, threads, logs }
}

async function roundTrip(t: TestContext, port: number, vm: Awaited<ReturnType<typeof fakeVm>>): Promise<void> {
  const renter = await connectTo(t, port)
  const server = await vm.nextConnection()
  const atVm = readToEnd(server)
  renter.end('ping')
  assert.equal(String(await atVm), 'ping')
  const atRenter = readToEnd(renter)
  server.end('pong')
  assert.equal(String(await atRenter), 'pong')
}

test('no relay thread until the first listener; the thread entry refuses to run on the main thread', async (t) => {
  const { proxy, threads } = watchedProxy(t)
  assert.equal(threads.length, 0)
  assert.equal(proxy.stats('nothing'), undefined)
  await assert.rejects(import('./relay-thread.js'), /runs only as a worker thread/)
})

test("relays through the thread and reports the VM's counters back", async (t) => {
  const vm = await fakeVm(t)
  const { proxy, threads } = watchedProxy(t)
  const { start: port } = await freePortRange(1)
  await proxy.open('vm-1', port, vm.endpoint)
  assert.deepEqual(proxy.ports(), [port])
  await roundTrip(t, port, vm)
  await waitFor('the closed connection to be reported', () => proxy.stats('vm-1')?.totalConnections === 1 && proxy.stats('vm-1')?.activeConnections === 0)
  assert.deepEqual(proxy.stats('vm-1'), {
    port,
    target: vm.endpoint,
    activeConnections: 0,
    totalConnections: 1,
    refusedConnections: 0,
    bytesIn: 4,
    bytesOut: 4,
  })
  assert.equal(threads.length, 1)
  await proxy.close('vm-1')
  assert.deepEqual(proxy.ports(), [])
})

test("a VM's counters sum its SSH port and its mapped ports; another VM's are its own", async (t) => {
  const vm = await fakeVm(t)
  const web = await fakeVm(t)
  const { proxy } = watchedProxy(t)
  const { start: port } = await freePortRange(3)
  await proxy.open('vm-1', port, vm.endpoint)
  await proxy.openPort('vm-1', { guest: 8080, protocol: 'tcp', publicPort: port + 1 }, web.endpoint)
  await proxy.open('vm-10', port + 2, vm.endpoint)
  await roundTrip(t, port, vm)
  await roundTrip(t, port + 1, web)
  await waitFor('both connections to be reported', () => proxy.vmStats('vm-1')?.totalConnections === 2 && proxy.vmStats('vm-1')?.activeConnections === 0)
  assert.deepEqual(proxy.vmStats('vm-1'), { activeConnections: 0, totalConnections: 2, refusedConnections: 0, bytesIn: 8, bytesOut: 8 })
  assert.equal(proxy.stats('vm-1')?.totalConnections, 1, 'the SSH port alone')
  assert.equal(proxy.vmStats('vm-10')?.totalConnections, 0, 'a VM whose id starts like another is not summed with it')
  assert.equal(proxy.vmStats('vm-2'), undefined)
})

test('a port another process holds: PortBindError, and nothing is listed', async (t) => {
  const vm = await fakeVm(t)
  const { proxy } = watchedProxy(t)
  const { start: port } = await freePortRange(1)
  const holder = (await import('node:net')).createServer().listen({ host: '127.0.0.1', port })
  await once(holder, 'listening')
  t.after(() => holder.close())
  await assert.rejects(
    proxy.open('vm-1', port, vm.endpoint),
    (error: unknown) => error instanceof PortBindError && error.port === port && /EADDRINUSE/.test(error.message),
  )
  assert.deepEqual(proxy.ports(), [])
})

test('the relay thread dies: its connections drop, it is restarted with every listener, counters carry on', async (t) => {
  const vm = await fakeVm(t)
  const { proxy, threads, logs } = watchedProxy(t)
  const ports = await freePortRange(2)
  await proxy.open('vm-1', ports.start, vm.endpoint)
  await proxy.open('vm-2', ports.end, vm.endpoint)
  await roundTrip(t, ports.start, vm)
  await waitFor('the first connection to be reported', () => proxy.stats('vm-1')?.totalConnections === 1 && proxy.stats('vm-1')?.activeConnections === 0)
  const held = await connectTo(t, ports.end)
  await vm.nextConnection()

  await threads[0]!.terminate() // the thread stops as if it had crashed
  await closedByPeer(held)
  await waitFor('the listeners to be open again', () => logs.includes('ssh proxy listeners opened again'))
  assert.equal(threads.length, 2)
  assert.ok(logs.includes('ssh proxy relay stopped unexpectedly; opening the listeners again'))
  await roundTrip(t, ports.start, vm)
  await roundTrip(t, ports.end, vm)
  await waitFor('the new connections to be reported', () => proxy.stats('vm-1')?.totalConnections === 2 && proxy.stats('vm-2')?.totalConnections === 2)
  assert.equal(proxy.stats('vm-1')?.bytesIn, 8, 'bytes from before the restart are still counted')
})

test('a relay thread that keeps dying is restarted three times a minute, then left stopped', async (t) => {
  const vm = await fakeVm(t)
  let clock = 1_000_000
  const { proxy, threads, logs } = watchedProxy(t, { now: () => clock })
  const { start: port } = await freePortRange(1)
  await proxy.open('vm-1', port, vm.endpoint)
  for (let restart = 1; restart <= 3; restart++) {
    await threads.at(-1)!.terminate()
    await waitFor(`restart ${restart}`, () => threads.length === restart + 1)
    clock += 1000
  }
  await threads.at(-1)!.terminate()
  await waitFor('the give-up message', () => logs.includes('ssh proxy relay keeps stopping; SSH forwarding is down until the provider restarts'))
  assert.equal(threads.length, 4)

  // Opening a listener again starts a thread again.
  await proxy.close('vm-1')
  await proxy.open('vm-1', port, vm.endpoint)
  assert.equal(threads.length, 5)
  await roundTrip(t, port, vm)
})
