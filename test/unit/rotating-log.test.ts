import assert from 'node:assert/strict'
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import {describe, test} from 'node:test'

import {timesPath} from '../../src/store/log-times.js'
import {RotatingLog} from '../../src/supervisor/rotating-log.js'

/** An arrival time; the tests of times below use their own. */
const T = Date.UTC(2026, 11, 2)

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
  log.write(Buffer.from(`${'x'.repeat(500)}\n`), T)
  log.write(Buffer.from('a'.repeat(400)), T)
  // This piece would cross the limit: it finishes the line in the same file, then the file rotates.
  log.write(Buffer.from(`${'b'.repeat(300)}\nnext\n`), T)
  assert.equal(read('.1'), `${'x'.repeat(500)}\n${'a'.repeat(400)}${'b'.repeat(300)}\n`)
  assert.equal(read(), 'next\n')
})

test('whole lines fill a file up to the limit; the line that does not fit starts the next file', (t) => {
  const {log, read} = logIn(t)
  const line = (n: number) => `${String(n).padStart(3, '0')} ${'y'.repeat(95)}\n` // 100 bytes
  log.write(Buffer.from(Array.from({length: 15}, (_, n) => line(n)).join('')), T)
  assert.equal(read('.1'), Array.from({length: 10}, (_, n) => line(n)).join(''))
  assert.equal(read(), Array.from({length: 5}, (_, n) => line(n + 10)).join(''))
})

test('only a line longer than the limit itself is cut, at the limit', (t) => {
  const {log, read} = logIn(t, 1024, 5)
  log.write(Buffer.from(`${'z'.repeat(2500)}\n`), T)
  assert.equal(read('.2'), 'z'.repeat(1024))
  assert.equal(read('.1'), 'z'.repeat(1024))
  assert.equal(read(), `${'z'.repeat(452)}\n`)
})

test('log_files bounds the rotated files kept; the oldest falls off', (t) => {
  const {log, path} = logIn(t, 1024, 2)
  for (let n = 0; n < 10; n++) log.write(Buffer.from(`${String(n).repeat(1000)}\n`), T)
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
  log.write(Buffer.from('one\n'), T)
  log.write(Buffer.from('two\n'), T)
  log.close()
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n')
  assert.equal(log.droppedBytes, 8)
  assert.equal(reports.length, 1, reports.join('\n'))
  assert.match(reports[0]!, /app-out\.log is a symbolic link; tspm never writes through one/)
})

/** The records of a log's time file: [offset, ms] pairs. */
function timesOf(path: string): Array<[number, number]> {
  const file = timesPath(path)
  if (!existsSync(file)) return []
  const bytes = readFileSync(file)
  assert.equal(bytes.length % 16, 0, `${file} holds whole records`)
  return Array.from({length: bytes.length / 16}, (_, i) => [bytes.readDoubleLE(i * 16), bytes.readDoubleLE(i * 16 + 8)])
}

describe('arrival times beside the log', () => {
  test('a record when a write starts at another millisecond: the offset where its bytes start, and when', (t) => {
    const {log, path, read} = logIn(t)
    log.write(Buffer.from('one\n'), 1000)
    log.write(Buffer.from('two\n'), 1000)
    log.write(Buffer.from('thr'), 1001)
    log.write(Buffer.from('ee\n'), 1005)
    assert.equal(read(), 'one\ntwo\nthree\n', 'the log holds exactly what was written')
    assert.deepEqual(timesOf(path), [
      [0, 1000],
      [8, 1001],
      [11, 1005],
    ])
    assert.equal(basename(timesPath(path)), '.app-out.log.times', 'a dot file, which `*.log` does not match')
    assert.equal(statSync(timesPath(path)).mode & 0o777, 0o640, 'mode as the log')
  })

  test('the times rotate with the logs; the part of a chunk that goes into the new file gets a record at 0', (t) => {
    const {log, path, read} = logIn(t, 1024, 2)
    const line = (n: number) => `${String(n).padStart(3, '0')} ${'y'.repeat(95)}\n` // 100 bytes
    log.write(Buffer.from(Array.from({length: 8}, (_, n) => line(n)).join('')), 2000)
    // 4 more lines: 2 fit, the rest of this chunk goes to the next file.
    log.write(Buffer.from(Array.from({length: 4}, (_, n) => line(n + 8)).join('')), 2001)
    assert.equal(read('.1'), Array.from({length: 10}, (_, n) => line(n)).join(''))
    assert.equal(read(), line(10) + line(11))
    assert.deepEqual(timesOf(`${path}.1`), [
      [0, 2000],
      [800, 2001],
    ])
    assert.deepEqual(timesOf(path), [[0, 2001]])
    // Two rotations more (8 of the 10 lines fill each file): each file's times go with it, the oldest's fall off.
    log.write(Buffer.from(line(12).repeat(10)), 2002)
    log.write(Buffer.from(line(13).repeat(10)), 2003)
    assert.deepEqual(timesOf(`${path}.2`), [
      [0, 2001],
      [200, 2002],
    ])
    assert.deepEqual(timesOf(`${path}.1`), [
      [0, 2002],
      [200, 2003],
    ])
    assert.deepEqual(timesOf(path), [[0, 2003]])
    assert.equal(existsSync(timesPath(`${path}.3`)), false)
    assert.equal(existsSync(`${path}.3`), false)
  })

  test('reopen (after logrotate): the same file keeps its times; another file gets fresh ones', (t) => {
    const {log, path} = logIn(t)
    log.write(Buffer.from('first\n'), 3000)
    log.reopen()
    log.write(Buffer.from('second\n'), 3001)
    assert.deepEqual(timesOf(path), [
      [0, 3000],
      [6, 3001],
    ])
    // logrotate moves the log away; the supervisor writes to it until its SIGUSR2.
    renameSync(path, `${path}.rotated-by-logrotate`)
    log.write(Buffer.from('still old\n'), 3002)
    log.reopen()
    assert.deepEqual(timesOf(path), [], 'a new, empty log: no time of the old one stays')
    log.write(Buffer.from('new\n'), 3003)
    assert.equal(readFileSync(path, 'utf8'), 'new\n')
    assert.deepEqual(timesOf(path), [[0, 3003]])
    // A file found in its place with lines the times know nothing of: those lines get no time.
    log.close()
    writeFileSync(`${path}.other`, 'someone else wrote this\n')
    renameSync(`${path}.other`, path)
    log.reopen()
    log.write(Buffer.from('after\n'), 3004)
    assert.deepEqual(timesOf(path), [[24, 3004]])
  })

  test('times that do not fit the log found at start (it was replaced) are dropped; a torn record too', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tspm-rotating-'))
    t.after(() => rmSync(dir, {recursive: true, force: true}))
    const path = join(dir, 'app-out.log')
    writeFileSync(path, 'short\n')
    const stale = Buffer.alloc(16)
    stale.writeDoubleLE(5000, 0)
    stale.writeDoubleLE(1, 8)
    writeFileSync(timesPath(path), stale)
    let log = new RotatingLog(path, 1024, 3)
    log.write(Buffer.from('x\n'), 4000)
    log.close()
    assert.deepEqual(timesOf(path), [[6, 4000]])
    // A crash in the middle of a record leaves part of it: it is cut off, the rest is kept.
    appendFileSync(timesPath(path), Buffer.alloc(7))
    log = new RotatingLog(path, 1024, 3)
    log.write(Buffer.from('y\n'), 4001)
    log.close()
    assert.deepEqual(timesOf(path), [
      [6, 4000],
      [8, 4001],
    ])
  })

  test('flush empties the log and its times, removes the rotated files, and keeps what is written after', (t) => {
    const {log, path, read, dir} = logIn(t, 1024, 3)
    for (let n = 0; n < 30; n++) log.write(Buffer.from(`line ${n} ${'z'.repeat(100)}\n`), 5000 + n)
    assert.ok(existsSync(`${path}.3`))
    const flushed = log.flush()
    assert.deepEqual(flushed.emptied, [path])
    assert.deepEqual(flushed.removed, [`${path}.1`, `${path}.2`, `${path}.3`])
    assert.deepEqual(readdirSync(dir).sort(), ['.app-out.log.times', 'app-out.log'])
    assert.equal(read(), '')
    assert.deepEqual(timesOf(path), [])
    log.write(Buffer.from('after the flush\n'), 6000)
    log.write(Buffer.from('and more\n'), 6001)
    assert.equal(read(), 'after the flush\nand more\n')
    assert.deepEqual(timesOf(path), [
      [0, 6000],
      [16, 6001],
    ])
  })

  test('a time file that cannot be written costs the times, never a line; reported once', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tspm-rotating-'))
    t.after(() => rmSync(dir, {recursive: true, force: true}))
    const path = join(dir, 'app-out.log')
    symlinkSync(join(dir, 'elsewhere'), timesPath(path))
    const reports: string[] = []
    const log = new RotatingLog(path, 1024, 3, (message) => reports.push(message))
    log.write(Buffer.from('one\n'), 1)
    log.write(Buffer.from('two\n'), 2)
    log.close()
    assert.equal(readFileSync(path, 'utf8'), 'one\ntwo\n')
    assert.equal(log.droppedBytes, 0)
    assert.equal(existsSync(join(dir, 'elsewhere')), false, 'nothing written through the link')
    assert.equal(reports.length, 1, reports.join('\n'))
    assert.match(reports[0]!, /app-out\.log\.times.*symbolic link.*without their arrival times/)
  })
})
