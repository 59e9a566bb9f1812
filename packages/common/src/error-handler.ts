/**
 * The services' Fastify error handling, written once: whatever a request
 * throws becomes the service's own error class with a stable code, answered
 * with the status of that code and the service's JSON body, never plain text.
 * A service says only what differs: its codes and their statuses (the one
 * place that maps codes to statuses), its error for schema problems and for
 * Fastify's own request failures, and its body. Imported as
 * `@golem-vm/common/error-handler`.
 *
 * @module
 */
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'

/** One schema problem: the request part, the path inside it, and what is wrong. */
export interface SchemaIssue {
  readonly part: 'body' | 'querystring' | 'params' | 'headers'
  readonly path: readonly string[]
  readonly message: string
  /** The check that failed (zod's word: `invalid_type`, `too_small`, …). */
  readonly keyword: string
}

/**
 * Fastify's own request failures, by what the client got wrong: the content
 * type, the size, the Content-Length, an empty or unparsable JSON body, the
 * rate limit, any other malformed request (a 4xx Fastify raised), or a
 * request that did not arrive within the server's request deadline.
 */
export type RequestFault = 'media-type' | 'too-large' | 'content-length' | 'empty-body' | 'bad-json' | 'rate-limited' | 'malformed' | 'timeout'

/** What a service tells the error handler. */
export interface ServiceErrors<C extends string, E extends Error & { readonly code: C }> {
  /** The HTTP status of every code; a code without one fails the build. */
  readonly status: Readonly<Record<C, number>>
  /** True for the service's own error class, which passes through unchanged. */
  readonly isOwn: (error: unknown) => error is E
  /** Every schema problem of a request part, in one error. */
  readonly invalid: (issues: readonly SchemaIssue[]) => E
  /** One of Fastify's request failures; `message` is Fastify's. */
  readonly fault: (fault: RequestFault, message: string) => E
  /** Anything else (a defect): its message must not leak the cause's. */
  readonly internal: (cause: unknown) => E
  /** The JSON body of an error. */
  readonly body: (error: E) => unknown
  /** The error for a request no route matches; without it Fastify's not-found handler stays. */
  readonly notFound?: (request: FastifyRequest) => E
  /**
   * Logs the error and sets any header its status needs. Default: a 500 as
   * an error with the cause, another 5xx as a warning, a 4xx at info.
   */
  readonly onError?: (error: E, status: number, request: FastifyRequest, reply: FastifyReply, thrown: unknown) => void
  /** Content type of error bodies (default `application/json`). */
  readonly contentType?: string
}

/** A service's error handling, built by {@link errorHandling}. */
export interface ErrorHandling<E> {
  /** Converts anything thrown while handling a request into the service's error. */
  readonly classify: (error: unknown) => E
  /** A Fastify error handler (also usable as `frameworkErrors` or from a custom not-found handler). */
  readonly handle: (error: unknown, request: FastifyRequest, reply: FastifyReply) => FastifyReply
  /** Installs `handle` as the app's error handler, and the not-found handler when the service gave one. */
  readonly install: (app: FastifyInstance) => void
  /**
   * A Fastify `clientErrorHandler`: what Node's HTTP server reports before a request reaches a route
   * (the request deadline passed: `timeout`; unparsable HTTP: `malformed`) answered with the
   * service's body, and the connection closed.
   */
  readonly clientError: (error: Error & { code?: string }, socket: Duplex) => void
}

const FAULT_OF: Readonly<Record<string, RequestFault>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'media-type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'too-large',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'content-length',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'empty-body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad-json',
}

/** Which request failure Fastify (or a plugin) reported, or undefined when `error` is none of them. */
export function requestFault(error: unknown): RequestFault | undefined {
  if (!(error instanceof Error)) return undefined
  const { code, statusCode } = error as Partial<FastifyError>
  const known = FAULT_OF[code ?? '']
  if (known !== undefined) return known
  if (statusCode === 429) return 'rate-limited'
  if (error instanceof SyntaxError && statusCode === 400) return 'bad-json'
  return statusCode !== undefined && statusCode >= 400 && statusCode < 500 ? 'malformed' : undefined
}

/** Builds a service's error handling from what differs between services. */
export function errorHandling<C extends string, E extends Error & { readonly code: C }>(spec: ServiceErrors<C, E>): ErrorHandling<E> {
  const classify = (error: unknown): E => {
    if (spec.isOwn(error)) return error
    if (hasZodFastifySchemaValidationErrors(error)) {
      const part: SchemaIssue['part'] = error.validationContext ?? 'body'
      return spec.invalid(
        error.validation.map((v) => ({
          part,
          path: v.instancePath.split('/').filter((p) => p !== ''),
          message: v.message ?? 'is invalid',
          keyword: v.keyword,
        })),
      )
    }
    const fault = requestFault(error)
    return fault === undefined ? spec.internal(error) : spec.fault(fault, (error as Error).message)
  }
  const onError = spec.onError ?? logByStatus
  const handle = (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const mapped = classify(error)
    const status = spec.status[mapped.code]
    onError(mapped, status, request, reply, error)
    return reply
      .code(status)
      .type(spec.contentType ?? 'application/json')
      .send(spec.body(mapped))
  }
  const notFound = spec.notFound
  const clientError = (error: Error & { code?: string }, socket: Duplex): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return
    const mapped =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? spec.fault('timeout', 'the request did not arrive in time')
        : spec.fault('malformed', error.code === 'HPE_HEADER_OVERFLOW' ? 'the request headers are too large' : 'the request is not valid HTTP')
    const status = spec.status[mapped.code]
    const body = JSON.stringify(spec.body(mapped))
    const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: ${spec.contentType ?? 'application/json'}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`
    if (socket.writable) socket.write(head + body) // as Node itself answers: written at once, then the socket closed
    socket.destroy()
  }
  return {
    classify,
    handle,
    clientError,
    install: (app) => {
      app.setErrorHandler(handle)
      if (notFound !== undefined) app.setNotFoundHandler((request, reply) => handle(notFound(request), request, reply))
    },
  }
}

function logByStatus(error: Error & { readonly code: string }, status: number, request: FastifyRequest, _reply: FastifyReply, thrown: unknown): void {
  if (status === 500) request.log.error({ err: error.cause ?? thrown, code: error.code }, 'request failed')
  else if (status >= 500) request.log.warn({ code: error.code, msg: error.message }, 'request failed')
  else request.log.info({ code: error.code, msg: error.message }, 'request refused')
}
