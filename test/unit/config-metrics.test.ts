import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'

import {ConfigError, loadConfig} from '../../src/config/load-config.js'

// Run from the config's folder, so messages name the file as a user would see it.
let dir = ''
const originalCwd = process.cwd()
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tspm-config-metrics-'))
  process.chdir(dir)
})
after(() => {
  process.chdir(originalCwd)
  rmSync(dir, {recursive: true, force: true})
})

function configWith(metricsLines: string[], file = 'tspm.yaml'): string {
  writeFileSync(join(dir, file), [...metricsLines, 'processes:', '  - name: web', '    script: app.js', ''].join('\n'))
  return file
}

describe('the top-level metrics: key', () => {
  for (const [written, listen] of [
    ['listen: 9615', {host: '127.0.0.1', port: 9615}],
    ['listen: "9615"', {host: '127.0.0.1', port: 9615}],
    ['listen: 127.0.0.1:9100', {host: '127.0.0.1', port: 9100}],
    ['listen: "[::1]:9615"', {host: '::1', port: 9615}],
    ['listen: 0.0.0.0:9615', {host: '0.0.0.0', port: 9615}],
    ['listen: "10.1.2.3:9615"', {host: '10.1.2.3', port: 9615}],
  ] as const) {
    test(`metrics: {${written}} listens on ${listen.host}:${listen.port}`, async () => {
      const loaded = await loadConfig(configWith(['metrics:', `  ${written}`]))
      assert.deepEqual(loaded.metrics, {listen})
      assert.deepEqual(
        loaded.specs.map((spec) => spec.name),
        ['web'],
      )
    })
  }

  test('absent (or left empty) it is undefined: the listener stays as it is; false is null: closed', async () => {
    assert.equal((await loadConfig(configWith([]))).metrics, undefined)
    assert.equal((await loadConfig(configWith(['metrics:']))).metrics, undefined)
    assert.equal((await loadConfig(configWith(['metrics: false']))).metrics, null)
  })

  test('a PM2 ecosystem file (apps:) takes it too', async () => {
    writeFileSync(
      join(dir, 'ecosystem.config.cjs'),
      'module.exports = {metrics: {listen: 9615}, apps: [{name: "web", script: "app.js"}]}\n',
    )
    assert.deepEqual((await loadConfig('ecosystem.config.cjs')).metrics, {listen: {host: '127.0.0.1', port: 9615}})
  })

  for (const [lines, message] of [
    [
      ['metrics: {listen: 0}'],
      'tspm.yaml:1:19 metrics.listen: expected a port, or "host:port" with an IP address ("[::1]:port" for IPv6; a port alone means 127.0.0.1), got 0',
    ],
    [
      ['metrics: {listen: "localhost:9615"}'],
      'tspm.yaml:1:19 metrics.listen: expected an IP address as the host (127.0.0.1, "[::1]", or "0.0.0.0" for every IPv4 address), got "localhost"',
    ],
    [
      ['metrics: {listen: "999.1.1.1:9615"}'],
      'tspm.yaml:1:19 metrics.listen: expected an IP address as the host (127.0.0.1, "[::1]", or "0.0.0.0" for every IPv4 address), got "999.1.1.1"',
    ],
    [
      ['metrics: {listen: /run/tspm-metrics.sock}'],
      'tspm.yaml:1:19 metrics.listen: expected a port, or "host:port" with an IP address ("[::1]:port" for IPv6; a port alone means 127.0.0.1), got "/run/tspm-metrics.sock"',
    ],
    [
      ['metrics:', '  listn: 9615'],
      'tspm.yaml:2:3 metrics: missing "listen"; expected a port, or "host:port" with an IP address ("[::1]:port" for IPv6; a port alone means 127.0.0.1)\ntspm.yaml:2:10 metrics.listn: unknown key; did you mean "listen"?',
    ],
    [['metrics: 9615'], 'tspm.yaml:1:10 metrics: expected a map {listen: PORT or "host:port"}, or false, got 9615'],
    [['metric: {listen: 9615}'], 'tspm.yaml:1:1 metric: unknown key; did you mean "metrics"?'],
  ] as const) {
    test(`refused: ${lines.join(' ')}`, async () => {
      await assert.rejects(loadConfig(configWith([...lines])), (error: Error) => {
        assert.ok(error instanceof ConfigError)
        assert.equal(error.message, message)
        return true
      })
    })
  }
})
