/**
 * The VM store on SQLite (better-sqlite3): one file in the data dir, WAL
 * journal, every write a transaction, so a crash leaves either the old or the
 * new state and never half of one.
 *
 * Reads are served from memory: this store is the database's only writer, so
 * the records are read once after each write and kept until the next. The API's
 * reads (list, get, the ledger snapshot behind every status and advertisement)
 * then cost no SQLite work. Every write drops that copy when it ends, after its
 * transaction committed or rolled back, so a read never sees a state that did
 * not commit.
 *
 * @module
 */
import Database from 'better-sqlite3'
import { migrateSchema } from '@golem-vm/common'
import type { VmStatus } from '@golem-vm/protocol'
import { ProviderError } from '../../domain/errors.js'
import type { LedgerSnapshot, PortAllocation, UnknownInstance } from '../../domain/capacity.js'
import type { VmRecord } from '../../domain/vm.js'
import type { PortMapping } from '../../domain/port-mappings.js'
import type { VmAttachment } from '../../domain/vm-network.js'
import { NONCES_MIGRATION, SqliteNonceRegistry } from './sqlite-nonce-registry.js'
import type { NewVm, UsedStream, VmPatch, VmStore } from '../../app/ports/vm-store.js'

/** Migration i makes schema version i + 1 (`migrateSchema`, @golem-vm/common). */
const MIGRATIONS: readonly string[] = [
  `
    CREATE TABLE vms (
      id            TEXT PRIMARY KEY,
      instance      TEXT NOT NULL UNIQUE,
      owner         TEXT,
      status        TEXT NOT NULL,
      cpu           INTEGER NOT NULL CHECK (cpu > 0),
      memory_gb     INTEGER NOT NULL CHECK (memory_gb > 0),
      storage_gb    INTEGER NOT NULL CHECK (storage_gb > 0),
      image         TEXT NOT NULL,
      ssh_key       TEXT NOT NULL,
      ssh_port      INTEGER NOT NULL UNIQUE,
      target_host   TEXT,
      target_port   INTEGER,
      ip_address    TEXT,
      error_message TEXT,
      created_at    TEXT NOT NULL,
      updated_at    TEXT NOT NULL
    );
    CREATE INDEX vms_owner ON vms (owner);
  `,
  // The login user, resolved from the image once at create. Records made before were all of images whose
  // default user is ubuntu (the built-in images and the test guests), which is what the read used to fall back to.
  `ALTER TABLE vms ADD COLUMN ssh_user TEXT NOT NULL DEFAULT 'ubuntu';`,
  // The VM's place on the provider's isolated network (NULL when VMs are not isolated).
  `
    ALTER TABLE vms ADD COLUMN net_tap TEXT;
    ALTER TABLE vms ADD COLUMN net_mac TEXT;
    ALTER TABLE vms ADD COLUMN net_address TEXT;
    CREATE UNIQUE INDEX vms_net_tap ON vms (net_tap);
    CREATE UNIQUE INDEX vms_net_address ON vms (net_address);
  `,
  // Renters' port mappings besides SSH. A public port is unique across mappings here; the store's
  // transactions also keep it apart from every VM's ssh_port (the ledger's usedPorts holds both).
  `
    CREATE TABLE vm_ports (
      vm_id       TEXT NOT NULL REFERENCES vms (id) ON DELETE CASCADE,
      guest       INTEGER NOT NULL CHECK (guest BETWEEN 1 AND 65535),
      protocol    TEXT NOT NULL CHECK (protocol IN ('tcp', 'udp')),
      public_port INTEGER NOT NULL UNIQUE CHECK (public_port BETWEEN 1 AND 65535),
      PRIMARY KEY (vm_id, guest, protocol)
    );
  `,
  // The nonces of accepted signed requests within the freshness window (sqlite-nonce-registry.ts).
  NONCES_MIGRATION,
  // VM names are unique per owner (issue 15 item 10): the renter's name and its name space join the
  // record; \`id\` stays the provider's own key (the instance name for new VMs). Older records keep
  // their name as id; a signed one is in its owner's space; an ownerless one was made either by an
  // unsigned caller or by the operator, which the record cannot tell, so it stays where it was
  // visible before, with the unsigned callers.
  `
    ALTER TABLE vms ADD COLUMN name TEXT NOT NULL DEFAULT '';
    ALTER TABLE vms ADD COLUMN scope TEXT NOT NULL DEFAULT 'unsigned';
    UPDATE vms SET name = id, scope = COALESCE(owner, 'unsigned');
    CREATE UNIQUE INDEX vms_scope_name ON vms (scope, name);
  `,
  // Payments: a paid VM's stream and the monitor's decisions; every stream ever used, so none pays for two VMs.
  `
    ALTER TABLE vms ADD COLUMN stream_id TEXT;
    ALTER TABLE vms ADD COLUMN stream_rate TEXT;
    ALTER TABLE vms ADD COLUMN payment_expired_at TEXT;
    ALTER TABLE vms ADD COLUMN stopped_for_payment INTEGER NOT NULL DEFAULT 0;
    CREATE UNIQUE INDEX vms_stream ON vms (stream_id);
    CREATE TABLE used_streams (
      stream_id TEXT PRIMARY KEY,
      vm_id     TEXT NOT NULL,
      used_at   TEXT NOT NULL
    );
  `,
  // Each VM's SSH host key, issued by the provider (issue 15 item 11); older VMs keep the key their guest made.
  `
    ALTER TABLE vms ADD COLUMN host_key_private TEXT;
    ALTER TABLE vms ADD COLUMN host_key_public TEXT;
  `,
]

interface PortRow {
  vm_id: string
  guest: number
  protocol: 'tcp' | 'udp'
  public_port: number
}

interface Row {
  id: string
  name: string
  scope: string
  instance: string
  owner: string | null
  status: VmStatus
  cpu: number
  memory_gb: number
  storage_gb: number
  image: string
  ssh_user: string
  ssh_key: string
  ssh_port: number
  target_host: string | null
  target_port: number | null
  ip_address: string | null
  net_tap: string | null
  net_mac: string | null
  net_address: string | null
  error_message: string | null
  stream_id: string | null
  stream_rate: string | null
  payment_expired_at: string | null
  stopped_for_payment: number
  host_key_private: string | null
  host_key_public: string | null
  created_at: string
  updated_at: string
}

const toMapping = (p: PortRow): PortMapping => ({ guest: p.guest, protocol: p.protocol, publicPort: p.public_port })

const toRecord = (r: Row, ports: readonly PortRow[]): VmRecord => ({
  id: r.id,
  name: r.name,
  scope: r.scope,
  instance: r.instance,
  owner: r.owner,
  status: r.status,
  resources: { cpu: r.cpu, memory: r.memory_gb, storage: r.storage_gb },
  image: r.image,
  sshUser: r.ssh_user,
  sshKey: r.ssh_key,
  hostKey: r.host_key_private === null || r.host_key_public === null ? null : { privateKey: r.host_key_private, publicKey: r.host_key_public },
  sshPort: r.ssh_port,
  ports: ports.map(toMapping),
  endpoint: r.target_host === null || r.target_port === null ? null : { host: r.target_host, port: r.target_port },
  ipAddress: r.ip_address,
  attachment: r.net_tap === null || r.net_mac === null || r.net_address === null ? null : { tap: r.net_tap, mac: r.net_mac, address: r.net_address },
  errorMessage: r.error_message,
  payment:
    r.stream_id === null
      ? null
      : {
          streamId: r.stream_id,
          ratePerSecond: BigInt(r.stream_rate ?? '0'),
          expiredAt: r.payment_expired_at === null ? null : new Date(r.payment_expired_at),
          stoppedForPayment: r.stopped_for_payment === 1,
        },
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
})

// A scope never contains a newline (an address or a fixed word), so the key is unambiguous.
const nameKey = (scope: string, name: string): string => `${scope}\n${name}`

/** Another process holds the database: a second provider started on the same data dir. */
export class StoreInUseError extends Error {
  override readonly name = 'StoreInUseError'
  constructor(readonly path: string) {
    super(
      `the database ${path} is in use by another process: another provider runs with this data dir; stop it first or choose another GOLEM_PROVIDER_DATA_DIR`,
    )
  }
}

/** The database cannot be used: corrupt, not writable, on a full disk, or of a newer schema. The message says what to do. */
export class StoreUnusableError extends Error {
  override readonly name = 'StoreUnusableError'
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

const sqliteCode = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : ''
}

const isDiskFull = (error: unknown): boolean => sqliteCode(error) === 'SQLITE_FULL'

// What the operator should do about a database that cannot be opened, by SQLite's error code.
function unusable(path: string, error: unknown): StoreUnusableError {
  const code = sqliteCode(error)
  const reason = error instanceof Error ? error.message : String(error)
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreUnusableError(
      path,
      `the database ${path} is corrupt (${reason}): move it aside (mv ${path} ${path}.corrupt) and start again; the provider makes a new one, and VMs that still run are shown as unknown instances until you delete them`,
      { cause: error },
    )
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return new StoreUnusableError(
      path,
      `the database ${path} cannot be opened for writing (${reason}): the data dir and its files must be writable by the user running the provider, on a file system mounted read-write and without the immutable attribute (check ls -l, lsattr and mount)`,
      { cause: error },
    )
  }
  if (isDiskFull(error))
    return new StoreUnusableError(path, `the disk holding the database ${path} is full: free space there and start again`, { cause: error })
  return new StoreUnusableError(path, `the database ${path} cannot be used: ${reason}${code === '' ? '' : ` (${code})`}`, { cause: error })
}

// Opens the database and takes it for this process alone; a failure is explained (StoreInUseError, StoreUnusableError).
function openDatabase(path: string): Database.Database {
  let db: Database.Database
  try {
    // No waiting for a lock: the only other user can be a second provider, which would hold it for good.
    db = new Database(path, { timeout: 0 })
  } catch (error) {
    throw unusable(path, error)
  }
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    // The daemon is the database's only user: it takes the write lock now and keeps it until close,
    // so a second provider on the same data dir fails here instead of sharing a ledger.
    db.pragma('locking_mode = EXCLUSIVE')
    db.exec('BEGIN IMMEDIATE; COMMIT')
    return db
  } catch (error) {
    db.close()
    if (sqliteCode(error) === 'SQLITE_BUSY') throw new StoreInUseError(path)
    throw unusable(path, error)
  }
}

// Records and snapshots are read-only by type, so readers share them.
interface ReadCopy {
  readonly list: readonly VmRecord[]
  readonly byId: ReadonlyMap<string, VmRecord>
  /** By scope, then name. */
  readonly byName: ReadonlyMap<string, VmRecord>
  readonly snapshot: LedgerSnapshot
}

export class SqliteVmStore implements VmStore {
  readonly #db: Database.Database
  readonly #now: () => Date
  readonly #stmt
  #read: ReadCopy | undefined
  #unknown: readonly UnknownInstance[] = []

  /** Opens (creating if needed) the database at `path`; `:memory:` for tests. */
  constructor(path: string, now: () => Date = () => new Date()) {
    this.#db = openDatabase(path)
    this.#now = now
    try {
      migrateSchema(this.#db, MIGRATIONS, 'provider')
    } catch (error) {
      this.#db.close()
      throw unusable(path, error)
    }
    this.#stmt = {
      get: this.#db.prepare<[string], Row>('SELECT * FROM vms WHERE id = ?'),
      named: this.#db.prepare<[string, string], Row>('SELECT * FROM vms WHERE scope = ? AND name = ?'),
      list: this.#db.prepare<[], Row>('SELECT * FROM vms ORDER BY created_at, id'),
      portsOf: this.#db.prepare<[string], PortRow>('SELECT * FROM vm_ports WHERE vm_id = ? ORDER BY public_port'),
      allPorts: this.#db.prepare<[], PortRow>('SELECT * FROM vm_ports ORDER BY public_port'),
      addPort: this.#db.prepare<[string, number, string, number]>('INSERT INTO vm_ports (vm_id, guest, protocol, public_port) VALUES (?, ?, ?, ?)'),
      removePort: this.#db.prepare<[string, number]>('DELETE FROM vm_ports WHERE vm_id = ? AND public_port = ?'),
      removePorts: this.#db.prepare<[string]>('DELETE FROM vm_ports WHERE vm_id = ?'),
      remove: this.#db.prepare<[string]>('DELETE FROM vms WHERE id = ?'),
      attach: this.#db.prepare<[string, string, string, string, string]>(
        'UPDATE vms SET net_tap = ?, net_mac = ?, net_address = ?, updated_at = ? WHERE id = ?',
      ),
      insert: this.#db.prepare(
        `INSERT INTO vms (id, name, scope, instance, owner, status, cpu, memory_gb, storage_gb, image, ssh_user, ssh_key, ssh_port, stream_id, stream_rate, host_key_private, host_key_public, created_at, updated_at)
         VALUES (@id, @name, @scope, @instance, @owner, 'creating', @cpu, @memory, @storage, @image, @sshUser, @sshKey, @sshPort, @streamId, @streamRate, @hostKeyPrivate, @hostKeyPublic, @createdAt, @createdAt)`,
      ),
      streamUsed: this.#db.prepare<[string], string>('SELECT vm_id FROM used_streams WHERE stream_id = ?').pluck(),
      claimStream: this.#db.prepare<[string, string, string]>('INSERT INTO used_streams (stream_id, vm_id, used_at) VALUES (?, ?, ?)'),
      releaseStream: this.#db.prepare<[string]>('DELETE FROM used_streams WHERE stream_id = ?'),
      usedStreams: this.#db.prepare<[], { stream_id: string; vm_id: string; used_at: string }>(
        'SELECT stream_id, vm_id, used_at FROM used_streams ORDER BY used_at, stream_id',
      ),
    }
  }

  // Runs a write; whatever happens, the next read loads the committed state again. A full disk is the client's STORAGE_FULL.
  #write<T>(change: () => T): T {
    try {
      return change()
    } catch (error) {
      if (isDiskFull(error))
        throw new ProviderError(
          'STORAGE_FULL',
          "the provider's disk is full, so nothing can be recorded; nothing was changed. Retry later (the operator must free space)",
        )
      throw error
    } finally {
      this.#read = undefined
    }
  }

  #readCopy(): ReadCopy {
    if (this.#read !== undefined) return this.#read
    const list = this.#all()
    const allocated = { cpu: 0, memory: 0, storage: 0 }
    for (const { resources } of [...list, ...this.#unknown]) {
      allocated.cpu += resources.cpu
      allocated.memory += resources.memory
      allocated.storage += resources.storage
    }
    const usedPorts = new Set(list.flatMap((vm) => [vm.sshPort, ...vm.ports.map((p) => p.publicPort)]))
    const snapshot = { allocated, vmCount: list.length + this.#unknown.length, usedPorts }
    this.#read = { list, byId: new Map(list.map((vm) => [vm.id, vm])), byName: new Map(list.map((vm) => [nameKey(vm.scope, vm.name), vm])), snapshot }
    return this.#read
  }

  // Every record with its mappings, as the database holds them now.
  #all(): VmRecord[] {
    const ports = new Map<string, PortRow[]>()
    for (const row of this.#stmt.allPorts.all()) ports.set(row.vm_id, [...(ports.get(row.vm_id) ?? []), row])
    return this.#stmt.list.all().map((r) => toRecord(r, ports.get(r.id) ?? []))
  }

  #one(id: string): VmRecord | undefined {
    const row = this.#stmt.get.get(id)
    return row === undefined ? undefined : toRecord(row, this.#stmt.portsOf.all(id))
  }

  #insertPorts(id: string, ports: readonly PortMapping[]): void {
    for (const p of ports) this.#stmt.addPort.run(id, p.guest, p.protocol, p.publicPort)
  }

  reserve(vm: NewVm, decide: (snapshot: LedgerSnapshot) => PortAllocation): VmRecord {
    return this.#write(() =>
      this.#db
        .transaction(() => {
          const streamId = vm.payment?.streamId ?? null
          const usedBy = streamId === null ? undefined : this.#stmt.streamUsed.get(streamId)
          if (streamId !== null && usedBy !== undefined) {
            throw new ProviderError(
              'PAYMENT_STREAM_USED',
              `stream ${streamId} already paid for a VM on this provider (${usedBy}); a stream pays for one VM only: open a new one`,
            )
          }
          if (this.#stmt.named.get(vm.scope, vm.name) !== undefined) {
            throw new ProviderError('VM_NAME_TAKEN', `you have a VM named "${vm.name}" on this provider already; choose another name`)
          }
          this.#read = undefined // decide on the database itself, inside the write lock
          const { sshPort, ports } = decide(this.snapshot())
          const { cpu, memory, storage } = vm.resources
          this.#stmt.insert.run({
            id: vm.id,
            name: vm.name,
            scope: vm.scope,
            instance: vm.instance,
            owner: vm.owner,
            cpu,
            memory,
            storage,
            image: vm.image,
            sshUser: vm.sshUser,
            sshKey: vm.sshKey,
            sshPort,
            createdAt: vm.createdAt.toISOString(),
            streamId,
            streamRate: vm.payment?.ratePerSecond.toString() ?? null,
            hostKeyPrivate: vm.hostKey?.privateKey ?? null,
            hostKeyPublic: vm.hostKey?.publicKey ?? null,
          })
          this.#insertPorts(vm.id, ports)
          if (streamId !== null) this.#stmt.claimStream.run(streamId, vm.id, vm.createdAt.toISOString())
          const record = this.#one(vm.id)
          if (record === undefined) throw new Error('inserted VM record is missing')
          return record
        })
        .immediate(),
    )
  }

  addPorts(id: string, decide: (vm: VmRecord, snapshot: LedgerSnapshot) => readonly PortMapping[]): VmRecord | undefined {
    return this.#write(() =>
      this.#db
        .transaction(() => {
          const vm = this.#one(id)
          if (vm === undefined) return undefined
          this.#read = undefined // decide on the database itself, inside the write lock
          this.#insertPorts(id, decide(vm, this.snapshot()))
          return this.#one(id)
        })
        .immediate(),
    )
  }

  removePort(id: string, publicPort: number): boolean {
    return this.#write(() => this.#stmt.removePort.run(id, publicPort).changes > 0)
  }

  get(id: string): VmRecord | undefined {
    return this.#readCopy().byId.get(id)
  }

  list(): VmRecord[] {
    return [...this.#readCopy().list]
  }

  findByName(scope: string, name: string): VmRecord | undefined {
    return this.#readCopy().byName.get(nameKey(scope, name))
  }

  update(id: string, patch: VmPatch): VmRecord | undefined {
    return this.#write(() => this.#update(id, patch))
  }

  #update(id: string, patch: VmPatch): VmRecord | undefined {
    const sets: string[] = ['updated_at = @updatedAt']
    const params: Record<string, unknown> = { id, updatedAt: this.#now().toISOString() }
    if (patch.status !== undefined) {
      sets.push('status = @status')
      params.status = patch.status
    }
    if (patch.endpoint !== undefined) {
      sets.push('target_host = @targetHost', 'target_port = @targetPort')
      params.targetHost = patch.endpoint?.host ?? null
      params.targetPort = patch.endpoint?.port ?? null
    }
    if (patch.ipAddress !== undefined) {
      sets.push('ip_address = @ipAddress')
      params.ipAddress = patch.ipAddress
    }
    if (patch.errorMessage !== undefined) {
      sets.push('error_message = @errorMessage')
      params.errorMessage = patch.errorMessage
    }
    if (patch.paymentExpiredAt !== undefined) {
      sets.push('payment_expired_at = @expiredAt')
      params.expiredAt = patch.paymentExpiredAt?.toISOString() ?? null
    }
    if (patch.stoppedForPayment !== undefined) {
      sets.push('stopped_for_payment = @stoppedForPayment')
      params.stoppedForPayment = patch.stoppedForPayment ? 1 : 0
    }
    this.#db.prepare(`UPDATE vms SET ${sets.join(', ')} WHERE id = @id`).run(params)
    return this.#one(id)
  }

  transition(id: string, from: readonly VmStatus[], to: VmStatus): { ok: boolean; vm: VmRecord | undefined } {
    return this.#write(() =>
      this.#db
        .transaction(() => {
          const vm = this.#one(id)
          if (vm === undefined || !from.includes(vm.status)) return { ok: false, vm }
          return { ok: true, vm: this.#update(id, { status: to, errorMessage: to === 'error' ? vm.errorMessage : null }) }
        })
        .immediate(),
    )
  }

  assignAttachment(id: string, allocate: (taken: readonly VmAttachment[]) => VmAttachment | undefined): VmRecord | undefined {
    return this.#write(() =>
      this.#db
        .transaction(() => {
          if (this.#stmt.get.get(id) === undefined) return undefined
          const taken = this.#all().flatMap((vm) => (vm.attachment === null ? [] : [vm.attachment]))
          const chosen = allocate(taken)
          if (chosen === undefined) throw new Error('the VM network has no free address left')
          this.#stmt.attach.run(chosen.tap, chosen.mac, chosen.address, this.#now().toISOString(), id)
          return this.#one(id)
        })
        .immediate(),
    )
  }

  remove(id: string): void {
    this.#write(() =>
      this.#db
        .transaction(() => {
          this.#stmt.removePorts.run(id)
          this.#stmt.remove.run(id)
        })
        .immediate(),
    )
  }

  releaseStream(streamId: string): void {
    this.#write(() => this.#stmt.releaseStream.run(streamId))
  }

  usedStreams(): UsedStream[] {
    return this.#stmt.usedStreams.all().map((r) => ({ streamId: r.stream_id, vmId: r.vm_id, usedAt: new Date(r.used_at) }))
  }

  snapshot(): LedgerSnapshot {
    return this.#readCopy().snapshot
  }

  setUnknownInstances(instances: readonly UnknownInstance[]): void {
    this.#unknown = [...instances]
    this.#read = undefined
  }

  unknownInstances(): readonly UnknownInstance[] {
    return this.#unknown
  }

  /** The registry of accepted request nonces, kept in this database (one per store); see SqliteNonceRegistry. */
  nonces(now: number = Date.now(), onPersistFailure?: (error: unknown) => void): SqliteNonceRegistry {
    return new SqliteNonceRegistry(this.#db, now, onPersistFailure)
  }

  close(): void {
    this.#db.close()
  }
}
