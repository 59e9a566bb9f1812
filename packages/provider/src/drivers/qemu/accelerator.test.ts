import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { bootProbe, cpuVirtFlag, decideAccelerator, detectAccelerator } from './accelerator.js'

const hasQemu = (() => {
  try {
    execFileSync('qemu-system-x86_64', ['-version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

test('the decision table', () => {
  const rows: [Parameters<typeof decideAccelerator>, string, RegExp][] = [
    [['tcg', undefined], 'tcg', /forced by GOLEM_PROVIDER_QEMU_ACCEL=tcg/],
    [['kvm', { cpuFlag: null }], 'kvm', /forced by GOLEM_PROVIDER_QEMU_ACCEL=kvm/],
    [['auto', { cpuFlag: null }], 'tcg', /no vmx\/svm .*kvm_pvm/],
    [['auto', { cpuFlag: 'vmx', kvmOpenError: 'ENOENT' }], 'tcg', /\/dev\/kvm cannot be opened \(ENOENT\)/],
    [['auto', { cpuFlag: 'svm', kvmOpenError: 'EACCES' }], 'tcg', /EACCES/],
    [['auto', { cpuFlag: 'vmx', probe: { ok: false, detail: 'the test guest hung for 5000 ms' } }], 'tcg', /did not run under KVM \(the test guest hung/],
    [
      ['auto', { cpuFlag: 'vmx', probe: { ok: true, detail: 'a test guest reached 64-bit mode under kvm in 80 ms' } }],
      'kvm',
      /^KVM: vmx present, \/dev\/kvm opens, a test guest reached/,
    ],
    [['auto', { cpuFlag: 'vmx' }], 'tcg', /not probed/],
    [['auto', undefined], 'tcg', /not checked/],
  ]
  for (const [args, accel, reason] of rows) {
    const d = decideAccelerator(...args)
    assert.equal(d.accelerator, accel, JSON.stringify(args))
    assert.match(d.reason, reason)
  }
})

test('cpuVirtFlag reads the flags line', () => {
  assert.equal(cpuVirtFlag('processor\t: 0\nflags\t\t: fpu vme de pse vmx sse\n'), 'vmx')
  assert.equal(cpuVirtFlag('flags\t\t: fpu svm\n'), 'svm')
  assert.equal(cpuVirtFlag('flags\t\t: fpu hypervisor\nvmx flags\t: ept\n'), null)
  assert.equal(cpuVirtFlag(''), null)
})

test('detectAccelerator stops at the first failing check', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'accel-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const cpuinfo = join(dir, 'cpuinfo')
  writeFileSync(cpuinfo, 'flags\t\t: fpu hypervisor\n')
  const noFlag = await detectAccelerator({ setting: 'auto', qemuBinary: '/nonexistent', cpuinfoPath: cpuinfo })
  assert.equal(noFlag.accelerator, 'tcg')
  writeFileSync(cpuinfo, 'flags\t\t: fpu vmx\n')
  const noDevice = await detectAccelerator({ setting: 'auto', qemuBinary: '/nonexistent', cpuinfoPath: cpuinfo, kvmPath: join(dir, 'kvm') })
  assert.match(noDevice.reason, /ENOENT/)
  const forced = await detectAccelerator({ setting: 'tcg', qemuBinary: '/nonexistent' })
  assert.equal(forced.accelerator, 'tcg')
})

test('the probe image reaches 64-bit mode under TCG', { skip: hasQemu ? false : 'qemu-system-x86_64 is not installed' }, async () => {
  const result = await bootProbe('qemu-system-x86_64', 'tcg', 20_000)
  assert.equal(result.ok, true, result.detail)
})

test('a probe that cannot start is a failure with the reason', async () => {
  const result = await bootProbe('/nonexistent/qemu', 'kvm', 2000)
  assert.equal(result.ok, false)
})
