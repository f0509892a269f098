import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {describe, test} from 'node:test'

import type {ProcessSnapshot} from '../../src/model/api.js'
import type {ManagedProcess} from '../../src/supervisor/managed-process.js'

import {escapeLabelValue, renderExposition, supervisorMetrics} from '../../src/supervisor/metrics.js'
import {needs} from '../helpers/needs.js'

const PROMTOOL_AVAILABLE = spawnSync('promtool', ['--version']).error === undefined

describe('the text exposition format (0.0.4)', () => {
  test('a family is its HELP line, its TYPE line, then one line per sample, labels in the order given', () => {
    const text = renderExposition([
      {
        name: 'tspm_things_total',
        help: 'Things done.',
        type: 'counter',
        samples: [
          {labels: {name: 'web', reason: 'crash'}, value: 3},
          {labels: {name: 'api', reason: 'crash'}, value: 0},
        ],
      },
      {name: 'tspm_up', help: 'Up.', type: 'gauge', samples: [{value: 1}]},
    ])
    assert.equal(
      text,
      [
        '# HELP tspm_things_total Things done.',
        '# TYPE tspm_things_total counter',
        'tspm_things_total{name="web",reason="crash"} 3',
        'tspm_things_total{name="api",reason="crash"} 0',
        '# HELP tspm_up Up.',
        '# TYPE tspm_up gauge',
        'tspm_up 1',
        '',
      ].join('\n'),
    )
  })

  test('label values escape backslash, double quote and newline, and nothing else', () => {
    assert.equal(escapeLabelValue('a\\b"c\nd'), String.raw`a\\b\"c\nd`)
    assert.equal(escapeLabelValue("tab\tand 'single' é"), "tab\tand 'single' é")
    const text = renderExposition([
      {name: 'x', help: 'x', type: 'gauge', samples: [{labels: {name: 'C:\\apps\\"web"\nline'}, value: 1}]},
    ])
    assert.equal(text.split('\n')[2], String.raw`x{name="C:\\apps\\\"web\"\nline"} 1`)
  })

  test('HELP text escapes backslash and newline; a double quote stays as it is', () => {
    const text = renderExposition([
      {name: 'x', help: 'a "quoted"\\path\nsecond line', type: 'gauge', samples: [{value: 1}]},
    ])
    assert.equal(text.split('\n')[0], String.raw`# HELP x a "quoted"\\path\nsecond line`)
  })

  test('values: integers and fractions as numbers, and the special values by their names', () => {
    const text = renderExposition([
      {
        name: 'v',
        help: 'v',
        type: 'gauge',
        samples: [0.25, 1_796_188_669.743, 1e21, Number.NaN, Infinity, -Infinity, -0].map((value, i) => ({
          labels: {i: String(i)},
          value,
        })),
      },
    ])
    assert.deepEqual(
      text
        .split('\n')
        .slice(2, -1)
        .map((line) => line.split(' ')[1]),
      ['0.25', '1796188669.743', '1e+21', 'NaN', '+Inf', '-Inf', '0'],
    )
  })

  test('a family without samples is left out; an empty list is an empty text', () => {
    assert.equal(renderExposition([{name: 'none', help: 'n', type: 'gauge', samples: []}]), '')
    assert.equal(renderExposition([]), '')
  })

  test('a bad metric or label name throws rather than writing what Prometheus cannot read', () => {
    assert.throws(() => renderExposition([{name: 'tspm-up', help: 'h', type: 'gauge', samples: [{value: 1}]}]), {
      message: 'not a metric name: "tspm-up"',
    })
    for (const label of ['1st', 'app-name', '__reserved']) {
      assert.throws(
        () => renderExposition([{name: 'ok', help: 'h', type: 'gauge', samples: [{labels: {[label]: 'v'}, value: 1}]}]),
        {message: `not a label name: ${JSON.stringify(label)}`},
      )
    }
  })
})

/** What the metrics read of a managed process. */
function fakeProcess(snapshot: Partial<ProcessSnapshot>, restartsByReason: ManagedProcess['restartsByReason'] = {}) {
  const full = {
    name: 'web',
    instance: 0,
    id: 'web',
    pid: null,
    status: 'stopped',
    started_at: null,
    health: null,
    ...snapshot,
  } as ProcessSnapshot
  return {runningPid: full.pid, restartsByReason, snapshot: () => full} as unknown as ManagedProcess
}

describe('what tspm exposes (of processes that are not running: /proc plays no part)', () => {
  const text = supervisorMetrics({
    version: '9.9.9',
    startedAt: 1_700_000_000_000,
    processes: [
      fakeProcess({name: 'web', instance: 1, id: 'web:1', status: 'errored'}, {crash: 16, manual: 1}),
      fakeProcess(
        {
          name: 'api',
          id: 'api',
          status: 'waiting-restart',
          health: {ok: false, at: 1, message: 'refused', failures: 2},
        },
        {health: 1},
      ),
    ],
  })

  test('each process: up 0, ready 0, a restart count for every reason, its health failures; no CPU of no run', () => {
    const lines = text.split('\n')
    for (const line of [
      'tspm_process_up{name="web",app_instance="1",id="web:1"} 0',
      'tspm_process_ready{name="web",app_instance="1",id="web:1"} 0',
      'tspm_process_restarts_total{name="web",app_instance="1",id="web:1",reason="crash"} 16',
      'tspm_process_restarts_total{name="web",app_instance="1",id="web:1",reason="manual"} 1',
      'tspm_process_restarts_total{name="web",app_instance="1",id="web:1",reason="watch"} 0',
      'tspm_process_restarts_total{name="api",app_instance="0",id="api",reason="health"} 1',
      'tspm_process_health_consecutive_failures{name="api",app_instance="0",id="api"} 2',
      'tspm_supervisor_info{version="9.9.9"} 1',
      'tspm_supervisor_start_time_seconds 1700000000',
      'tspm_supervisor_processes 2',
    ])
      assert.ok(lines.includes(line), `missing: ${line}\n${text}`)
    assert.equal(lines.filter((line) => line.startsWith('tspm_process_restarts_total{')).length, 14, '7 reasons each')
    assert.doesNotMatch(text, /tspm_process_(cpu|resident|start_time)/)
    assert.match(text, /^tspm_supervisor_cpu_seconds_total \d+(\.\d+)?$/m)
    assert.match(text, /^tspm_supervisor_resident_memory_bytes [1-9]\d+$/m)
  })

  test('promtool check metrics accepts it, lint included', (t) => {
    if (!needs(t, PROMTOOL_AVAILABLE, 'promtool is not installed (Debian: apt-get install prometheus)')) return
    const checked = spawnSync('promtool', ['check', 'metrics'], {input: text, encoding: 'utf8'})
    assert.equal(checked.status, 0, checked.stdout + checked.stderr)
    assert.equal(checked.stdout + checked.stderr, '')
  })
})
