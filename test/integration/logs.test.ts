// `tspm logs` and `tspm flush` with the built CLI, a real supervisor and real apps: lines of several
// apps in the order they arrived, following across rotations, timestamps, NDJSON, flush while an
// app writes, and the names that are not there.
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {once} from 'node:events'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {BIN, envelope, REPO_ROOT, runProgram, tempDir, TestHome} from '../helpers/cli.js'
import {needs} from '../helpers/needs.js'
import {waitFor} from '../helpers/wait.js'

const APPS = join(REPO_ROOT, 'test', 'fixtures', 'apps')
const ESC = '\u001B'

function startConfig(home: TestHome, yaml: string) {
  const config = join(tempDir(), 'tspm.yaml')
  writeFileSync(config, yaml)
  return home.run(['start', '-c', config])
}

const logText = (home: TestHome, file: string) => {
  const path = join(home.paths.logsDir, file)
  return existsSync(path) ? readFileSync(path, 'utf8') : ''
}

/** `tspm logs ARGS` running in the background (following), its stdout gathered. */
function followLogs(home: TestHome, t: {after: (fn: () => void) => void}, args: string[]) {
  const env: NodeJS.ProcessEnv = {...process.env, TSPM_HOME: home.home, NO_COLOR: '1'}
  delete env.NODE_EXTRA_CA_CERTS
  const child = spawn(process.execPath, [BIN, 'logs', ...args], {env, stdio: ['ignore', 'pipe', 'pipe']})
  t.after(() => child.kill('SIGKILL'))
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  return {child, stdout: () => stdout, stderr: () => stderr}
}

test('logs with no name: the lines of every app in the order they arrived, each after its label', async (t) => {
  const home = TestHome.forTest(t)
  const count = 12
  const turn = (me: string, other: string, first: boolean) => `
  - name: ${me}
    script: ${join(APPS, 'turns.js')}
    env: {ME: ${me}, OTHER: ${other}, FIRST: ${first ? 1 : 0}, COUNT: ${count}, OTHER_LOG: ${join(home.paths.logsDir, `${other}-out.log`)}}`
  const started = await startConfig(home, `processes:${turn('alpha', 'beta', true)}${turn('beta', 'alpha', false)}\n`)
  assert.equal(started.code, 0, started.stderr)
  await waitFor(
    () => logText(home, 'alpha-err.log').includes('done') && logText(home, 'beta-err.log').includes('done'),
    {
      what: 'both apps to have written their lines',
    },
  )

  const logs = await home.run(['logs', '--lines', '100'])
  assert.equal(logs.code, 0, logs.stderr)
  const lines = logs.stdout.trimEnd().split('\n')
  const out = lines.filter((line) => !line.includes(' err '))
  // Alternately, as they arrived (each app's own file holds only its own lines).
  const expected = Array.from({length: count}, (_, i) => [
    `alpha     | alpha ${i + 1}`,
    `beta      | beta ${i + 1}`,
  ]).flat()
  assert.deepEqual(out, expected)
  // stderr after its label, each line once, in its place among the others (after the app's last line).
  assert.deepEqual(
    lines.filter((line) => line.includes(' err ')),
    ['alpha err | alpha done', 'beta err  | beta done'],
  )
  assert.ok(lines.indexOf('alpha err | alpha done') > lines.indexOf(`alpha     | alpha ${count}`))

  // Several names; and --lines counts per file.
  const lastTwo = await home.run(['logs', 'beta', 'alpha', '--out', '-n', '2'])
  assert.equal(lastTwo.code, 0, lastTwo.stderr)
  assert.equal(
    lastTwo.stdout,
    `alpha | alpha ${count - 1}\nbeta  | beta ${count - 1}\nalpha | alpha ${count}\nbeta  | beta ${count}\n`,
  )
  // One app, one stream: bare lines, ready for a pipe.
  const bare = await home.run(['logs', 'alpha', '--out', '-n', '2'])
  assert.equal(bare.stdout, `alpha ${count - 1}\nalpha ${count}\n`)
})

test('--follow across rotations of a 1K log: every line once, in order', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const go = join(dir, 'go')
  const lines = 3000
  const started = await startConfig(
    home,
    `processes:
  - name: burst
    script: ${join(APPS, 'numbered-burst.js')}
    env: {LINES: ${lines}, GO: ${go}}
    max_log_size: 1K
    log_files: 100
`,
  )
  assert.equal(started.code, 0, started.stderr)
  await waitFor(() => logText(home, 'burst-out.log').includes('ready'), {what: 'the app to be ready'})
  const follower = followLogs(home, t, ['burst', '--out', '--follow', '--lines', '1'])
  await waitFor(() => follower.stdout().includes('ready\n'), {what: 'the follower to show the first line'})
  writeFileSync(go, '')
  await waitFor(() => follower.stdout().endsWith('end\n'), {
    what: 'the follower to show the last line',
    timeoutMs: 60_000,
  })
  const rotated = readdirSync(home.paths.logsDir).filter((file) => /^burst-out\.log\.\d+$/.test(file))
  assert.ok(rotated.length > 50, `the log rotated while it was followed (${rotated.length} rotated files)`)
  follower.child.kill('SIGINT')
  assert.deepEqual(await once(follower.child, 'exit'), [0, null], 'ends cleanly on SIGINT')
  const seen = follower.stdout().trimEnd().split('\n')
  assert.equal(seen[0], 'ready')
  assert.equal(seen.at(-1), 'end')
  const numbers = seen.slice(1, -1).map((line) => Number(line.split(' ')[0]))
  assert.equal(numbers.length, lines, 'as many lines as were written')
  const wrong = numbers.findIndex((n, index) => n !== index + 1)
  assert.equal(wrong, -1, `lines 1 to ${lines}, each once, in order (first out of place: #${wrong}: ${numbers[wrong]})`)
})

test('--json is one object per line, --timestamp a time in front; with time: true the stamp is in the file', async (t) => {
  const home = TestHome.forTest(t)
  const before = Date.now()
  const started = await startConfig(
    home,
    `processes:
  - name: stamped
    script: ${join(APPS, 'counter.js')}
    env: {LINES: 5, PADDING: 3}
    time: true
`,
  )
  assert.equal(started.code, 0, started.stderr)
  await waitFor(() => logText(home, 'stamped-err.log').includes('done'), {what: 'the app to write its lines'})
  const after = Date.now()
  const within = (iso: string) => {
    const ms = Date.parse(iso)
    return ms >= before - 1000 && ms <= after + 1000
  }

  const json = await home.run(['logs', 'stamped', '--json'])
  assert.equal(json.code, 0, json.stderr)
  const objects = json.stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as {app: string; instance: number; stream: string; text: string; time: string})
  assert.equal(objects.length, 6, 'five lines of stdout and one of stderr, no envelope')
  for (const object of objects) {
    assert.deepEqual(Object.keys(object), ['app', 'instance', 'stream', 'time', 'text'])
    assert.equal(object.app, 'stamped')
    assert.equal(object.instance, 0)
    assert.ok(within(object.time), `${object.time} is within the test's run`)
    // time: true: PM2's stamp, written into the file in front of the line.
    const stamp = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d): /.exec(object.text)
    assert.ok(stamp && within(stamp[1]!), `"${object.text}" starts with its time`)
  }

  assert.deepEqual(
    objects.map(({stream, text}) => [stream, text.replace(/^\S+: /, '')]),
    [...[1, 2, 3, 4, 5].map((n) => ['out', `line ${n} xxx`]), ['err', 'done']],
  )

  const stamped = await home.run(['logs', 'stamped', '--timestamp', '-n', '3'])
  assert.equal(stamped.code, 0, stamped.stderr)
  const shown = stamped.stdout.trimEnd().split('\n')
  assert.equal(shown.length, 4)
  for (const line of shown) {
    const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d) stamped(?: err)? +\| /.exec(line)
    assert.ok(match && within(match[1]!), `"${line}" starts with a time within the test's run`)
  }
})

test('flush while an app writes: the file starts again and holds every line written after it', async (t) => {
  const home = TestHome.forTest(t)
  const started = await startConfig(
    home,
    `processes:
  - name: flood
    script: ${join(APPS, 'flood.js')}
    max_log_size: 1M
    log_files: 2
`,
  )
  assert.equal(started.code, 0, started.stderr)
  const numbersIn = (text: string) =>
    text
      .split('\n')
      .map((line) => /^line (\d+) x{1000}$/.exec(line))
      .filter((match) => match !== null)
      .map((match) => Number(match[1]))
  // About 2 MB/s: a rotated file within a second, and the next rotation half a second after the flush.
  await waitFor(() => existsSync(join(home.paths.logsDir, 'flood-out.log.1')), {what: 'the log to rotate'})
  const before = Math.max(...numbersIn(logText(home, 'flood-out.log')))

  const flushed = await home.run(['flush', 'flood', '--json'])
  assert.equal(flushed.code, 0, flushed.stderr)
  const {result} = envelope<{results: Array<{name: string; emptied: string[]; removed: string[]}>}>(flushed.stdout)
  assert.deepEqual(
    result.results.map(({name, emptied}) => [name, emptied]),
    [['flood', [join(home.paths.logsDir, 'flood-out.log'), join(home.paths.logsDir, 'flood-err.log')]]],
  )
  assert.ok(result.results[0]!.removed.includes(join(home.paths.logsDir, 'flood-out.log.1')), 'the rotated files went')

  await waitFor(() => numbersIn(logText(home, 'flood-out.log')).length >= 30, {what: 'lines after the flush'})
  // Stopped, so its files hold still. Had nothing been flushed, flood-out.log.1 would hold lines from before.
  assert.equal((await home.run(['stop', 'flood'])).code, 0)
  const files = ['flood-out.log.2', 'flood-out.log.1', 'flood-out.log']
  const text = files.map((file) => logText(home, file)).join('')
  const numbers = numbersIn(text)
  assert.ok(numbers[0]! > before, `only lines from after the flush (first ${numbers[0]}, before it ${before})`)
  // The file may start with the rest of a line cut by the flush; every whole line after it is there.
  const firstWhole = text.indexOf(`line ${numbers[0]} `)
  assert.ok(firstWhole <= 1010, 'at most the rest of one line before the first whole one')
  assert.ok(
    numbers.every((n, index) => n === numbers[0]! + index),
    'every line written after the flush, in order, none missing',
  )
  assert.equal(text.slice(firstWhole).split('\n').filter(Boolean).length, numbers.length, 'no line cut')

  // Without a supervisor the files are emptied directly.
  assert.equal((await home.run(['kill'])).code, 0)
  const direct = await home.run(['flush'])
  assert.equal(direct.code, 0, direct.stderr)
  assert.match(direct.stdout, /^flushed flood: .*flood-out\.log, .*flood-err\.log/)
  assert.equal(logText(home, 'flood-out.log'), '')
})

test('names with no logs: exit 1 naming them and what to do; a bad name is bad input', async (t) => {
  const home = TestHome.forTest(t)
  const started = await startConfig(
    home,
    `processes:\n  - name: counter\n    script: ${join(APPS, 'counter.js')}\n    env: {LINES: 3}\n`,
  )
  assert.equal(started.code, 0, started.stderr)
  await waitFor(() => logText(home, 'counter-err.log').includes('done'), {what: 'counter to write its lines'})
  for (const command of ['logs', 'flush']) {
    const unknown = await home.run([command, 'counter', 'nope', 'counter:7'])
    assert.equal(unknown.code, 1, `${command}: ${unknown.stderr}`)
    assert.match(
      unknown.stderr,
      /^Error: no logs for "nope", "counter:7": no such process or instance, .* known: counter \(see `tspm list`\)\n$/,
    )
    const json = await home.run([command, 'nope', '--json'])
    assert.equal(envelope(json.stdout).error?.code, 'unknown_process', command)
    const bad = await home.run([command, 'no/such'])
    assert.equal(bad.code, 2, command)
    assert.match(bad.stderr, /"no\/such" is not a process name/)
  }

  assert.equal(
    logText(home, 'counter-out.log').split('\n').length,
    4,
    'a flush with a name that is not there empties nothing',
  )
})

test('labels are coloured per app on a terminal, never when piped', async (t) => {
  const tmux = spawnSync('tmux', ['-V'])
  if (!needs(t, tmux.status === 0, 'tmux runs the CLI on a real terminal')) return
  const home = TestHome.forTest(t)
  const app = (name: string) => `
  - name: ${name}
    script: ${join(APPS, 'counter.js')}
    env: {LINES: 2, PADDING: 1}`
  assert.equal((await startConfig(home, `processes:${app('one')}${app('two')}\n`)).code, 0)
  await waitFor(() => logText(home, 'one-err.log').includes('done') && logText(home, 'two-err.log').includes('done'), {
    what: 'both apps to write',
  })
  const env: NodeJS.ProcessEnv = {...process.env, TSPM_HOME: home.home}
  delete env.NO_COLOR
  delete env.NODE_EXTRA_CA_CERTS
  const piped = await runProgram(process.execPath, [BIN, 'logs', '--out'], {env})
  assert.equal(piped.code, 0, piped.stderr)
  assert.ok(!piped.stdout.includes(`${ESC}[`), 'no colour in a pipe')
  assert.match(piped.stdout, /^one \| line 1 x\n/m)

  const session = `tspm-logs-colour-${process.pid}`
  // tmux runs this through a shell of its own: the words are fixed, only the paths vary (no spaces in them).
  spawnSync('tmux', [
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '100',
    '-y',
    '20',
    `env -u NO_COLOR TSPM_HOME=${home.home} ${process.execPath} ${BIN} logs --out; sleep 30`,
  ])
  t.after(() => spawnSync('tmux', ['kill-session', '-t', session]))
  const screen = () => spawnSync('tmux', ['capture-pane', '-p', '-e', '-t', session], {encoding: 'utf8'}).stdout
  await waitFor(() => screen().includes('line 2'), {what: 'the lines on the terminal'})
  // tmux writes the end of a colour back as 39 (default foreground).
  const painted = (colour: number, name: string) =>
    new RegExp(`${ESC}\\[${colour}m${name}${ESC}\\[(0|39)m \\| line 1 x`)
  assert.match(screen(), painted(36, 'one'), 'the first app in cyan')
  assert.match(screen(), painted(35, 'two'), 'the second in magenta')
})
