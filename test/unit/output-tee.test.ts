import assert from 'node:assert/strict'
import {PassThrough} from 'node:stream'
import {test} from 'node:test'

import {MAX_QUEUED_BYTES, OutputTee, type TeeTarget} from '../../src/supervisor/output-tee.js'

/** A stdout whose reader is as far behind as the test says. */
class FakeTarget implements TeeTarget {
  writableLength = 0
  readonly written: string[] = []
  private readonly drainListeners: Array<() => void> = []

  constructor(readonly isTTY = false) {}

  once(_event: 'drain', listener: () => void): void {
    this.drainListeners.push(listener)
  }

  /** The reader caught up. */
  drain(): void {
    this.writableLength = 0
    for (const listener of this.drainListeners.splice(0)) listener()
  }

  write(chunk: Buffer | string): boolean {
    this.written.push(String(chunk))
    return true
  }

  get text(): string {
    return this.written.join('')
  }
}

function setup(options: {tty?: boolean; env?: NodeJS.ProcessEnv} = {}) {
  const out = new FakeTarget(options.tty)
  const err = new FakeTarget(options.tty)
  const tee = new OutputTee(out, err, options.env ?? {})
  return {out, err, tee}
}

/** Lets the streams deliver what was written to them. */
const settle = () =>
  new Promise((resolve) => {
    setImmediate(resolve)
  })

test('each line goes to its stream after the id; a line in pieces is written once whole', async () => {
  const {out, err, tee} = setup()
  const [webOut, webErr, jobOut] = [new PassThrough(), new PassThrough(), new PassThrough()]
  tee.observe('web:1', webOut, webErr)
  tee.observe('job', jobOut, null)
  webOut.write('one\ntw')
  await settle()
  jobOut.write('job line\n')
  await settle()
  webOut.write('o\n')
  webErr.write('oops\n')
  await settle()
  assert.equal(out.text, 'web:1 | one\njob | job line\nweb:1 | two\n')
  assert.deepEqual(out.written, ['web:1 | one\n', 'job | job line\n', 'web:1 | two\n'], 'one write per whole line')
  assert.equal(err.text, 'web:1 | oops\n')
})

test('a run that ends inside a line has that line written, so the next run starts on its own line', async () => {
  const {out, tee} = setup()
  const first = new PassThrough()
  tee.observe('web', first, null)
  first.end('no newline')
  await settle()
  await settle()
  assert.equal(out.text, 'web | no newline\n')
})

test('a reader too far behind: lines are dropped and counted, and said once it has caught up', async () => {
  const {out, tee} = setup()
  const source = new PassThrough()
  tee.observe('web', source, null)
  source.write('kept\n')
  await settle()
  out.writableLength = MAX_QUEUED_BYTES + 1
  source.write('lost 1\nlost 2\n')
  await settle()
  source.write('lost 3\n')
  await settle()
  assert.equal(out.text, 'web | kept\n')
  out.drain()
  source.write('after\n')
  await settle()
  assert.equal(
    out.text,
    'web | kept\n[tspm] 3 lines of app output were not copied to stdout: it was not read fast enough (the log files have every line)\nweb | after\n',
  )
})

test('tspm says its own lines on stderr, never dropped', () => {
  const {err, tee} = setup()
  err.writableLength = MAX_QUEUED_BYTES * 2
  tee.say('started web')
  assert.equal(err.text, '[tspm] started web\n')
})

test('a very long line is cut into lines of 64 KiB', async () => {
  const {out, tee} = setup()
  const source = new PassThrough()
  tee.observe('web', source, null)
  source.write('x'.repeat(64 * 1024 + 10))
  await settle()
  source.write('\n')
  await settle()
  assert.deepEqual(
    out.text.split('\n').map((line) => line.length),
    [6 + 64 * 1024, 6 + 10, 0],
  )
})

test('the id is coloured on a terminal, one colour per app, not with NO_COLOR', async () => {
  for (const [tty, env, coloured] of [
    [true, {}, true],
    [true, {NO_COLOR: '1'}, false],
    [false, {}, false],
  ] as const) {
    const {out, tee} = setup({tty, env})
    const [zero, one] = [new PassThrough(), new PassThrough()]
    tee.observe('web:0', zero, null)
    tee.observe('web:1', one, null)
    zero.write('a\n')
    one.write('b\n')
    await settle()
    if (!coloured) {
      assert.equal(out.text, 'web:0 | a\nweb:1 | b\n')
      continue
    }

    const [first, second] = out.text.split('\n')
    // eslint-disable-next-line no-control-regex -- the colour codes are the point
    assert.match(first!, /^\u001B\[\d+mweb:0 \|\u001B\[0m a$/)
    assert.equal(
      second!.replace('web:1', 'web:0').replace(/b$/, 'a'),
      first,
      'the instances of one app share its colour',
    )
  }
})
