/**
 * Text that came from outside (a provider's VM names and error messages, a
 * discovery service's provider names) must not reach the terminal raw: an
 * escape sequence could retitle the window, clear the screen or move the
 * cursor to forge a line such as "verified". Every control character —
 * C0 (line breaks included), DEL, C1 — and the Unicode characters that
 * reorder or break lines (bidirectional overrides and isolates, line and
 * paragraph separators) is shown as a visible `\uXXXX` escape instead.
 *
 * @module
 */

// C0, DEL and C1 controls; bidi embeddings, overrides and isolates; LS/PS; BOM/zero-width no-break space.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/gu
const escape = (char: string): string => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`

/** `text` with every control character shown as `\uXXXX`; safe for one line of a terminal. */
export function cleanText(text: string): string {
  return text.replace(CONTROLS, escape)
}

/** Like {@link cleanText}, but keeps line breaks: for whole messages this program composed line by line. */
export function cleanLines(text: string): string {
  return text.split('\n').map(cleanText).join('\n')
}

// What JSON.stringify leaves raw: it escapes only U+0000-U+001F.
const RAW_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/gu

/**
 * JSON text with the control characters JSON.stringify leaves raw written as
 * `\uXXXX` escapes: the same JSON value, safe on a terminal.
 */
export function jsonSafe(json: string): string {
  return json.replace(RAW_IN_JSON, escape)
}
