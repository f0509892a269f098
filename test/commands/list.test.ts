import assert from 'node:assert/strict'
import {rmSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'

import type {ProcessInfo} from '../../src/model/api.js'

import {envelope} from '../helpers/cli.js'
import {runTspm} from '../helpers/run-command.js'
import {privateHome, STUB_PROCESSES, StubSupervisor} from '../helpers/stub-supervisor.js'

describe('tspm list', () => {
  let stub: StubSupervisor

  before(async () => {
    stub = await StubSupervisor.start()
  })

  after(() => stub.close())

  test('prints the table of the supervisor on stdout', async () => {
    const run = await runTspm(['list'], stub.home)
    assert.equal(run.exitCode, 0)
    assert.equal(
      run.stdout,
      [
        'id  name     pid  status   restarts  uptime   cpu  memory',
        ' 0  web     4242  online          1      1m  1.5%   50 MB',
        ' 1  worker     -  stopped         0       -     -       -',
        '',
      ].join('\n'),
    )
    assert.equal(run.stderr, '')
    assert.ok(stub.calls.includes('GET /v1/processes'))
  })

  test('`ls` is the same command', async () => {
    const [list, ls] = [await runTspm(['list'], stub.home), await runTspm(['ls'], stub.home)]
    assert.equal(ls.exitCode, 0)
    assert.equal(ls.stdout, list.stdout)
  })

  test('--json prints the envelope with the processes as the supervisor sent them', async () => {
    const run = await runTspm(['list', '--json'], stub.home)
    assert.equal(run.exitCode, 0)
    assert.deepEqual(envelope<ProcessInfo[]>(run.stdout), {status: 0, result: STUB_PROCESSES, warnings: []})
    assert.equal(run.stderr, '')
  })

  test('an empty table says how to start something, on stderr', async (t) => {
    const empty = await StubSupervisor.start({processes: []})
    t.after(() => empty.close())
    const run = await runTspm(['list'], empty.home)
    assert.equal(run.exitCode, 0)
    assert.equal(run.stdout, '')
    assert.match(run.stderr, /no processes; start some with `tspm start`/)
    const json = await runTspm(['list', '--json'], empty.home)
    assert.deepEqual(envelope(json.stdout), {status: 0, result: [], warnings: []})
  })

  test('with no supervisor (and nothing left running) the list is empty and exits 3, told apart from "no apps"', async (t) => {
    const home = privateHome()
    t.after(() => rmSync(home, {recursive: true, force: true}))
    const run = await runTspm(['list'], home)
    assert.equal(run.exitCode, 3)
    assert.equal(run.stdout, '')
    assert.equal(
      run.stderr,
      `Error: no supervisor is running for TSPM_HOME=${home}; start your apps with \`tspm start\` (or \`tspm resurrect\`)\n`,
    )
    const json = await runTspm(['list', '--json'], home)
    assert.equal(json.exitCode, 3)
    const answer = envelope(json.stdout)
    assert.deepEqual([answer.status, answer.error?.code, answer.result], [3, 'not_running', []])
  })
})
