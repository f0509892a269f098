import assert from 'node:assert/strict'
import {existsSync, rmSync} from 'node:fs'
import {test} from 'node:test'

import {envelope} from '../helpers/cli.js'
import {runTspm} from '../helpers/run-command.js'
import {privateHome, StubSupervisor} from '../helpers/stub-supervisor.js'

test('kill asks the supervisor to shut down and waits until its pid is gone', async (t) => {
  const stub = await StubSupervisor.start()
  t.after(() => stub.close())
  const run = await runTspm(['kill'], stub.home)
  assert.equal(run.exitCode, 0)
  assert.equal(run.stdout, `stopped every process and the supervisor (pid ${stub.shutdownPid})\n`)
  assert.equal(run.stderr, '')
  assert.deepEqual(stub.calls, ['GET /v1/health', 'POST /v1/shutdown'])
  assert.equal(existsSync(stub.paths.socket), false, 'the stub stopped listening, as a supervisor leaves')
})

test('kill --json prints the envelope with the pid', async (t) => {
  const stub = await StubSupervisor.start()
  t.after(() => stub.close())
  const run = await runTspm(['kill', '--json'], stub.home)
  assert.equal(run.exitCode, 0)
  assert.deepEqual(envelope(run.stdout), {status: 0, result: {pid: stub.shutdownPid, orphans: []}, warnings: []})
})

test('kill with no supervisor has nothing to do, and succeeds', async (t) => {
  const home = privateHome()
  t.after(() => rmSync(home, {recursive: true, force: true}))
  const run = await runTspm(['kill'], home)
  assert.equal(run.exitCode, 0)
  assert.equal(run.stdout, `no supervisor is running for TSPM_HOME=${home}; nothing to stop\n`)
  const json = await runTspm(['kill', '--json'], home)
  assert.deepEqual(envelope(json.stdout), {status: 0, result: {pid: null, orphans: []}, warnings: []})
})
