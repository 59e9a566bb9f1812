/**
 * Signed answers: how a provider vouches for what it answered to a signed request.
 *
 * The provider signs (EIP-191 `personal_sign`, its advertised key) a canonical
 * message binding its own address, the request's nonce (so an answer cannot be
 * replayed to another request), the method and path of that request, the HTTP
 * status and the SHA-256 of the exact body bytes it sent. The signature travels
 * in one extra response header, {@link ANSWER_SIGNATURE_HEADER}; a client that
 * does not know it (the original 0.1.21 requestor) ignores it, so the scheme is
 * additive. A renter verifies it against the provider id it chose: a changed
 * body, status, path or a replayed answer does not verify.
 *
 * @module
 */
import { getAddress, isAddress, recoverMessageSigner } from './eth.js'
import { sha256Hex, type RequestSigner } from './signing.js'

export const ANSWER_SIGNATURE_SCHEME = 'golem-vm-answer/1'
/** The response header that carries the provider's signature (65 bytes, hex with 0x). */
export const ANSWER_SIGNATURE_HEADER = 'x-golem-answer-signature'

export interface SignedAnswerFields {
  /** The provider's address: the signer. */
  readonly provider: string
  /** The nonce of the signed request this answers. */
  readonly nonce: string
  readonly method: string
  /** The request's path with query, exactly as sent. */
  readonly path: string
  readonly status: number
  readonly body: Uint8Array | string
}

/** The exact text a provider signs for an answer; one field per line, so no field can bleed into another. */
export function canonicalAnswer(f: SignedAnswerFields): string {
  return [
    ANSWER_SIGNATURE_SCHEME,
    `provider: ${f.provider.toLowerCase()}`,
    `nonce: ${f.nonce}`,
    `method: ${f.method.toUpperCase()}`,
    `path: ${f.path}`,
    `status: ${f.status}`,
    `body-sha256: ${sha256Hex(f.body)}`,
  ].join('\n')
}

/** Signs an answer with the provider's key; resolves with the header value. */
export async function signAnswer(signer: RequestSigner, answer: Omit<SignedAnswerFields, 'provider'>): Promise<string> {
  const provider = await signer.getAddress()
  return signer.signMessage(canonicalAnswer({ ...answer, provider }))
}

export type AnswerCheck = { readonly ok: true } | { readonly ok: false; readonly reason: 'UNSIGNED' | 'MALFORMED' | 'WRONG_SIGNER'; readonly message: string }

/**
 * Checks an answer's signature (the header's value, or undefined when the
 * answer has none) against the provider the renter chose.
 */
export function verifyAnswer(answer: SignedAnswerFields, signature: string | undefined): AnswerCheck {
  if (signature === undefined || signature === '') return { ok: false, reason: 'UNSIGNED', message: 'the answer carries no signature' }
  if (!isAddress(answer.provider) || !/^0x[0-9a-fA-F]{130}$/.test(signature)) {
    return { ok: false, reason: 'MALFORMED', message: 'the answer signature is not 65 bytes of hex' }
  }
  let recovered: string
  try {
    recovered = recoverMessageSigner(canonicalAnswer(answer), signature)
  } catch {
    return { ok: false, reason: 'MALFORMED', message: 'the answer signature cannot be recovered' }
  }
  if (recovered !== getAddress(answer.provider)) {
    return {
      ok: false,
      reason: 'WRONG_SIGNER',
      message: 'the answer was not signed by this provider for this request: it was changed on the way, replayed, or comes from someone else',
    }
  }
  return { ok: true }
}
