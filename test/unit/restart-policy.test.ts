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
  const logsDir = mkdtempSync(join(tmpdir(), 'tspm-policy-'))
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

test('exponential backoff: 100 ms, then x1.5 per consecutive crash, capped at max_restart_delay', (t) => {
  const harness = setup({min_uptime: 1000, max_restarts: 100})
  t.after(() => harness.cleanup())
  harness.managed.start()
  const delays = crashLoop(harness, 16, 2000)
  assert.deepEqual(
    delays,
    [100, 150, 225, 338, 507, 761, 1142, 1713, 2570, 3855, 5783, 8675, 13_013, 15_000, 15_000, 15_000],
  )
  assert.equal(harness.managed.restarts, 16)
  assert.equal(harness.managed.status, 'online')
})

test('a run longer than backoff_reset starts the backoff over at 100 ms', (t) => {
  const harness = setup()
  t.after(() => harness.cleanup())
  harness.managed.start()
  assert.deepEqual(crashLoop(harness, 4, 10), [100, 150, 225, 338])
  assert.deepEqual(crashLoop(harness, 1, 30_000), [100])
  assert.deepEqual(crashLoop(harness, 2, 10), [150, 225])
})

test('errored after max_restarts (16) consecutive unstable runs, and it stays down', (t) => {
  const harness = setup()
  t.after(() => harness.cleanup())
  harness.managed.start()
  const delays = crashLoop(harness, 16, 50)
  assert.equal(delays.length, 15, 'the 16th unstable run ends in errored, not in a restart')
  assert.equal(harness.managed.status, 'errored')
  assert.equal(harness.clock.nextTimerIn(), undefined, 'no restart is scheduled')
  harness.clock.advance(60 * 60 * 1000)
  assert.equal(harness.spawner.children.length, 16)
  assert.match(harness.managed.snapshot().last_error ?? '', /crashed 16 times in a row/)
})

test('a process that starts crash-looping an hour after it was created is still caught', (t) => {
  const harness = setup()
  t.after(() => harness.cleanup())
  harness.managed.start()
  // One long, healthy run, which then ends: from here on every run crashes within 100 ms.
  crashLoop(harness, 1, 60 * 60 * 1000)
  crashLoop(harness, 15, 100)
  assert.equal(harness.managed.status, 'online', '15 unstable runs are not enough')
  crashLoop(harness, 1, 100)
  assert.equal(harness.managed.status, 'errored')
})

test('stable runs (uptime >= min_uptime) never count toward errored', (t) => {
  const harness = setup()
  t.after(() => harness.cleanup())
  harness.managed.start()
  crashLoop(harness, 40, 1500)
  assert.notEqual(harness.managed.status, 'errored')
  assert.equal(harness.managed.restarts, 40)
})

test('a stable run in between resets the count of unstable runs', (t) => {
  const harness = setup()
  t.after(() => harness.cleanup())
  harness.managed.start()
  crashLoop(harness, 15, 10)
  crashLoop(harness, 1, 5000)
  crashLoop(harness, 15, 10)
  assert.notEqual(harness.managed.status, 'errored')
})

test('with exp_backoff_restart_delay 0, restart_delay applies as a fixed delay', (t) => {
  const harness = setup({exp_backoff_restart_delay: 0, restart_delay: 250})
  t.after(() => harness.cleanup())
  harness.managed.start()
  assert.deepEqual(crashLoop(harness, 5, 2000), [250, 250, 250, 250, 250])
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
