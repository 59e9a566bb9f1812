import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isSafeHost, isSafeUser, providerUrl, sshHostFor, urlHost } from './endpoint.js'

test('the provider URL comes from the advertised address and API port (7466 by default), IPv6 in brackets', () => {
  assert.equal(providerUrl({ ip_address: '127.0.0.1' }), 'http://127.0.0.1:7466')
  assert.equal(providerUrl({ ip_address: '203.0.113.7', api_port: 8080 }), 'http://203.0.113.7:8080')
  assert.equal(providerUrl({ ip_address: '2001:db8::7' }), 'http://[2001:db8::7]:7466')
  assert.equal(urlHost('http://[2001:db8::7]:7466'), '2001:db8::7')
})

test('ssh goes to the provider\'s ssh_host unless it is unusable or a loopback address of a remote provider', () => {
  assert.equal(sshHostFor('203.0.113.9', 'http://203.0.113.7:7466'), '203.0.113.9')
  assert.equal(sshHostFor('localhost', 'http://203.0.113.7:7466'), '203.0.113.7')
  assert.equal(sshHostFor('127.0.0.1', 'http://127.0.0.1:7466'), '127.0.0.1')
  assert.equal(sshHostFor('-oProxyCommand=evil', 'http://203.0.113.7:7466'), '203.0.113.7')
  assert.equal(sshHostFor(undefined, 'http://[2001:db8::7]:7466'), '2001:db8::7')
  assert.equal(sshHostFor('0.0.0.0', 'http://127.0.0.1:7466'), '127.0.0.1')
})

test('hosts and users that ssh could misread are refused', () => {
  for (const host of ['vm.example.com', '10.0.0.1', '::1']) assert.equal(isSafeHost(host), true, host)
  for (const host of ['-oX', 'a b', 'a;b', '', 'fe80::1%eth0']) assert.equal(isSafeHost(host), false, host)
  assert.equal(isSafeUser('ubuntu'), true)
  for (const user of ['-l', 'root@x', 'a b', '']) assert.equal(isSafeUser(user), false, user)
})
