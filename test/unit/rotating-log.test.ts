import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {test} from 'node:test'

import {RotatingLog} from '../../src/supervisor/rotating-log.js'

function logIn(t: {after: (fn: () => void) => void}, maxSize = 1024, keep = 3) {
  const dir = mkdtempSync(join(tmpdir(), 'tspm-rotating-'))
  const path = join(dir, 'app-out.log')
  const reports: string[] = []
  const log = new RotatingLog(path, maxSize, keep, (message) => reports.push(message))
  t.after(() => {
    log.close()
    rmSync(dir, {recursive: true, force: true})
  })
  const read = (suffix = '') => (existsSync(path + suffix) ? readFileSync(path + suffix, 'utf8') : '')
  return {log, path, reports, read, dir}
}

test('a line written in two pieces across the size limit stays whole in one file', (t) => {
  const {log, read} = logIn(t)
  log.write(Buffer.from(`${'x'.repeat(500)}\n`))
  log.write(Buffer.from('a'.repeat(400)))
  // This piece would cross the limit: it finishes the line in the same file, then the file rotates.
  log.write(Buffer.from(`${'b'.repeat(300)}\nnext\n`))
  assert.equal(read('.1'), `${'x'.repeat(500)}\n${'a'.repeat(400)}${'b'.repeat(300)}\n`)
  assert.equal(read(), 'next\n')
})

test('whole lines fill a file up to the limit; the line that does not fit starts the next file', (t) => {
  const {log, read} = logIn(t)
  const line = (n: number) => `${String(n).padStart(3, '0')} ${'y'.repeat(95)}\n` // 100 bytes
  log.write(Buffer.from(Array.from({length: 15}, (_, n) => line(n)).join('')))
  assert.equal(read('.1'), Array.from({length: 10}, (_, n) => line(n)).join(''))
  assert.equal(read(), Array.from({length: 5}, (_, n) => line(n + 10)).join(''))
})

test('only a line longer than the limit itself is cut, at the limit', (t) => {
  const {log, read} = logIn(t, 1024, 5)
  log.write(Buffer.from(`${'z'.repeat(2500)}\n`))
  assert.equal(read('.2'), 'z'.repeat(1024))
  assert.equal(read('.1'), 'z'.repeat(1024))
  assert.equal(read(), `${'z'.repeat(452)}\n`)
})

test('log_files bounds the rotated files kept; the oldest falls off', (t) => {
  const {log, path} = logIn(t, 1024, 2)
  for (let n = 0; n < 10; n++) log.write(Buffer.from(`${String(n).repeat(1000)}\n`))
  assert.ok(existsSync(`${path}.2`))
  assert.equal(existsSync(`${path}.3`), false)
})

test('a planted symbolic link is never written through: output is dropped, counted, reported once', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tspm-rotating-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  const victim = join(dir, 'victim')
  writeFileSync(victim, 'precious\n')
  const path = join(dir, 'app-out.log')
  symlinkSync(victim, path)
  const reports: string[] = []
  const log = new RotatingLog(path, 1024, 3, (message) => reports.push(message))
  log.write(Buffer.from('one\n'))
  log.write(Buffer.from('two\n'))
  log.close()
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n')
  assert.equal(log.droppedBytes, 8)
  assert.equal(reports.length, 1, reports.join('\n'))
  assert.match(reports[0]!, /app-out\.log is a symbolic link; tspm never writes through one/)
})
