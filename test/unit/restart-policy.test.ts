// The restart policy alone: what follows a run that ended on its own, decided from that run's
// uptime and exit code (DESIGN.md, restart policy). ManagedProcess, which acts on it, has its own test.
import assert from 'node:assert/strict'
import {test} from 'node:test'

import {PROCESS_DEFAULTS} from '../../src/model/process-spec.js'
import {type ExitDecision, RestartPolicy, type RestartPolicyFields} from '../../src/supervisor/restart-policy.js'

function policy(overrides: Partial<RestartPolicyFields> = {}): RestartPolicy {
  return new RestartPolicy({...PROCESS_DEFAULTS, ...overrides})
}

/** `count` runs that each lasted `uptimeMs` and exited 1: the decision after each. */
function runs(subject: RestartPolicy, count: number, uptimeMs: number, exitCode: null | number = 1): ExitDecision[] {
  return Array.from({length: count}, () => subject.onExit({uptimeMs, exitCode}))
}

const delays = (decisions: ExitDecision[]) =>
  decisions.map((decision) => (decision.action === 'restart' ? decision.delayMs : decision.action))

test('exponential backoff: 100 ms, then x1.5 per consecutive crash, capped at max_restart_delay', () => {
  assert.deepEqual(
    delays(runs(policy({max_restarts: 100}), 16, 2000)),
    [100, 150, 225, 338, 507, 761, 1142, 1713, 2570, 3855, 5783, 8675, 13_013, 15_000, 15_000, 15_000],
  )
  assert.deepEqual(delays(runs(policy({max_restart_delay: 500}), 6, 2000)), [100, 150, 225, 338, 500, 500])
})

test('a run longer than backoff_reset starts the backoff over at 100 ms', () => {
  const subject = policy()
  assert.deepEqual(delays(runs(subject, 4, 10)), [100, 150, 225, 338])
  assert.deepEqual(delays(runs(subject, 1, 30_000)), [100])
  assert.deepEqual(delays(runs(subject, 2, 10)), [150, 225])
})

test('errored after max_restarts (16) consecutive unstable runs', () => {
  const decisions = runs(policy(), 16, 50)
  assert.deepEqual(
    decisions.slice(0, 15).map((decision) => decision.action),
    Array.from({length: 15}, () => 'restart'),
  )
  assert.deepEqual(decisions[15], {action: 'errored', unstableRuns: 16})
})

test('unstable runs are counted from each run of its own: a loop that starts an hour later is still caught', () => {
  const subject = policy()
  runs(subject, 1, 60 * 60 * 1000)
  assert.ok(
    runs(subject, 15, 100).every((decision) => decision.action === 'restart'),
    '15 unstable runs are not enough',
  )
  assert.deepEqual(runs(subject, 1, 100)[0], {action: 'errored', unstableRuns: 16})
})

test('stable runs (uptime >= min_uptime) never count toward errored, and one in between resets the count', () => {
  assert.ok(runs(policy(), 40, 1500).every((decision) => decision.action === 'restart'))
  const subject = policy()
  runs(subject, 15, 10)
  runs(subject, 1, 5000)
  assert.ok(runs(subject, 15, 10).every((decision) => decision.action === 'restart'))
})

test('with exp_backoff_restart_delay 0, restart_delay applies as a fixed delay', () => {
  assert.deepEqual(
    delays(runs(policy({exp_backoff_restart_delay: 0, restart_delay: 250}), 5, 2000)),
    [250, 250, 250, 250, 250],
  )
})

test('stop_exit_codes and autorestart: false end the process without a restart', () => {
  const subject = policy({stop_exit_codes: [0, 3]})
  assert.deepEqual(subject.onExit({uptimeMs: 5000, exitCode: 3}), {action: 'stop', reason: 'stop-exit-code'})
  assert.equal(subject.onExit({uptimeMs: 5000, exitCode: 4}).action, 'restart')
  assert.equal(
    subject.onExit({uptimeMs: 5000, exitCode: null}).action,
    'restart',
    'killed by a signal: no exit code to match',
  )
  assert.deepEqual(policy({autorestart: false}).onExit({uptimeMs: 5000, exitCode: 1}), {
    action: 'stop',
    reason: 'autorestart-off',
  })
})

test('reset() (a start or restart by hand) starts the backoff and the unstable count over', () => {
  const subject = policy()
  runs(subject, 15, 10)
  subject.reset()
  assert.deepEqual(delays(runs(subject, 3, 10)), [100, 150, 225])
  assert.ok(
    runs(subject, 12, 10).every((decision) => decision.action === 'restart'),
    'the count started over too',
  )
})
