import assert from 'node:assert/strict'
import {test} from 'node:test'

import {isoTimestamp} from '../../src/supervisor/clock.js'

test('isoTimestamp matches Date#toISOString, leap days and era edges included', () => {
  const edges = [
    0,
    -1,
    1,
    951_782_400_000,
    951_868_799_999,
    4_102_444_800_000,
    253_402_300_799_999,
    -62_167_219_200_000,
    Date.now(),
  ]
  const random = Array.from(
    {length: 20_000},
    () => Math.floor(Math.random() * (253_402_300_800_000 + 62_167_219_200_000)) - 62_167_219_200_000,
  )
  for (const ms of [...edges, ...random]) {
    assert.equal(isoTimestamp(ms), new Date(ms).toISOString(), `at ${ms}`)
  }
})
