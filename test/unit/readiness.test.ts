import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {test} from 'node:test'

import {Readiness} from '../../src/supervisor/readiness.js'
import {FakeClock} from '../helpers/fake-clock.js'
import {waitFor} from '../helpers/wait.js'

test('a ready timeout names what the last whole probe saw, not a probe the timeout cut short', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tspm-readiness-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  const calls = join(dir, 'calls')
  // The first run exits 1 at once; any later run hangs, and is cut short by the ready timeout.
  const probe = join(dir, 'probe.sh')
  writeFileSync(probe, `#!/bin/sh\nif [ -e ${calls} ]; then exec sleep 30; fi\n: > ${calls}\nexit 1\n`, {mode: 0o755})
  const clock = new FakeClock()
  let timedOut: string | undefined
  const readiness = new Readiness(
    {kind: 'exec', argv: [probe], timeout: 300},
    {
      clock,
      context: {cwd: dir, env: process.env},
      onReady: () => assert.fail('it never becomes ready'),
      onTimeout(message) {
        timedOut = message
      },
    },
  )
  t.after(() => readiness.stop())
  readiness.start()
  clock.advance(10)
  // Each probe, once it has failed, schedules the next one 10 ms on.
  const nextProbeScheduled = () => waitFor(() => clock.nextTimerIn() === 10, {what: 'the next probe is scheduled'})
  await nextProbeScheduled()
  clock.advance(10)
  // This one hangs and may take only what is left of the 300 ms (280 ms of real time), then gives up.
  await nextProbeScheduled()
  clock.advance(280)
  assert.match(timedOut ?? '', /^not ready within 300 ms: exec .*probe\.sh \(exit code 1\)/)
})
