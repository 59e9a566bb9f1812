/**
 * Renters' port mappings on the command line: `--port 8080` or
 * `--port 27015/udp` in, `203.0.113.7:50812 → 8080/tcp` out.
 *
 * @module
 */
import type { PortProtocol } from '@golem-vm/protocol'
import { RequestorError } from './errors.js'
import { cleanText } from './terminal-text.js'

/** A guest port the renter asks for. */
export interface PortAsk {
  readonly guest: number
  readonly protocol: PortProtocol
}

/** A mapping as a provider reports it (each field checked; see provider-answers.ts). */
export interface ShownMapping {
  readonly guest: number
  readonly protocol: PortProtocol
  readonly public_port: number
  readonly host: string
}

/** Parses `8080`, `8080/tcp` or `27015/udp`; throws INVALID_ARGUMENT saying what a port looks like. */
export function parsePortAsk(text: string): PortAsk {
  const match = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(text.trim())
  const guest = Number(match?.[1])
  if (match === null || !Number.isInteger(guest) || guest < 1 || guest > 65_535) {
    throw new RequestorError(
      'INVALID_ARGUMENT',
      `a port is a guest port 1-65535, optionally with /tcp or /udp, such as 8080 or 27015/udp (got "${cleanText(text)}")`,
    )
  }
  return { guest, protocol: (match[2]?.toLowerCase() ?? 'tcp') as PortProtocol }
}

/** Parses every `--port` value; reports all bad ones and duplicates at once. */
export function parsePortAsks(texts: readonly string[]): PortAsk[] {
  const problems: string[] = []
  const asks: PortAsk[] = []
  for (const text of texts) {
    try {
      const ask = parsePortAsk(text)
      if (asks.some((a) => a.guest === ask.guest && a.protocol === ask.protocol)) problems.push(`${ask.guest}/${ask.protocol} is given twice`)
      else asks.push(ask)
    } catch (error) {
      problems.push((error as Error).message)
    }
  }
  if (problems.length > 0) throw new RequestorError('INVALID_ARGUMENT', problems.join('; '))
  return asks
}

/** Where to connect, ready to paste: `203.0.113.7:50812 → 8080/tcp` (IPv6 hosts in brackets). */
export const describeMapping = (m: ShownMapping): string => `${m.host.includes(':') ? `[${m.host}]` : m.host}:${m.public_port} → ${m.guest}/${m.protocol}`
