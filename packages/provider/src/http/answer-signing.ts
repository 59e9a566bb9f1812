/**
 * Signed answers (scheme `golem-vm-answer/1`, `@golem-vm/protocol`): every
 * answer to a request a renter signed carries the provider's signature over
 * the provider's address, the request's nonce, method and path, the status
 * and the exact body bytes, in the additive `X-Golem-Answer-Signature`
 * header. A client that does not know the header (the original 0.1.21
 * requestor) ignores it.
 *
 * Only requests whose signature was checked are answered signed: a request
 * that failed authentication cannot make the provider sign (no signing work
 * for an unauthenticated caller), and the operator's and unsigned callers'
 * requests carry no nonce to bind to.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify'
import { ANSWER_SIGNATURE_HEADER, SIGNATURE_HEADERS, type SignedAnswerFields } from '@golem-vm/protocol'

/** Signs one answer with the provider key; resolves with the header's value. The daemon signs on the background thread. */
export type AnswerSigner = (answer: Omit<SignedAnswerFields, 'provider'>) => Promise<string>

// The body exactly as it goes out; undefined for a stream, which is never signed (no VM route answers one).
const bodyBytes = (payload: unknown): string | Uint8Array | undefined => {
  if (payload === null || payload === undefined) return ''
  if (typeof payload === 'string' || payload instanceof Uint8Array) return payload
  return undefined
}

/** Adds the hook that signs the answers to renters' signed requests (errors included, once their signature was checked). */
export function signAnswers(app: FastifyInstance, sign: AnswerSigner): void {
  app.addHook('onSend', async (req, reply, payload) => {
    const caller = req.caller
    if (caller?.kind !== 'renter' || caller.address === null) return payload
    const nonce = req.headers[SIGNATURE_HEADERS.nonce]
    const body = bodyBytes(payload)
    if (typeof nonce !== 'string' || body === undefined) return payload
    try {
      void reply.header(ANSWER_SIGNATURE_HEADER, await sign({ nonce, method: req.method, path: req.url, status: reply.statusCode, body }))
    } catch (error) {
      // The answer still goes out, unsigned: a renter that checks refuses it with a clear message, which beats no answer.
      req.log.error({ err: error }, 'could not sign an answer; it is sent unsigned')
    }
    return payload
  })
}
