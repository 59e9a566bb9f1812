/**
 * JSON from untrusted text.
 *
 * @module
 */

/** The parsed value, or undefined when the text is not JSON (callers then validate with a schema). */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}
