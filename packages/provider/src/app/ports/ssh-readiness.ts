/**
 * The port that says when a VM is ready for its renter: today, when its SSH
 * server sends its banner. A create and a start wait on it once, in the use
 * case (never also in a driver). `infra/ssh-probe/` implements it.
 *
 * @module
 */
import type { SshEndpoint } from '../../domain/vm.js'

/**
 * Resolves once the VM's SSH server at `endpoint` answers; rejects when
 * `signal` aborts (the caller's deadline) with the signal's reason.
 */
export type SshReadiness = (endpoint: SshEndpoint, signal: AbortSignal) => Promise<void>
