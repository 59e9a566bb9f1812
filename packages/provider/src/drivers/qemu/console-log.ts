/**
 * A VM's serial console log, kept for diagnosis and kept bounded. QEMU keeps
 * the console in a ring buffer in its memory (see qemu-argv.ts); the driver
 * drains the ring into `console.log` while it boots the VM, every half
 * minute while the provider runs, and before QEMU ends. So a guest that
 * floods its serial port while the provider is down costs the ring's size
 * and no disk. Each boot starts a fresh log and keeps the previous boot's as
 * `console.log.1`; a log above the cap is cut to its last part (see
 * `capConsoleLog`). VMs started by an older provider still have QEMU append
 * to the file itself (`append=on`, so truncating it makes QEMU write from its
 * new end, with no sparse hole); the same cap bounds them while it runs.
 *
 * @module
 */
import { appendFile, open, rename, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { VM_FILES } from './qemu-argv.js'

/** A console log above this size is cut while the provider runs. */
export const CONSOLE_LOG_MAX_BYTES = 2 * 1024 * 1024
/** What is kept of a log that was cut (in `console.log.1`). */
export const CONSOLE_LOG_KEEP_BYTES = 256 * 1024

/** Before a boot: the last boot's log becomes `console.log.1`; `console.log` starts empty. */
export async function rotateConsoleLog(dir: string): Promise<void> {
  await rename(join(dir, VM_FILES.console), join(dir, VM_FILES.consoleOld)).catch(() => undefined)
  await writeFile(join(dir, VM_FILES.console), '', { mode: 0o600 })
}

async function readTail(path: string, bytes: number): Promise<Buffer> {
  const handle = await open(path, 'r')
  try {
    const { size } = await handle.stat()
    const length = Math.min(size, bytes)
    const buffer = Buffer.alloc(length)
    await handle.read(buffer, 0, length, size - length)
    return buffer
  } finally {
    await handle.close()
  }
}

/**
 * Cuts `console.log` when it is larger than `maxBytes`: its last `keepBytes`
 * go to `console.log.1` and the log is truncated (QEMU keeps appending).
 * Resolves true if it cut. A missing log is fine.
 */
export async function capConsoleLog(dir: string, maxBytes = CONSOLE_LOG_MAX_BYTES, keepBytes = CONSOLE_LOG_KEEP_BYTES): Promise<boolean> {
  const path = join(dir, VM_FILES.console)
  const size = await stat(path).then(
    (s) => s.size,
    () => 0,
  )
  if (size <= maxBytes) return false
  const tail = await readTail(path, keepBytes)
  await writeFile(join(dir, VM_FILES.consoleOld), tail, { mode: 0o600 })
  await truncate(path, 0)
  return true
}

/** Appends what was drained from the console's ring to `console.log`, then caps the log. */
export async function appendConsoleLog(dir: string, bytes: Uint8Array): Promise<void> {
  if (bytes.length > 0) await appendFile(join(dir, VM_FILES.console), bytes, { mode: 0o600 })
  await capConsoleLog(dir)
}

// Terminal control sequences and carriage returns make a log unreadable in a message.
// eslint-disable-next-line no-control-regex -- the escape character is exactly what is matched
const clean = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Z0-9]|\u001bc/g, '').replace(/\r/g, '')

/** The last `lines` non-empty lines of a log file (read from its last 64 KiB), or '' if there is none. */
export async function logTail(path: string, lines: number): Promise<string> {
  const tail = await readTail(path, 64 * 1024).catch(() => Buffer.alloc(0))
  return clean(tail.toString('utf8'))
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-lines)
    .join('\n')
}
