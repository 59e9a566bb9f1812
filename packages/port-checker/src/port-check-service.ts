/**
 * The `POST /check-ports` use case: bound the request, apply the
 * anti-scanner rule, probe within the deadline, and shape the answer.
 *
 * @module
 */
import { sourceKey } from '@golem-vm/common'
import type { CheckPortsRequest, CheckPortsResponse } from '@golem-vm/protocol'
import type { FastifyBaseLogger } from 'fastify'
import { checkPorts, type Connect } from './checker.js'
import type { Config } from './config.js'
import { PortCheckError } from './errors.js'
import { buildResponse } from './report.js'
import type { FairSemaphore } from './fair-semaphore.js'
import { resolveTarget, type Lookup } from './target.js'

/** What the service needs; `slots` is shared by every request of the process. */
export interface PortCheckServiceDeps {
  readonly config: Config
  readonly connect: Connect
  readonly lookup: Lookup
  readonly slots: FairSemaphore
}

/** A 200 body and the order its `results` keys must have on the wire (distinct ports, request order). */
export interface CheckReport {
  readonly response: CheckPortsResponse
  readonly order: readonly number[]
}

// Races a promise against the deadline, so a slow resolver cannot hold a request past it.
function beforeDeadline<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void =>
      reject(new PortCheckError('HOSTNAME_NOT_RESOLVED', 'resolving the hostname took longer than the request deadline; send the IP address to check instead'))
    signal.addEventListener('abort', onAbort, { once: true })
    void promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/** Checks ports for callers, one request at a time per call; safe to call concurrently. */
export class PortCheckService {
  constructor(private readonly deps: PortCheckServiceDeps) {}

  /**
   * Answers one request from `callerAddress` (the connection's address, or
   * the forwarded one behind a trusted proxy). Throws `TOO_MANY_PORTS` when
   * the body holds more distinct ports than the setting allows, and the
   * errors of `resolveTarget` when the address may not be probed; otherwise
   * resolves within the request deadline (plus the time to close sockets).
   */
  async check(callerAddress: string, request: CheckPortsRequest, log?: FastifyBaseLogger): Promise<CheckReport> {
    const { config } = this.deps
    const order = [...new Set(request.ports)]
    if (order.length > config.maxPorts) {
      throw new PortCheckError(
        'TOO_MANY_PORTS',
        `the request names ${order.length} distinct ports but this checker checks at most ${config.maxPorts} per request; split the list`,
      )
    }
    const signal = AbortSignal.timeout(config.requestDeadlineMs)
    const lookup: Lookup = (hostname) => beforeDeadline(this.deps.lookup(hostname), signal)
    const target = await resolveTarget(request.provider_ip, callerAddress, config, lookup)
    const started = performance.now()
    const outcomes = await checkPorts(target, order, { ...this.#probeOptions(), caller: sourceKey(callerAddress), signal })
    const response = buildResponse(outcomes)
    log?.debug({ target, outcomes }, 'port outcomes')
    log?.info(
      { event: 'ports_checked', caller: callerAddress, target, ports: order.length, message: response.message, ms: Math.round(performance.now() - started) },
      'ports checked',
    )
    return { response, order }
  }

  #probeOptions() {
    const { config, connect, slots } = this.deps
    return {
      connect,
      slots,
      attempts: config.attempts,
      timeoutMs: config.connectTimeoutMs,
      retryDelayMs: config.retryDelayMs,
      concurrency: config.connectsPerRequest,
    }
  }
}
