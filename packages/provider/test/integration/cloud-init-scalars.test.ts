/**
 * Issue 15 item 16 against real cloud-init (the Debian test guest, one boot):
 * a VM named `yes` — a boolean to YAML 1.1, which cloud-init reads — gets its
 * hostname and the renter's key; then, in the same guest, cloud-init's own
 * YAML loader and schema check read the user-data the provider writes for
 * every other name YAML 1.1 would read as a boolean, null or number.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildCloudInit } from '../../src/domain/cloud-init.js'
import { startDaemon } from '../helpers/daemon.js'
import { sshRun } from '../helpers/ssh.js'
import { qemuWorld } from '../helpers/test-guest.js'

/** The names of the issue; `yes` is the VM's own, the others are checked by cloud-init inside it. */
const NAMES = ['yes', 'no', 'on', 'off', 'true', 'false', 'null', '~', '0b101', '0x1F', '1e3', '0o17']
const BOOT_LIMIT_S = 280

// Prints, for each user-data file, its hostname as cloud-init's loader reads it, then the schema verdict.
const CHECK = String.raw`
for f in /tmp/ud/*; do
  python3 -c 'import sys; from cloudinit.util import load_yaml; d = load_yaml(open(sys.argv[1]).read()); print(type(d["hostname"]).__name__, d["hostname"], type(d["disable_root"]).__name__)' "$f"
  cloud-init schema --config-file "$f" >/dev/null 2>&1 && echo valid || echo invalid
done`

test('real cloud-init reads every YAML-1.1-ambiguous name as a string: hostname and key of a VM named "yes"', { timeout: 10 * 60_000 }, async (t) => {
  const { env, key } = await qemuWorld(t, 'debian-12-test', { GOLEM_PROVIDER_CREATE_TIMEOUT: String(BOOT_LIMIT_S) })
  const daemon = await startDaemon(t, { env })
  const res = await fetch(`${daemon.baseUrl}/api/v1/vms`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout((BOOT_LIMIT_S + 20) * 1000),
    body: JSON.stringify({ name: 'yes', ssh_key: key.publicKey, image: 'debian-12-test', resources: { cpu: 1, memory: 1, storage: 10 } }),
  })
  const created = (await res.json()) as { ssh_port: number }
  assert.equal(res.status, 201, JSON.stringify(created))
  const ssh = (user: string, command: string) => sshRun({ port: created.ssh_port, user, key: key.privateKeyPath, command, timeoutMs: 120_000 })

  const login = await ssh('ubuntu', 'hostname; cloud-init status --long | grep -E "^(status|errors)"')
  assert.equal(login.code, 0, `the renter's key was installed for the default user: ${login.stderr}`)
  const [hostname, ...status] = login.stdout.split('\n')
  assert.equal(hostname, 'yes')
  assert.match(status.join('\n'), /status: done/, 'cloud-init finished without errors')

  // Every name's user-data, as the provider writes it, through cloud-init's own loader and schema.
  const files = NAMES.map((name, i) => `cat > /tmp/ud/${String(i).padStart(2, '0')} <<'GOLEM_EOF'\n${buildCloudInit({ hostname: name, instanceId: `golem-x-${i}`, sshKey: key.publicKey }).userData}GOLEM_EOF`)
  const checked = await ssh('root', `mkdir -p /tmp/ud\n${files.join('\n')}\n${CHECK}`)
  assert.equal(checked.code, 0, checked.stderr)
  const lines = checked.stdout.split('\n')
  assert.deepEqual(lines, NAMES.flatMap((name) => [`str ${name} bool`, 'valid']))
})
