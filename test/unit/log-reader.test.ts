import assert from 'node:assert/strict'
import {appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'

import {followFile, tailLines} from '../../src/services/logs.js'
import {waitFor} from '../helpers/wait.js'

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

describe('followFile', () => {
  test('passes on what is appended, not what was there before', async (t) => {
    const file = logFile('already there\n')
    const received: string[] = []
    const stop = followFile(file, (text) => received.push(text), 20)
    t.after(stop)
    appendFileSync(file, 'line 1\n')
    await waitFor(() => received.join('') === 'line 1\n', {what: 'the first appended line', timeoutMs: 5000})
    appendFileSync(file, 'line 2\nline 3\n')
    await waitFor(() => received.join('') === 'line 1\nline 2\nline 3\n', {what: 'the next lines', timeoutMs: 5000})
  })

  test('starts over on the new file when the log is rotated (renamed, then created again)', async (t) => {
    const file = logFile('before\n')
    const received: string[] = []
    const stop = followFile(file, (text) => received.push(text), 20)
    t.after(stop)
    appendFileSync(file, 'old file, last line\n')
    await waitFor(() => received.join('').endsWith('old file, last line\n'), {what: 'the old file', timeoutMs: 5000})
    renameSync(file, `${file}.1`)
    // Shorter than what was read of the old file, and longer: both must be read from the start.
    writeFileSync(file, 'new\n')
    await waitFor(() => received.join('') === 'old file, last line\nnew\n', {what: 'the new file', timeoutMs: 5000})
    appendFileSync(file, `${'long line of the new file '.repeat(10)}\n`)
    await waitFor(() => received.join('').endsWith(`new\n${'long line of the new file '.repeat(10)}\n`), {
      what: 'what is appended to the new file',
      timeoutMs: 5000,
    })
    appendFileSync(`${file}.1`, 'written late to the rotated file\n')
    appendFileSync(file, 'end\n')
    await waitFor(() => received.join('').endsWith('\nend\n'), {what: 'the last line', timeoutMs: 5000})
    assert.doesNotMatch(received.join(''), /written late/, 'the rotated file is no longer followed')
  })

  test('starts over when the log is truncated in place', async (t) => {
    const file = logFile('a fairly long first line\n')
    const received: string[] = []
    const stop = followFile(file, (text) => received.push(text), 20)
    t.after(stop)
    writeFileSync(file, 'short\n')
    await waitFor(() => received.join('') === 'short\n', {what: 'the truncated file', timeoutMs: 5000})
  })

  test('waits for a log that does not exist yet', async (t) => {
    const file = join(dir, 'later-out.log')
    const received: string[] = []
    const stop = followFile(file, (text) => received.push(text), 20)
    t.after(stop)
    writeFileSync(file, 'hello\n')
    await waitFor(() => received.join('') === 'hello\n', {what: 'the new log', timeoutMs: 5000})
  })

  test('stops passing data once stopped', async () => {
    const file = logFile('')
    const received: string[] = []
    const stop = followFile(file, (text) => received.push(text), 20)
    appendFileSync(file, 'one\n')
    await waitFor(() => received.length === 1, {what: 'the first line', timeoutMs: 5000})
    stop()
    appendFileSync(file, 'two\n')
    // A witness started later sees the next line only after the stopped follower's timer would have fired.
    const witness: string[] = []
    const stopWitness = followFile(file, (text) => witness.push(text), 20)
    appendFileSync(file, 'three\n')
    await waitFor(() => witness.join('') === 'three\n', {
      what: 'a second follower to see the next line',
      timeoutMs: 5000,
    })
    stopWitness()
    assert.deepEqual(received, ['one\n'])
  })
})
