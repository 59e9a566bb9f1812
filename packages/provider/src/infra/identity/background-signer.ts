/**
 * The provider key as a request signer whose signatures are computed on the
 * background thread (see sign-message.ts), so that advertising never stalls
 * the API. The address is known up front; only signing moves.
 *
 * @module
 */
import type { RequestSigner } from '@golem-vm/protocol'
import { background } from '../background/shared.js'

export class BackgroundSigner implements RequestSigner {
  readonly #address: string
  readonly #privateKey: string

  constructor(key: { readonly address: string; readonly privateKey: string }) {
    this.#address = key.address
    this.#privateKey = key.privateKey
  }

  getAddress(): Promise<string> {
    return Promise.resolve(this.#address)
  }

  signMessage(message: string): Promise<string> {
    return background.call('sign', { privateKey: this.#privateKey, message })
  }
}
