/**
 * The provider's identity: an Ethereum key pair whose EIP-55 address is the
 * provider id. Created at first start in the key directory (0700) as
 * `provider_key.json` (0600), reused afterwards.
 *
 * Two file formats are read: the original provider's plain
 * `{"address","private_key"}` and an encrypted Ethereum JSON keystore (v3).
 * Without a passphrase a new key is written in the plain format (so the
 * original provider can still read it); with `GOLEM_PROVIDER_KEY_PASSPHRASE`
 * it is written as a keystore, and a plain file found then is encrypted in
 * place. Nothing here logs; the caller logs the returned notices, which never
 * contain key material. Writes are atomic (temporary file + link/rename).
 * ethers is loaded only for keystores (scrypt, AES); a plain key needs only
 * the address derivation of `@golem-vm/protocol/eth`.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createFileOnce, parseJsonOrUndefined, readIfExists, replaceFile } from '@golem-vm/common'
import { addressOfPrivateKey } from '@golem-vm/protocol/eth'

/** Name of the key file inside the key directory (the original's name). */
export const KEY_FILE = 'provider_key.json'

/**
 * scrypt cost of keystores written here: N = 2^15, r = 8, p = 1 (32 MiB).
 * ethers' default (`Wallet.encrypt`, N = 2^17) takes about 4 s to decrypt on
 * a 2-core machine with ethers' pure-JavaScript scrypt, delaying every start
 * and every `golem-provider identity`; 2^15 decrypts in about 0.8 s there and
 * is still memory-hard. The passphrase's strength matters far more. Keystores
 * written by other tools with a higher N are read as they are (only slower).
 */
export const KEYSTORE_SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const

/** Stable codes of the identity's start-up errors. */
export type IdentityErrorCode =
  | 'PROVIDER_ID_INVALID'
  | 'PROVIDER_ID_MISMATCH'
  | 'KEY_FILE_MISSING'
  | 'KEY_FILE_UNREADABLE'
  | 'KEY_FILE_INVALID'
  | 'KEY_PASSPHRASE_REQUIRED'
  | 'KEY_PASSPHRASE_WRONG'

/** A problem with the provider key the operator must fix; the message says how. Never contains key material. */
export class IdentityError extends Error {
  override readonly name = 'IdentityError'
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
  ) {
    super(message)
  }
}

export interface IdentityOptions {
  /** Directory of the key file; created 0700 when missing. */
  readonly keyDir: string
  /** The configured provider id (`GOLEM_PROVIDER_PROVIDER_ID`); must match the key when set. */
  readonly providerId?: string | undefined
  /** Encrypts a new (or plain) key file and decrypts a keystore (`GOLEM_PROVIDER_KEY_PASSPHRASE`). */
  readonly passphrase?: string | undefined
  /** scrypt parameters of a keystore written here; tests lower them. Default {@link KEYSTORE_SCRYPT}. */
  readonly scrypt?: { readonly N: number; readonly r: number; readonly p: number }
}

/** A secp256k1 key pair: the private key as 0x-hex and its EIP-55 address. */
export interface ProviderKey {
  readonly address: string
  readonly privateKey: string
}

/** The loaded identity. `key` signs; `address` is the EIP-55 provider id. */
export interface ProviderIdentity {
  readonly key: ProviderKey
  readonly address: string
  readonly keyFile: string
  /** True when this call created the key. */
  readonly created: boolean
  /** True when the key file is an encrypted keystore (after this call). */
  readonly encrypted: boolean
  /** Things the operator should know (permissions tightened, file encrypted); safe to log. */
  readonly notices: readonly string[]
}

type Loaded = { key: ProviderKey; encrypted: boolean }

const ADDRESS = /^0x[0-9a-fA-F]{40}$/
const PRIVATE_KEY = /^(0x)?[0-9a-fA-F]{64}$/
const PASSPHRASE_SETTING = 'GOLEM_PROVIDER_KEY_PASSPHRASE'
const ID_SETTING = 'GOLEM_PROVIDER_PROVIDER_ID'

/**
 * Loads the provider key from `keyDir`, or creates it when there is none and
 * no provider id is configured. Rejects with {@link IdentityError} when the
 * file is unreadable or malformed, the passphrase is missing or wrong, or the
 * configured id is not the key's address.
 */
export async function loadOrCreateIdentity(opts: IdentityOptions): Promise<ProviderIdentity> {
  const expected = checkedProviderId(opts.providerId)
  const notices: string[] = []
  await ensureKeyDir(opts.keyDir, notices)
  const keyFile = join(opts.keyDir, KEY_FILE)
  // Two attempts: a concurrent first start may create the file between our read and our write.
  for (let attempt = 0; attempt < 2; attempt++) {
    const text = await readKeyFile(keyFile)
    if (text !== undefined) return finish(await loadExisting(keyFile, text, opts, notices), { keyFile, created: false, notices }, expected)
    if (expected !== undefined) {
      throw new IdentityError(
        'KEY_FILE_MISSING',
        `${ID_SETTING} is ${expected} but there is no key file ${keyFile}; copy that provider's ${KEY_FILE} there (or set GOLEM_PROVIDER_ETHEREUM_KEY_DIR to its directory), or unset ${ID_SETTING} to create a new identity`,
      )
    }
    const created = await createKey(keyFile, opts)
    if (created !== undefined) return finish(created, { keyFile, created: true, notices }, expected)
  }
  throw new IdentityError('KEY_FILE_UNREADABLE', `${keyFile} keeps appearing and disappearing; is another process rewriting it?`)
}

function checkedProviderId(id: string | undefined): string | undefined {
  if (id === undefined || id === '') return undefined
  if (!ADDRESS.test(id)) {
    throw new IdentityError(
      'PROVIDER_ID_INVALID',
      `${ID_SETTING} "${id}" is not an Ethereum address (0x and 40 hex digits); unset it to use the address of the provider key`,
    )
  }
  return id
}

type Meta = Pick<ProviderIdentity, 'keyFile' | 'created' | 'notices'>

// Checks the configured id against the key: a provider must never advertise under someone else's id.
function finish(loaded: Loaded, meta: Meta, expected: string | undefined): ProviderIdentity {
  const address = loaded.key.address
  if (expected !== undefined && expected.toLowerCase() !== address.toLowerCase()) {
    throw new IdentityError(
      'PROVIDER_ID_MISMATCH',
      `${ID_SETTING} is ${expected}, but the key in ${meta.keyFile} belongs to ${address}; set ${ID_SETTING} to ${address}, unset it, or point GOLEM_PROVIDER_ETHEREUM_KEY_DIR at the key of ${expected}`,
    )
  }
  return { key: loaded.key, address, encrypted: loaded.encrypted, ...meta }
}

// Creates the directory 0700; an existing one that others can enter is reported, not changed.
async function ensureKeyDir(dir: string, notices: string[]): Promise<void> {
  const made = await mkdir(dir, { recursive: true, mode: 0o700 })
  if (made !== undefined) {
    await chmod(dir, 0o700)
    return
  }
  const mode = (await stat(dir)).mode & 0o777
  if ((mode & 0o077) !== 0) notices.push(`the key directory ${dir} is accessible to other users (mode ${mode.toString(8)}); consider chmod 700`)
}

async function readKeyFile(path: string): Promise<string | undefined> {
  try {
    return await readIfExists(path)
  } catch (error) {
    throw new IdentityError(
      'KEY_FILE_UNREADABLE',
      `cannot read the provider key ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}; check its owner and permissions`,
    )
  }
}

async function loadExisting(path: string, text: string, opts: IdentityOptions, notices: string[]): Promise<Loaded> {
  await tightenFileMode(path, notices)
  const json = parseJsonOrUndefined(text)
  if (json === undefined) {
    throw new IdentityError('KEY_FILE_INVALID', `the provider key ${path} is not JSON; restore it from a backup, or move it away to create a new identity`)
  }
  if (isKeystore(json)) return { key: await decryptKeystore(path, text, opts.passphrase), encrypted: true }
  const key = plainKey(path, json)
  if (opts.passphrase === undefined || opts.passphrase === '') return { key, encrypted: false }
  await replaceFile(path, await encrypt(key, opts), 0o600)
  notices.push(`the provider key ${path} was stored unencrypted; it is now encrypted with ${PASSPHRASE_SETTING}`)
  return { key, encrypted: true }
}

async function tightenFileMode(path: string, notices: string[]): Promise<void> {
  const mode = (await stat(path)).mode & 0o777
  if ((mode & 0o077) === 0) return
  await chmod(path, 0o600)
  notices.push(`the provider key ${path} was readable by other users (mode ${mode.toString(8)}); its mode is now 600`)
}

// A JSON keystore declares version 3 (the test ethers' isKeystoreJson makes).
function isKeystore(json: unknown): boolean {
  const version = typeof json === 'object' && json !== null ? (json as { version?: unknown }).version : undefined
  return (typeof version === 'number' || typeof version === 'string') && Number.parseInt(String(version), 10) === 3
}

async function decryptKeystore(path: string, text: string, passphrase: string | undefined): Promise<ProviderKey> {
  if (passphrase === undefined || passphrase === '') {
    throw new IdentityError('KEY_PASSPHRASE_REQUIRED', `the provider key ${path} is encrypted; set ${PASSPHRASE_SETTING} to its passphrase`)
  }
  const { decryptKeystoreJson } = await import('ethers')
  let privateKey: string
  try {
    privateKey = (await decryptKeystoreJson(text, passphrase)).privateKey
  } catch (error) {
    if ((error as { shortMessage?: string }).shortMessage === 'incorrect password') {
      throw new IdentityError(
        'KEY_PASSPHRASE_WRONG',
        `${PASSPHRASE_SETTING} does not decrypt the provider key ${path}; set the passphrase it was encrypted with`,
      )
    }
    throw new IdentityError(
      'KEY_FILE_INVALID',
      `the provider key ${path} is not a keystore this provider can read (scrypt or pbkdf2, aes-128-ctr); restore it from a backup`,
    )
  }
  return { privateKey, address: addressOfPrivateKey(privateKey) }
}

// The original's format: {"address": "0x<EIP-55>", "private_key": "<hex, with or without 0x>"}.
function plainKey(path: string, json: unknown): ProviderKey {
  const file = (typeof json === 'object' && json !== null ? json : {}) as { address?: unknown; private_key?: unknown }
  if (typeof file.private_key !== 'string' || !PRIVATE_KEY.test(file.private_key)) {
    throw new IdentityError(
      'KEY_FILE_INVALID',
      `the provider key ${path} has no valid "private_key" (64 hex digits) and is not an encrypted keystore; restore it from a backup`,
    )
  }
  const privateKey = (file.private_key.startsWith('0x') ? file.private_key : `0x${file.private_key}`).toLowerCase()
  let address: string
  try {
    address = addressOfPrivateKey(privateKey)
  } catch {
    throw new IdentityError('KEY_FILE_INVALID', `the "private_key" in ${path} is not a valid secp256k1 key; restore it from a backup`)
  }
  if (file.address !== undefined && (typeof file.address !== 'string' || file.address.toLowerCase() !== address.toLowerCase())) {
    throw new IdentityError('KEY_FILE_INVALID', `the "address" in ${path} does not belong to its "private_key"; the file is damaged, restore it from a backup`)
  }
  return { privateKey, address }
}

async function encrypt(key: ProviderKey, opts: IdentityOptions): Promise<string> {
  const scrypt = opts.scrypt ?? KEYSTORE_SCRYPT
  const { encryptKeystoreJson } = await import('ethers')
  // What ethers' Wallet.encrypt does, with our scrypt cost (Wallet.encrypt has no option for it).
  return encryptKeystoreJson({ address: key.address, privateKey: key.privateKey }, opts.passphrase ?? '', { scrypt: { ...scrypt } })
}

// Makes a key and writes it without ever replacing an existing file; undefined if one appeared meanwhile.
async function createKey(path: string, opts: IdentityOptions): Promise<Loaded | undefined> {
  const privateKey = randomPrivateKey()
  const key = { privateKey, address: addressOfPrivateKey(privateKey) }
  const encrypted = opts.passphrase !== undefined && opts.passphrase !== ''
  const text = encrypted ? await encrypt(key, opts) : `${JSON.stringify({ address: key.address, private_key: key.privateKey })}\n`
  return (await createFileOnce(path, text, 0o600)) ? { key, encrypted } : undefined
}

const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

// 32 bytes from the system CSPRNG, kept when in [1, n-1] (all but 2^-127 of them).
function randomPrivateKey(): string {
  for (let attempt = 0; attempt < 16; attempt++) {
    const hex = randomBytes(32).toString('hex')
    const k = BigInt(`0x${hex}`)
    if (k > 0n && k < SECP256K1_ORDER) return `0x${hex}`
  }
  throw new Error('the random number generator keeps returning invalid keys')
}
