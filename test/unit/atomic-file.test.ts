import assert from 'node:assert/strict'
import {chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, test} from 'node:test'

import {removeStaleTempFiles, writeFileAtomic} from '../../src/store/atomic-file.js'
import {exitedPid} from '../helpers/procfs.js'

let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tspm-atomic-'))
})

afterEach(() => rmSync(dir, {recursive: true, force: true}))

function modeOf(file: string): number {
  return statSync(file).mode & 0o7777
}

/** Runs `body` under `mask`, then puts the umask back. */
function withUmask(mask: number, body: () => void): void {
  const previous = process.umask(mask)
  try {
    body()
  } finally {
    process.umask(previous)
  }
}

/** Text whose conversion to bytes throws, after the temp file was opened: a write that fails midway. */
function unwritable(): string {
  return {
    [Symbol.toPrimitive]() {
      throw new Error('injected: the write failed')
    },
  } as unknown as string
}

describe('writeFileAtomic', () => {
  test('the new content replaces the old one whole, and no temp file stays', () => {
    const file = join(dir, 'dump.json')
    writeFileSync(file, 'the old content, which is longer than the new one\n')
    writeFileAtomic(file, '{"new": true}\n')
    assert.equal(readFileSync(file, 'utf8'), '{"new": true}\n')
    const big = `${'é'.repeat(1024 * 1024)}\n`
    writeFileAtomic(file, big, {durable: true})
    assert.equal(readFileSync(file, 'utf8'), big)
    assert.deepEqual(readdirSync(dir), ['dump.json'])
  })

  test('writes a file that did not exist', () => {
    const file = join(dir, 'status.json')
    writeFileAtomic(file, '')
    assert.equal(readFileSync(file, 'utf8'), '')
    assert.deepEqual(readdirSync(dir), ['status.json'])
  })

  test('the mode is exactly 0600 by default, whatever the umask', () => {
    for (const mask of [0o000, 0o022, 0o077]) {
      withUmask(mask, () => {
        const file = join(dir, `default-${mask}`)
        writeFileAtomic(file, 'x')
        assert.equal(modeOf(file).toString(8), '600', `umask ${mask.toString(8)}`)
      })
    }
  })

  test('a mode asked for is exact, whatever the umask: 0644 stays readable under umask 077', () => {
    withUmask(0o077, () => {
      const file = join(dir, 'tspm.service')
      writeFileAtomic(file, '[Unit]\n', {mode: 0o644})
      assert.equal(modeOf(file).toString(8), '644')
      writeFileAtomic(file, '[Unit]\n', {mode: 0o755})
      assert.equal(modeOf(file).toString(8), '755')
    })
  })

  test('replacing a file gives it the new mode, not the old one', () => {
    const file = join(dir, 'dump.json')
    writeFileSync(file, 'old')
    chmodSync(file, 0o666)
    writeFileAtomic(file, 'new')
    assert.equal(modeOf(file).toString(8), '600')
  })

  test('a write that fails before the rename leaves the old file untouched and no temp file', () => {
    const file = join(dir, 'dump.json')
    writeFileSync(file, 'the old list\n')
    chmodSync(file, 0o640)
    assert.throws(() => writeFileAtomic(file, unwritable(), {durable: true}), /injected: the write failed/)
    assert.equal(readFileSync(file, 'utf8'), 'the old list\n')
    assert.equal(modeOf(file).toString(8), '640')
    assert.deepEqual(readdirSync(dir), ['dump.json'])
  })

  test('a rename that fails leaves no temp file behind', () => {
    // A non-empty folder where the file should go: the rename over it fails.
    const file = join(dir, 'dump.json')
    mkdirSync(file)
    writeFileSync(join(file, 'inside'), '')
    assert.throws(() => writeFileAtomic(file, 'new'), /EISDIR|ENOTEMPTY|EEXIST/)
    assert.deepEqual(readdirSync(dir), ['dump.json'])
  })
})

describe('removeStaleTempFiles', () => {
  test('removes the temp files of dead writers, keeps those of live ones and every other file', () => {
    const file = join(dir, 'dump.json')
    const dead = exitedPid()
    const stale = [`.dump.json.${dead}.1700000000000.tmp`, `.dump.json.${dead}.1700000000001.tmp`]
    const kept = [
      'dump.json',
      'dump.json.bak',
      // A live writer: this test's parent (the test runner), and this process itself.
      `.dump.json.${process.ppid}.1700000000000.tmp`,
      `.dump.json.${process.pid}.1700000000000.tmp`,
      // Not temp files of dump.json.
      `.status.json.${dead}.1700000000000.tmp`,
      `.dump.json.${dead}.1700000000000.txt`,
      `dump.json.${dead}.tmp`,
    ]
    for (const name of [...stale, ...kept]) writeFileSync(join(dir, name), 'x')
    removeStaleTempFiles(file)
    assert.deepEqual(readdirSync(dir).sort(), [...kept].sort())
  })

  test("keeps a live writer's temp file of another file whose name starts the same (dump.json.bak)", () => {
    // `save` writes dump.json.bak with its own temp file while it cleans up after dump.json.
    const backupTemp = `.dump.json.bak.${process.ppid}.1700000000000.tmp`
    writeFileSync(join(dir, backupTemp), 'x')
    removeStaleTempFiles(join(dir, 'dump.json'))
    assert.deepEqual(readdirSync(dir), [backupTemp])
  })

  test('a folder without temp files is left as it is', () => {
    writeFileSync(join(dir, 'dump.json'), '{}')
    removeStaleTempFiles(join(dir, 'dump.json'))
    assert.deepEqual(readdirSync(dir), ['dump.json'])
  })
})
