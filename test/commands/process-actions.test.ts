import assert from 'node:assert/strict'
import {rmSync} from 'node:fs'
import {after, before, beforeEach, describe, test} from 'node:test'

import {envelope} from '../helpers/cli.js'
import {runTspm} from '../helpers/run-command.js'
import {privateHome, StubSupervisor} from '../helpers/stub-supervisor.js'

// restart waits for the processes to be online again by default; its waiting has a test of its own.
// restart also reads the definitions, to say when a config file has changed since (GET /v1/saved).
const ACTIONS = [
  {command: 'stop', flags: [], past: 'stopped', requests: (name: string) => [`POST /v1/processes/${name}/stop`]},
  {
    command: 'restart',
    flags: ['--no-wait'],
    past: 'restarted',
    requests: (name: string) => [`POST /v1/processes/${name}/restart`, 'GET /v1/saved'],
  },
  {command: 'delete', flags: [], past: 'deleted', requests: (name: string) => [`DELETE /v1/processes/${name}`]},
]

describe('tspm stop, restart and delete', () => {
  let stub: StubSupervisor

  before(async () => {
    stub = await StubSupervisor.start()
  })

  after(() => stub.close())

  beforeEach(() => {
    stub.requests.length = 0
  })

  for (const {command, flags, past, requests} of ACTIONS) {
    test(`${command} web asks the supervisor and says what was ${past}`, async () => {
      const run = await runTspm([command, 'web', ...flags], stub.home)
      assert.equal(run.exitCode, 0)
      assert.equal(run.stdout, `${past} web\n`)
      assert.equal(run.stderr, '')
      assert.deepEqual(stub.calls, ['GET /v1/health', ...requests('web')])
    })

    test(`${command} all names every process`, async () => {
      const run = await runTspm([command, 'all', ...flags], stub.home)
      assert.equal(run.exitCode, 0)
      assert.equal(run.stdout, `${past} web, worker\n`)
    })

    test(`${command} --json prints the envelope with the names`, async () => {
      const run = await runTspm([command, 'web', '--json', ...flags], stub.home)
      assert.equal(run.exitCode, 0)
      assert.deepEqual(envelope(run.stdout), {status: 0, result: {names: ['web']}, warnings: []})
      assert.equal(run.stderr, '')
    })

    test(`${command} of an unknown process fails with exit 1 and code unknown_process`, async () => {
      const run = await runTspm([command, 'nope'], stub.home)
      assert.equal(run.exitCode, 1)
      assert.equal(run.stdout, '')
      assert.equal(run.stderr, 'Error: no process named "nope"; known: web, worker (or "all")\n')
      const json = await runTspm([command, 'nope', '--json'], stub.home)
      assert.equal(json.exitCode, 1)
      assert.deepEqual(envelope(json.stdout), {
        status: 1,
        error: {
          name: 'TspmError',
          code: 'unknown_process',
          message: 'no process named "nope"; known: web, worker (or "all")',
        },
        warnings: [],
      })
    })

    test(`${command} without a name is a usage error (exit 2)`, async () => {
      const run = await runTspm([command], stub.home)
      assert.equal(run.exitCode, 2)
      assert.match(run.stderr, /^Error: Missing 1 required arg/)
      assert.deepEqual(stub.calls, [], 'nothing is asked of the supervisor')
      const json = await runTspm([command, '--json'], stub.home)
      assert.equal(json.exitCode, 2)
      assert.equal(envelope(json.stdout).status, 2)
      assert.equal(envelope(json.stdout).error?.code, 'usage')
    })
  }

  test('a name is sent %-encoded', async () => {
    const run = await runTspm(['stop', 'a%b'], stub.home)
    assert.equal(run.exitCode, 1)
    assert.deepEqual(stub.calls, ['GET /v1/health', 'POST /v1/processes/a%25b/stop'])
    assert.match(run.stderr, /no process named "a%b"/)
  })
})

test('restart waits until the process is online again, and says so; a start that failed fails it', async (t) => {
  const stub = await StubSupervisor.start()
  t.after(() => stub.close())
  const online = await runTspm(['restart', 'web'], stub.home)
  assert.equal(online.exitCode, 0)
  assert.equal(online.stdout, 'restarted web\nweb is online\n')
  // The stub's worker: its latest start failed (it exited with a stop exit code).
  const failed = await runTspm(['restart', 'worker', '--json'], stub.home)
  assert.equal(failed.exitCode, 1)
  const answer = envelope(failed.stdout)
  assert.equal(answer.error?.code, 'not_ready')
  assert.match(answer.error!.message, /^worker did not come online: exited with code 0 after 100 ms; not restarting/)
})

describe('tspm stop, restart and delete with no supervisor', () => {
  let home: string

  before(() => {
    home = privateHome()
  })

  after(() => rmSync(home, {recursive: true, force: true}))

  for (const {command} of ACTIONS) {
    test(`${command} exits 3 and says no supervisor runs`, async () => {
      const run = await runTspm([command, 'web'], home)
      assert.equal(run.exitCode, 3)
      assert.equal(run.stdout, '')
      assert.match(run.stderr, new RegExp(`^Error: no supervisor is running for TSPM_HOME=${home}; `))
      const json = await runTspm([command, 'web', '--json'], home)
      assert.equal(json.exitCode, 3)
      const {status, error} = envelope(json.stdout)
      assert.equal(status, 3)
      assert.equal(error?.code, 'not_running')
    })
  }
})
