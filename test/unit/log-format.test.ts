import assert from 'node:assert/strict'
import {test} from 'node:test'

import {compileDateFormat, PM2_TIME_FORMAT} from '../../src/model/date-format.js'
import {appLogPaths} from '../../src/store/home.js'
import {LineStamper} from '../../src/supervisor/line-stamp.js'

test('log_date_format: day.js tokens as PM2 documents them, other letters as they are, names refused', () => {
  const previous = process.env.TZ
  process.env.TZ = 'UTC'
  try {
    const at = Date.UTC(2026, 11, 2, 15, 4, 5, 6)
    assert.equal(compileDateFormat(PM2_TIME_FORMAT)(at), '2026-12-02T15:04:05')
    assert.equal(compileDateFormat('YY/M/D H:m:s.SSS Z ZZ')(at), '26/12/2 15:4:5.006 +00:00 +0000')
    assert.equal(compileDateFormat('hh:mm a [o]n [YYYY] X')(at), `03:04 pm on YYYY ${Math.floor(at / 1000)}`)
  } finally {
    if (previous === undefined) delete process.env.TZ
    else process.env.TZ = previous
  }

  assert.throws(
    () => compileDateFormat('DD MMM YYYY'),
    /"MMM" is not supported in a log date format; tspm supports YYYY/,
  )
  assert.throws(() => compileDateFormat('dddd'), /"dddd" is not supported/)
})

test('a stamp goes in front of each line, once, however the line is cut into chunks', () => {
  const stamper = new LineStamper((ms) => `t${ms}`)
  const chunks = [
    stamper.stamp(Buffer.from('one\ntw'), 1),
    stamper.stamp(Buffer.from('o\n'), 2),
    stamper.stamp(Buffer.from('three\nfour\n'), 3),
  ]
  assert.equal(Buffer.concat(chunks).toString(), 't1: one\nt1: two\nt3: three\nt3: four\n')
})

test('stamping keeps every byte: UTF-8 cut between chunks, bytes that are not UTF-8, empty lines, a stamp with any text', () => {
  const stamper = new LineStamper((ms) => `[${ms}→]`)
  const euro = Buffer.from('€')
  const chunks = [
    Buffer.concat([Buffer.from('price '), euro.subarray(0, 1)]),
    Buffer.concat([euro.subarray(1), Buffer.from('\n\n')]),
    Buffer.from([0xff, 0xfe, 0x0a, 0x41]),
    Buffer.from('\n'),
  ]
  const stamped = Buffer.concat(chunks.map((chunk, index) => stamper.stamp(chunk, index)))
  const expected = Buffer.concat([
    Buffer.from('[0→]: price €\n[1→]: \n[2→]: '),
    Buffer.from([0xff, 0xfe, 0x0a]),
    Buffer.from('[2→]: A\n'),
  ])
  assert.deepEqual(stamped, expected)
})

test('log paths: the app own files, out_file/error_file/log_file numbered per instance unless merge_logs', () => {
  assert.deepEqual(appLogPaths({name: 'web'}, '/h/logs', 2), {
    out: '/h/logs/web-out-2.log',
    err: '/h/logs/web-err-2.log',
  })
  const custom = {name: 'web', out_file: '/var/log/web.log', error_file: '/dev/null', log_file: '/var/log/all'}
  assert.deepEqual(appLogPaths(custom, '/h/logs', 0), {
    out: '/var/log/web.log',
    err: '/dev/null',
    combined: '/var/log/all',
  })
  assert.deepEqual(appLogPaths(custom, '/h/logs', 3), {
    out: '/var/log/web-3.log',
    err: '/dev/null',
    combined: '/var/log/all-3',
  })
  assert.deepEqual(appLogPaths({...custom, merge_logs: true}, '/h/logs', 3), {
    out: '/var/log/web.log',
    err: '/dev/null',
    combined: '/var/log/all',
  })
  assert.deepEqual(appLogPaths({name: 'web', merge_logs: true}, '/h/logs', 3), {
    out: '/h/logs/web-out.log',
    err: '/h/logs/web-err.log',
  })
})
