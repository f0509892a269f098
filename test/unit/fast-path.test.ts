import assert from 'node:assert/strict'
import {test} from 'node:test'

import {fastCommandFor} from '../../src/cli/fast-path.js'

// Whether bin/run.js skips oclif for a command line; what each way prints is compared in
// test/integration/cli-faces.test.ts.
test('the fast path takes the command lines it can answer as oclif would, and leaves every other to oclif', () => {
  const taken = [
    ['list'],
    ['start', '-c', 'tspm.yaml', '--no-wait'],
    ['logs', 'web', '--out', '-n', '5'],
    ['reload', 'web'],
    ['reload', 'all', '-c', 'tspm.yaml', '--env', 'production', '--strict', '--json'],
    ['restart', 'web', 'worker:1', '--no-wait'],
    ['stop', 'all', '--json'],
    ['delete', 'web'],
    ['rm', 'web'],
  ]
  for (const argv of taken) assert.equal(typeof fastCommandFor(argv), 'function', argv.join(' '))

  const leftToOclif = [
    ['reload'],
    ['reload', 'web', 'api'],
    // --env and --strict mean something only with -c; oclif says so.
    ['reload', 'web', '--env', 'production'],
    ['reload', 'web', '--strict'],
    ['reload', 'web', '--help'],
    ['restart'],
    ['restart', 'web', '--wait', '--no-wait'],
    ['stop', 'web', '--no-wait'],
    ['stop', 'web', '--json', '--json'],
    ['delete', '--', 'web'],
    ['start', '-c', 'tspm.yaml', '--wait', '--no-wait'],
    ['logs', '--out', '--err'],
    ['scale', 'web', '2'],
  ]
  for (const argv of leftToOclif) assert.equal(fastCommandFor(argv), undefined, argv.join(' '))
})
