/**
 * Reads the Prometheus text format in tests: every sample by its name and
 * labels, so a test can ask for one series and compare scrapes.
 *
 * @module
 */

/** Samples by series key: `name{a="1",b="2"}`, labels sorted by name. */
export type Samples = ReadonlyMap<string, number>

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** The key of a series, as {@link parseSamples} stores it. */
export function seriesKey(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k] ?? ''}"`)
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`
}

/** Parses every sample line; comments and blank lines are skipped. Throws on a line it cannot read. */
export function parseSamples(text: string): Samples {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = LINE.exec(line)
    if (match === null) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key!] = value!
    samples.set(seriesKey(match[1]!, labels), Number(match[3]))
  }
  return samples
}

/** The value of one series; undefined when the scrape does not have it. */
export function sample(samples: Samples, name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.get(seriesKey(name, labels))
}

/** How much a series moved between two scrapes (a missing series counts as 0). */
export function delta(before: Samples, after: Samples, name: string, labels: Record<string, string> = {}): number {
  return (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0)
}
