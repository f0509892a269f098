import assert from 'node:assert/strict'
import {test} from 'node:test'

import type {ProcStat} from '../../src/os/proc.js'

import {type Launch, LaunchThrottle} from '../../src/supervisor/launch-throttle.js'
import {FakeClock} from '../helpers/fake-clock.js'

/** Apps as /proc would show them: each pid's state and CPU ticks, set by the test. */
class FakeApps {
  readonly state = new Map<number, {cpuTicks: number; state: string}>()
  /** The pids in the order they were spawned. */
  readonly spawned: number[] = []
  readStat = (pid: number): ProcStat | undefined => {
    const app = this.state.get(pid)
    return (
      app && {
        pid,
        state: app.state,
        ppid: 1,
        pgrp: pid,
        session: pid,
        cpuTicks: app.cpuTicks,
        childCpuTicks: 0,
        startTime: 1,
        rssPages: 1,
      }
    )
  }
}

function setup(slots: number) {
  const clock = new FakeClock()
  const apps = new FakeApps()
  const throttle = new LaunchThrottle({clock, slots, readStat: apps.readStat})
  const launches = new Map<number, Launch>()
  /** Asks a slot for app `pid`; it is spawned (and runs) when it gets one. */
  const launch = (pid: number, untilReady = false) => {
    const request: Launch = {
      untilReady,
      spawn() {
        apps.state.set(pid, {state: 'R', cpuTicks: 0})
        apps.spawned.push(pid)
        return pid
      },
    }
    launches.set(pid, request)
    return throttle.admit(request)
  }

  return {clock, apps, throttle, launch, launches}
}

test('a lone launch is never held, nor is one that finds a free slot', () => {
  const {apps, launch} = setup(2)
  assert.equal(launch(101), true)
  assert.equal(launch(102), true)
  assert.deepEqual(apps.spawned, [101, 102])
})

test('launches beyond the slots are queued, not spawned, and spawned in launch order as apps go to sleep', () => {
  const {clock, apps, throttle, launch, launches} = setup(2)
  for (const pid of [1, 2, 3, 4, 5]) launch(pid)
  assert.deepEqual(apps.spawned, [1, 2], 'only as many as there are slots exist')
  assert.equal(throttle.isQueued(launches.get(3)!), true)

  clock.advance(20)
  assert.deepEqual(apps.spawned, [1, 2], 'nobody new while both slots still start up')

  apps.state.get(2)!.state = 'S' // app 2 now waits for work
  clock.advance(5)
  assert.deepEqual(apps.spawned, [1, 2], 'one look is not enough: Node sleeps for a moment while it boots')
  clock.advance(5)
  assert.deepEqual(apps.spawned, [1, 2, 3])

  apps.state.get(1)!.state = 'S'
  apps.state.get(3)!.state = 'S'
  clock.advance(10)
  assert.deepEqual(apps.spawned, [1, 2, 3, 4, 5])
  apps.state.get(4)!.state = 'S'
  apps.state.get(5)!.state = 'S'
  clock.advance(10)
  assert.equal(clock.nextTimerIn(), undefined, 'no polling once every app has started up')
})

test('an app that exits or keeps the CPU busy gives up its slot; one that hangs gives it up after a second', () => {
  const {clock, apps, launch, throttle} = setup(1)
  for (const pid of [1, 2, 3, 4]) launch(pid)
  assert.deepEqual(apps.spawned, [1])

  throttle.forget(1) // exited
  assert.deepEqual(apps.spawned, [1, 2], 'the next is spawned at once')

  apps.state.get(2)!.cpuTicks = 10 // 100 ms of CPU: a busy app, past its start-up
  clock.advance(5)
  assert.deepEqual(apps.spawned, [1, 2, 3])

  clock.advance(995) // app 3 stays runnable but gets no CPU: the machine is busy elsewhere
  assert.deepEqual(apps.spawned, [1, 2, 3])
  clock.advance(5)
  assert.deepEqual(apps.spawned, [1, 2, 3, 4])
})

test('a queued app that is cancelled (stopped before its turn) is never spawned', () => {
  const {clock, apps, throttle, launch, launches} = setup(1)
  for (const pid of [1, 2, 3]) launch(pid)
  assert.equal(throttle.cancel(launches.get(2)!), true)
  assert.equal(throttle.cancel(launches.get(2)!), false, 'only once')
  apps.state.get(1)!.state = 'S'
  clock.advance(10)
  assert.deepEqual(apps.spawned, [1, 3])
})

test('an app with a ready check keeps its slot until it is ready, whatever /proc shows; then the next one is spawned', () => {
  const {apps, clock, launch, throttle} = setup(1)
  launch(1, true)
  launch(2, true)
  assert.deepEqual(apps.spawned, [1], 'the first runs at once')
  // Asleep, done with its CPU, long past a second: still in its slot, as it is not ready yet.
  apps.state.set(1, {state: 'S', cpuTicks: 50})
  clock.advance(5000)
  assert.deepEqual(apps.spawned, [1])
  throttle.ready(1)
  assert.deepEqual(apps.spawned, [1, 2], 'the next runs once the first is ready')
  assert.equal(clock.nextTimerIn(), undefined, 'slots held until ready need no polling')
})
