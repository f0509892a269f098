import assert from 'node:assert/strict'
import {
  appendFileSync,
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'

import {ArrivalTimes, lastLines, LogFollower, openLog, tailLines} from '../../src/services/log-reader.js'
import {timesPath} from '../../src/store/log-times.js'
import {RotatingLog} from '../../src/supervisor/rotating-log.js'

/** tailLines reads a file backwards in chunks of this size; the cases below sit on its edges. */
const CHUNK = 64 * 1024

let dir: string
let fileCount = 0

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tspm-logs-'))
})

after(() => rmSync(dir, {recursive: true, force: true}))

function logFile(content: Buffer | string): string {
  const file = join(dir, `app-${++fileCount}-out.log`)
  writeFileSync(file, content)
  return file
}

/** What `tail -n count` shows, from the whole file read at once. */
function expectedTail(file: string, count: number): string[] {
  const lines = readFileSync(file, 'utf8').split('\n')
  if (lines.at(-1) === '') lines.pop()
  return count <= 0 ? [] : lines.slice(-count)
}

/** Numbered lines of `length` bytes with their newline (the last one shorter), adding up to exactly `total` bytes. */
function linesOfBytes(total: number, length: number, mark: string): string {
  const lines: string[] = []
  let size = 0
  for (let index = 0; size < total; index++) {
    const width = Math.min(length, total - size)
    const line = `${mark}${index}:`.padEnd(width - 1, '.').slice(0, width - 1)
    lines.push(`${line}\n`)
    size += width
  }

  return lines.join('')
}

describe('tailLines', () => {
  // The last CHUNK bytes are read first: a line break just before, on, or just after that edge.
  for (const shift of [-2, -1, 0, 1, 2]) {
    test(`lines whose break falls ${shift} byte(s) from the chunk edge come out whole`, () => {
      const older = linesOfBytes(3 * 1000, 1000, 'old')
      const tail = linesOfBytes(CHUNK + shift, 997, 'new')
      const file = logFile(older + tail)
      const tailLineCount = tail.split('\n').length - 1
      for (const count of [1, tailLineCount - 1, tailLineCount, tailLineCount + 1, tailLineCount + 2]) {
        assert.deepEqual(tailLines(file, count), expectedTail(file, count), `last ${count} lines`)
      }
    })
  }

  test('a file over several chunks, asked for every line', () => {
    const file = logFile(linesOfBytes(3 * CHUNK + 123, 81, 'l'))
    const all = expectedTail(file, Number.MAX_SAFE_INTEGER)
    assert.deepEqual(tailLines(file, all.length), all)
    assert.deepEqual(tailLines(file, all.length + 1000), all)
  })

  test('a last line without a newline is a line', () => {
    const file = logFile('one\ntwo\nthree, still being written')
    assert.deepEqual(tailLines(file, 1), ['three, still being written'])
    assert.deepEqual(tailLines(file, 2), ['two', 'three, still being written'])
    const big = logFile(`${linesOfBytes(CHUNK - 5, 100, 'x')}no newline at the end`)
    assert.deepEqual(tailLines(big, 3), expectedTail(big, 3))
    assert.equal(tailLines(big, 1)[0], 'no newline at the end')
  })

  for (const [name, character] of [
    ['é (2 bytes)', 'é'],
    ['€ (3 bytes)', '€'],
    ['😀 (4 bytes)', '😀'],
  ]) {
    test(`${name} split across the chunk edge comes out whole`, () => {
      const width = Buffer.byteLength(character)
      for (let cut = 1; cut < width; cut++) {
        // The chunk edge lands `cut` bytes into the character: the last CHUNK bytes start inside it.
        const line = `before ${character} after`
        const afterEdge = Buffer.byteLength(line.slice(line.indexOf(character) + character.length)) + width - cut
        const rest = linesOfBytes(CHUNK - afterEdge - 1, 500, 'r')
        const file = logFile(`first line\n${line}\n${rest}`)
        const lines = tailLines(file, rest.split('\n').length)
        assert.equal(lines[0], line, `cut ${cut} of ${width} bytes`)
        assert.deepEqual(tailLines(file, 1000), expectedTail(file, 1000))
      }
    })
  }

  test('a line made of multi-byte characters, longer than a chunk, comes out whole', () => {
    const line = 'ü€😀'.repeat(CHUNK / 4)
    const file = logFile(`start\n${line}\nend\n`)
    // Compared as a flag: a diff of two 256 KB lines helps nobody.
    const [long, end] = tailLines(file, 2)
    assert.ok(long === line, `the long line came out whole (${long.split('\uFFFD').length - 1} replacement characters)`)
    assert.equal(end, 'end')
    const three = tailLines(file, 3)
    assert.ok(three.length === 3 && three[0] === 'start' && three[1] === line && three[2] === 'end', 'all three lines')
  })

  test('count 0 gives no line', () => {
    assert.deepEqual(tailLines(logFile('a\nb\n'), 0), [])
  })

  test('more lines asked than the file has gives every line', () => {
    assert.deepEqual(tailLines(logFile('a\nb\nc\n'), 10), ['a', 'b', 'c'])
  })

  test('an empty file gives no line', () => {
    assert.deepEqual(tailLines(logFile(''), 5), [])
  })

  test('empty lines are lines', () => {
    assert.deepEqual(tailLines(logFile('a\n\n\nb\n\n'), 3), ['', 'b', ''])
  })
})

/** A time file of these [offset, ms] records. */
function writeTimes(logPath: string, records: Array<[number, number]>): void {
  const bytes = Buffer.alloc(records.length * 16)
  for (const [i, [offset, ms]] of records.entries()) {
    bytes.writeDoubleLE(offset, i * 16)
    bytes.writeDoubleLE(ms, i * 16 + 8)
  }

  writeFileSync(timesPath(logPath), bytes)
}

describe('lines with their arrival times', () => {
  test('each line gets the time of the record covering its first byte, found by binary search', () => {
    // 5000 lines of 10 bytes, each written at its own millisecond: one record per line.
    const file = logFile(Array.from({length: 5000}, (_, n) => `${String(n).padStart(9, '0')}\n`).join(''))
    writeTimes(
      file,
      Array.from({length: 5000}, (_, n) => [n * 10, 1_000_000 + n]),
    )
    const log = openLog(file)!
    try {
      const lines = lastLines(log, log.size, 3)
      assert.deepEqual(lines, [
        {offset: 49_970, text: '000004997', time: 1_004_997},
        {offset: 49_980, text: '000004998', time: 1_004_998},
        {offset: 49_990, text: '000004999', time: 1_004_999},
      ])
    } finally {
      log.close()
    }
  })

  test('a record covers the bytes up to the next one, whole chunks of lines; bytes before the first record have no time', () => {
    const file = logFile('old 1\nold 2\nnew 1\nnew 2\nlater\n')
    // The first two lines were there before the times were kept; a chunk of two lines; then one.
    writeTimes(file, [
      [12, 7000],
      [24, 7005],
    ])
    const log = openLog(file)!
    try {
      assert.deepEqual(
        lastLines(log, log.size, 10).map(({text, time}) => [text, time]),
        [
          ['old 1', null],
          ['old 2', null],
          ['new 1', 7000],
          ['new 2', 7000],
          ['later', 7005],
        ],
      )
    } finally {
      log.close()
    }
  })

  test('a log without a time file: every time is null', () => {
    const file = logFile('a\nb\n')
    const log = openLog(file)!
    try {
      assert.equal(log.times, undefined)
      assert.deepEqual(
        lastLines(log, log.size, 5).map(({time}) => time),
        [null, null],
      )
    } finally {
      log.close()
    }
  })

  test('search: the last record at or before an offset, with repeated offsets (a write that failed, then another)', () => {
    const file = logFile('')
    writeTimes(file, [
      [0, 1],
      [10, 2],
      [10, 3],
      [20, 4],
    ])
    const fd = openSync(timesPath(file), 'r')
    try {
      const times = new ArrivalTimes(fd)
      assert.deepEqual(
        [0, 5, 9, 10, 15, 20, 99].map((offset) => times.search(offset)),
        [0, 0, 0, 2, 2, 3, 3],
      )
    } finally {
      closeSync(fd)
    }
  })
})

/** Everything the follower has now, polled until it has nothing more to read. */
function drain(follower: LogFollower): string[] {
  const texts: string[] = []
  for (let round = 0; round < 1000; round++) {
    const {lines, again} = follower.poll()
    texts.push(...lines.map((line) => line.text))
    if (!again) return texts
  }

  throw new Error('the follower never settled')
}

function startFollowing(path: string): LogFollower {
  const file = openLog(path)
  return new LogFollower(path, file ? {file, position: file.size} : undefined)
}

describe('LogFollower', () => {
  test('passes on what is appended, not what was there before; a line once it is complete', (t) => {
    const file = logFile('already there\n')
    const follower = startFollowing(file)
    t.after(() => follower.close())
    appendFileSync(file, 'line 1\nline 2 in')
    assert.deepEqual(drain(follower), ['line 1'])
    appendFileSync(file, ' two pieces\n')
    assert.deepEqual(drain(follower), ['line 2 in two pieces'])
    assert.deepEqual(drain(follower), [])
  })

  test('a log rotated by hand (renamed, created again): the old one to its end, then the new one', (t) => {
    const file = logFile('before\n')
    const follower = startFollowing(file)
    t.after(() => follower.close())
    appendFileSync(file, 'old file, read\n')
    assert.deepEqual(drain(follower), ['old file, read'])
    appendFileSync(file, 'old file, not read yet\n')
    renameSync(file, `${file}.1`)
    writeFileSync(file, '')
    // Nothing in the new file yet: the writer may still be writing the old one (logrotate, until SIGUSR2).
    appendFileSync(`${file}.1`, 'old file, written after it moved\n')
    assert.deepEqual(drain(follower), ['old file, not read yet', 'old file, written after it moved'])
    appendFileSync(file, 'new\n')
    assert.deepEqual(drain(follower), ['new'])
    appendFileSync(`${file}.1`, 'written late to the rotated file\n')
    appendFileSync(file, 'end\n')
    assert.deepEqual(drain(follower), ['end'], 'the rotated file is no longer followed')
  })

  test('a log truncated in place (no times): read again from its start', (t) => {
    const file = logFile('a fairly long first line\n')
    const follower = startFollowing(file)
    t.after(() => follower.close())
    writeFileSync(file, 'short\n')
    assert.deepEqual(drain(follower), ['short'])
  })

  test('waits for a log that does not exist yet, then reads it from its start', (t) => {
    const file = join(dir, `later-${++fileCount}-out.log`)
    const follower = startFollowing(file)
    t.after(() => follower.close())
    assert.deepEqual(drain(follower), [])
    writeFileSync(file, 'hello\n')
    assert.deepEqual(drain(follower), ['hello'])
  })

  test('across rotations of a 1K log, polled now and then or after many rotations: every line once, in order', (t) => {
    const path = join(dir, `rotating-${++fileCount}-out.log`)
    const log = new RotatingLog(path, 1024, 100)
    t.after(() => log.close())
    const follower = startFollowing(path)
    t.after(() => follower.close())
    const seen: string[] = []
    let n = 0
    // Chunks of 1 to 40 lines, some cut in the middle of a line; polls after 1 to 7 chunks.
    for (let chunk = 0; chunk < 400; chunk++) {
      let text = ''
      for (let i = 0; i < 1 + ((chunk * 7) % 40); i++) text += `line ${++n} ${'.'.repeat(n % 30)}\n`
      const cut = chunk % 5 === 0 ? Math.floor(text.length / 2) : text.length
      log.write(Buffer.from(text.slice(0, cut)), 1000 + chunk)
      if (cut < text.length) log.write(Buffer.from(text.slice(cut)), 1000 + chunk)
      if (chunk % ((chunk % 7) + 1) === 0) seen.push(...drain(follower))
    }

    seen.push(...drain(follower))
    const numbers = seen.map((text) => Number(/^line (\d+) /.exec(text)?.[1]))
    assert.equal(numbers.length, n, 'as many lines as were written')
    assert.ok(
      numbers.every((value, index) => value === index + 1),
      `lines 1 to ${n} in order (first wrong at ${numbers.findIndex((value, index) => value !== index + 1)})`,
    )
  })

  test('lines read across a rotation keep the times of their own file', (t) => {
    const path = join(dir, `rotating-${++fileCount}-out.log`)
    const log = new RotatingLog(path, 1024, 5)
    t.after(() => log.close())
    const follower = startFollowing(path)
    t.after(() => follower.close())
    log.write(Buffer.from(`first ${'a'.repeat(900)}\n`), 111)
    log.write(Buffer.from(`second ${'b'.repeat(900)}\n`), 222)
    log.write(Buffer.from('third\n'), 333)
    const lines: Array<[string, null | number]> = []
    for (let round = 0; round < 100; round++) {
      const polled = follower.poll()
      lines.push(...polled.lines.map((line): [string, null | number] => [line.text.slice(0, 6), line.time]))
      if (!polled.again) break
    }

    assert.deepEqual(lines, [
      ['first ', 111],
      ['second', 222],
      ['third', 333],
    ])
  })

  test('tspm flush while following: every line written after it, once; none before it twice', (t) => {
    const path = join(dir, `flushed-${++fileCount}-out.log`)
    const log = new RotatingLog(path, 1024, 5)
    t.after(() => log.close())
    const follower = startFollowing(path)
    t.after(() => follower.close())
    let n = 0
    const write = (count: number) => {
      for (let i = 0; i < count; i++) log.write(Buffer.from(`line ${++n}\n`), 10_000 + n)
    }

    write(300)
    const seen = drain(follower)
    write(50)
    log.flush()
    const firstAfter = n + 1
    // More written after the flush than had been read before it: the offset alone cannot tell.
    write(400)
    seen.push(...drain(follower))
    write(20)
    seen.push(...drain(follower))
    assert.equal(new Set(seen).size, seen.length, 'no line twice')
    const after = seen.filter((text) => Number(text.slice(5)) >= firstAfter)
    assert.deepEqual(
      after,
      Array.from({length: n - firstAfter + 1}, (_, i) => `line ${firstAfter + i}`),
    )
  })

  test('a flush seen half done (the log emptied, its times not yet) is read once, not twice', (t) => {
    const file = logFile('one\ntwo\n')
    writeTimes(file, [[0, 1]])
    const follower = startFollowing(file)
    t.after(() => follower.close())
    truncateSync(file, 0)
    assert.deepEqual(drain(follower), [])
    writeTimes(file, [[0, 2]])
    appendFileSync(file, 'after\n')
    assert.deepEqual(drain(follower), ['after'])
    assert.deepEqual(drain(follower), [])
  })
})
