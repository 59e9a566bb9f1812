/**
 * The QEMU driver against real QEMU (software emulation) with the tiny test
 * guest: busybox + dropbear, which reads the NoCloud seed the driver writes.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { QemuDriver } from '../../src/drivers/qemu/qemu-driver.js'
import { pidsIn, terminate } from '../../src/drivers/qemu/vm-process.js'
import { VmFolders } from '../../src/drivers/qemu/vm-folder.js'
import { ImageCache } from '../../src/infra/images/image-cache.js'
import { ed25519Key } from '../helpers/keys.js'
import { testGuestImage } from '../helpers/test-guest.js'
import { runDriverContract } from './driver-contract.js'

runDriverContract('qemu (tiny test guest, TCG)', async () => {
  const { image } = await testGuestImage('tiny-test')
  const dataDir = mkdtempSync(join(tmpdir(), 'qemu-contract-'))
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const vmsDir = join(dataDir, 'vms')
  return {
    driver: new QemuDriver({
      binary: 'qemu-system-x86_64',
      qemuImg: 'qemu-img',
      isoTool: 'genisoimage',
      vmsDir,
      images: new ImageCache({ dir: join(dataDir, 'images'), logger }),
      logger,
      accel: 'tcg',
      commandTimeoutMs: 30_000,
      powerdownTimeoutMs: 30_000,
      bootTimeoutMs: 120_000,
    }),
    image,
    resources: { cpu: 1, memory: 1, storage: 10 },
    sshKey: ed25519Key(),
    bootTimeoutMs: 120_000,
    cleanup: async () => {
      // Whatever a failed test left running is ended before its folder goes.
      const folders = new VmFolders(vmsDir)
      for (const name of await folders.list()) await terminate(await pidsIn(folders.dir(name)), 2000)
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
})
