import assert from 'node:assert/strict'
import {test} from 'node:test'

import type {ProcessInfo} from '../../src/model/api.js'

import {commandFor} from '../../src/monit/keys.js'
import {HISTORY_SPAN, MonitorState} from '../../src/monit/state.js'
import {displayWidth, plainLogLine, truncate} from '../../src/monit/text.js'

function info(id: string, fields: Partial<ProcessInfo> = {}): ProcessInfo {
  return {id, name: id.split(':')[0]!, instance: 0, pid: 100, cpu: 1, memory: 1000, ...fields} as ProcessInfo
}

test('each sample adds a point of cpu and memory history; a minute is kept', () => {
  const state = new MonitorState('/home')
  for (let second = 0; second < HISTORY_SPAN + 5; second++) state.recordSample([info('web', {cpu: second})])
  const history = state.history.get('web')!
  assert.equal(history.cpu.length, HISTORY_SPAN)
  assert.equal(history.cpu.at(-1), HISTORY_SPAN + 4)
  assert.equal(history.cpu[0], 5)
})

test('a process that does not run, or a second without an answer, is a gap in the history', () => {
  const state = new MonitorState('/home')
  state.recordSample([info('web', {pid: null})])
  state.recordUnreachable('no supervisor')
  assert.equal(state.view(0).unreachable, 'no supervisor')
  state.recordSample([info('web')])
  assert.deepEqual(state.history.get('web')!.cpu, [null, null, 1])
  assert.equal(state.view(0).unreachable, undefined)
})

test('the selection stays on its process when rows come and go, and a gone process hands it to its neighbour', () => {
  const state = new MonitorState('/home')
  state.recordSample([info('a'), info('b'), info('c')])
  assert.equal(state.selected?.id, 'a')
  state.move(1)
  state.move(1)
  state.move(1)
  assert.equal(state.selected?.id, 'c', 'stops at the last row')
  state.move(-Infinity)
  state.move(1)
  state.recordSample([info('new'), info('a'), info('b'), info('c')])
  assert.equal(state.selected?.id, 'b')
  state.recordSample([info('new'), info('a'), info('c')])
  assert.equal(state.selected?.id, 'c', 'the row that took its place')
  assert.equal(state.history.has('b'), false, 'its history went with it')
  state.recordSample([])
  assert.equal(state.selected, undefined)
  assert.equal(state.view(0).selected, -1)
})

test('a result fades after a few seconds; a question and work in progress stay', () => {
  const state = new MonitorState('/home')
  state.say('restarted web', 'success', 1000)
  assert.equal(state.view(2000).notice?.text, 'restarted web')
  assert.equal(state.view(60_000).notice, undefined)
  state.say('stop web? press y', 'question', 1000)
  assert.equal(state.view(60_000).notice?.text, 'stop web? press y')
})

test('keys: arrows and j/k move, r s S act, q and Ctrl-C quit, other keys do nothing', () => {
  assert.equal(commandFor(undefined, {name: 'up'}), 'up')
  assert.equal(commandFor('j', {name: 'j'}), 'down')
  assert.equal(commandFor('k', {name: 'k'}), 'up')
  assert.equal(commandFor(undefined, {name: 'pagedown'}), 'page-down')
  assert.equal(commandFor('r', {name: 'r'}), 'restart')
  assert.equal(commandFor('s', {name: 's'}), 'stop')
  assert.equal(commandFor('S', {name: 's', shift: true}), 'start')
  assert.equal(commandFor('q', {name: 'q'}), 'quit')
  assert.equal(commandFor('\u0003', {name: 'c', ctrl: true}), 'quit')
  assert.equal(commandFor('\u0012', {name: 'r', ctrl: true}), undefined)
  assert.equal(commandFor('x', {name: 'x'}), undefined)
})

test('text: wide characters take two columns, a cut ends in the ellipsis, an app line loses its escapes', () => {
  assert.equal(displayWidth('日本'), 4)
  assert.equal(displayWidth('e\u0301'), 1)
  assert.equal(truncate('日本語のログ', 7, '…'), '日本語…')
  assert.equal(truncate('short', 7, '…'), 'short')
  assert.equal(plainLogLine('\u001B[1mbold\u001B[0m\ta\u0007b'), 'bold    ab')
  assert.equal(plainLogLine('windows line\r'), 'windows line')
})
