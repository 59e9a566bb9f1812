/**
 * Checks that a provider's answer is its own answer to this request (scheme
 * `golem-vm-answer/1`, `@golem-vm/protocol`): signed in
 * `X-Golem-Answer-Signature` by the provider id the renter chose, over the
 * request's nonce, method and path, the status and the exact body. A bad
 * signature is always refused; a missing one only when the renter did not
 * choose to trust the provider (`--allow-unverified`: an original 0.1.21
 * provider never signs), and then with a warning.
 *
 * @module
 */
import { ANSWER_SIGNATURE_HEADER, verifyAnswer } from '@golem-vm/protocol'
import type { HttpResponse } from '@golem-vm/common/http-request'
import { RequestorError } from '../domain/errors.js'
import type { Operation } from './provider-errors.js'

/** The request an answer must belong to. */
export interface AnsweredRequest {
  readonly providerId: string
  readonly baseUrl: string
  readonly nonce: string
  readonly method: string
  readonly path: string
}

/** What to do about an unsigned answer: refuse it, or use it after warning once. */
export interface UnsignedPolicy {
  readonly accept: boolean
  readonly warn: (message: string) => void
}

/** Throws ANSWER_UNVERIFIED unless the answer verifies (or is unsigned and `policy` accepts that; then it warns and returns false). */
export function checkAnswer(req: AnsweredRequest, response: HttpResponse, op: Operation, policy: UnsignedPolicy): boolean {
  const raw = response.headers[ANSWER_SIGNATURE_HEADER]
  const signature = Array.isArray(raw) ? raw[0] : raw
  const check = verifyAnswer(
    { provider: req.providerId, nonce: req.nonce, method: req.method, path: req.path, status: response.status, body: response.body },
    signature,
  )
  if (check.ok) return true
  const who = `provider ${req.providerId} at ${req.baseUrl}`
  const effect = op.changes ? ` The request may still have taken effect on the provider (golem-vm info shows the VM's state).` : ''
  if (check.reason !== 'UNSIGNED') {
    throw new RequestorError(
      'ANSWER_UNVERIFIED',
      `the answer to ${op.doing} does not carry ${who}'s signature (${check.message}); nothing in it was used. Someone between you and the provider may be changing its answers: try again from another network, or choose another provider.${effect}`,
    )
  }
  if (!policy.accept) {
    throw new RequestorError(
      'ANSWER_UNVERIFIED',
      `${who} answered ${op.doing} without a signature, though a provider with a signed advertisement signs its answers; nothing in it was used. Someone between you may have changed it, or the provider runs an older version: pass --allow-unverified only if you trust the provider and the network to it.${effect}`,
    )
  }
  policy.warn(
    `${who} does not sign its answers (an original 0.1.21 or an older provider); they are used because you trust it (--allow-unverified), but anyone on the network between you could change them`,
  )
  return false
}
