import assert from 'node:assert/strict'
import {test} from 'node:test'

import {RestartPacer} from '../../src/supervisor/restart-pacer.js'
import {FakeClock} from '../helpers/fake-clock.js'

test('a crash storm is spread: at most perWindow restarts in any window, in the order they came', () => {
  const clock = new FakeClock()
  const pacer = new RestartPacer(clock, 4, 100)
  const ran: Array<[number, number]> = []
  const start = clock.now()
  for (let app = 0; app < 10; app++) pacer.schedule(() => ran.push([app, clock.now() - start]))
  assert.deepEqual(
    ran.map(([app]) => app),
    [0, 1, 2, 3],
  )
  clock.advance(100)
  assert.deepEqual(
    ran.map(([app]) => app),
    [0, 1, 2, 3, 4, 5, 6, 7],
  )
  clock.advance(100)
  assert.deepEqual(ran, [
    [0, 0],
    [1, 0],
    [2, 0],
    [3, 0],
    [4, 100],
    [5, 100],
    [6, 100],
    [7, 100],
    [8, 200],
    [9, 200],
  ])
})

test('a single restart never waits, and a cancelled one never runs', () => {
  const clock = new FakeClock()
  const pacer = new RestartPacer(clock, 1, 100)
  const ran: string[] = []
  pacer.schedule(() => ran.push('a'))
  assert.deepEqual(ran, ['a'], 'runs at once')
  const cancelB = pacer.schedule(() => ran.push('b'))
  pacer.schedule(() => ran.push('c'))
  cancelB()
  clock.advance(1000)
  assert.deepEqual(ran, ['a', 'c'])
  clock.advance(500)
  pacer.schedule(() => ran.push('d'))
  assert.deepEqual(ran, ['a', 'c', 'd'], 'a quiet pacer runs a restart at once again')
})
