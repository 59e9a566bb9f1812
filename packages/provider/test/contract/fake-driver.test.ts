/** The in-memory fake keeps the contract too, so tests built on it mean something. */
import net from 'node:net'
import { BUILTIN_IMAGES } from '../../src/domain/images.js'
import { FakeDriver } from '../../src/drivers/fake/fake-driver.js'
import { ed25519Key } from '../helpers/keys.js'
import { runDriverContract } from './driver-contract.js'

runDriverContract('fake (in memory)', async () => {
  // A banner-only server stands in for the VMs' SSH servers.
  const server = net.createServer((socket) => socket.end('SSH-2.0-fake\r\n'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    driver: new FakeDriver(() => ({ endpoint: { host: '127.0.0.1', port }, ipAddress: '10.0.0.2' })),
    image: BUILTIN_IMAGES[0]!,
    resources: { cpu: 1, memory: 1, storage: 10 },
    sshKey: ed25519Key(),
    bootTimeoutMs: 5000,
    cleanup: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
})
