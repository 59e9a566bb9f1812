/**
 * The last log events, kept in memory for the operator's dashboard: a ring
 * of at most `capacity` entries, fed by the logger's tap
 * (`@golem-vm/common/logger`). Each entry keeps the time, level, message and
 * the event's short scalar fields; objects and long strings are left out or
 * cut, so the ring's size stays bounded whatever is logged.
 *
 * @module
 */

/** One log event as the dashboard shows it. */
export interface LogEvent {
  readonly time: string
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'
  readonly msg: string
  /** Scalar fields (`vm`, `code`, `part`, …) as text; an error's message as `err`. */
  readonly fields: Readonly<Record<string, string>>
}

const LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' } as const
const MAX_FIELDS = 8
const MAX_TEXT = 300
// Present in every line, or noise on a dashboard.
const SKIPPED = new Set(['service', 'pid', 'hostname', 'time', 'level', 'msg'])

const cut = (text: string): string => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text)

export class RecentLogs {
  readonly #capacity: number
  readonly #ring: LogEvent[] = []
  readonly #now: () => Date

  constructor(capacity = 100, now: () => Date = () => new Date()) {
    this.#capacity = capacity
    this.#now = now
  }

  /** Records one event (the logger tap's signature); the oldest one leaves when the ring is full. */
  record(level: number, fields: Readonly<Record<string, unknown>>, msg: string | undefined): void {
    const kept: Record<string, string> = {}
    for (const [key, value] of Object.entries(fields)) {
      if (Object.keys(kept).length >= MAX_FIELDS) break
      if (SKIPPED.has(key)) continue
      if (value instanceof Error) kept[key] = cut(value.message)
      else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') kept[key] = cut(String(value))
    }
    const name = level in LEVELS ? LEVELS[level as keyof typeof LEVELS] : 'info'
    this.#ring.push({ time: this.#now().toISOString(), level: name, msg: cut(msg ?? kept.err ?? ''), fields: kept })
    if (this.#ring.length > this.#capacity) this.#ring.shift()
  }

  /** The kept events, newest first. */
  list(): LogEvent[] {
    return this.#ring.toReversed()
  }
}
