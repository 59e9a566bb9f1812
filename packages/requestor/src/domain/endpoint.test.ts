import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connectProblem, isSafeUser, providerUrl, sshHostFor, urlHost } from './endpoint.js'

test('the provider URL comes from the advertised address and API port (7466 by default), IPv6 in brackets', () => {
  assert.equal(providerUrl({ ip_address: '127.0.0.1' }), 'http://127.0.0.1:7466')
  assert.equal(providerUrl({ ip_address: '203.0.113.7', api_port: 8080 }), 'http://203.0.113.7:8080')
  assert.equal(providerUrl({ ip_address: '2001:db8::7' }), 'http://[2001:db8::7]:7466')
  assert.equal(urlHost('http://[2001:db8::7]:7466'), '2001:db8::7')
})

test("ssh goes to the provider's ssh_host when it is an IP address, never to a host name or a remote provider's loopback", () => {
  assert.equal(sshHostFor('203.0.113.9', 'http://203.0.113.7:7466'), '203.0.113.9')
  assert.equal(sshHostFor('169.254.169.254', 'http://203.0.113.7:7466'), '169.254.169.254', 'kept, and refused where it is used')
  assert.equal(sshHostFor('localhost', 'http://203.0.113.7:7466'), '203.0.113.7')
  assert.equal(sshHostFor('vm.example.com', 'http://203.0.113.7:7466'), '203.0.113.7')
  assert.equal(sshHostFor('127.0.0.1', 'http://127.0.0.1:7466'), '127.0.0.1')
  assert.equal(sshHostFor('127.0.0.1', 'http://203.0.113.7:7466'), '203.0.113.7')
  assert.equal(sshHostFor('-oProxyCommand=evil', 'http://203.0.113.7:7466'), '203.0.113.7')
  assert.equal(sshHostFor(undefined, 'http://[2001:db8::7]:7466'), '2001:db8::7')
  assert.equal(sshHostFor(null, 'http://127.0.0.1:7466'), '127.0.0.1')
  assert.equal(sshHostFor('0.0.0.0', 'http://127.0.0.1:7466'), '127.0.0.1')
})

test('in production only public addresses may be connected to; with allowPrivate any IP address', () => {
  assert.equal(connectProblem('8.8.8.8', false), undefined)
  assert.match(connectProblem('169.254.169.254', false) ?? '', /link-local/)
  assert.match(connectProblem('127.0.0.1', false) ?? '', /loopback/)
  assert.match(connectProblem('100.100.1.1', false) ?? '', /carrier-grade/)
  assert.equal(connectProblem('127.0.0.1', true), undefined)
  assert.equal(connectProblem('vm.example.com', true), 'not an IP address')
})

test('users that ssh could misread are refused', () => {
  assert.equal(isSafeUser('ubuntu'), true)
  for (const user of ['-l', 'root@x', 'a b', '']) assert.equal(isSafeUser(user), false, user)
})
