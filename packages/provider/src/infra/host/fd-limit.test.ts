import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fdLimitWarning, LOW_FD_LIMIT, parseFdLimit } from './fd-limit.js'

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max processes             63457                63457                processes
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes`

test('the open-file limit is read from /proc/<pid>/limits', () => {
  assert.deepEqual(parseFdLimit(LIMITS), { soft: 1024, hard: 524288 })
  assert.deepEqual(parseFdLimit('Max open files            unlimited            unlimited            files'), { soft: Infinity, hard: Infinity })
  assert.equal(parseFdLimit('Max processes 1 1 processes'), undefined)
})

test('a low limit is a warning that says how to raise it; a high one is none', () => {
  const warning = fdLimitWarning({ before: { soft: 1024, hard: 1024 }, after: { soft: 1024, hard: 1024 } })
  assert.match(warning ?? '', /open-file limit is 1024.*LimitNOFILE/)
  assert.match(
    fdLimitWarning({ before: undefined, after: { soft: 10, hard: 10 }, failure: 'prlimit: not found' }) ?? '',
    /raising it failed: prlimit: not found/,
  )
  assert.equal(fdLimitWarning({ before: { soft: 1024, hard: 65536 }, after: { soft: 65536, hard: 65536 } }), undefined)
  assert.equal(fdLimitWarning({ before: undefined, after: { soft: LOW_FD_LIMIT, hard: LOW_FD_LIMIT } }), undefined)
})
