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
// Below fetch's own 300 s wait for response headers, which would otherwise end the create first.
const BOOT_LIMIT_S = 280

// Prints, for each user-data file, its hostname as cloud-init's loader reads it, then the verdict of
// cloud-init's strict schema check (what `cloud-init schema --config-file` runs) — in one Python
// process, because importing cloud-init takes seconds under TCG and the machine may be loaded.
const CHECK = String.raw`
python3 - <<'GOLEM_PY'
import glob
from cloudinit.util import load_yaml
from cloudinit.config.schema import get_schema, validate_cloudconfig_schema
schema = get_schema()
for path in sorted(glob.glob('/tmp/ud/*')):
    text = open(path).read()
    data = load_yaml(text)
    print(type(data['hostname']).__name__, data['hostname'], type(data['disable_root']).__name__)
    try:
        assert text.startswith('#cloud-config\n'), 'no #cloud-config header'
        validate_cloudconfig_schema(data, schema, strict=True)
        print('valid')
    except Exception as error:
        print('invalid', error)
GOLEM_PY`

test('real cloud-init reads every YAML-1.1-ambiguous name as a string: hostname and key of a VM named "yes"', { timeout: 15 * 60_000 }, async (t) => {
  const { env, key } = await qemuWorld(t, 'debian-12-test', { GOLEM_PROVIDER_CREATE_TIMEOUT: String(BOOT_LIMIT_S) })
  const daemon = await startDaemon(t, { env })
  const res = await fetch(`${daemon.baseUrl}/api/v1/vms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    signal: AbortSignal.timeout((BOOT_LIMIT_S + 20) * 1000),
    body: JSON.stringify({ name: 'yes', ssh_key: key.publicKey, image: 'debian-12-test', resources: { cpu: 1, memory: 1, storage: 10 } }),
  })
  const created = (await res.json()) as { ssh_port: number }
  assert.equal(res.status, 201, JSON.stringify(created))
  const ssh = (user: string, command: string) => sshRun({ port: created.ssh_port, user, key: key.privateKeyPath, command, timeoutMs: 240_000 })

  // The renter's key works as soon as sshd answers; cloud-init's later stages may still run then, so wait for them.
  const login = await ssh('ubuntu', 'hostname; timeout 120 cloud-init status --wait --long | grep -E "^(status|errors)"')
  assert.equal(login.code, 0, `the renter's key was installed for the default user: ${login.stderr}`)
  const [hostname, ...status] = login.stdout.split('\n')
  assert.equal(hostname, 'yes')
  assert.match(status.join('\n'), /status: done/, 'cloud-init finished without errors')

  // Every name's user-data, as the provider writes it, through cloud-init's own loader and schema.
  const files = NAMES.map(
    (name, i) =>
      `cat > /tmp/ud/${String(i).padStart(2, '0')} <<'GOLEM_EOF'\n${buildCloudInit({ hostname: name, instanceId: `golem-x-${i}`, sshKey: key.publicKey }).userData}GOLEM_EOF`,
  )
  const checked = await ssh('root', `mkdir -p /tmp/ud\n${files.join('\n')}\n${CHECK}`)
  assert.equal(checked.code, 0, checked.stderr)
  const lines = checked.stdout.split('\n')
  assert.deepEqual(
    lines,
    NAMES.flatMap((name) => [`str ${name} bool`, 'valid']),
  )
})
