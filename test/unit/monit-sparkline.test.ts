import assert from 'node:assert/strict'
import {test} from 'node:test'

import {sparkline} from '../../src/monit/sparkline.js'

const MINUTE = {span: 60, unicode: true}

test('a minute of rising samples, one column each, climbs from the lowest bar to the full one', () => {
  const rising = Array.from({length: 60}, (_, second) => second)
  const line = sparkline(rising, {...MINUTE, width: 60, ceiling: 59})
  assert.equal(line.length, 60)
  assert.equal(line[0], '▁')
  assert.equal(line[59], '█')
  const bars = '▁▂▃▄▅▆▇█'
  for (let column = 1; column < 60; column++)
    assert.ok(bars.indexOf(line[column]!) >= bars.indexOf(line[column - 1]!), `column ${column} of ${line}`)
})

test('a minute in 10 columns: each shows the highest of its 6 seconds, so a one-second spike stays visible', () => {
  const samples = Array.from({length: 60}, () => 1)
  samples[33] = 100
  assert.equal(sparkline(samples, {...MINUTE, width: 10, ceiling: 100}), '▁▁▁▁▁█▁▁▁▁')
})

test('the newest sample is at the right; the part of the minute not watched yet is blank', () => {
  assert.equal(sparkline([5, 10], {...MINUTE, width: 60, ceiling: 10}), `${' '.repeat(58)}▅█`)
  assert.equal(sparkline([], {...MINUTE, width: 8, ceiling: 10}), ' '.repeat(8))
  // Six seconds are one column of ten.
  assert.equal(sparkline([0, 0, 0, 0, 0, 10], {...MINUTE, width: 10, ceiling: 10}), `${' '.repeat(9)}█`)
})

test('a gap (not running, or no answer) is blank; zero is the lowest bar, not a gap', () => {
  assert.equal(sparkline([0, null, 10], {...MINUTE, span: 3, width: 3, ceiling: 10}), '▁ █')
})

test('only the last span of samples is drawn, and values past the ceiling are full bars', () => {
  const samples = [...Array.from({length: 60}, () => 100), ...Array.from({length: 60}, () => 0)]
  assert.equal(sparkline(samples, {...MINUTE, width: 6, ceiling: 10}), '▁▁▁▁▁▁')
  assert.equal(sparkline([250], {...MINUTE, span: 1, width: 1, ceiling: 100}), '█')
  assert.equal(sparkline([3], {...MINUTE, span: 1, width: 1, ceiling: 0}), '▁')
})

test('wider than the span: one column a sample, padded on the left to the width', () => {
  assert.equal(sparkline([10, 10], {...MINUTE, span: 2, width: 5, ceiling: 10}), '   ██')
})

test('without a UTF-8 locale the same eight heights are ASCII', () => {
  const rising = Array.from({length: 8}, (_, step) => step)
  const line = sparkline(rising, {span: 8, width: 8, ceiling: 7, unicode: false})
  assert.equal(line, '_.-=+*#@')
  assert.match(line, /^[\u0020-\u007E]*$/)
})
