/**
 * Follows the clear-text start of one direction of an SSH connection
 * (RFC 4253), so the proxy can tell a renter's SSH client from a socket that
 * only holds a connection open.
 *
 * A direction's start is its identification line (`SSH-2.0-…`), then binary
 * packets, unencrypted and without a MAC, up to and including its
 * `SSH_MSG_NEWKEYS` (type 21); everything after that is encrypted and is not
 * looked at. A connection has finished its handshake when both directions
 * have sent `SSH_MSG_NEWKEYS`: the client identified itself, both sides
 * exchanged algorithms and keys, and the transport is encrypted. (What comes
 * next, user authentication, is encrypted, and the VM's sshd bounds it with
 * its own `LoginGraceTime` and `MaxStartups`.)
 *
 * @module
 */

/** `SSH_MSG_NEWKEYS`: the last clear-text message of a direction. */
const NEWKEYS = 21
/** RFC 4253 4.2: the identification line is at most 255 bytes, CR LF included. */
const MAX_IDENT_LINE = 255
/** Lines a server may send before its identification line, in total. */
const MAX_SERVER_PREAMBLE = 64 * 1024
/** Larger than any key-exchange packet (RFC 4253 6.1 asks for 35,000); beyond it the stream is not SSH. */
const MAX_CLEAR_PACKET = 256 * 1024
const SSH_PREFIX = Buffer.from('SSH-')

export type StartState = { readonly kind: 'pending' } | { readonly kind: 'done' } | { readonly kind: 'invalid'; readonly reason: string }

const PENDING: StartState = { kind: 'pending' }
const DONE: StartState = { kind: 'done' }
const invalid = (reason: string): StartState => ({ kind: 'invalid', reason })

/**
 * One direction's start. `client`: the first bytes must be `SSH-` and the
 * line an SSH 2 identification. `server`: other lines may come first, as
 * RFC 4253 allows.
 */
export class SshStreamStart {
  readonly #side: 'client' | 'server'
  #state: StartState = PENDING
  #phase: 'ident' | 'packets' = 'ident'
  /** Bytes of the current line (ident phase) or packet header (packet phase) collected so far. */
  #pending: number[] = []
  #preamble = 0
  /** Bytes of the current packet still to skip after its header. */
  #skip = 0

  constructor(side: 'client' | 'server') {
    this.#side = side
  }

  get state(): StartState {
    return this.#state
  }

  /** Reads the next bytes of this direction; returns the state after them. Bytes after the end of the start are ignored. */
  push(chunk: Uint8Array): StartState {
    for (let i = 0; i < chunk.length && this.#state === PENDING;) {
      if (this.#phase === 'ident') {
        this.#state = this.#identByte(chunk[i] ?? 0)
        i++
      } else if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - i)
        this.#skip -= n
        i += n
      } else {
        this.#state = this.#headerByte(chunk[i] ?? 0)
        i++
      }
    }
    return this.#state
  }

  #identByte(byte: number): StartState {
    this.#pending.push(byte)
    const line = this.#pending
    if (this.#side === 'client' && line.length <= SSH_PREFIX.length && byte !== SSH_PREFIX[line.length - 1]) {
      return invalid('the client did not start with an SSH identification line')
    }
    if (byte !== 0x0a) {
      if (line.length > MAX_IDENT_LINE && (this.#side === 'client' || startsWithSsh(line))) return invalid('identification line longer than 255 bytes')
      if (this.#side === 'server' && this.#preamble + line.length > MAX_SERVER_PREAMBLE) return invalid('no identification line in the first 64 KiB')
      return PENDING
    }
    this.#pending = []
    if (!startsWithSsh(line)) {
      this.#preamble += line.length
      return PENDING // a server's line before its identification
    }
    const text = Buffer.from(line).toString('latin1')
    if (!/^SSH-(2\.0|1\.99)-/.test(text)) return invalid(`not an SSH 2 identification: ${JSON.stringify(text.trimEnd().slice(0, 40))}`)
    this.#phase = 'packets'
    return PENDING
  }

  // Packet header: uint32 packet_length, byte padding_length, byte message type; then the rest of the packet is skipped.
  #headerByte(byte: number): StartState {
    this.#pending.push(byte)
    if (this.#pending.length < 6) return PENDING
    const [a = 0, b = 0, c = 0, d = 0, , type = 0] = this.#pending
    this.#pending = []
    const length = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d
    if (length < 5 || length > MAX_CLEAR_PACKET) return invalid(`clear-text packet of ${length} bytes`)
    if (type === NEWKEYS) return DONE
    this.#skip = length - 2
    return PENDING
  }
}

function startsWithSsh(line: readonly number[]): boolean {
  return line.length >= SSH_PREFIX.length && SSH_PREFIX.every((byte, i) => line[i] === byte)
}
