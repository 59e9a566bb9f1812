/**
 * The services' request bodies: JSON only, in strict UTF-8, without keys
 * that could reach an object's prototype later on, and with the exact bytes
 * kept as `request.rawBody` (signatures cover them). An empty body is no
 * body. Imported as `@golem-vm/common/raw-json-body`.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify'

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact body bytes, for signature checks. */
    rawBody?: Buffer
  }
}

export interface RawJsonBodyOptions {
  /** The service's error for a body that is not JSON in UTF-8 (or has a prototype key); `reason` says what is wrong. */
  readonly invalid: (reason: string) => Error
  /**
   * The service's error for a body of another content type. When given, a
   * body of any type is read, and an empty one accepted (the original
   * requestor posts `start` and `stop` with an empty octet-stream body).
   */
  readonly unsupported?: () => Error
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

// JSON.parse keeps `__proto__` as a plain key; code that copies the object later might not.
function noPrototypeKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new SyntaxError(`the key "${key}" is not allowed`)
  return value
}

/** Replaces the app's body parsers with the JSON one described above. */
export function acceptRawJson(app: FastifyInstance, opts: RawJsonBodyOptions): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    request.rawBody = body
    if (body.length === 0) {
      done(null, undefined)
      return
    }
    try {
      done(null, JSON.parse(utf8.decode(body), noPrototypeKeys))
    } catch (error) {
      done(opts.invalid((error as Error).message), undefined)
    }
  })
  const unsupported = opts.unsupported
  if (unsupported === undefined) return
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    request.rawBody = body
    if (body.length === 0) done(null, undefined)
    else done(unsupported(), undefined)
  })
}
