import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {test} from 'node:test'

import {readProcStat} from '../../src/os/proc.js'
import {HealthMonitor} from '../../src/supervisor/health-monitor.js'
import {Readiness} from '../../src/supervisor/readiness.js'
import {FakeClock} from '../helpers/fake-clock.js'
import {waitFor} from '../helpers/wait.js'

test('a ready timeout names what the last whole probe saw, not a probe the timeout cut short', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tspm-readiness-'))
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
  // Stopped before its folder goes: the probe it started last would write `calls` again.
  t.after(() => {
    readiness.stop()
    rmSync(dir, {recursive: true, force: true})
  })
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

test('a check that stops ends its probe in flight: no program of a ready or health check is left running', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tspm-readiness-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  const pidFile = join(dir, 'probe.pid')
  const probe = join(dir, 'hang.sh')
  writeFileSync(probe, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 30\n`, {mode: 0o755})
  const context = {cwd: dir, env: process.env}
  const never = () => assert.fail('the check never ends by itself here')
  const checks = {
    ready: (clock: FakeClock) =>
      new Readiness({kind: 'exec', argv: [probe], timeout: 60_000}, {clock, context, onReady: never, onTimeout: never}),
    health: (clock: FakeClock) =>
      new HealthMonitor(
        {kind: 'exec', argv: [probe], interval: 1000, timeout: 60_000, failures: 3},
        {clock, context, onResult: never, onUnhealthy: never},
      ),
  }
  for (const [kind, make] of Object.entries(checks)) {
    rmSync(pidFile, {force: true})
    const clock = new FakeClock()
    const check = make(clock)
    check.start()
    clock.advance(1000)
    const pid = await waitFor(() => Number(readFileSync(pidFile, 'utf8')), {what: `the ${kind} probe runs`})
    const running = () => ![undefined, 'Z'].includes(readProcStat(pid)?.state)
    assert.ok(running(), `the ${kind} probe (pid ${pid}) hangs until its check stops`)
    check.stop()
    // Well before the probe's own deadline (a ready probe gives up after 1 s, this health one after 60 s).
    await waitFor(() => !running(), {
      what: `the ${kind} probe (pid ${pid}) ends with its check`,
      timeoutMs: 500,
      intervalMs: 10,
    })
  }
})
