import assert from 'node:assert/strict'
import {test} from 'node:test'

import type {ProcStat} from '../../src/os/proc.js'

import {LaunchThrottle} from '../../src/supervisor/launch-throttle.js'
import {FakeClock} from '../helpers/fake-clock.js'

/** Apps as /proc would show them: each pid's state and CPU ticks, set by the test. */
class FakeApps {
  readonly state = new Map<number, {state: string; cpuTicks: number}>()
  readonly signals: string[] = []

  launch(pid: number): void {
    this.state.set(pid, {state: 'R', cpuTicks: 0})
  }

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
        startTime: 1,
        rssPages: 1,
      }
    )
  }
  signalGroup = (pgid: number, signal: NodeJS.Signals): void => {
    this.signals.push(`${signal} ${pgid}`)
  }
}

function setup(slots: number) {
  const clock = new FakeClock()
  const apps = new FakeApps()
  const throttle = new LaunchThrottle({clock, slots, readStat: apps.readStat, signalGroup: apps.signalGroup})
  const running: number[] = []
  const launch = (pid: number, untilReady = false) => {
    apps.launch(pid)
    throttle.admit(pid, {untilReady, onRun: () => running.push(pid)})
  }

  return {clock, apps, throttle, launch, running}
}

test('a lone launch is never held, nor is one that finds a free slot', () => {
  const {apps, throttle, launch} = setup(2)
  launch(101)
  launch(102)
  assert.deepEqual(apps.signals, [])
  assert.equal(throttle.isWaiting(101) || throttle.isWaiting(102), false)
})

test('launches beyond the slots wait stopped and start, in launch order, as apps go to sleep', () => {
  const {clock, apps, throttle, launch} = setup(2)
  for (const pid of [1, 2, 3, 4, 5]) launch(pid)
  assert.deepEqual(apps.signals, ['SIGSTOP 3', 'SIGSTOP 4', 'SIGSTOP 5'])

  clock.advance(20)
  assert.deepEqual(apps.signals.length, 3, 'nobody is continued while both slots still start up')

  apps.state.get(2)!.state = 'S' // app 2 now waits for work
  clock.advance(5)
  assert.deepEqual(apps.signals.slice(3), [], 'one look is not enough: Node sleeps for a moment while it boots')
  clock.advance(5)
  assert.deepEqual(apps.signals.slice(3), ['SIGCONT 3'])
  assert.equal(throttle.isWaiting(3), false)
  assert.equal(throttle.isWaiting(4), true)

  apps.state.get(1)!.state = 'S'
  apps.state.get(3)!.state = 'S'
  clock.advance(10)
  assert.deepEqual(apps.signals.slice(4), ['SIGCONT 4', 'SIGCONT 5'])
  apps.state.get(4)!.state = 'S'
  apps.state.get(5)!.state = 'S'
  clock.advance(10)
  assert.equal(clock.nextTimerIn(), undefined, 'no polling once every app has started up')
})

test('an app that exits or keeps the CPU busy gives up its slot; one that hangs gives it up after a second', () => {
  const {clock, apps, launch} = setup(1)
  for (const pid of [1, 2, 3, 4]) launch(pid)
  assert.deepEqual(apps.signals, ['SIGSTOP 2', 'SIGSTOP 3', 'SIGSTOP 4'])

  apps.state.delete(1) // exited
  clock.advance(5)
  assert.deepEqual(apps.signals.slice(3), ['SIGCONT 2'])

  apps.state.get(2)!.cpuTicks = 10 // 100 ms of CPU: a busy app, past its start-up
  clock.advance(5)
  assert.deepEqual(apps.signals.slice(4), ['SIGCONT 3'])

  clock.advance(995) // app 3 stays runnable but gets no CPU: the machine is busy elsewhere
  assert.deepEqual(apps.signals.slice(5), [])
  clock.advance(5)
  assert.deepEqual(apps.signals.slice(5), ['SIGCONT 4'])
})

test('a forgotten app (stopped by the user, or gone) is never continued later', () => {
  const {clock, apps, throttle, launch} = setup(1)
  for (const pid of [1, 2, 3]) launch(pid)
  throttle.forget(2)
  apps.state.get(1)!.state = 'S'
  clock.advance(10)
  assert.deepEqual(apps.signals, ['SIGSTOP 2', 'SIGSTOP 3', 'SIGCONT 3'])
})

test('an app with a ready check keeps its slot until it is ready, whatever /proc shows; then the next one runs', () => {
  const {apps, clock, launch, running, throttle} = setup(1)
  launch(1, true)
  launch(2, true)
  assert.deepEqual(running, [1], 'the first runs at once')
  assert.deepEqual(apps.signals, ['SIGSTOP 2'])
  // Asleep, done with its CPU, long past a second: still in its slot, as it is not ready yet.
  apps.state.set(1, {state: 'S', cpuTicks: 50})
  clock.advance(5000)
  assert.deepEqual(running, [1])
  throttle.ready(1)
  assert.deepEqual(running, [1, 2], 'the next runs once the first is ready')
  assert.deepEqual(apps.signals, ['SIGSTOP 2', 'SIGCONT 2'])
  assert.equal(clock.nextTimerIn(), undefined, 'slots held until ready need no polling')
})
