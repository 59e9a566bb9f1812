import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PORT_CHECK_ERROR_CODES } from '@golem-vm/protocol'
import { ERROR_STATUS, toErrorBody, toPortCheckError } from './error-handler.js'
import { PortCheckError } from './errors.js'

test('every error code has a status, and only client errors are 4xx', () => {
  assert.deepEqual(Object.keys(ERROR_STATUS).sort(), [...PORT_CHECK_ERROR_CODES].sort())
  assert.equal(ERROR_STATUS.FOREIGN_ADDRESS, 403)
  assert.equal(ERROR_STATUS.RATE_LIMITED, 429)
  assert.equal(ERROR_STATUS.INTERNAL, 500)
})

test('an unknown error becomes INTERNAL without leaking its message', () => {
  const mapped = toPortCheckError(new Error('secret path /etc/x'))
  assert.equal(mapped.code, 'INTERNAL')
  assert.doesNotMatch(mapped.message, /secret/)
  assert.equal(toPortCheckError('a string').code, 'INTERNAL')
})

test("Fastify's body errors map to stable codes", () => {
  const fastifyError = (code: string, statusCode: number) => Object.assign(new Error(code), { code, statusCode })
  assert.equal(toPortCheckError(fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413)).code, 'PAYLOAD_TOO_LARGE')
  assert.equal(toPortCheckError(fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415)).code, 'UNSUPPORTED_MEDIA_TYPE')
  assert.equal(toPortCheckError(fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400)).code, 'VALIDATION_FAILED')
  assert.equal(toPortCheckError(fastifyError('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400)).code, 'VALIDATION_FAILED')
  assert.equal(toPortCheckError(fastifyError('FST_ERR_SOMETHING_ELSE', 500)).code, 'INTERNAL')
})

test('the body repeats the message as detail and lists issues only when there are some', () => {
  assert.deepEqual(toErrorBody(new PortCheckError('FOREIGN_ADDRESS', 'not yours')), { code: 'FOREIGN_ADDRESS', message: 'not yours', detail: 'not yours' })
  const issues = [{ path: 'ports.0', message: 'must be at least 1' }]
  assert.deepEqual(toErrorBody(new PortCheckError('VALIDATION_FAILED', 'bad', issues)).issues, issues)
})
