import assert from 'node:assert/strict'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { migrateSchema } from './sqlite-schema.js'

const tables = (db: Database.Database) =>
  db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((r) => r.name)

test('each migration runs once, in order, and the version follows', () => {
  const db = new Database(':memory:')
  migrateSchema(db, ['CREATE TABLE a (x)'], 'test')
  assert.equal(db.pragma('user_version', { simple: true }), 1)
  migrateSchema(db, ['CREATE TABLE a (x)', 'CREATE TABLE b (y)'], 'test')
  assert.equal(db.pragma('user_version', { simple: true }), 2)
  migrateSchema(db, ['CREATE TABLE a (x)', 'CREATE TABLE b (y)'], 'test')
  assert.deepEqual(tables(db), ['a', 'b'])
})

test('a failing migration changes nothing; a newer database is refused with what to do', () => {
  const db = new Database(':memory:')
  migrateSchema(db, ['CREATE TABLE a (x)'], 'test')
  assert.throws(() => migrateSchema(db, ['CREATE TABLE a (x)', 'CREATE TABLE b (y); CREATE TABLE a (z)'], 'test'), /already exists/)
  assert.equal(db.pragma('user_version', { simple: true }), 1)
  assert.deepEqual(tables(db), ['a'])
  assert.throws(() => migrateSchema(db, [], 'provider'), /the provider database has schema 1, newer than this provider understands \(0\); upgrade the provider/)
})
