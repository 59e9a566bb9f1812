/**
 * The VM store on SQLite (better-sqlite3): one file in the data dir, WAL
 * journal, every write a transaction, so a crash leaves either the old or the
 * new state and never half of one.
 *
 * @module
 */
import Database from 'better-sqlite3'
import type { VmStatus } from '@golem-vm/protocol'
import { ProviderError } from '../../domain/errors.js'
import type { LedgerSnapshot } from '../../domain/capacity.js'
import type { VmRecord } from '../../domain/vm.js'
import type { NewVm, VmPatch, VmStore } from './vm-store.js'

const SCHEMA_VERSION = 1

const MIGRATIONS: Record<number, string> = {
  1: `
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
}

interface Row {
  id: string
  instance: string
  owner: string | null
  status: VmStatus
  cpu: number
  memory_gb: number
  storage_gb: number
  image: string
  ssh_key: string
  ssh_port: number
  target_host: string | null
  target_port: number | null
  ip_address: string | null
  error_message: string | null
  created_at: string
  updated_at: string
}

const toRecord = (r: Row): VmRecord => ({
  id: r.id,
  instance: r.instance,
  owner: r.owner,
  status: r.status,
  resources: { cpu: r.cpu, memory: r.memory_gb, storage: r.storage_gb },
  image: r.image,
  sshKey: r.ssh_key,
  sshPort: r.ssh_port,
  endpoint: r.target_host === null || r.target_port === null ? null : { host: r.target_host, port: r.target_port },
  ipAddress: r.ip_address,
  errorMessage: r.error_message,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
})

export class SqliteVmStore implements VmStore {
  readonly #db: Database.Database
  readonly #now: () => Date
  readonly #stmt

  /** Opens (creating if needed) the database at `path`; `:memory:` for tests. */
  constructor(path: string, now: () => Date = () => new Date()) {
    this.#db = new Database(path)
    this.#db.pragma('journal_mode = WAL')
    this.#db.pragma('synchronous = FULL')
    this.#db.pragma('busy_timeout = 5000')
    this.#now = now
    this.#migrate()
    this.#stmt = {
      get: this.#db.prepare<[string], Row>('SELECT * FROM vms WHERE id = ?'),
      list: this.#db.prepare<[], Row>('SELECT * FROM vms ORDER BY created_at, id'),
      remove: this.#db.prepare<[string]>('DELETE FROM vms WHERE id = ?'),
      sums: this.#db.prepare<[], { cpu: number; memory: number; storage: number; count: number }>(
        'SELECT COALESCE(SUM(cpu),0) AS cpu, COALESCE(SUM(memory_gb),0) AS memory, COALESCE(SUM(storage_gb),0) AS storage, COUNT(*) AS count FROM vms',
      ),
      ports: this.#db.prepare<[], { ssh_port: number }>('SELECT ssh_port FROM vms'),
      insert: this.#db.prepare(
        `INSERT INTO vms (id, instance, owner, status, cpu, memory_gb, storage_gb, image, ssh_key, ssh_port, created_at, updated_at)
         VALUES (@id, @instance, @owner, 'creating', @cpu, @memory, @storage, @image, @sshKey, @sshPort, @createdAt, @createdAt)`,
      ),
    }
  }

  #migrate(): void {
    const current = this.#db.pragma('user_version', { simple: true }) as number
    if (current > SCHEMA_VERSION) {
      throw new Error(`the provider database has schema ${current}, newer than this provider understands (${SCHEMA_VERSION}); upgrade the provider`)
    }
    for (let v = current + 1; v <= SCHEMA_VERSION; v++) {
      this.#db.transaction(() => {
        this.#db.exec(MIGRATIONS[v] ?? '')
        this.#db.pragma(`user_version = ${v}`)
      })()
    }
  }

  reserve(vm: NewVm, decide: (snapshot: LedgerSnapshot) => number): VmRecord {
    return this.#db.transaction(() => {
      if (this.#stmt.get.get(vm.id) !== undefined) {
        throw new ProviderError('VM_NAME_TAKEN', `a VM named "${vm.id}" already exists on this provider; choose another name`)
      }
      const sshPort = decide(this.snapshot())
      const { cpu, memory, storage } = vm.resources
      this.#stmt.insert.run({
        id: vm.id, instance: vm.instance, owner: vm.owner, cpu, memory, storage, image: vm.image,
        sshKey: vm.sshKey, sshPort, createdAt: vm.createdAt.toISOString(),
      })
      const row = this.#stmt.get.get(vm.id)
      if (row === undefined) throw new Error('inserted VM record is missing')
      return toRecord(row)
    }).immediate()
  }

  get(id: string): VmRecord | undefined {
    const row = this.#stmt.get.get(id)
    return row === undefined ? undefined : toRecord(row)
  }

  list(): VmRecord[] {
    return this.#stmt.list.all().map(toRecord)
  }

  update(id: string, patch: VmPatch): VmRecord | undefined {
    const sets: string[] = ['updated_at = @updatedAt']
    const params: Record<string, unknown> = { id, updatedAt: this.#now().toISOString() }
    if (patch.status !== undefined) { sets.push('status = @status'); params.status = patch.status }
    if (patch.endpoint !== undefined) {
      sets.push('target_host = @targetHost', 'target_port = @targetPort')
      params.targetHost = patch.endpoint?.host ?? null
      params.targetPort = patch.endpoint?.port ?? null
    }
    if (patch.ipAddress !== undefined) { sets.push('ip_address = @ipAddress'); params.ipAddress = patch.ipAddress }
    if (patch.errorMessage !== undefined) { sets.push('error_message = @errorMessage'); params.errorMessage = patch.errorMessage }
    this.#db.prepare(`UPDATE vms SET ${sets.join(', ')} WHERE id = @id`).run(params)
    return this.get(id)
  }

  transition(id: string, from: readonly VmStatus[], to: VmStatus): { ok: boolean; vm: VmRecord | undefined } {
    return this.#db.transaction(() => {
      const vm = this.get(id)
      if (vm === undefined || !from.includes(vm.status)) return { ok: false, vm }
      return { ok: true, vm: this.update(id, { status: to, errorMessage: to === 'error' ? vm.errorMessage : null }) }
    }).immediate()
  }

  remove(id: string): void {
    this.#stmt.remove.run(id)
  }

  snapshot(): LedgerSnapshot {
    const sums = this.#stmt.sums.get() ?? { cpu: 0, memory: 0, storage: 0, count: 0 }
    return {
      allocated: { cpu: sums.cpu, memory: sums.memory, storage: sums.storage },
      vmCount: sums.count,
      usedPorts: new Set(this.#stmt.ports.all().map((r) => r.ssh_port)),
    }
  }

  close(): void {
    this.#db.close()
  }
}
