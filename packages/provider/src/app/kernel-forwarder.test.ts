import assert from 'node:assert/strict'
import { test } from 'node:test'
import { KernelForwarder } from './kernel-forwarder.js'

// A forwarder whose holds and firewall refreshes are recorded.
function rig() {
  const held = new Map<number, string>()
  let refreshes = 0
  const forwarder = new KernelForwarder({
    hold: (port, protocol) => {
      if (held.has(port)) return Promise.reject(new Error(`port ${port} taken`))
      held.set(port, protocol)
      return Promise.resolve({
        release: () => {
          held.delete(port)
          return Promise.resolve()
        },
      })
    },
    refresh: () => {
      refreshes++
      return Promise.resolve()
    },
  })
  return { forwarder, held, refreshes: () => refreshes }
}

test('mapped ports become DNAT entries of their protocol while the VM runs; each public port is held, and freed on close', async () => {
  const r = rig()
  const guest = { host: '10.77.0.2', port: 22 }
  await r.forwarder.open('web', 50800, guest)
  await r.forwarder.openPort('web', { guest: 8080, protocol: 'tcp', publicPort: 50801 }, { host: '10.77.0.2', port: 8080 })
  await r.forwarder.openPort('web', { guest: 27015, protocol: 'udp', publicPort: 50802 }, null)
  assert.deepEqual(
    [...r.held],
    [
      [50800, 'tcp'],
      [50801, 'tcp'],
      [50802, 'udp'],
    ],
  )
  assert.deepEqual(
    r.forwarder.forwards(),
    [
      { protocol: 'tcp', publicPort: 50800, address: '10.77.0.2', port: 22 },
      { protocol: 'tcp', publicPort: 50801, address: '10.77.0.2', port: 8080 },
    ],
    'no entry while the UDP mapping has no target',
  )
  await r.forwarder.setPortTarget('web', 50802, { host: '10.77.0.2', port: 27015 })
  assert.deepEqual(r.forwarder.forwards().at(-1), { protocol: 'udp', publicPort: 50802, address: '10.77.0.2', port: 27015 })
  await r.forwarder.closePort('web', 50801)
  assert.deepEqual(
    r.forwarder.forwards().map((f) => f.publicPort),
    [50800, 50802],
  )
  assert.equal(r.held.has(50801), false)
  assert.ok(r.refreshes() >= 5, 'the firewall is re-applied after every change')
})
