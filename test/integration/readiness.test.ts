// Online means serving: ready checks gate `online` and `tspm start`'s return, health checks restart
// a hung app, depends_on orders start and stop. Real apps, real ports, marks the apps write.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {copyFileSync, existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {BIN, envelope, REPO_ROOT, tempDir, TestHome} from '../helpers/cli.js'
import {freePort, portIsOpen} from '../helpers/net.js'
import {waitFor} from '../helpers/wait.js'

const APPS = join(REPO_ROOT, 'test', 'fixtures', 'apps')

interface Listed {
  name: string
  pid: null | number
  status: string
  status_detail: null | string
  restarts: number
  last_error: null | string
  last_restart_reason: null | string
  ready: null | {message: string; ok: boolean}
  health: null | {failures: number; message: string; ok: boolean}
}

async function find(home: TestHome, name: string): Promise<Listed> {
  return (await home.list<Listed>()).find((p) => p.name === name)!
}

function writeConfig(yaml: string): string {
  const file = join(tempDir(), 'tspm.yaml')
  writeFileSync(file, yaml)
  return file
}

/** The marks apps appended: [name, what, ms] in the order written. */
function marks(file: string): Array<[string, string, number]> {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const words = line.split(' ')
      return [words[0]!, words.slice(1, -1).join(' '), Number(words.at(-1))]
    })
}

function markTime(file: string, name: string, what: string): number | undefined {
  return marks(file).find(([who, said]) => who === name && said === what)?.[2]
}

test('an app that listens only after 2 s is starting, then online, and `tspm start` returns once it answers', async (t) => {
  const home = TestHome.forTest(t)
  const port = await freePort()
  const config = writeConfig(
    `processes:\n  - name: slow\n    script: ${join(APPS, 'slow-listener.js')}\n    env: {PORT: ${port}, DELAY_MS: 2000}\n    ready: {tcp: ${port}}\n`,
  )
  const started = await home.run(['start', '-c', config])
  assert.equal(started.code, 0, started.stderr)
  assert.equal(await portIsOpen(port), true, 'the port answers as soon as start returns')
  assert.match(started.stdout, /slow is online/)
  assert.equal((await find(home, 'slow')).status, 'online')

  // The same with --no-wait: start returns at once, the app is starting, then online.
  assert.equal((await home.run(['delete', 'slow'])).code, 0)
  const early = await home.run(['start', '-c', config, '--no-wait'])
  assert.equal(early.code, 0, early.stderr)
  assert.equal((await find(home, 'slow')).status, 'starting')
  assert.equal(await portIsOpen(port), false)
  const online = await waitFor(
    async () => {
      const slow = await find(home, 'slow')
      return slow.status === 'online' ? slow : undefined
    },
    {what: 'slow to be online'},
  )
  assert.deepEqual(online.ready, {...online.ready, ok: true, message: 'accepted'})
  assert.equal(await portIsOpen(port), true)
})

test('every ready form: tcp, http, exec, log and notify pass; each times out with a clear status and message', async (t) => {
  const home = TestHome.forTest(t)
  const [tcpPort, httpPort, execPort] = [await freePort(), await freePort(), await freePort()]
  const mark = join(tempDir(), 'marks')
  const probe = join(tempDir(), 'probe.sh')
  // exec check: a program that exits 0 once the port answers (no shell string: an argv).
  writeFileSync(
    probe,
    `#!/bin/sh\nexec node -e "require('net').connect(${execPort}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))"\n`,
    {mode: 0o755},
  )
  const app = (name: string, port: number, ready: string) =>
    `  - name: ${name}\n    script: ${join(APPS, 'slow-listener.js')}\n    env: {PORT: ${port}, DELAY_MS: 300, MARK: ${mark}}\n    ready: ${ready}\n`
  const config = writeConfig(
    'processes:\n' +
      app('by-tcp', tcpPort, `{tcp: "127.0.0.1:${tcpPort}"}`) +
      app('by-http', httpPort, `{http: "http://127.0.0.1:${httpPort}/healthz"}`) +
      app('by-exec', execPort, `{exec: [${probe}]}`) +
      app('by-log', await freePort(), String.raw`{log: "listening on \\d+"}`) +
      `  - name: by-notify\n    script: ${join(APPS, 'notifier.js')}\n    env: {DELAY_MS: 300, MARK: ${mark}}\n    ready: {notify: true}\n`,
  )
  const started = await home.run(['start', '-c', config])
  assert.equal(started.code, 0, started.stderr)
  for (const name of ['by-tcp', 'by-http', 'by-exec', 'by-log']) {
    assert.ok(markTime(mark, name, 'ready'), `${name} was listening when start returned`)
  }

  assert.ok(markTime(mark, 'by-notify', 'sent ready'), 'by-notify had said it was ready when start returned')
  for (const p of await home.list<Listed>()) assert.deepEqual([p.name, p.status, p.ready?.ok], [p.name, 'online', true])
  assert.equal((await home.run(['kill'])).code, 0)

  // None of them ever gets ready: each start fails after its timeout, named with its check.
  const never = writeConfig(
    'processes:\n' +
      [
        ['never-tcp', `{tcp: ${await freePort()}, timeout: 1s}`],
        ['never-http', `{http: "http://127.0.0.1:${await freePort()}/", timeout: 1s}`],
        ['never-exec', '{exec: [/bin/false], timeout: 1s}'],
        ['never-log', '{log: "no such line", timeout: 1s}'],
      ]
        .map(([name, ready]) => `  - name: ${name}\n    script: ${join(APPS, 'idle.js')}\n    ready: ${ready}\n`)
        .join('') +
      `  - name: never-notify\n    script: ${join(APPS, 'idle.js')}\n    ready: {notify: true, timeout: 1s}\n`,
  )
  const failed = await home.run(['start', '-c', never])
  assert.equal(failed.code, 1)
  assert.match(
    failed.stderr,
    /never-tcp did not come online: not ready within 1 s: tcp 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
  )
  assert.match(
    failed.stderr,
    /never-http did not come online: not ready within 1 s: http http:\/\/127\.0\.0\.1:\d+\/ \(ECONNREFUSED\)/,
  )
  assert.match(failed.stderr, /never-exec did not come online: not ready within 1 s: exec \/bin\/false \(exit code 1\)/)
  assert.match(
    failed.stderr,
    /never-log did not come online: not ready within 1 s: log \/no such line\/ \(no matching line yet\)/,
  )
  assert.match(
    failed.stderr,
    /never-notify did not come online: not ready within 1 s: notify \(process\.send\('ready'\)\) \(it did not call process\.send\('ready'\)\)/,
  )
  const tcp = await find(home, 'never-tcp')
  assert.equal(tcp.ready?.ok, false)
  assert.match(tcp.last_error ?? '', /not ready within 1 s: tcp/)
  assert.ok(
    ['starting', 'stopping', 'waiting-restart'].includes(tcp.status),
    `a failed start is retried like a crash (${tcp.status})`,
  )
})

test("PM2's wait_ready: process.send('ready') makes the app online, with listen_timeout as the timeout", async (t) => {
  const home = TestHome.forTest(t)
  const mark = join(tempDir(), 'marks')
  const config = writeConfig(
    `processes:\n  - name: pm2-style\n    script: ${join(APPS, 'notifier.js')}\n    env: {DELAY_MS: 1000, MARK: ${mark}}\n    wait_ready: true\n    listen_timeout: 10000\n`,
  )
  const started = await home.run(['start', '-c', config])
  assert.equal(started.code, 0, started.stderr)
  assert.ok(markTime(mark, 'pm2-style', 'sent ready'), 'online only once it sent ready')
  assert.equal((await find(home, 'pm2-style')).status, 'online')
})

test('a health check restarts an app that stops answering but keeps running; the reason is shown', async (t) => {
  const home = TestHome.forTest(t)
  const port = await freePort()
  const hang = join(tempDir(), 'hang')
  const config = writeConfig(
    `processes:\n  - name: flaky\n    script: ${join(APPS, 'slow-listener.js')}\n    env: {PORT: ${port}, HANG_FLAG: ${hang}}\n` +
      `    ready: {tcp: ${port}}\n    health: {http: "http://127.0.0.1:${port}/healthz", interval: 200ms, timeout: 300ms, failures: 3}\n`,
  )
  assert.equal((await home.run(['start', '-c', config])).code, 0)
  const before = await find(home, 'flaky')
  await waitFor(async () => (await find(home, 'flaky')).health?.ok === true, {what: 'a passing health check'})
  writeFileSync(hang, '')
  const after = await waitFor(
    async () => {
      const flaky = await find(home, 'flaky')
      return flaky.restarts === 1 && flaky.status === 'online' ? flaky : undefined
    },
    {what: 'the hung app to be restarted', timeoutMs: 20_000},
  )
  assert.notEqual(after.pid, before.pid)
  assert.equal(after.last_restart_reason, 'health')
  assert.match(
    after.last_error ?? '',
    /health check http http:\/\/127\.0\.0\.1:\d+\/healthz failed 3 times in a row \(last: no answer within 300 ms\); restarted/,
  )
  assert.match(readFileSync(home.paths.supervisorLog, 'utf8'), /flaky: health check http .* failed 3 times in a row/)
})

/** db (ready once it listens, after 1 s) and api (depends on db), each writing marks. */
async function dbAndApi(mark: string): Promise<string> {
  const port = await freePort()
  return writeConfig(
    `processes:\n  - name: api\n    script: ${join(APPS, 'first-line.js')}\n    env: {MARK: ${mark}}\n    depends_on: db\n` +
      `  - name: db\n    script: ${join(APPS, 'slow-listener.js')}\n    env: {PORT: ${port}, DELAY_MS: 1000, MARK: ${mark}}\n    ready: {tcp: ${port}}\n`,
  )
}

test('depends_on: api starts only once db is ready, in start and after kill -9 and resurrect; stop all stops api first', async (t) => {
  const home = TestHome.forTest(t)
  const mark = join(tempDir(), 'marks')
  const started = await home.run(['start', '-c', await dbAndApi(mark)])
  assert.equal(started.code, 0, started.stderr)
  await waitFor(() => markTime(mark, 'api', 'first-line'), {what: "api's first line"})
  assert.ok(
    markTime(mark, 'api', 'first-line')! >= markTime(mark, 'db', 'ready')!,
    "api's first line comes after db was ready",
  )

  // The boot path: saved, supervisor and apps killed, resurrect brings them back in order.
  assert.equal((await home.run(['save'])).code, 0)
  const pids = (await home.list<Listed>()).map((p) => p.pid!)
  process.kill(Number(readFileSync(home.paths.pidFile, 'utf8')), 'SIGKILL')
  for (const pid of pids) process.kill(pid, 'SIGKILL')
  writeFileSync(mark, '')
  const env: NodeJS.ProcessEnv = {...process.env, TSPM_HOME: home.home}
  delete env.NODE_EXTRA_CA_CERTS
  const resurrect = spawn(process.execPath, [BIN, 'resurrect'], {env, stdio: 'ignore'})
  t.after(() => resurrect.kill('SIGKILL'))
  await waitFor(() => markTime(mark, 'api', 'first-line'), {what: "api's first line after resurrect"})
  assert.ok(markTime(mark, 'api', 'first-line')! >= markTime(mark, 'db', 'ready')!, 'after resurrect too')
  await waitFor(async () => (await home.list<Listed>()).every((p) => p.status === 'online'), {what: 'both online'})

  // stop all: api (the dependent) has stopped before db gets its stop signal.
  assert.equal((await home.run(['stop', 'all'])).code, 0)
  const stops = marks(mark)
    .filter(([, what]) => what === 'stopped')
    .map(([name]) => name)
  assert.deepEqual(stops, ['api', 'db'])
  resurrect.kill('SIGTERM')
  await once(resurrect, 'exit')
})

test('a dependency that never becomes ready keeps its dependent waiting, with a message, and start says so', async (t) => {
  const home = TestHome.forTest(t)
  const config = writeConfig(
    `processes:\n  - name: db\n    script: ${join(APPS, 'idle.js')}\n    ready: {tcp: ${await freePort()}, timeout: 1s}\n    max_restarts: 1\n` +
      `  - name: api\n    script: ${join(APPS, 'idle.js')}\n    depends_on: [db]\n`,
  )
  const started = await home.run(['start', '-c', config])
  assert.equal(started.code, 1)
  assert.match(started.stderr, /db did not come online: not ready within 1 s: tcp/)
  assert.match(
    started.stderr,
    /api did not come online: waiting for db to be online \(db (did not become ready|is errored)\)/,
  )
  const api = await find(home, 'api')
  assert.equal(api.status, 'waiting')
  assert.equal(api.pid, null, 'api never ran')
  assert.match(api.status_detail ?? '', /^waiting for db to be online/)
  const json = envelope<unknown>((await home.run(['restart', 'db', '--json'])).stdout)
  assert.equal(json.error?.code, 'not_ready', 'restart waits, and fails the same way')
})

test('depends_on: a cycle, an unknown name and a self-dependency are config errors; nothing starts', async (t) => {
  const home = TestHome.forTest(t)
  const script = join(APPS, 'idle.js')
  const cycle = writeConfig(
    `processes:\n  - name: a\n    script: ${script}\n    depends_on: b\n  - name: b\n    script: ${script}\n    depends_on: [c]\n  - name: c\n    script: ${script}\n    depends_on: [a]\n`,
  )
  const cycled = await home.run(['start', '-c', cycle])
  assert.equal(cycled.code, 2)
  assert.match(
    cycled.stderr,
    /tspm\.yaml:4:17 processes\[0\]\.depends_on: depends_on goes round in a cycle: a → b → c → a; nothing could start first/,
  )
  const unknown = writeConfig(`processes:\n  - name: a\n    script: ${script}\n    depends_on: [a, ghost]\n`)
  const refused = await home.run(['start', '-c', unknown])
  assert.equal(refused.code, 2)
  assert.match(refused.stderr, /tspm\.yaml:4:18 processes\[0\]\.depends_on\[0\]: a cannot depend on itself/)
  assert.match(refused.stderr, /tspm\.yaml:4:21 processes\[0\]\.depends_on\[1\]: no process named "ghost" in this file/)
  assert.equal(existsSync(home.paths.socket), false, 'no supervisor was started')
})

test('the README example (examples/db-api): api starts only once db answers, and serves', async (t) => {
  const home = TestHome.forTest(t)
  const example = join(REPO_ROOT, 'examples', 'db-api')
  const dir = tempDir()
  for (const file of ['db.js', 'api.js']) copyFileSync(join(example, file), join(dir, file))
  // The example as shipped, on ports free here, with a trace file both apps append to.
  const [dbPort, apiPort] = [await freePort(), await freePort()]
  const trace = join(dir, 'trace')
  const yaml = readFileSync(join(example, 'tspm.yaml'), 'utf8')
    // Whole numbers only: the free port chosen for db may itself hold the digits 3001.
    .replaceAll(/\b15432\b/g, String(dbPort))
    .replaceAll(/\b3001\b/g, String(apiPort))
    .replaceAll('env: {', `env: {TRACE_FILE: ${trace}, `)
  writeFileSync(join(dir, 'tspm.yaml'), yaml)

  const started = await home.run(['start', '-c', join(dir, 'tspm.yaml')])
  assert.equal(started.code, 0, started.stderr)
  assert.match(started.stdout, /db is online\napi is online/)
  assert.deepEqual(readFileSync(trace, 'utf8').trim().split('\n'), ['db ready', 'api first line'])
  const response = await fetch(`http://127.0.0.1:${apiPort}/healthz`)
  assert.equal(response.status, 200)
  const listed = await home.list<Listed>()
  assert.deepEqual(
    listed.map((p) => [p.name, p.status, p.restarts]),
    [
      ['db', 'online', 0],
      ['api', 'online', 0],
    ],
  )
})
