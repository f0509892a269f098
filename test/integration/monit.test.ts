// `tspm monit` on a real terminal: a tmux pane of 80x24 runs it against a real supervisor with
// real apps; keys are typed with send-keys, and what the user sees is read with capture-pane.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {BIN, REPO_ROOT, runCli, tempDir, TestHome} from '../helpers/cli.js'
import {processesWithEnv} from '../helpers/procfs.js'
import {TmuxPane} from '../helpers/tmux.js'
import {waitFor} from '../helpers/wait.js'

const APPS = join(REPO_ROOT, 'test', 'fixtures', 'apps')

interface Listed {
  id: string
  status: string
  restarts: number
}

/** Two apps, one of two instances: `web:0`, `web:1` (HTTP servers) and `worker` (a line every 100 ms). */
async function startApps(home: TestHome): Promise<void> {
  const config = join(tempDir(), 'tspm.yaml')
  writeFileSync(
    config,
    `processes:\n  - name: web\n    script: ${join(APPS, 'http-server.js')}\n    instances: 2\n    env: {PORT: 0}\n` +
      `  - name: worker\n    script: ${join(APPS, 'ticker.sh')}\n`,
  )
  const started = await home.run(['start', '-c', config])
  assert.equal(started.code, 0, started.stderr)
}

/** A pane with a shell for this home; the marker names the monit it starts, for signals. */
function openPane(t: Parameters<typeof TmuxPane.open>[0], home: TestHome, env: NodeJS.ProcessEnv = {}) {
  return TmuxPane.open(t, {columns: 80, rows: 24, env: {TSPM_HOME: home.home, LANG: 'C.UTF-8', ...env}})
}

const marker = (name: string) => `tspm-monit-test-${process.pid}-${name}`

/** Types the line that runs monit in the pane's shell, after a line of its own to find again. */
async function runMonit(pane: TmuxPane, name: string): Promise<void> {
  await pane.ready()
  pane.type(
    `echo before-monit; env TSPM_MONIT_TEST=${marker(name)} ${process.execPath} ${BIN} monit; echo "monit exited $?"`,
    {
      enter: true,
    },
  )
}

function line(screen: string, pattern: RegExp): string | undefined {
  return screen.split('\n').find((text) => pattern.test(text))
}

/** The terminal is the shell's again: monit's screen is gone, what was before is back, and typed lines run. */
async function assertShellBack(pane: TmuxPane, exitCode: number): Promise<void> {
  await waitFor(() => pane.screen().includes(`monit exited ${exitCode}`), {what: `monit to exit ${exitCode}`})
  const screen = pane.screen()
  assert.deepEqual(pane.modes(), {alternateScreen: false, cursor: true, wrap: true}, 'the modes monit changed')
  assert.match(screen, /^before-monit$/m, 'the main screen is back, with what it showed before')
  assert.doesNotMatch(screen, /j\/k move/, 'nothing of monit is left on it')
  // A shell reads lines only in cooked mode: raw mode left on would never run this.
  pane.type('echo shell-$((40 + 2))', {enter: true})
  await waitFor(() => /^shell-42$/m.test(pane.screen()), {what: 'the shell to run a typed line'})
}

test('monit in 80x24: every row, moving, r restarts and s stops the selected instance, S starts it, q gives the terminal back', async (t) => {
  const home = TestHome.forTest(t)
  await startApps(home)
  const pane = openPane(t, home)
  if (!pane) return
  await runMonit(pane, 'keys')

  const screen = await waitFor(
    () => {
      const shown = pane.screen()
      return ['web:0', 'web:1', 'worker'].every((id) => line(shown, new RegExp(`^[ >] ${id} +online `))) && shown
    },
    {what: 'a row per process, online'},
  )
  assert.deepEqual(pane.modes(), {alternateScreen: true, cursor: false, wrap: false}, 'full screen, no cursor')
  const lines = screen.split('\n')
  assert.match(lines[0]!, /^tspm monit {2}\S+ +3 processes {2}\d\d:\d\d:\d\d$/)
  assert.match(lines[1]!, /name +status +cpu .*memory .*restarts uptime/)
  assert.match(line(screen, /^> /)!, /^> web:0 /, 'the first row is selected')
  assert.match(screen, /↑↓ j\/k move {2}r restart {2}s stop {2}S start {2}q quit/)
  for (const text of lines) assert.ok(text.length <= 80, text)

  pane.keys('Down')
  await waitFor(() => /^> web:1 /m.test(pane.screen()) && /^── web:1 {2}pid \d+/m.test(pane.screen()), {
    what: 'web:1 selected, its facts over the logs',
  })

  // r asks first; y restarts that instance only.
  pane.keys('r')
  await waitFor(() => pane.screen().includes('restart web:1? press y'), {what: 'the question'})
  pane.keys('y')
  await waitFor(async () => (await home.list<Listed>()).find((info) => info.id === 'web:1')?.restarts === 1, {
    what: 'web:1 restarted, in tspm list',
  })
  await waitFor(
    () => /^> web:1 +online .* 1 +\d+s$/m.test(pane.screen()) && pane.screen().includes('restarted web:1'),
    {
      what: 'the restart count of web:1 on screen, and the result',
    },
  )
  assert.equal((await home.list<Listed>()).find((info) => info.id === 'web:0')?.restarts, 0, 'web:0 untouched')

  // The logs under the rows are the selected process's own.
  pane.keys('j')
  await waitFor(() => /^> worker /m.test(pane.screen()) && /^out \| tick \d+$/m.test(pane.screen()), {
    what: 'worker selected, with its last lines',
  })

  // Any key but y keeps it running.
  pane.keys('s')
  await waitFor(() => pane.screen().includes('stop worker? press y'), {what: 'the question'})
  pane.keys('n')
  await waitFor(() => pane.screen().includes('worker: not stopped'), {what: 'the answer to no'})
  assert.equal((await home.list<Listed>()).find((info) => info.id === 'worker')?.status, 'online')

  pane.keys('s')
  await waitFor(() => pane.screen().includes('stop worker? press y'), {what: 'the question'})
  pane.keys('y')
  await waitFor(async () => (await home.list<Listed>()).find((info) => info.id === 'worker')?.status === 'stopped', {
    what: 'worker stopped, in tspm list',
  })
  await waitFor(() => /^> worker +stopped +- /m.test(pane.screen()) && pane.screen().includes('stopped worker'), {
    what: 'worker stopped on screen',
  })

  pane.keys('S')
  await waitFor(async () => (await home.list<Listed>()).find((info) => info.id === 'worker')?.status === 'online', {
    what: 'worker started again',
  })
  await waitFor(() => /^> worker +online /m.test(pane.screen()), {what: 'worker online on screen'})

  pane.keys('q')
  await assertShellBack(pane, 0)
})

test('monit follows a resize, and outlives its supervisor: says so, waits, shows the apps again once one is back; Ctrl-C quits', async (t) => {
  const home = TestHome.forTest(t)
  await startApps(home)
  const pane = openPane(t, home, {NO_COLOR: '1'})
  if (!pane) return
  await runMonit(pane, 'supervisor')
  await waitFor(() => /^> web:0 +online /m.test(pane.screen()), {what: 'the rows'})

  // A resized terminal gets a frame of its size at once.
  pane.resize(120, 30)
  await waitFor(
    () => /^tspm monit .{90,} \d\d:\d\d:\d\d$/m.test(pane.screen()) && pane.screen().includes('last minute'),
    {
      what: 'the frame 120 columns wide',
    },
  )
  pane.resize(60, 15)
  await waitFor(() => /^> web:0 +online +[\d.]+% +[\d.]+ MB +0 +\d+s$/m.test(pane.screen()), {
    what: 'the rows without sparklines, 60 columns wide',
  })
  assert.ok(
    pane
      .screen()
      .split('\n')
      .every((text) => text.length <= 60),
  )
  pane.resize(80, 24)

  const killed = await home.run(['kill'])
  assert.equal(killed.code, 0, killed.stderr)
  await waitFor(
    () =>
      /supervisor not answering$/m.test(pane.screen()) &&
      /^asking again every second: no supervisor is running/m.test(pane.screen()),
    {what: 'the view to say the supervisor is gone'},
  )
  assert.equal(processesWithEnv('TSPM_MONIT_TEST', marker('supervisor')).length, 1, 'monit still runs')

  await startApps(home)
  await waitFor(() => /^> web:0 +online .* 0 +\d+s$/m.test(pane.screen()) && !pane.screen().includes('not answering'), {
    what: 'the rows of the new supervisor',
  })

  pane.keys('C-c')
  await assertShellBack(pane, 0)
})

for (const [signal, code] of [
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  test(`monit gives the terminal back on ${signal} (a dropped SSH connection is a SIGHUP) and exits ${code}`, async (t) => {
    const home = TestHome.forTest(t)
    await startApps(home)
    const pane = openPane(t, home)
    if (!pane) return
    await runMonit(pane, signal)
    await waitFor(() => /^> web:0 +online /m.test(pane.screen()), {what: 'the rows'})
    const [monit] = processesWithEnv('TSPM_MONIT_TEST', marker(signal))
    assert.ok(monit, 'found monit')
    process.kill(monit.pid, signal)
    await assertShellBack(pane, code)
  })
}

test('monit refuses what it cannot do: no terminal (exit 2), TERM=dumb (exit 2), no supervisor (exit 3)', async (t) => {
  const home = TestHome.forTest(t)
  const piped = await runCli(['monit'], {home: home.home})
  assert.equal(piped.code, 2)
  assert.equal(piped.stdout, '')
  assert.equal(piped.stderr, 'Error: monit needs a terminal; use `tspm list` or `tspm list --json` in scripts\n')

  const pane = openPane(t, home)
  if (!pane) return
  await pane.ready()
  pane.type(`${process.execPath} ${BIN} monit; echo "monit exited $?"`, {enter: true})
  await waitFor(() => pane.screen().includes('monit exited 3'), {what: 'monit to exit 3'})
  assert.match(pane.words(), / Error: no supervisor is running for TSPM_HOME=\S+; start your apps with `tspm start`/)

  await startApps(home)
  pane.type(`TERM=dumb ${process.execPath} ${BIN} monit; echo "dumb exited $?"`, {enter: true})
  await waitFor(() => pane.screen().includes('dumb exited 2'), {what: 'monit to exit 2'})
  assert.match(
    pane.words(),
    /Error: monit needs a terminal that can move its cursor, and TERM=dumb says this one cannot/,
  )
})
