import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {readDump} from '../../src/store/dump.js'
import {envelope} from '../helpers/cli.js'
import {exitedPid} from '../helpers/procfs.js'
import {runTspm} from '../helpers/run-command.js'
import {privateHome, StubSupervisor} from '../helpers/stub-supervisor.js'

test('save writes what the supervisor runs to dump.json, private to its owner', async (t) => {
  const stub = await StubSupervisor.start()
  t.after(() => stub.close())
  const run = await runTspm(['save'], stub.home)
  assert.equal(run.exitCode, 0)
  assert.equal(run.stdout, `saved 2 processes to ${stub.paths.dumpFile}: web, worker (stopped)\n`)
  assert.equal(run.stderr, '')
  assert.ok(stub.calls.includes('GET /v1/saved'))
  const dump = await readDump(stub.paths.dumpFile)
  assert.deepEqual(
    dump.processes.map(({state, ...spec}) => ({spec, desired: state})),
    stub.saved,
    'the dump reads back as exactly what the supervisor answered',
  )
  assert.equal(statSync(stub.paths.dumpFile).mode & 0o777, 0o600)
  assert.equal(existsSync(stub.paths.dumpBackup), false, 'no previous save to keep')
})

test('save --json prints the envelope with the file and the names; the previous save is kept as .bak', async (t) => {
  const stub = await StubSupervisor.start()
  t.after(() => stub.close())
  assert.equal((await runTspm(['save'], stub.home)).exitCode, 0)
  const first = readFileSync(stub.paths.dumpFile, 'utf8')
  const run = await runTspm(['save', '--json'], stub.home)
  assert.equal(run.exitCode, 0)
  assert.deepEqual(envelope(run.stdout), {
    status: 0,
    result: {file: stub.paths.dumpFile, names: ['web', 'worker']},
    warnings: [],
  })
  assert.equal(readFileSync(stub.paths.dumpBackup, 'utf8'), first)
})

test('save of an empty list is refused (exit 1, nothing_to_save) and writes nothing', async (t) => {
  const stub = await StubSupervisor.start({saved: []})
  t.after(() => stub.close())
  const run = await runTspm(['save'], stub.home)
  assert.equal(run.exitCode, 1)
  assert.match(run.stderr, /^Error: nothing to save: .*use --force to save an empty list/)
  const json = await runTspm(['save', '--json'], stub.home)
  assert.equal(json.exitCode, 1)
  assert.equal(envelope(json.stdout).error?.code, 'nothing_to_save')
  assert.equal(existsSync(stub.paths.dumpFile), false)
})

test('save --force with no supervisor writes an empty list', async (t) => {
  const home = privateHome()
  t.after(() => rmSync(home, {recursive: true, force: true}))
  const run = await runTspm(['save', '--force', '--json'], home)
  assert.equal(run.exitCode, 0)
  assert.deepEqual(envelope(run.stdout).result, {file: `${home}/dump.json`, names: []})
  assert.deepEqual((await readDump(`${home}/dump.json`)).processes, [])
})

test('save removes the temp files a killed save left, of dump.json and of dump.json.bak', async (t) => {
  const stub = await StubSupervisor.start()
  t.after(() => stub.close())
  const dead = exitedPid()
  const leftovers = [`.dump.json.${dead}.1700000000000.tmp`, `.dump.json.bak.${dead}.1700000000000.tmp`]
  for (const name of leftovers) writeFileSync(join(stub.home, name), 'half a list')
  assert.equal((await runTspm(['save'], stub.home)).exitCode, 0)
  assert.deepEqual(
    readdirSync(stub.home).filter((name) => name.endsWith('.tmp')),
    [],
  )
})
