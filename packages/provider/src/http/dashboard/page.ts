/**
 * The operator's dashboard page (`/ui`): one HTML document, one stylesheet
 * and one script, served as they are (no build step, nothing from the
 * internet). The script asks for the admin token once, keeps it in the tab's
 * session storage, polls `GET /ui/api/state` every two seconds, and runs
 * the CLI's operator actions (stop, start, delete) through the VM API after
 * a confirmation. Every value from the provider is set as text, never as
 * markup: VM names are chosen by renters.
 *
 * @module
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Golem provider</title>
<link rel="stylesheet" href="/ui/app.css">
<script src="/ui/app.js" defer></script>
</head>
<body>
<header>
  <h1>Golem provider</h1>
  <p id="updated"></p>
  <button type="button" id="logout" hidden>Forget the token</button>
</header>
<main>
  <section id="login" aria-labelledby="login-heading">
    <h2 id="login-heading">Sign in</h2>
    <form id="login-form">
      <label for="token">Admin token</label>
      <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required>
      <p class="hint">The provider wrote it to its data dir: <code>sudo cat ~/.golem/provider/admin-token</code>. This tab keeps it until it is closed.</p>
      <button type="submit">Open the dashboard</button>
    </form>
    <p id="login-error" role="alert"></p>
  </section>
  <div id="board" hidden>
    <section aria-labelledby="node-heading">
      <h2 id="node-heading">Node</h2>
      <dl id="node"></dl>
      <pre id="ports" aria-label="Port verification"></pre>
    </section>
    <section aria-labelledby="capacity-heading">
      <h2 id="capacity-heading">Capacity</h2>
      <div id="capacity"></div>
    </section>
    <section aria-labelledby="vms-heading">
      <h2 id="vms-heading">VMs</h2>
      <p id="action-status" role="status"></p>
      <table id="vms">
        <thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Owner</th><th scope="col">Resources</th><th scope="col">SSH port</th><th scope="col">Network</th><th scope="col">In this status for</th><th scope="col">Traffic</th><th scope="col">Actions</th></tr></thead>
        <tbody></tbody>
      </table>
      <p id="no-vms" hidden>No VMs.</p>
    </section>
    <section aria-labelledby="events-heading">
      <h2 id="events-heading">Recent events</h2>
      <ol id="events"></ol>
    </section>
  </div>
</main>
</body>
</html>
`

export const PAGE_CSS = `:root { font-family: system-ui, sans-serif; line-height: 1.4; color: #111; background: #fff; }
body { margin: 0 auto; max-width: 80rem; padding: 1rem; }
header { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; }
h1 { font-size: 1.5rem; margin: 0; }
h2 { font-size: 1.15rem; border-bottom: 1px solid #888; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
pre { background: #f4f4f4; padding: .5rem; overflow-x: auto; white-space: pre-wrap; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ccc; vertical-align: top; }
.bar { display: grid; grid-template-columns: 8rem 14rem 1fr; gap: .5rem; align-items: center; margin: .3rem 0; }
meter { width: 100%; height: 1.2rem; }
.status { font-weight: 600; }
.status-error::before { content: "⚠ "; }
.status-running::before { content: "▶ "; }
.status-stopped::before { content: "■ "; }
.level-warn, .level-error, .level-fatal { font-weight: 700; }
#events { font-family: ui-monospace, monospace; font-size: .85rem; padding-left: 1.5rem; }
button { font: inherit; padding: .2rem .6rem; margin-right: .3rem; }
button:focus-visible, input:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
.hint { font-size: .9rem; }
#login-error { font-weight: 700; }
@media (prefers-color-scheme: dark) {
  :root { color: #eee; background: #111; }
  pre { background: #222; }
  th, td { border-color: #444; }
}
`

export const PAGE_JS = `'use strict'
const KEY = 'golem-provider-admin-token'
const POLL_MS = 2000
const $ = (id) => document.getElementById(id)
let timer
let busy = false

const token = () => sessionStorage.getItem(KEY)

class Unauthorized extends Error {}

async function call(method, path) {
  const res = await fetch(path, { method, headers: { authorization: 'Bearer ' + token() }, cache: 'no-store' })
  let body = null
  try { body = await res.json() } catch { body = null }
  if (res.status === 401) throw new Unauthorized(body && body.message ? body.message : 'the token was refused')
  if (!res.ok) throw new Error(body && body.message ? body.message : 'the provider answered ' + res.status)
  return body
}

function signOut(message) {
  sessionStorage.removeItem(KEY)
  clearTimeout(timer)
  $('board').hidden = true
  $('logout').hidden = true
  $('login').hidden = false
  $('updated').textContent = ''
  $('login-error').textContent = message || ''
  $('token').focus()
}

async function refresh() {
  clearTimeout(timer)
  if (token() === null) return
  try {
    const state = await call('GET', '/ui/api/state')
    $('login').hidden = true
    $('board').hidden = false
    $('logout').hidden = false
    $('login-error').textContent = ''
    render(state)
    $('updated').textContent = 'Updated ' + new Date(state.now).toLocaleTimeString()
  } catch (error) {
    if (error instanceof Unauthorized) return signOut('Wrong token: ' + error.message)
    $('updated').textContent = 'Update failed: ' + error.message
  }
  timer = setTimeout(refresh, POLL_MS)
}

function el(tag, text, attrs) {
  const node = document.createElement(tag)
  if (text !== undefined && text !== null) node.textContent = String(text)
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v)
  return node
}

const bytes = (n) => n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : n < 1073741824 ? (n / 1048576).toFixed(1) + ' MiB' : (n / 1073741824).toFixed(2) + ' GiB'

function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000))
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60)
  return d > 0 ? d + ' d ' + h + ' h' : h > 0 ? h + ' h ' + m + ' min' : m > 0 ? m + ' min' : s + ' s'
}

function render(state) {
  const s = state.status
  const node = $('node')
  node.replaceChildren()
  const facts = [
    ['Version', s.version], ['Provider id', s.provider_id || 'none yet'], ['Backend', s.backend.detail],
    ['Capacity source', s.capacity.source === 'offer' ? 'operator offer' : 'host × thresholds'],
    ['Port verification', s.ports.verification + (s.ports.checking ? ' (checking now)' : '')],
  ]
  for (const [k, v] of facts) node.append(el('dt', k), el('dd', v))
  $('ports').textContent = state.port_summary || 'No port verification has finished yet.'
  const cap = $('capacity')
  cap.replaceChildren()
  const units = { cpu: ['CPU', 'vCPUs'], memory: ['Memory', 'GB'], storage: ['Disk', 'GB'] }
  for (const key of ['cpu', 'memory', 'storage']) {
    const [label, unit] = units[key]
    const total = s.capacity.total[key], used = s.capacity.allocated[key]
    cap.append(bar(label, used, total, used + ' of ' + total + ' ' + unit + ' allocated, ' + s.capacity.free[key] + ' free'))
  }
  cap.append(bar('VMs', s.vms.count, s.vms.max, s.vms.count + ' of at most ' + s.vms.max + '; room for ' + s.vms.can_create + ' more'))
  cap.append(bar('SSH ports', s.ports.usable - s.ports.free.length, s.ports.usable, s.ports.free.length + ' free of ' + s.ports.usable + ' usable (' + s.ports.range.start + '-' + s.ports.range.end + ')'))
  renderVms(state)
  const events = $('events')
  events.replaceChildren(...state.events.map((e) => {
    const li = el('li')
    const extra = Object.entries(e.fields).map(([k, v]) => k + '=' + v).join(' ')
    li.append(el('time', new Date(e.time).toLocaleTimeString(), { datetime: e.time }), ' ', el('span', e.level.toUpperCase(), { class: 'level-' + e.level }), ' ', e.msg + (extra ? ' (' + extra + ')' : ''))
    return li
  }))
}

function bar(label, value, max, text) {
  const row = el('div', null, { class: 'bar' })
  const id = 'bar-' + label.replace(/\\W+/g, '-').toLowerCase()
  row.append(el('span', label, { id }), el('meter', null, { min: '0', max: String(Math.max(max, 1)), value: String(value), 'aria-labelledby': id, 'aria-describedby': id + '-text' }), el('span', text, { id: id + '-text' }))
  return row
}

function renderVms(state) {
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : undefined
  const body = $('vms').tBodies[0]
  body.replaceChildren()
  $('no-vms').hidden = state.vms.length > 0
  $('vms').hidden = state.vms.length === 0
  const now = Date.parse(state.now)
  for (const vm of state.vms) {
    const tr = el('tr', null, { 'data-vm': vm.name })
    const r = vm.resources
    const t = vm.traffic
    tr.append(
      el('th', vm.name, { scope: 'row', title: vm.id }),
      el('td', vm.status + (vm.error_message ? ': ' + vm.error_message : ''), { class: 'status status-' + vm.status }),
      el('td', vm.owner || 'operator or unsigned'),
      el('td', r.cpu + ' CPU, ' + r.memory + ' GB, ' + r.storage + ' GB; ' + vm.image),
      el('td', vm.ssh_port),
      el('td', vm.network),
      el('td', duration(now - Date.parse(vm.status_since))),
      el('td', t ? (t.open === null ? '' : t.open + ' open, ') + t.accepted + ' accepted, ' + t.refused + ' refused; in ' + bytes(t.bytes_in) + ', out ' + bytes(t.bytes_out) : 'no proxy'),
    )
    const actions = el('td')
    if (vm.status === 'running' || vm.status === 'error') actions.append(action('stop', vm))
    if (vm.status === 'stopped' || vm.status === 'error') actions.append(action('start', vm))
    if (vm.status === 'running' || vm.status === 'stopped' || vm.status === 'error') actions.append(action('delete', vm))
    tr.append(actions)
    body.append(tr)
  }
  if (focused) {
    const again = [...body.querySelectorAll('button')].find((b) => b.dataset.key === focused)
    if (again) again.focus()
  }
}

const WORDS = {
  stop: ['Stop', 'Stop VM "%s"? The renter loses its running processes; its port and resources stay reserved.', 'POST', '/stop', 'stopped'],
  start: ['Start', 'Start VM "%s"?', 'POST', '/start', 'started'],
  delete: ['Delete', 'Delete VM "%s"? Its disk is destroyed and cannot be recovered.', 'DELETE', '', 'deleted'],
}

// The button names the VM as renters do; the request addresses its unique id (names are unique per owner only).
function action(kind, vm) {
  const [label] = WORDS[kind]
  const button = el('button', label, { type: 'button', 'aria-label': label + ' VM ' + vm.name })
  button.dataset.key = kind + ':' + vm.id
  button.addEventListener('click', () => run(kind, vm, button))
  return button
}

async function run(kind, vm, button) {
  const [label, question, method, suffix, done] = WORDS[kind]
  if (busy || !window.confirm(question.replace('%s', vm.name))) return
  busy = true
  button.disabled = true
  $('action-status').textContent = label + ' ' + vm.name + '…'
  try {
    await call(method, '/api/v1/vms/' + encodeURIComponent(vm.id) + suffix)
    $('action-status').textContent = 'VM ' + vm.name + ' ' + done + '.'
  } catch (error) {
    if (error instanceof Unauthorized) { busy = false; return signOut('Wrong token: ' + error.message) }
    $('action-status').textContent = label + ' ' + vm.name + ' failed: ' + error.message
  }
  busy = false
  refresh()
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault()
  sessionStorage.setItem(KEY, $('token').value.trim())
  $('token').value = ''
  refresh()
})
$('logout').addEventListener('click', () => signOut('Signed out.'))
if (token() !== null) refresh()
`
