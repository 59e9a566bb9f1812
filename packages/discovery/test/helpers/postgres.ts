/**
 * A real, throw-away PostgreSQL server for tests: Debian's `postgresql`
 * binaries, a fresh data dir in a temp dir, a free port on 127.0.0.1 and a
 * unix-socket dir the test owns, run as an unprivileged user (`postgres`
 * when the tests run as root, else the current user). Trust authentication
 * on loopback only; fsync off (the data is thrown away). Stopped and
 * removed when the test ends.
 *
 * @module
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { freePortRange } from '@golem-vm/common'

/** A running server. */
export interface PostgresServer {
  readonly port: number
  /** URL of database `name` (default `postgres`). */
  url(name?: string): string
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>
  /** Stops the server (fast shutdown: open connections are terminated). */
  stop(): void
  /** Starts it again on the same port and data. */
  start(): void
  /** The server's log, for failure messages. */
  log(): string
  /** The postmaster's process id while it runs (its backends are its children), else undefined. */
  pid(): number | undefined
}

/** Where the server binaries are: $GOLEM_TEST_PG_BIN, else the newest /usr/lib/postgresql/N/bin. */
export function postgresBinDir(): string {
  const configured = process.env.GOLEM_TEST_PG_BIN
  if (configured !== undefined && configured !== '') return configured
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : []
  const found = versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'initdb')))
  if (found === undefined)
    throw new Error('PostgreSQL server binaries not found: apt-get install postgresql (or set GOLEM_TEST_PG_BIN to the directory of initdb and pg_ctl)')
  return found
}

interface Cleanup {
  after(fn: () => unknown): void
}

/** Starts a server; it is stopped and its files removed when the test ends. */
export async function startPostgres(t: Cleanup): Promise<PostgresServer> {
  const bin = postgresBinDir()
  const dir = mkdtempSync(join(tmpdir(), 'golem-pg-'))
  const data = join(dir, 'data')
  const sockets = join(dir, 'sockets')
  mkdirSync(sockets)
  const asRoot = process.getuid?.() === 0
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    chownSync(dir, uid, gid)
    chownSync(sockets, uid, gid)
  }
  // Runs a server binary as the unprivileged user; throws with its output on failure.
  const run = (tool: string, args: string[]): void => {
    const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args]
    const result = spawnSync(command, argv, { encoding: 'utf8', timeout: 60_000 })
    if (result.status !== 0)
      throw new Error(`${tool} ${args.join(' ')} failed (${result.status ?? result.signal ?? 'no status'}):\n${result.stdout}${result.stderr}`)
  }
  let port = 0
  const logFile = join(dir, 'server.log')
  const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '')
  const start = (): void => {
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      logFile,
      '-w',
      '-t',
      '30',
      '-o',
      `-p ${port} -k ${sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200`,
      'start',
    ])
  }
  const stop = (): void => {
    run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'])
  }
  t.after(() => {
    try {
      if (existsSync(join(data, 'postmaster.pid'))) run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'golem', '-E', 'UTF8', '--locale=C', '--no-sync'])
  port = (await freePortRange(1)).start
  start()
  const url = (name = 'postgres'): string => `postgres://golem@127.0.0.1:${port}/${name}`
  return {
    port,
    url,
    stop,
    start,
    log,
    pid: () => {
      const file = join(data, 'postmaster.pid')
      return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n', 1)[0]) : undefined
    },
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url() })
      await client.connect()
      try {
        await client.query(`CREATE DATABASE "${name}"`)
      } finally {
        await client.end()
      }
      return url(name)
    },
  }
}
