// Day-to-day operations on real apps: describe and list say why, signal reaches the app, reset
// clears the counters, and restarts on memory, on a schedule and on file changes, each with its
// reason.
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {envelope, REPO_ROOT, tempDir, TestHome} from '../helpers/cli.js'
import {waitFor} from '../helpers/wait.js'

const APPS = join(REPO_ROOT, 'test', 'fixtures', 'apps')

interface Listed {
  name: string
  id: string
  pid: null | number
  status: string
  restarts: number
  last_error: null | string
  last_restart_reason: null | string
  triggers: null | {cron_next_at: null | number; time_zone: null | string; watching: boolean}
}

async function find(home: TestHome, id: string): Promise<Listed> {
  const found = (await home.list<Listed>()).find((p) => p.id === id)
  assert.ok(found, `${id} is listed`)
  return found
}

function writeConfig(dir: string, yaml: string): string {
  const file = join(dir, 'tspm.yaml')
  writeFileSync(file, yaml)
  return file
}

const supervisorLog = (home: TestHome) =>
  existsSync(home.paths.supervisorLog) ? readFileSync(home.paths.supervisorLog, 'utf8') : ''

test('describe and list of an errored, a stopped and a running app: the reason, the state, never env_file values', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  writeFileSync(join(dir, 'secret.env'), 'API_TOKEN=never-shown-value\n')
  const config = writeConfig(
    dir,
    [
      'processes:',
      `  - {name: broken, script: ${join(APPS, 'crasher.sh')}, max_restarts: 1, restart_delay: 0}`,
      `  - {name: calm, script: ${join(APPS, 'idle.js')}, env_file: secret.env, env: {MODE: quiet}, max_memory_restart: 300M, cron_restart: "0 3 * * *"}`,
      `  - {name: paused, script: ${join(APPS, 'idle.js')}}`,
    ].join('\n'),
  )
  await home.run(['start', '-c', config])
  assert.equal((await home.run(['stop', 'paused'])).code, 0)
  await waitFor(async () => (await find(home, 'broken')).status === 'errored', {what: 'broken to be errored'})

  // list says why without --json, below the table.
  const listed = await home.run(['list'])
  assert.match(
    listed.stdout,
    /^broken errored: broken crashed 1 time in a row, each within min_uptime .*restart it by hand$/m,
  )

  const broken = await home.run(['describe', 'broken'])
  assert.equal(broken.code, 0, broken.stderr)
  const field = (text: string, key: string) => new RegExp(`^${key} +(.*)$`, 'm').exec(text)?.[1]
  assert.equal(field(broken.stdout, 'status'), 'errored')
  assert.match(field(broken.stdout, 'last exit') ?? '', /^code 1, \d+ms ago|^code 1, .* ago$/)
  assert.match(field(broken.stdout, 'last error') ?? '', /crashed 1 time in a row/)
  assert.equal(field(broken.stdout, 'restarts'), '0')

  const paused = await home.run(['describe', 'paused', '--json'])
  assert.equal(paused.code, 0, paused.stderr)
  const {result} = envelope<{instances: Array<{pid: null | number; status: string}>; spec: {name: string}}>(
    paused.stdout,
  )
  assert.deepEqual(
    [result.spec.name, result.instances[0]!.status, result.instances[0]!.pid],
    ['paused', 'stopped', null],
  )

  const calm = await home.run(['describe', 'calm'])
  assert.equal(field(calm.stdout, 'status'), 'online')
  assert.equal(field(calm.stdout, 'env MODE'), 'quiet')
  assert.equal(field(calm.stdout, 'env_file'), join(dir, 'secret.env'))
  assert.equal(field(calm.stdout, 'max_memory_restart'), '300 MB')
  assert.equal(field(calm.stdout, 'cron_restart'), '0 3 * * *')
  // The next run at 03:00 of the supervisor's time zone, named.
  assert.match(
    field(calm.stdout, 'next cron restart') ?? '',
    /^\d{4}-\d\d-\d\d 03:00:00 \S+, in .* \(cron_restart is read in the supervisor's time zone\)$/,
  )
  assert.doesNotMatch(calm.stdout + broken.stdout, /never-shown-value/)

  // No supervisor: the saved definition, said so, and what brings it back.
  assert.equal((await home.run(['save'])).code, 0)
  assert.equal((await home.run(['kill'])).code, 0)
  const saved = await home.run(['describe', 'calm'])
  assert.equal(saved.code, 0, saved.stderr)
  assert.equal(field(saved.stdout, 'env_file'), join(dir, 'secret.env'))
  assert.equal(field(saved.stdout, 'status'), undefined)
  assert.match(
    saved.stderr,
    /no supervisor is running: this is the definition saved in .*dump\.json \(saved online\); `tspm resurrect` brings it back/,
  )
  assert.doesNotMatch(saved.stdout, /never-shown-value/)
  const gone = await home.run(['describe', 'nope'])
  assert.equal(gone.code, 3)
  assert.match(gone.stderr, /the saved list has no process named "nope"; saved: broken, calm, paused/)
})

test('signal reaches the app, or with --group its children too; reset sets its restarts back to 0', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const signals = join(dir, 'signals.txt')
  const config = writeConfig(
    dir,
    `processes:\n  - {name: app, script: ${join(APPS, 'signal-writer.js')}, env: {SIGNALS_FILE: ${signals}, FORK: "1"}}\n`,
  )
  assert.equal((await home.run(['start', '-c', config])).code, 0)
  const lines = () => (existsSync(signals) ? readFileSync(signals, 'utf8').trim().split('\n') : [])
  await waitFor(() => lines().filter((line) => line.endsWith(' ready')).length === 2, {
    what: 'app and its child to be ready',
  })

  const sent = await home.run(['signal', 'SIGUSR2', 'app'])
  assert.equal(sent.code, 0, sent.stderr)
  assert.equal(sent.stdout.trim(), 'sent SIGUSR2 to app')
  const {pid} = await find(home, 'app')
  await waitFor(() => lines().includes(`leader ${pid} SIGUSR2`), {what: 'the app to write SIGUSR2'})
  assert.equal(
    lines().filter((line) => line.startsWith('child ') && line.endsWith('SIGUSR2')).length,
    0,
    'not its child',
  )

  assert.equal((await home.run(['signal', 'hup', 'app', '--group'])).code, 0)
  await waitFor(() => lines().filter((line) => line.endsWith(' SIGHUP')).length === 2, {
    what: 'app and child to get SIGHUP',
  })

  const bad = await home.run(['signal', 'SIGNOPE', 'app'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /"SIGNOPE" is not a signal this system knows/)
  const unknown = await home.run(['signal', 'USR1', 'nope'])
  assert.notEqual(unknown.code, 0)
  assert.match(unknown.stderr, /no process named "nope"/)

  assert.equal((await home.run(['restart', 'app'])).code, 0)
  assert.equal((await find(home, 'app')).restarts, 1)
  const reset = await home.run(['reset', 'app'])
  assert.equal(reset.code, 0, reset.stderr)
  assert.equal(reset.stdout.trim(), 'restart counters set to 0 for app')
  assert.equal((await find(home, 'app')).restarts, 0)
  assert.equal((await find(home, 'app')).status, 'online')

  assert.equal((await home.run(['stop', 'app'])).code, 0)
  const stopped = await home.run(['signal', 'USR1', 'app'])
  assert.equal(stopped.code, 1)
  assert.match(stopped.stderr, /app is not running: there is no process to send SIGUSR1 to/)
})

test('an app that grows past max_memory_restart is restarted gracefully, with reason memory', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const config = writeConfig(
    dir,
    `processes:\n  - {name: hog, script: ${join(APPS, 'memory-hog.js')}, env: {TARGET_MB: 200}, max_memory_restart: 80M}\n  - {name: calm, script: ${join(APPS, 'idle.js')}, max_memory_restart: 80M}\n`,
  )
  assert.equal((await home.run(['start', '-c', config])).code, 0)
  const hog = await waitFor(
    async () => {
      const listed = await find(home, 'hog')
      return listed.restarts >= 1 && listed.last_restart_reason === 'memory' ? listed : undefined
    },
    {what: 'hog to be restarted for its memory', timeoutMs: 20_000},
  )
  assert.equal(hog.last_restart_reason, 'memory')
  assert.match(
    supervisorLog(home),
    /hog: its memory \([\d.]+ MB resident, with its children\) went past max_memory_restart \(80\.0 MB\); restarting it \(memory\)/,
  )
  const calm = await find(home, 'calm')
  assert.deepEqual([calm.status, calm.restarts], ['online', 0])
})

test('cron_restart with a seconds field restarts the app on schedule, with reason cron', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const config = writeConfig(
    dir,
    `processes:\n  - {name: nightly, script: ${join(APPS, 'idle.js')}, cron_restart: "*/2 * * * * *"}\n`,
  )
  assert.equal((await home.run(['start', '-c', config])).code, 0)
  const first = await find(home, 'nightly')
  await waitFor(
    async () => {
      const listed = await find(home, 'nightly')
      return listed.restarts >= 2 && listed.status === 'online' && listed.pid !== first.pid
    },
    {what: 'two scheduled restarts', timeoutMs: 15_000},
  )
  const listed = await find(home, 'nightly')
  assert.equal(listed.last_restart_reason, 'cron')
  assert.ok(listed.triggers?.cron_next_at && listed.triggers.cron_next_at > Date.now() - 2000, 'the next run is known')
  assert.match(supervisorLog(home), /nightly: cron_restart "\*\/2 \* \* \* \* \*"; restarting it \(cron\)/)

  // Stopped, it is not restarted by its schedule.
  assert.equal((await home.run(['stop', 'nightly'])).code, 0)
  const bad = writeConfig(
    tempDir(),
    `processes:\n  - {name: x, script: ${join(APPS, 'idle.js')}, cron_restart: "61 * * * *"}\n`,
  )
  const refused = await home.run(['start', '-c', bad])
  assert.notEqual(refused.code, 0)
  assert.match(refused.stderr, /cron_restart: expected a cron schedule such as "0 3 \* \* \*", got "61 \* \* \* \*"/)
})

test('watch: changed files restart the app once (debounced); ignored ones, node_modules and its own logs do not', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  mkdirSync(join(dir, 'src'))
  mkdirSync(join(dir, 'node_modules'))
  mkdirSync(join(dir, 'cache'))
  writeFileSync(join(dir, 'src', 'index.js'), '// v1\n')
  const config = writeConfig(
    dir,
    [
      'processes:',
      `  - name: dev`,
      `    script: ${join(APPS, 'signal-logger.js')}`,
      '    watch: true',
      '    ignore_watch: [cache, "*.tmp"]',
      '    watch_delay: 300',
      `    out_file: ${join(dir, 'dev.log')}`,
    ].join('\n'),
  )
  assert.equal((await home.run(['start', '-c', config])).code, 0)
  await waitFor(async () => (await find(home, 'dev')).triggers?.watching, {what: 'the watch to be set up'})
  assert.match(supervisorLog(home), new RegExp(`dev: watching ${dir} for changes`))
  // The app writes its log inside the watched folder all along: that restarts nothing.
  await waitFor(() => existsSync(join(dir, 'dev.log')) && readFileSync(join(dir, 'dev.log'), 'utf8').length > 0, {
    what: 'the app to write its log',
  })

  // Ignored files first, then three quick changes of a watched one: one restart, for that file only.
  writeFileSync(join(dir, 'cache', 'data.bin'), 'x')
  writeFileSync(join(dir, 'notes.tmp'), 'x')
  writeFileSync(join(dir, 'node_modules', 'dep.js'), 'x')
  for (const version of ['v2', 'v3', 'v4']) writeFileSync(join(dir, 'src', 'index.js'), `// ${version}\n`)
  const restarted = await waitFor(
    async () => {
      const listed = await find(home, 'dev')
      return listed.restarts >= 1 && listed.status === 'online' ? listed : undefined
    },
    {what: 'dev to be restarted by the change'},
  )
  assert.equal(restarted.last_restart_reason, 'watch')
  const restartLines = supervisorLog(home)
    .split('\n')
    .filter((line) => line.includes('restarting it (watch)'))
  assert.equal(restartLines.length, 1, restartLines.join('\n'))
  assert.match(restartLines[0]!, /dev: files changed: src\/index\.js; restarting it \(watch\)/)

  // A second change later is a second restart.
  writeFileSync(join(dir, 'src', 'index.js'), '// v5\n')
  await waitFor(async () => (await find(home, 'dev')).restarts === 2, {what: 'a second restart'})
  assert.equal((await find(home, 'dev')).restarts, 2)
})
