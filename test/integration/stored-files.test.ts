// What the supervisor and `save` write reads back against the schemas under schemas/ (the zod
// schemas they come from), so a file written by one version is what the next one expects.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {dumpSchema} from '../../src/store/dump-schema.js'
import {statusFileSchema} from '../../src/store/status-schema.js'
import {REPO_ROOT, TestHome} from '../helpers/cli.js'
import {waitFor} from '../helpers/wait.js'

const APPS = join(REPO_ROOT, 'test', 'fixtures', 'apps')

test('status.json and dump.json, as a real supervisor and `save` write them, match their schemas', async (t) => {
  const home = TestHome.forTest(t)
  assert.equal((await home.run(['start', join(APPS, 'idle.js'), '--name', 'idle'])).code, 0)
  assert.equal((await home.run(['start', join(APPS, 'ticker.sh'), '--name', 'ticker'])).code, 0)
  const status = await waitFor(
    () => {
      const parsed = statusFileSchema.parse(JSON.parse(readFileSync(home.paths.statusFile, 'utf8')))
      return parsed.processes.length === 2 && parsed.processes.every((entry) => entry.pid !== null) ? parsed : undefined
    },
    {what: 'status.json to list both processes with their pids'},
  )
  assert.deepEqual(status.processes.map((entry) => entry.name).sort(), ['idle', 'ticker'])
  assert.equal((await home.run(['save'])).code, 0)
  const dump = dumpSchema.parse(JSON.parse(readFileSync(home.paths.dumpFile, 'utf8')))
  assert.deepEqual(dump.processes.map((entry) => entry.name).sort(), ['idle', 'ticker'])
})
