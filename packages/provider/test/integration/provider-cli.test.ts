/**
 * The operator's CLI against the running daemon: identity, status, and the
 * admin commands that see and manage every renter's VMs.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { canListen } from '@golem-vm/common'
import { api, fakeMultipassEnv, PROVIDER_BIN, REPO_ROOT, startDaemon, tempDir } from '../helpers/daemon.js'
import { ed25519Key } from '../helpers/keys.js'

const FAKE_DIR = join(REPO_ROOT, 'packages/provider/test/fixtures/multipass')
const run = promisify(execFile)

test('identity, status --json, vms and delete-vm as the operator; a second daemon on the same data dir refuses to start', async (t) => {
  const dir = tempDir(t)
  const env = await fakeMultipassEnv(t, dir, 2)
  const daemon = await startDaemon(t, { env })
  // A second provider on the same data dir would share its ledger and VMs: it must not start.
  await assert.rejects(startDaemon(t, { env }), /exited with 1.*another provider runs with this data dir/s)
  const cli = async (...args: string[]) =>
    (
      await run(process.execPath, [PROVIDER_BIN, ...args], {
        env: {
          ...process.env,
          ...env,
          GOLEM_PROVIDER_HOST: '127.0.0.1',
          GOLEM_PROVIDER_PORT: new URL(daemon.baseUrl).port,
          GOLEM_PROVIDER_ENV_FILE: '/nonexistent',
        },
      })
    ).stdout
  const status = JSON.parse(await cli('status', '--json')) as { provider_id: string; vms: { count: number }; ports: { mapped: unknown } }
  // Two public ports: one for a new VM's SSH, one it could map.
  assert.deepEqual(status.ports.mapped, { per_vm: 8, available: 1, udp: true })
  assert.equal((await cli('identity')).trim(), status.provider_id)
  assert.match(status.provider_id, /^0x[0-9a-fA-F]{40}$/)
  assert.equal((await api(daemon.baseUrl, 'POST', '/api/v1/vms', { name: 'ops-vm', ssh_key: ed25519Key() })).status, 201)
  const listed = JSON.parse(await cli('vms', '--json')) as { name: string }[]
  assert.deepEqual(
    listed.map((v) => v.name),
    ['ops-vm'],
  )
  const shown = await cli('status')
  assert.match(shown, /VMs: +1 of at most 10/)
  assert.match(shown, /Other ports: up to 8 per VM, TCP and UDP; 0 for a new VM now/, "the last free port would be a new VM's SSH port")
  assert.match(await cli('delete-vm', 'ops-vm'), /"deleted"/)
  assert.deepEqual(JSON.parse(await cli('vms', '--json')), [])
})

test("a start with SSH ports in the kernel's ephemeral range warns with the sysctl that reserves them", async (t) => {
  const ephemeral = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
  const reserved = readFileSync('/proc/sys/net/ipv4/ip_local_reserved_ports', 'utf8').trim()
  if (reserved !== '') {
    t.skip(`this host already reserves ports (${reserved})`)
    return
  }
  let start = (ephemeral[0] ?? 32768) + 1000 + Math.floor(Math.random() * 10_000)
  for (let tries = 0; tries < 50 && !((await canListen(start)) && (await canListen(start + 1))); tries++) start += 2
  const dir = tempDir(t)
  const daemon = await startDaemon(t, {
    env: {
      PATH: `${FAKE_DIR}:${process.env.PATH ?? ''}`,
      FAKE_MULTIPASS_STATE: join(dir, 'fake'),
      GOLEM_PROVIDER_DATA_DIR: join(dir, 'data'),
      GOLEM_PROVIDER_BACKEND: 'multipass',
      GOLEM_PROVIDER_MULTIPASS_NETWORK: '127.0.0.0/8',
      GOLEM_PROVIDER_PORT_RANGE_START: String(start),
      GOLEM_PROVIDER_PORT_RANGE_END: String(start + 1),
    },
  })
  const warning = daemon.logs.find((l) => typeof l.msg === 'string' && l.msg.includes('ephemeral range'))
  assert.ok(warning !== undefined, 'the overlap is logged')
  assert.equal(warning.level, 40)
  assert.match(
    String(warning.msg),
    new RegExp(`^2 SSH port\\(s\\) of ${start}-${start + 1} .*sysctl -w net\\.ipv4\\.ip_local_reserved_ports=${start}-${start + 1} `),
  )
})

test('every CLI failure prints its message and a code, never a stack trace', async (t) => {
  const dir = tempDir(t)
  const env = await fakeMultipassEnv(t, dir, 2)
  const fails = async (args: string[], extra: Record<string, string> = {}): Promise<string> => {
    const result = await run(process.execPath, [PROVIDER_BIN, ...args], {
      env: { ...process.env, ...env, GOLEM_PROVIDER_ENV_FILE: '/nonexistent', ...extra },
    }).then(
      () => assert.fail(`golem-provider ${args.join(' ')} succeeded`),
      (error: unknown) => error as { code: number; stderr: string },
    )
    assert.equal(result.code, 1)
    assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace')
    return result.stderr
  }
  assert.match(await fails(['vms']), /^golem-provider: no admin token at .+ \[NO_ADMIN_TOKEN\]\n$/)
  assert.match(
    await fails(['status'], { GOLEM_PROVIDER_PORT: String(Number(env.GOLEM_PROVIDER_PORT_RANGE_START) - 1) }),
    /no provider answers at .+ \[PROVIDER_UNREACHABLE\]\n$/,
  )
  assert.match(
    await fails(['start'], {
      GOLEM_PROVIDER_IMAGE_CATALOG: join(dir, 'missing.json'),
      GOLEM_PROVIDER_HOST: '127.0.0.1',
      GOLEM_PROVIDER_PORT: '0',
      GOLEM_PROVIDER_SKIP_PORT_VERIFICATION: 'true',
      GOLEM_PROVIDER_LOG_FORMAT: 'json',
    }),
    /golem-provider: cannot start: GOLEM_PROVIDER_IMAGE_CATALOG: cannot read .+ \[IMAGE_CATALOG_INVALID\]\n$/,
  )
  const daemon = await startDaemon(t, { env })
  const port = new URL(daemon.baseUrl).port
  assert.match(
    await fails(['delete-vm', 'nobody'], { GOLEM_PROVIDER_HOST: '127.0.0.1', GOLEM_PROVIDER_PORT: port }),
    /golem-provider: VM Not Found: .+ \[VM_NOT_FOUND\]\n$/,
  )
})
