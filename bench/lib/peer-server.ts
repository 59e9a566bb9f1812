/**
 * A stand-in for a VM's SSH server in the proxy benchmarks: a TCP peer that
 * sinks, sources or echoes bytes. Runs as its own process, so the client, the
 * proxy under test and this peer are three processes as in real use.
 *
 *   node --import tsx bench/lib/peer-server.ts <host>:<port> [<host>:<port> …]
 *
 * Prints "ready" once every address listens. Commands (first byte a client sends):
 *   U            upload: counts bytes until the client half-closes, answers the count (8 bytes), ends
 *   D <u64>      download: sends that many bytes as fast as the reader takes them, ends
 *   E            echo: sends back everything it receives
 *   P <u32>      paused upload: reads nothing for that many ms, then behaves like U
 *
 * @module
 */
import net from 'node:net'

const BLOCK = Buffer.alloc(1 << 20, 0x61)

function source(socket: net.Socket, total: bigint): void {
  let left = total
  const pump = () => {
    while (left > 0n) {
      const n = left >= BigInt(BLOCK.length) ? BLOCK.length : Number(left)
      left -= BigInt(n)
      const more = socket.write(n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n))
      if (!more) {
        socket.once('drain', pump)
        return
      }
    }
    socket.end()
  }
  pump()
}

function sink(socket: net.Socket, first: Buffer): void {
  let count = BigInt(first.length)
  socket.on('data', (chunk: Buffer) => {
    count += BigInt(chunk.length)
  })
  socket.on('end', () => {
    const answer = Buffer.alloc(8)
    answer.writeBigUInt64BE(count)
    socket.end(answer)
  })
}

function handle(socket: net.Socket): void {
  socket.setNoDelay(true)
  socket.on('error', () => socket.destroy())
  let head = Buffer.alloc(0)
  const onHead = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk])
    const command = String.fromCharCode(head[0] ?? 0)
    const need = command === 'D' ? 9 : command === 'P' ? 5 : 1
    if (head.length < need) return
    socket.off('data', onHead)
    const rest = head.subarray(need)
    if (command === 'U') {
      sink(socket, rest)
    } else if (command === 'D') {
      source(socket, head.readBigUInt64BE(1))
    } else if (command === 'E') {
      if (rest.length > 0) socket.write(rest)
      socket.pipe(socket)
    } else if (command === 'P') {
      socket.pause()
      setTimeout(() => {
        sink(socket, rest)
        socket.resume()
      }, head.readUInt32BE(1))
    } else {
      socket.destroy()
    }
  }
  socket.on('data', onHead)
}

const addresses = process.argv.slice(2)
if (addresses.length === 0) {
  console.error('usage: peer-server.ts <host>:<port> …')
  process.exit(2)
}
let listening = 0
for (const address of addresses) {
  const colon = address.lastIndexOf(':')
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, handle)
  server.on('error', (error) => {
    console.error(`peer-server: ${address}: ${error.message}`)
    process.exit(1)
  })
  server.listen({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)), backlog: 4096 }, () => {
    if (++listening === addresses.length) console.log('ready')
  })
}
// Never outlive the benchmark that started it.
process.on('disconnect', () => process.exit(0))
setTimeout(() => process.exit(0), 15 * 60_000).unref()
