import assert from 'node:assert/strict'
import {test} from 'node:test'

import type {StartupStep} from '../../src/startup/platform.js'

import {ExitCode, TspmError} from '../../src/model/exit-codes.js'
import {runSteps} from '../../src/startup/run-steps.js'

/** A step that records its run and its undo in `journal`; `fail` makes its run throw, `failUndo` its rollback. */
function step(
  journal: string[],
  title: string,
  options: {undo?: boolean; fail?: unknown; failUndo?: Error} = {},
): StartupStep {
  const {undo = true, fail, failUndo} = options
  return {
    title,
    async run() {
      journal.push(`run ${title}`)
      if (fail !== undefined) throw fail
    },
    rollback: undo
      ? async () => {
          journal.push(`undo ${title}`)
          if (failUndo) throw failUndo
        }
      : undefined,
  }
}

/** What runSteps threw; fails the test when it did not throw a TspmError. */
async function failureOf(steps: StartupStep[]): Promise<TspmError> {
  try {
    await runSteps(steps, 'silent')
  } catch (error) {
    assert.ok(error instanceof TspmError, `a TspmError, got ${String(error)}`)
    return error
  }

  assert.fail('runSteps did not throw')
}

test('the steps run in order, and nothing is undone when all succeed', async () => {
  const journal: string[] = []
  await runSteps([step(journal, 'one'), step(journal, 'two'), step(journal, 'three')], 'silent')
  assert.deepEqual(journal, ['run one', 'run two', 'run three'])
})

test('when step 3 fails, the steps done before are undone newest first, and no later step runs', async () => {
  const journal: string[] = []
  const error = await failureOf([
    step(journal, 'write the unit'),
    step(journal, 'enable the unit'),
    step(journal, 'start the unit', {fail: new Error('unit failed to start')}),
    step(journal, 'check it runs'),
  ])
  assert.deepEqual(journal, [
    'run write the unit',
    'run enable the unit',
    'run start the unit',
    'undo enable the unit',
    'undo write the unit',
  ])
  assert.equal(error.message, 'start the unit: unit failed to start\nthe steps done before were undone')
  assert.equal(error.exitCode, ExitCode.failure)
  assert.equal(error.code, 'step_failed')
})

test('a completed step without a rollback is skipped in the undo', async () => {
  const journal: string[] = []
  const error = await failureOf([
    step(journal, 'one'),
    step(journal, 'check only', {undo: false}),
    step(journal, 'three', {fail: new Error('broken')}),
  ])
  assert.deepEqual(journal, ['run one', 'run check only', 'run three', 'undo one'])
  assert.match(error.message, /the steps done before were undone$/)
})

test('when the first step fails, nothing is undone and the message does not claim an undo', async () => {
  const journal: string[] = []
  const error = await failureOf([step(journal, 'one', {fail: new Error('no')}), step(journal, 'two')])
  assert.deepEqual(journal, ['run one'])
  assert.equal(error.message, 'one: no')
})

test('a failing undo does not stop the other undos, and is named in the error', async () => {
  const journal: string[] = []
  const error = await failureOf([
    step(journal, 'one'),
    step(journal, 'two', {failUndo: new Error('the file is busy')}),
    step(journal, 'three'),
    step(journal, 'four', {fail: new Error('broken')}),
  ])
  assert.deepEqual(journal, ['run one', 'run two', 'run three', 'run four', 'undo three', 'undo two', 'undo one'])
  assert.equal(
    error.message,
    'four: broken\nthese steps could not be undone; fix them by hand:\n  two: the file is busy',
  )
})

test('a TspmError of the failing step keeps its exit code and code', async () => {
  const journal: string[] = []
  const error = await failureOf([
    step(journal, 'one'),
    step(journal, 'install', {fail: new TspmError('needs root', {exit: ExitCode.needsRoot, code: 'needs_root'})}),
  ])
  assert.equal(error.exitCode, ExitCode.needsRoot)
  assert.equal(error.code, 'needs_root')
  assert.match(error.message, /^install: needs root\nthe steps done before were undone$/)
})

test("a plugin's own error with an exit code of the table keeps that exit code (2, not 1)", async () => {
  const journal: string[] = []
  // What a plugin throws without the core's TspmError class: an Error that carries exitCode.
  const pluginError = Object.assign(new Error('the unit does not verify'), {exitCode: 2})
  const error = await failureOf([step(journal, 'one'), step(journal, 'verify', {fail: pluginError})])
  assert.equal(error.exitCode, ExitCode.usage)
  assert.match(error.message, /^verify: the unit does not verify\nthe steps done before were undone$/)
})

test('an exit code outside the table, or 0, becomes a failure (1)', async () => {
  for (const exitCode of [0, 42, '2']) {
    const journal: string[] = []
    const error = await failureOf([step(journal, 'x', {fail: Object.assign(new Error('odd'), {exitCode})})])
    assert.equal(error.exitCode, ExitCode.failure, `exitCode ${JSON.stringify(exitCode)}`)
  }
})
