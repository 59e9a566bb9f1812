import assert from 'node:assert/strict'
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { Wallet, getAddress, isKeystoreJson } from 'ethers'
import { IdentityError, KEY_FILE, KEYSTORE_SCRYPT, loadOrCreateIdentity, type IdentityErrorCode } from './eth-identity.js'

// Cheap scrypt for tests; the production cost is checked separately.
const FAST = { N: 2 ** 10, r: 8, p: 1 }

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'golem-identity-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

const mode = async (path: string) => (await stat(path)).mode & 0o777

const failsWith = (code: IdentityErrorCode, secret?: string) => (error: unknown) => {
  assert.ok(error instanceof IdentityError, `expected an IdentityError, got ${String(error)}`)
  assert.equal(error.code, code)
  if (secret !== undefined) assert.ok(!error.message.includes(secret.replace(/^0x/, '')), 'the message must not contain the key')
  return true
}

test('first start creates the key (dir 0700, file 0600, the original format); later starts reuse it', async (t) => {
  const keyDir = join(await tempDir(t), 'keys')
  const first = await loadOrCreateIdentity({ keyDir })
  assert.equal(first.created, true)
  assert.equal(first.encrypted, false)
  assert.equal(first.address, getAddress(first.address), 'EIP-55 checksummed')
  assert.equal(first.key.address, first.address)
  assert.equal(await mode(keyDir), 0o700)
  assert.equal(await mode(join(keyDir, KEY_FILE)), 0o600)
  const file = JSON.parse(await readFile(join(keyDir, KEY_FILE), 'utf8')) as Record<string, string>
  assert.deepEqual(Object.keys(file), ['address', 'private_key'])
  assert.equal(file.address, first.address)
  assert.equal(new Wallet(file.private_key!).address, first.address)

  const again = await loadOrCreateIdentity({ keyDir })
  assert.equal(again.created, false)
  assert.equal(again.address, first.address)
  assert.deepEqual(again.notices, [])
  assert.deepEqual(await readdir(keyDir), [KEY_FILE], 'no temporary files are left behind')
})

test("the original provider's key file is read, with or without 0x", async (t) => {
  const wallet = Wallet.createRandom()
  for (const privateKey of [wallet.privateKey, wallet.privateKey.slice(2)]) {
    const keyDir = await tempDir(t)
    await writeFile(join(keyDir, KEY_FILE), JSON.stringify({ address: wallet.address, private_key: privateKey }), { mode: 0o600 })
    const identity = await loadOrCreateIdentity({ keyDir })
    assert.equal(identity.address, wallet.address)
    assert.equal(identity.created, false)
  }
})

test("a configured provider id must be the key's address", async (t) => {
  const keyDir = await tempDir(t)
  const { address } = await loadOrCreateIdentity({ keyDir })
  assert.equal((await loadOrCreateIdentity({ keyDir, providerId: address.toLowerCase() })).address, address, 'any letter case')
  const other = Wallet.createRandom().address
  await assert.rejects(loadOrCreateIdentity({ keyDir, providerId: other }), (error: unknown) => {
    failsWith('PROVIDER_ID_MISMATCH')(error)
    const text = (error as Error).message
    assert.ok(text.includes(other) && text.includes(address) && text.includes('GOLEM_PROVIDER_PROVIDER_ID'), text)
    return true
  })
  await assert.rejects(loadOrCreateIdentity({ keyDir, providerId: 'my-provider' }), failsWith('PROVIDER_ID_INVALID'))
})

test('a configured provider id without a key file is an error and creates nothing', async (t) => {
  const keyDir = await tempDir(t)
  await assert.rejects(loadOrCreateIdentity({ keyDir, providerId: Wallet.createRandom().address }), failsWith('KEY_FILE_MISSING'))
  assert.deepEqual(await readdir(keyDir), [])
})

test('with a passphrase the key is written as an encrypted keystore and read back with it', async (t) => {
  const keyDir = await tempDir(t)
  const created = await loadOrCreateIdentity({ keyDir, passphrase: 'correct horse', scrypt: FAST })
  assert.equal(created.encrypted, true)
  const text = await readFile(join(keyDir, KEY_FILE), 'utf8')
  assert.ok(isKeystoreJson(text))
  assert.ok(!text.includes(created.key.privateKey.slice(2)), 'the private key is not stored in clear')
  assert.equal(await mode(join(keyDir, KEY_FILE)), 0o600)
  const again = await loadOrCreateIdentity({ keyDir, passphrase: 'correct horse' })
  assert.equal(again.address, created.address)
  assert.equal(again.encrypted, true)
})

test('an encrypted key needs the right passphrase, and the error says which setting to fix', async (t) => {
  const keyDir = await tempDir(t)
  const { key } = await loadOrCreateIdentity({ keyDir, passphrase: 'right', scrypt: FAST })
  await assert.rejects(loadOrCreateIdentity({ keyDir }), failsWith('KEY_PASSPHRASE_REQUIRED'))
  await assert.rejects(loadOrCreateIdentity({ keyDir, passphrase: 'wrong' }), (error: unknown) => {
    failsWith('KEY_PASSPHRASE_WRONG', key.privateKey)(error)
    assert.match((error as Error).message, /GOLEM_PROVIDER_KEY_PASSPHRASE/)
    assert.ok(!(error as Error).message.includes('wrong'), 'the passphrase is not echoed')
    return true
  })
})

test('a plain key file is encrypted in place when a passphrase is set', async (t) => {
  const keyDir = await tempDir(t)
  const plain = await loadOrCreateIdentity({ keyDir })
  const upgraded = await loadOrCreateIdentity({ keyDir, passphrase: 'secret', scrypt: FAST })
  assert.equal(upgraded.address, plain.address)
  assert.equal(upgraded.encrypted, true)
  assert.equal(upgraded.notices.length, 1)
  assert.ok(isKeystoreJson(await readFile(join(keyDir, KEY_FILE), 'utf8')))
  assert.equal(await mode(join(keyDir, KEY_FILE)), 0o600)
  assert.deepEqual(await readdir(keyDir), [KEY_FILE])
})

test('a key file readable by others is tightened to 0600, with a notice', async (t) => {
  const keyDir = await tempDir(t)
  await loadOrCreateIdentity({ keyDir })
  await chmod(join(keyDir, KEY_FILE), 0o644)
  const identity = await loadOrCreateIdentity({ keyDir })
  assert.equal(await mode(join(keyDir, KEY_FILE)), 0o600)
  assert.equal(identity.notices.length, 1)
  assert.match(identity.notices[0]!, /mode is now 600/)
})

test('a damaged key file is refused, never replaced, and its key is never echoed', async (t) => {
  const wallet = Wallet.createRandom()
  const cases: [content: string, secret?: string][] = [
    ['{not json'],
    [JSON.stringify({ address: wallet.address })],
    [JSON.stringify({ address: Wallet.createRandom().address, private_key: wallet.privateKey }), wallet.privateKey],
    [JSON.stringify({ private_key: `0x${'0'.repeat(64)}` })],
  ]
  for (const [content, secret] of cases) {
    const keyDir = await tempDir(t)
    await writeFile(join(keyDir, KEY_FILE), content, { mode: 0o600 })
    await assert.rejects(loadOrCreateIdentity({ keyDir }), failsWith('KEY_FILE_INVALID', secret))
    assert.equal(await readFile(join(keyDir, KEY_FILE), 'utf8'), content)
  }
})

test('two first starts at once end with one key', async (t) => {
  const keyDir = await tempDir(t)
  const [a, b] = await Promise.all([loadOrCreateIdentity({ keyDir }), loadOrCreateIdentity({ keyDir })])
  assert.equal(a.address, b.address)
  assert.deepEqual(await readdir(keyDir), [KEY_FILE])
})

test('keystores are written with the documented scrypt cost', async (t) => {
  const keyDir = await tempDir(t)
  await loadOrCreateIdentity({ keyDir, passphrase: 'p' })
  const keystore = JSON.parse(await readFile(join(keyDir, KEY_FILE), 'utf8')) as { Crypto: { kdf: string; kdfparams: { n: number; r: number; p: number } } }
  assert.equal(keystore.Crypto.kdf, 'scrypt')
  assert.deepEqual({ N: keystore.Crypto.kdfparams.n, r: keystore.Crypto.kdfparams.r, p: keystore.Crypto.kdfparams.p }, KEYSTORE_SCRYPT)
})
