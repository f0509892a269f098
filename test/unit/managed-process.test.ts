import type {ChildProcess} from 'node:child_process'

import assert from 'node:assert/strict'
import {EventEmitter} from 'node:events'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {test} from 'node:test'

import {PROCESS_DEFAULTS, type ProcessSpec} from '../../src/model/process-spec.js'
import {ManagedProcess, type ManagedProcessDeps, type SpawnFunction} from '../../src/supervisor/managed-process.js'
import {FakeClock} from '../helpers/fake-clock.js'

/** Spawns nothing: hands out fake children the test ends with crash(). Pids are far above pid_max. */
class FakeSpawner {
  readonly children: Array<ChildProcess & EventEmitter> = []
  private nextPid = 2 ** 30
  readonly spawn: SpawnFunction = () => {
    // eslint-disable-next-line unicorn/prefer-event-target -- a stand-in for a ChildProcess, which is an EventEmitter
    const child = new EventEmitter() as ChildProcess & EventEmitter
    Object.assign(child, {pid: this.nextPid++, stdout: null, stderr: null, exitCode: null, signalCode: null})
    this.children.push(child)
    return child
  }

  crash(code = 1): void {
    const child = this.children.at(-1)!
    Object.assign(child, {exitCode: code})
    child.emit('exit', code, null)
  }
}

function setup(overrides: Partial<ProcessSpec> = {}, paceRestart?: ManagedProcessDeps['paceRestart']) {
  const logsDir = mkdtempSync(join(tmpdir(), 'tspm-managed-'))
  const clock = new FakeClock()
  const spawner = new FakeSpawner()
  const spec: ProcessSpec = {
    ...PROCESS_DEFAULTS,
    name: 'app',
    script: '/bin/false',
    args: [],
    cwd: '/',
    env: {},
    ...overrides,
  }
  const managed = new ManagedProcess(spec, {
    clock,
    spawn: spawner.spawn,
    home: logsDir,
    logsDir,
    baseEnv: {},
    onChange() {},
    log() {},
    paceRestart,
  })
  return {
    clock,
    spawner,
    managed,
    cleanup() {
      managed.dispose()
      rmSync(logsDir, {recursive: true, force: true})
    },
  }
}

/** Crashes the app `count` times after `uptimeMs` each; returns the delay before each restart. */
function crashLoop(harness: ReturnType<typeof setup>, count: number, uptimeMs: number): number[] {
  const delays: number[] = []
  for (let n = 0; n < count; n++) {
    harness.clock.advance(uptimeMs)
    harness.spawner.crash()
    const delay = harness.clock.nextTimerIn()
    if (delay === undefined) break
    delays.push(delay)
    harness.clock.advance(delay)
  }

  return delays
}

test('a crash loop ends errored after max_restarts unstable runs, and nothing restarts it by itself', (t) => {
  const harness = setup()
  t.after(() => harness.cleanup())
  harness.managed.start()
  const delays = crashLoop(harness, 16, 50)
  assert.deepEqual(delays.slice(0, 3), [100, 150, 225], 'each crash waits its backoff delay, then respawns')
  assert.equal(delays.length, 15, 'the 16th unstable run ends in errored, not in a restart')
  assert.equal(harness.managed.status, 'errored')
  assert.equal(harness.clock.nextTimerIn(), undefined, 'no restart is scheduled')
  harness.clock.advance(60 * 60 * 1000)
  assert.equal(harness.spawner.children.length, 16)
  assert.equal(harness.managed.restarts, 15)
  assert.match(harness.managed.snapshot().last_error ?? '', /crashed 16 times in a row/)
})

test('an exit code listed in stop_exit_codes ends the process without a restart', (t) => {
  const harness = setup({stop_exit_codes: [0, 3]})
  t.after(() => harness.cleanup())
  harness.managed.start()
  harness.clock.advance(5000)
  harness.spawner.crash(3)
  assert.equal(harness.managed.status, 'stopped')
  assert.equal(harness.clock.nextTimerIn(), undefined)
})

test('autorestart: false leaves a crashed process stopped', (t) => {
  const harness = setup({autorestart: false})
  t.after(() => harness.cleanup())
  harness.managed.start()
  harness.spawner.crash(1)
  assert.equal(harness.managed.status, 'stopped')
  assert.equal(harness.spawner.children.length, 1)
})

test('a restart by hand starts the backoff and the unstable count over', async (t) => {
  const harness = setup()
  t.after(() => harness.cleanup())
  harness.managed.start()
  crashLoop(harness, 15, 10)
  harness.clock.advance(10)
  harness.spawner.crash()
  assert.equal(harness.managed.status, 'errored')
  await harness.managed.restart()
  assert.equal(harness.managed.status, 'online')
  assert.deepEqual(crashLoop(harness, 3, 10), [100, 150, 225])
})

test('a restart held back by the pacer waits in waiting-restart, and stop cancels it', async (t) => {
  const held: Array<() => void> = []
  let cancelled = 0
  const harness = setup({}, (restart) => {
    held.push(restart)
    return () => cancelled++
  })
  t.after(() => harness.cleanup())
  harness.managed.start()
  harness.spawner.crash()
  harness.clock.advance(100)
  assert.equal(held.length, 1, 'the restart went to the pacer after its backoff delay')
  assert.equal(harness.managed.status, 'waiting-restart')
  assert.equal(harness.spawner.children.length, 1)
  await harness.managed.stop()
  assert.equal(cancelled, 1)
  assert.equal(harness.managed.status, 'stopped')
})
