/**
 * The operator dashboard in a real browser: Debian's Chromium, headless,
 * driven by playwright-core against the real daemon on the fake `multipass`.
 * A wrong token is refused; the right one opens the board; a VM created
 * through the API appears; stopping it from the page (after the
 * confirmation) changes its status; a dismissed confirmation changes nothing.
 *
 * With GOLEM_DASHBOARD_SCREENSHOT=<path> the test also saves a screenshot
 * there (`npm run docs:screenshot` regenerates the README's).
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import { chromium, type Page } from 'playwright-core'
import { api, startDaemon } from '../helpers/daemon.js'
import { multipassWorld } from '../helpers/multipass-world.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const WAIT = { timeout: 60_000 }

const statusOf = (page: Page, vm: string) => page.locator(`tr[data-vm="${vm}"] td.status`)

test('sign in with the token, see a VM appear, stop it from the page; a wrong token and a dismissed confirmation change nothing', async (t) => {
  assert.ok(existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (Debian package chromium; .ci/run installs it)`)
  const w = await multipassWorld(t, { GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: 'true' })
  const daemon = await startDaemon(t, { env: w.env, timeoutMs: 120_000 })
  const token = readFileSync(`${w.dataDir}/admin-token`, 'utf8').trim()
  // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'], timeout: 60_000 })
  t.after(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  page.setDefaultTimeout(60_000)

  await page.goto(`${daemon.baseUrl}/ui`)
  await page.getByLabel('Admin token').fill('f'.repeat(64))
  await page.getByRole('button', { name: 'Open the dashboard' }).click()
  await page.getByRole('alert').filter({ hasText: 'Wrong token' }).waitFor(WAIT)
  assert.equal(await page.locator('#board').isVisible(), false, 'nothing shown to a wrong token')
  // Evaluated in the page (the tests have no DOM types).
  assert.equal(await page.evaluate('sessionStorage.getItem("golem-provider-admin-token")'), null, 'a refused token is not kept')

  await page.getByLabel('Admin token').fill(token)
  await page.getByRole('button', { name: 'Open the dashboard' }).click()
  await page.locator('#no-vms').waitFor({ state: 'visible', ...WAIT })
  assert.match(await page.locator('#node').innerText(), /multipass/)
  assert.match(await page.locator('#capacity').innerText(), /0 of 4 vCPUs allocated, 4 free/)

  const created = await api(daemon.baseUrl, 'POST', '/api/v1/vms', { name: 'board-1', ssh_key: w.key.publicKey, resources: { cpu: 2, memory: 2, storage: 20 } })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  await statusOf(page, 'board-1').filter({ hasText: 'running' }).waitFor(WAIT)
  await page.locator('#capacity').filter({ hasText: '2 of 4 vCPUs allocated' }).waitFor(WAIT)
  await page.locator('#events').filter({ hasText: 'vm created' }).waitFor(WAIT)

  // A dismissed confirmation does nothing.
  page.once('dialog', (dialog) => {
    void dialog.dismiss()
  })
  await page.getByRole('button', { name: 'Delete VM board-1' }).click()
  assert.equal((await api<{ status: string }>(daemon.baseUrl, 'GET', '/api/v1/vms/board-1')).body.status, 'running')

  let question = ''
  page.once('dialog', (dialog) => {
    question = dialog.message()
    void dialog.accept()
  })
  await page.getByRole('button', { name: 'Stop VM board-1' }).click()
  await statusOf(page, 'board-1').filter({ hasText: 'stopped' }).waitFor(WAIT)
  assert.match(question, /Stop VM "board-1"\?/)
  assert.equal((await api<{ status: string }>(daemon.baseUrl, 'GET', '/api/v1/vms/board-1')).body.status, 'stopped')
  await page.getByRole('status').filter({ hasText: 'VM board-1 stopped.' }).waitFor(WAIT)
  await page.getByRole('button', { name: 'Start VM board-1' }).waitFor(WAIT)

  const shot = process.env.GOLEM_DASHBOARD_SCREENSHOT
  if (shot !== undefined) await page.screenshot({ path: shot, fullPage: true })
})
