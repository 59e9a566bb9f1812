import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { Wallet, getAddress as ethersGetAddress, hashMessage as ethersHashMessage, hexlify, isAddress as ethersIsAddress, verifyMessage } from 'ethers'
import { addressOfPrivateKey, getAddress, hashMessage, isAddress, recoverMessageSigner, signMessage, toChecksumAddress } from './eth.js'

const MESSAGES: (string | Uint8Array)[] = [
  '',
  'hello',
  'golem-vm-request/1\naudience: discovery\nmethod: POST',
  'żółć ✓ 🚀',
  'x'.repeat(5000),
  new Uint8Array([0, 1, 2, 255]),
]
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

test('addresses, digests and signatures are byte-for-byte those of ethers, for 50 random keys', () => {
  for (let i = 0; i < 50; i++) {
    const wallet = Wallet.createRandom()
    assert.equal(addressOfPrivateKey(wallet.privateKey), wallet.address)
    for (const message of MESSAGES) {
      assert.equal(hexlify(hashMessage(message)), ethersHashMessage(message))
      const ours = signMessage(wallet.privateKey, message)
      assert.equal(ours, wallet.signMessageSync(message))
      assert.equal(recoverMessageSigner(message, ours), wallet.address)
      assert.equal(verifyMessage(message, ours), wallet.address)
    }
  }
})

test('EIP-55 checksums agree with ethers; isAddress accepts uniform case or a correct checksum only', () => {
  for (let i = 0; i < 200; i++) {
    const lower = `0x${randomBytes(20).toString('hex')}`
    const checksummed = ethersGetAddress(lower)
    assert.equal(toChecksumAddress(lower), checksummed)
    assert.equal(getAddress(lower), checksummed)
    assert.equal(getAddress(`0x${lower.slice(2).toUpperCase()}`), checksummed)
    for (const candidate of [lower, checksummed, `0x${lower.slice(2).toUpperCase()}`]) assert.equal(isAddress(candidate), true, candidate)
    // One letter's case flipped: a typo the checksum catches (when the address has a letter at all).
    const at = checksummed.slice(2).search(/[a-fA-F]/)
    if (at >= 0) {
      const c = checksummed[at + 2] ?? ''
      const typo = `${checksummed.slice(0, at + 2)}${c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()}${checksummed.slice(at + 3)}`
      if (typo.slice(2) !== typo.slice(2).toLowerCase() && typo.slice(2) !== typo.slice(2).toUpperCase()) {
        assert.equal(isAddress(typo), false, typo)
        assert.equal(ethersIsAddress(typo), false)
        assert.throws(() => getAddress(typo), /checksum/)
      }
    }
  }
  for (const bad of ['', '0x', '0x123', `0x${'g'.repeat(40)}`, 'a'.repeat(40), `0x${'a'.repeat(41)}`, ` 0x${'a'.repeat(40)}`]) {
    assert.equal(isAddress(bad), false, bad)
  }
})

test('recovery refuses malformed, non-canonical and foreign signatures', () => {
  const wallet = Wallet.createRandom()
  const signature = signMessage(wallet.privateKey, 'm')
  // v as 0/1 is the same signature.
  const v = Number.parseInt(signature.slice(130), 16)
  assert.equal(recoverMessageSigner('m', `${signature.slice(0, 130)}${(v - 27).toString(16).padStart(2, '0')}`), wallet.address)
  for (const badV of ['02', '1d', 'ff']) assert.throws(() => recoverMessageSigner('m', `${signature.slice(0, 130)}${badV}`), /v must be/)
  assert.throws(() => recoverMessageSigner('m', signature.slice(0, 128)), /65 bytes/)
  // The malleated twin (s → n − s, v flipped) verifies in plain ECDSA; it is refused here.
  const s = BigInt(`0x${signature.slice(66, 130)}`)
  const twin = `${signature.slice(0, 66)}${(N - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}`
  assert.throws(() => recoverMessageSigner('m', twin), /high s/)
  // Another message recovers someone else.
  assert.notEqual(recoverMessageSigner('other', signature), wallet.address)
  assert.throws(() => addressOfPrivateKey(`0x${'0'.repeat(64)}`), /private key/)
  assert.throws(() => addressOfPrivateKey(`0x${N.toString(16)}`), /private key/)
  assert.throws(() => signMessage('0x1234', 'm'), /private key/)
})
