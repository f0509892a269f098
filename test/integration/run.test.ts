// `tspm run` as a container runs it: under tini as PID 1 of a fresh pid namespace (what
// `docker run --init` gives), app output on stdout and stderr with its prefixes, SIGTERM to the
// init stops every app with its stop_signal, and the exit code says how the apps ended.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {once} from 'node:events'
import {existsSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test, type TestContext} from 'node:test'

import {BIN, jsonResult, REPO_ROOT, runCli, tempDir, TestHome} from '../helpers/cli.js'
import {needs} from '../helpers/needs.js'
import {isRunning, processesWithEnv} from '../helpers/procfs.js'
import {waitFor} from '../helpers/wait.js'

const APPS = join(REPO_ROOT, 'test', 'fixtures', 'apps')
const KILL_TIMEOUT_MS = 3000
/** Beyond kill_timeout: Node's start, the supervisor's own stop and exit, tini's. */
const EXIT_MARGIN_MS = 15_000

const isRoot = process.getuid?.() === 0
const hasTini = spawnSync('tini', ['--version']).status === 0

/** A pid namespace needs root (and tini, Debian's package): skipped with the reason otherwise, failed under CI. */
function canRunInContainer(t: TestContext): boolean {
  return (
    needs(t, isRoot, 'needs root for `unshare --pid --mount-proc`') &&
    needs(t, hasTini, 'needs tini as the init (apt-get install tini)')
  )
}

/** The children of `pid`, by the parent field of /proc/<child>/stat. */
function childrenOf(pid: number): number[] {
  const children: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }

  return children
}

interface Container {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** The exit code once it has exited; undefined before. */
  exitCode: () => null | number | undefined
  /** tini's pid as this test sees it (PID 1 inside). */
  init: () => Promise<number>
}

/**
 * `unshare --pid --fork --mount-proc tini -- node bin/run.js run -c CONFIG`: tini is PID 1 of its
 * own pid namespace, as in `docker run --init`. The folder and whatever is left are removed when
 * the test ends (SIGKILL to tini ends everything in its namespace).
 */
function runInContainer(t: TestContext, home: string, config: string): Container {
  const env: NodeJS.ProcessEnv = {...process.env, TSPM_HOME: home, NO_COLOR: '1'}
  delete env.NODE_EXTRA_CA_CERTS
  const child = spawn(
    'unshare',
    ['--pid', '--fork', '--mount-proc', 'tini', '--', process.execPath, BIN, 'run', '-c', config],
    {env, stdio: ['ignore', 'pipe', 'pipe']},
  )
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr!.on('data', (chunk) => {
    stderr += chunk
  })
  let exitCode: null | number | undefined
  const exited = once(child, 'exit').then(([code]) => {
    exitCode = code as null | number
  })
  const init = () => waitFor(() => childrenOf(child.pid!)[0], {what: 'tini to start under unshare', timeoutMs: 10_000})
  t.after(async () => {
    if (exitCode === undefined) {
      for (const pid of childrenOf(child.pid!)) process.kill(pid, 'SIGKILL')
      child.kill('SIGKILL')
      await exited
    }

    rmSync(home, {recursive: true, force: true})
  })
  return {child, stdout: () => stdout, stderr: () => stderr, exitCode: () => exitCode, init}
}

test('under tini as PID 1: output on stdout and stderr with prefixes, SIGTERM stops the apps gracefully, exit 0', async (t) => {
  if (!canRunInContainer(t)) return
  const dir = tempDir('tspm-run-')
  const home = join(dir, 'home')
  const signals = join(dir, 'signals.txt')
  // a: a Node app that stops on SIGTERM. b: a shell app stopped by SIGINT, which writes each stdout
  // line in two pieces (so a line cut by another app's would show) and a line on stderr.
  writeFileSync(
    join(dir, 'a.js'),
    `const {appendFileSync} = require('node:fs')
let n = 0
setInterval(() => console.log('tick ' + ++n), 30)
process.on('SIGTERM', () => { appendFileSync(${JSON.stringify(signals)}, 'a SIGTERM\\n'); setTimeout(() => process.exit(0), 100) })
`,
  )
  writeFileSync(
    join(dir, 'b.sh'),
    `#!/bin/sh
trap 'echo "b SIGINT" >> ${signals}; exit 0' INT
n=0
while true; do
  n=$((n + 1))
  printf 'first half '
  sleep 0.05
  echo "second half $n"
  echo "warning $n" >&2
done
`,
    {mode: 0o755},
  )
  const config = join(dir, 'tspm.yaml')
  writeFileSync(
    config,
    [
      'processes:',
      '  - name: a',
      '    script: a.js',
      `    kill_timeout: ${KILL_TIMEOUT_MS}`,
      '  - name: b',
      '    script: b.sh',
      '    stop_signal: SIGINT',
      `    kill_timeout: ${KILL_TIMEOUT_MS}`,
      '    depends_on: a',
      '',
    ].join('\n'),
  )
  const container = runInContainer(t, home, config)
  const tini = await container.init()

  await waitFor(
    () =>
      /^a \| tick \d+$/m.test(container.stdout()) &&
      /^b \| first half second half \d+$/m.test(container.stdout()) &&
      /^b \| warning \d+$/m.test(container.stderr()),
    {what: 'both apps on stdout and b on stderr, prefixed', timeoutMs: 20_000},
  )
  // `docker exec ... tspm list`: the control socket answers for this home.
  const list = await runCli(['list', '--json'], {home})
  assert.equal(list.code, 0, list.stderr)
  assert.deepEqual(
    jsonResult<Array<{name: string; status: string}>>(list.stdout).map(({name, status}) => [name, status]),
    [
      ['a', 'online'],
      ['b', 'online'],
    ],
  )

  // tini's one child is `tspm run`, the supervisor, whose children are the two apps; no daemon anywhere.
  const ofHome = processesWithEnv('TSPM_HOME', home)
  assert.ok(!ofHome.some(({cmdline}) => cmdline.includes('daemon.js')), ofHome.map(({cmdline}) => cmdline).join('\n'))
  const [supervisor, ...others] = childrenOf(tini)
  assert.deepEqual(others, [], 'tini has one child')
  assert.match(readFileSync(`/proc/${supervisor}/cmdline`, 'utf8').split('\0').join(' '), /bin\/run\.js run -c /)
  const apps = childrenOf(supervisor!)
  const appNames = apps.map(
    (pid) => /(?:^|\0)TSPM_APP=([^\0]*)/.exec(readFileSync(`/proc/${pid}/environ`, 'utf8'))?.[1],
  )
  assert.deepEqual(appNames.sort(), ['a', 'b'])

  process.kill(tini, 'SIGTERM')
  await waitFor(() => container.exitCode() !== undefined, {
    what: 'tspm run to stop its apps and exit after SIGTERM to tini',
    timeoutMs: KILL_TIMEOUT_MS + EXIT_MARGIN_MS,
  })
  assert.equal(container.exitCode(), 0, container.stderr())
  assert.deepEqual(readFileSync(signals, 'utf8').split('\n').filter(Boolean).sort(), ['a SIGTERM', 'b SIGINT'])
  for (const pid of [...apps, supervisor!, tini]) assert.equal(isRunning(pid), false, `pid ${pid} is gone`)
  assert.match(container.stderr(), /^\[tspm\] received SIGTERM$/m)

  // Whole lines only, each after its app's name: no line of a inside one of b's. (b may be stopped
  // between its two halves: that last piece is written as a line of its own.)
  const stray = (text: string, line: RegExp) => text.split('\n').filter((entry) => entry !== '' && !line.test(entry))
  assert.deepEqual(stray(container.stdout(), /^(a \| tick \d+|b \| first half second half \d+|b \| first half )$/), [])
  assert.deepEqual(stray(container.stderr(), /^(b \| warning \d+|\[tspm\] .+)$/), [])
  // And everything went to the log files too.
  assert.match(readFileSync(join(home, 'logs', 'b-err.log'), 'utf8'), /^warning 1$/m)
  assert.equal(existsSync(join(home, 'dump.json')), false, 'run writes no dump.json')
  assert.equal(existsSync(join(home, 'tspm.log')), false, 'no background supervisor ever wrote its log')
})

test('under tini: an app that crashes beyond max_restarts ends run by itself, exit 1 naming it', async (t) => {
  if (!canRunInContainer(t)) return
  const dir = tempDir('tspm-run-crash-')
  const config = join(dir, 'tspm.yaml')
  writeFileSync(
    config,
    [
      'processes:',
      '  - name: once',
      '    script: /bin/echo',
      '    args: [done]',
      '    autorestart: false',
      '  - name: crashy',
      `    script: ${join(APPS, 'crasher.sh')}`,
      '    max_restarts: 2',
      '',
    ].join('\n'),
  )
  const container = runInContainer(t, join(dir, 'home'), config)
  await waitFor(() => container.exitCode() !== undefined, {what: 'tspm run to end by itself', timeoutMs: 30_000})
  assert.equal(container.exitCode(), 1, container.stderr())
  assert.match(container.stderr(), /^crashy \| crashing$/m)
  assert.match(container.stderr(), /every app has ended, and crashy is errored \(crashy crashed 2 times in a row/)
  assert.match(container.stdout(), /^once \| done$/m)
})

test('apps that all exit cleanly with autorestart: false end run with exit 0', async (t) => {
  const dir = tempDir('tspm-run-clean-')
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  const config = join(dir, 'tspm.yaml')
  writeFileSync(config, 'processes:\n  - name: once\n    script: /bin/echo\n    args: [done]\n    autorestart: false\n')
  const home = TestHome.forTest(t, 'tspm-run-clean-home-')
  const result = await home.run(['run', config])
  assert.equal(result.code, 0, result.stderr)
  assert.equal(result.stdout, 'once | done\n')
  assert.match(result.stderr, /^\[tspm\] every app has ended \(once: exit code 0\); stopping \(exit 0\)$/m)
})

test('run is refused where a supervisor already answers, and a bad config starts nothing', async (t) => {
  const home = TestHome.forTest(t, 'tspm-run-refused-')
  assert.equal((await home.run(['start', join(APPS, 'idle.js'), '--name', 'idle'])).code, 0)
  const dir = tempDir('tspm-run-refused-app-')
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  const config = join(dir, 'tspm.yaml')
  writeFileSync(config, `processes:\n  - name: other\n    script: ${join(APPS, 'idle.js')}\n`)
  const refused = await home.run(['run', '-c', config])
  assert.equal(refused.code, 4, refused.stderr)
  assert.match(
    refused.stderr,
    /a supervisor already runs for TSPM_HOME=.* \(pid \d+\); `tspm run` is a supervisor itself/,
  )
  assert.deepEqual(
    (await home.list<{name: string}>()).map(({name}) => name),
    ['idle'],
  )

  const fresh = TestHome.forTest(t, 'tspm-run-bad-')
  writeFileSync(config, 'processes:\n  - name: broken\n    script: idle.js\n    kill_timeout: soon\n')
  const bad = await fresh.run(['run', '-c', config])
  assert.equal(bad.code, 2, bad.stderr)
  assert.match(bad.stderr, /processes\[0\]\.kill_timeout: expected milliseconds, got "soon"/)
  assert.equal(existsSync(fresh.paths.socket), false, 'no supervisor was started')
})
