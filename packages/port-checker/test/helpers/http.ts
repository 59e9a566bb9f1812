/** Small HTTP helpers over fetch, for 127.0.0.1 only. */
import { PortCheckErrorBody } from '@golem-vm/protocol'
import assert from 'node:assert/strict'

export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
}

const REQUEST_TIMEOUT_MS = 20_000

/** POSTs `body` (JSON-encoded unless a string) to `url`/check-ports. */
export async function postCheck(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${url}/check-ports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  })
  return { status: response.status, headers: response.headers, text: await response.text() }
}

/** GETs `url` + `path`. */
export async function get(url: string, path: string): Promise<Answer> {
  const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
  return { status: response.status, headers: response.headers, text: await response.text() }
}

/** Asserts a JSON error answer with `status` and `code`; returns the parsed body. */
export function expectError(answer: Answer, status: number, code: string): PortCheckErrorBody {
  assert.equal(answer.status, status, answer.text)
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/)
  const body = PortCheckErrorBody.parse(JSON.parse(answer.text))
  assert.equal(body.code, code)
  assert.equal(body.detail, body.message)
  return body
}
