import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {join} from 'node:path'
import {test} from 'node:test'

import {BIN, envelope, REPO_ROOT, tempDir, TestHome} from '../helpers/cli.js'
import {freePort, portIsOpen} from '../helpers/net.js'
import {isRunning, processesWithEnv, procState} from '../helpers/procfs.js'
import {waitFor} from '../helpers/wait.js'

const APPS = join(REPO_ROOT, 'test', 'fixtures', 'apps')

interface Listed {
  name: string
  pid: null | number
  status: string
  restarts: number
  uptime_ms: number
  last_exit: null | {code: null | number; signal: null | string}
  cpu: number
  memory: number
}

async function waitForStatus(
  home: TestHome,
  name: string,
  status: string,
  extra: (p: Listed) => boolean = () => true,
): Promise<Listed> {
  return waitFor(
    async () => (await home.list<Listed>()).find((p) => p.name === name && p.status === status && extra(p)),
    {
      what: `${name} to be ${status}`,
      timeoutMs: 20_000,
    },
  )
}

function writeConfig(dir: string, yaml: string): string {
  const file = join(dir, 'tspm.yaml')
  writeFileSync(file, yaml)
  return file
}

/** web (an HTTP server), ticker (a shell loop) and forker (a grandchild holds a port), started and online. */
async function startTrio(t: {after: (fn: () => Promise<void>) => void}) {
  const home = TestHome.forTest(t)
  const [webPort, forkPort] = [await freePort(), await freePort()]
  const config = writeConfig(
    tempDir(),
    `processes:
  - name: web
    script: ${join(APPS, 'http-server.js')}
    env: {PORT: ${webPort}}
  - name: ticker
    script: ${join(APPS, 'ticker.sh')}
  - name: forker
    script: ${join(APPS, 'forker.js')}
    env: {PORT: ${forkPort}}
`,
  )
  const started = await home.run(['start', '-c', config])
  assert.equal(started.code, 0, started.stderr)
  assert.match(started.stdout, /started web\nstarted ticker\nstarted forker/)
  const web = await waitForStatus(home, 'web', 'online')
  await waitForStatus(home, 'ticker', 'online')
  await waitForStatus(home, 'forker', 'online')
  await waitFor(() => portIsOpen(webPort), {what: `web to listen on ${webPort}`})
  await waitFor(() => portIsOpen(forkPort), {what: `forker's grandchild to listen on ${forkPort}`})
  return {home, config, web, webPort, forkPort}
}

test('start: real processes online, in the table, and a second start of the same names starts nothing', async (t) => {
  const {home, config, web} = await startTrio(t)
  assert.ok(web.pid && web.memory > 0, 'an online process shows its pid and memory')
  const table = await home.run(['list'])
  assert.match(table.stdout, /^id\s+name\s+pid\s+status\s+restarts\s+uptime\s+cpu\s+memory/)
  assert.match(table.stdout, /\n\s*0\s+web\s+\d+\s+online\s+0\s/)

  const again = await home.run(['start', '-c', config])
  assert.equal(again.code, 0, again.stderr)
  assert.match(again.stdout, /web is already running/)
  assert.deepEqual(
    (await home.list<Listed>()).map((p) => [p.name, p.pid === null ? null : 'pid']),
    [
      ['web', 'pid'],
      ['ticker', 'pid'],
      ['forker', 'pid'],
    ],
  )
})

test('an app killed with -9 is back online under a new pid, with one restart', async (t) => {
  const {home, web, webPort} = await startTrio(t)
  process.kill(web.pid!, 'SIGKILL')
  const revived = await waitForStatus(home, 'web', 'online', (p) => p.restarts === 1)
  assert.notEqual(revived.pid, web.pid)
  await waitFor(() => portIsOpen(webPort), {what: 'web to listen again'})
})

test('logs shows both streams, one stream bare, and --follow prints what comes after', async (t) => {
  const {home, webPort} = await startTrio(t)
  const logs = await home.run(['logs', 'web', '--lines', '5'])
  assert.equal(logs.code, 0, logs.stderr)
  assert.match(logs.stdout, new RegExp(`listening on ${webPort}`))
  assert.match(logs.stdout, /stderr line from \d+/)
  const badLines = await home.run(['logs', 'web', '--lines', 'many'])
  assert.equal(badLines.code, 2, 'a flag value that does not parse is bad input')
  assert.match(badLines.stderr, /Parsing --lines\s+expected a whole number of 0 or more, got "many"/)
  const errOnly = await home.run(['logs', 'web', '--err'])
  assert.doesNotMatch(errOnly.stdout, /listening on/)

  const follow = spawn(process.execPath, [BIN, 'logs', 'ticker', '--out', '--follow', '--lines', '0'], {
    env: {...process.env, TSPM_HOME: home.home},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.after(() => follow.kill('SIGKILL'))
  let followed = ''
  follow.stdout.on('data', (chunk) => {
    followed += chunk
  })
  await waitFor(() => /tick \d+\n[^]*tick \d+\n/.test(followed), {what: 'logs --follow to print new ticks'})
  follow.kill('SIGINT')
  assert.deepEqual(await once(follow, 'exit'), [0, null])
})

test('stop frees the port and leaves no grandchild; files are private; status.json mirrors the table', async (t) => {
  const {home, forkPort} = await startTrio(t)
  const forker = (await home.list<Listed>()).find((p) => p.name === 'forker')!
  const grandchildPid = Number(
    /grandchild (\d+)/.exec(readFileSync(join(home.paths.logsDir, 'forker-out.log'), 'utf8'))![1],
  )
  assert.ok(isRunning(grandchildPid))
  const stopped = await home.run(['stop', 'forker'])
  assert.equal(stopped.code, 0, stopped.stderr)
  assert.equal(await portIsOpen(forkPort), false, 'the port is free once stop returns')
  assert.equal(isRunning(grandchildPid), false, 'the grandchild is gone')
  assert.equal(isRunning(forker.pid!), false)
  assert.equal((await home.list<Listed>()).find((p) => p.name === 'forker')?.status, 'stopped')

  assert.equal(statSync(home.home).mode & 0o777, 0o700)
  assert.equal(statSync(home.paths.socket).mode & 0o777, 0o600)
  assert.equal(statSync(home.paths.statusFile).mode & 0o777, 0o600)
  // status.json follows the table within its write interval (500 ms).
  const table = (await home.list<Listed>()).map((p) => `${p.name}:${p.status}`).sort()
  const fileRows = () => {
    const status = JSON.parse(readFileSync(home.paths.statusFile, 'utf8')) as {
      processes: Array<{name: string; status: string}>
    }
    return status.processes.map((p) => `${p.name}:${p.status}`).sort()
  }

  await waitFor(() => JSON.stringify(fileRows()) === JSON.stringify(table), {
    what: `status.json to read ${table.join(', ')}`,
  })
})

test('kill: every app and the supervisor are gone, checked in /proc, and the socket is removed', async (t) => {
  const {home, webPort} = await startTrio(t)
  assert.ok(processesWithEnv('TSPM_HOME', home.home).length >= 4, 'the supervisor and its apps carry TSPM_HOME')
  const killed = await home.run(['kill'])
  assert.equal(killed.code, 0, killed.stderr)
  assert.deepEqual(processesWithEnv('TSPM_HOME', home.home), [], 'no process of this TSPM_HOME is left')
  assert.equal(await portIsOpen(webPort), false)
  assert.throws(() => statSync(home.paths.socket), /ENOENT/, 'the socket is removed')
})

/** Starts counter.js writing `lines` numbered lines under the given rotation settings, and waits until it is done. */
async function writeNumberedLines(home: TestHome, lines: number, rotation: string): Promise<void> {
  const config = writeConfig(
    tempDir(),
    `processes:\n  - name: chatty\n    script: ${join(APPS, 'counter.js')}\n    env: {LINES: ${lines}}\n${rotation}`,
  )
  assert.equal((await home.run(['start', '-c', config])).code, 0)
  await waitFor(() => readFileSync(join(home.paths.logsDir, 'chatty-err.log'), 'utf8').includes('done'), {
    what: 'chatty to finish writing',
  })
}

test('log rotation keeps every line, in order, across the rotated files', async (t) => {
  const home = TestHome.forTest(t)
  const lines = 20_000
  await writeNumberedLines(home, lines, '    max_log_size: 64K\n    log_files: 100\n')

  const files = readdirSync(home.paths.logsDir).filter((file) => file.startsWith('chatty-out.log'))
  assert.ok(files.length > 10, `rotation happened (${files.length} files)`)
  for (const file of files)
    assert.ok(statSync(join(home.paths.logsDir, file)).size <= 64 * 1024, `${file} respects max_log_size`)
  // Oldest first: chatty-out.log.N ... .1, then chatty-out.log.
  const ordered = files.sort((a, b) => rotationIndex(b) - rotationIndex(a))
  const text = ordered.map((file) => readFileSync(join(home.paths.logsDir, file), 'utf8')).join('')
  const numbers = text
    .trimEnd()
    .split('\n')
    .map((line) => Number(line.split(' ')[1]))
  assert.equal(numbers.length, lines)
  assert.ok(
    numbers.every((n, index) => n === index + 1),
    'every line is there once, in order',
  )
})

function rotationIndex(file: string): number {
  const match = /\.log\.(\d+)$/.exec(file)
  return match ? Number(match[1]) : 0
}

test('log_files limits how many rotated files are kept', async (t) => {
  const home = TestHome.forTest(t)
  await writeNumberedLines(home, 5000, '    max_log_size: 4K\n    log_files: 3\n')
  const files = readdirSync(home.paths.logsDir)
    .filter((file) => file.startsWith('chatty-out.log'))
    .sort()
  assert.deepEqual(files, ['chatty-out.log', 'chatty-out.log.1', 'chatty-out.log.2', 'chatty-out.log.3'])
  const newest = readFileSync(join(home.paths.logsDir, 'chatty-out.log'), 'utf8').trimEnd().split('\n').at(-1)
  assert.match(newest!, /^line 5000 /)
})

test('a crash-looping app ends errored and stays down', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const config = writeConfig(
    dir,
    `processes:
  - name: crasher
    script: ${join(APPS, 'crasher.sh')}
    exp_backoff_restart_delay: 10
    max_restart_delay: 50
`,
  )
  assert.equal((await home.run(['start', '-c', config])).code, 0)
  const errored = await waitForStatus(home, 'crasher', 'errored')
  assert.equal(errored.restarts, 15, '16 unstable runs: the first one and 15 restarts')
  assert.equal(errored.pid, null)
  const logs = await home.run(['logs', 'crasher', '--err', '--lines', '100'])
  assert.equal(logs.stdout.trim().split('\n').length, 16)

  // restart by hand brings it back from errored.
  const restarted = await home.run(['restart', 'crasher'])
  assert.equal(restarted.code, 0, restarted.stderr)
  assert.match(restarted.stdout, /restarted crasher/)
})

test('many apps started at once: about two per core start up at a time, the rest are queued unspawned; all come up once, and a stop cancels those still queued', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  // Four times the slots (two per core, and one more), so some are still queued at the first look.
  const count = 4 * (2 * availableParallelism() + 1)
  const names = Array.from({length: count}, (_, i) => `busy${i}`)
  const config = writeConfig(
    dir,
    'processes:\n' +
      names
        .map(
          (name) =>
            `  - name: ${name}\n    script: ${join(APPS, 'busy-start.js')}\n    env: {BUSY_MS: 300}\n    kill_timeout: 20000\n`,
        )
        .join(''),
  )

  // --no-wait: look while they start; `tspm start` would wait until every one runs.
  assert.equal((await home.run(['start', '-c', config, '--no-wait'])).code, 0)
  const started = await home.list<Listed>()
  const queued = started.filter((p) => p.status === 'queued')
  assert.ok(queued.length > 0, 'the apps beyond the slots wait for their turn')
  assert.deepEqual(
    queued.map((p) => p.pid),
    queued.map(() => null),
    'a queued app is not spawned yet',
  )
  // How many hold a slot at once is exact in test/unit/launch-throttle.test.ts: from outside, an
  // app that has used its start-up CPU has left its slot while still busy, so no count is exact here.

  // Each is spawned in its turn: all end up online, each spawned once, never restarted.
  const settled = await waitFor(
    async () => {
      const now = await home.list<Listed>()
      return now.every((p) => p.status === 'online') ? now : undefined
    },
    {what: `all ${count} apps online`, timeoutMs: 60_000},
  )
  assert.deepEqual(
    settled.map((p) => p.restarts),
    settled.map(() => 0),
  )
  assert.equal(new Set(settled.map((p) => p.pid)).size, count)
  await waitFor(() => settled.every((p) => procState(p.pid!) === 'S'), {what: 'every app to finish starting'})

  // Stopping apps that still wait for their turn: they are never spawned; the running ones get
  // their stop signal rather than the SIGKILL at the end of kill_timeout.
  assert.equal((await home.run(['delete', 'all'])).code, 0)
  assert.equal((await home.run(['start', '-c', config, '--no-wait'])).code, 0)
  assert.ok(
    (await home.list<Listed>()).some((p) => p.status === 'queued'),
    'some apps wait for their turn',
  )
  const stopped = await home.run(['stop', 'all'])
  assert.equal(stopped.code, 0, stopped.stderr)
  const after = await home.list<Listed>()
  assert.deepEqual(
    after.map((p) => p.status),
    names.map(() => 'stopped'),
  )
  for (const p of after)
    assert.notEqual(p.last_exit?.signal, 'SIGKILL', `${p.name} had to be killed: ${JSON.stringify(p.last_exit)}`)
  assert.deepEqual(
    processesWithEnv('TSPM_HOME', home.home).filter((found) => found.cmdline.includes('busy-start')),
    [],
    'nothing runs',
  )
})

test('stop_exit_codes: an expected exit is not restarted', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const config = writeConfig(
    dir,
    `processes:
  - name: once
    script: /bin/sh
    args: ["-c", "exit 7"]
    stop_exit_codes: [7]
`,
  )
  assert.equal((await home.run(['start', '-c', config])).code, 0)
  const stopped = await waitForStatus(home, 'once', 'stopped')
  assert.equal(stopped.restarts, 0)
})

test('bad input: clear messages, non-zero exits, nothing changed', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()

  // A config with a mistake starts nothing, and names file, line, column and field.
  const bad = writeConfig(
    dir,
    `processes:
  - name: good
    script: ${join(APPS, 'idle.js')}
  - name: bad
    script: ${join(APPS, 'idle.js')}
    kill_timeout: soon
`,
  )
  const rejected = await home.run(['start', '-c', bad], {cwd: dir})
  assert.equal(rejected.code, 2)
  assert.match(rejected.stderr, /tspm\.yaml:6:19 processes\[1\]\.kill_timeout: expected milliseconds, got "soon"/)
  assert.deepEqual(processesWithEnv('TSPM_HOME', home.home), [], 'no supervisor was started for a bad config')

  const missing = await home.run(['start', '-c', join(dir, 'nope.yaml')])
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /nope\.yaml: no such file/)

  // Read-only commands never start a supervisor.
  const listed = await home.run(['list'])
  assert.equal(listed.code, 3)
  assert.match(listed.stderr, /^Error: no supervisor is running/)
  const logs = await home.run(['logs', 'nobody'])
  assert.equal(logs.code, 1)
  assert.match(logs.stderr, /no logs for "nobody"/)
  assert.deepEqual(processesWithEnv('TSPM_HOME', home.home), [])

  // Acting on a process with no supervisor: exit 3, says what to do.
  const stopNone = await home.run(['stop', 'web'])
  assert.equal(stopNone.code, 3)
  assert.match(stopNone.stderr, /no supervisor is running/)

  // An unknown name: exit 1, names what exists, changes nothing.
  const good = writeConfig(dir, `processes:\n  - name: good\n    script: ${join(APPS, 'idle.js')}\n`)
  assert.equal((await home.run(['start', '-c', good])).code, 0)
  const before = await home.list<Listed>()
  const unknown = await home.run(['stop', 'nosuch'])
  assert.equal(unknown.code, 1)
  assert.match(unknown.stderr, /no process named "nosuch"; known: good/)
  const unknownJson = await home.run(['restart', 'nosuch', '--json'])
  assert.equal(unknownJson.code, 1)
  assert.equal(envelope(unknownJson.stdout).error?.code, 'unknown_process')
  assert.deepEqual(
    (await home.list<Listed>()).map((p) => [p.name, p.pid, p.status]),
    before.map((p) => [p.name, p.pid, p.status]),
  )

  // A missing env_file fails that process only; the others start.
  const withEnvFile = writeConfig(
    dir,
    `processes:\n  - name: needs-env\n    script: ${join(APPS, 'idle.js')}\n    env_file: missing.env\n  - name: fine\n    script: ${join(APPS, 'idle.js')}\n`,
  )
  const partial = await home.run(['start', '-c', withEnvFile])
  assert.equal(partial.code, 1)
  assert.match(partial.stderr, new RegExp(`needs-env: env_file ${join(dir, 'missing.env')}: no such file`))
  assert.match(partial.stdout, /started fine/)
  assert.equal((await home.list<Listed>()).find((p) => p.name === 'fine')?.status, 'online')
  assert.equal((await home.list<Listed>()).find((p) => p.name === 'needs-env')?.status, 'errored')

  // A script that does not exist is refused before anything starts, with what to do.
  const gone = await home.run(['start', join(dir, 'missing.sh'), '--name', 'ghost'])
  assert.equal(gone.code, 2)
  assert.match(gone.stderr, /missing\.sh does not exist; check the path/)
  assert.equal(
    (await home.list<Listed>()).some((p) => p.name === 'ghost'),
    false,
  )
})

test('one supervisor per TSPM_HOME; a stale socket is replaced', async (t) => {
  const home = TestHome.forTest(t)
  assert.equal((await home.run(['start', join(APPS, 'idle.js'), '--name', 'idle'])).code, 0)
  const supervisorPid = Number(readFileSync(home.paths.pidFile, 'utf8'))

  // A second supervisor on the same home refuses and names the running one.
  const second = await home.run(['resurrect'], {timeoutMs: 15_000})
  assert.equal(second.code, 0, 'resurrect hands over to the running supervisor')
  const direct = await import('../helpers/cli.js').then(({runProgram}) =>
    runProgram(process.execPath, [join(REPO_ROOT, 'dist', 'supervisor', 'daemon.js')], {
      env: {...process.env, TSPM_HOME: home.home},
    }),
  )
  assert.equal(direct.code, 4)
  assert.match(direct.stdout, new RegExp(`already runs for TSPM_HOME=${home.home} \\(pid ${supervisorPid}\\)`))

  // kill -9 leaves a socket and a pid file behind; the next start sees they are stale.
  process.kill(supervisorPid, 'SIGKILL')
  await waitFor(() => !isRunning(supervisorPid), {what: 'the supervisor to die'})
  assert.ok(statSync(home.paths.socket).isSocket(), 'the dead supervisor left its socket')
  const restarted = await home.run(['start', join(APPS, 'idle.js'), '--name', 'idle2'])
  assert.equal(restarted.code, 0, restarted.stderr)
  const names = (await home.list<Listed>()).map((p) => p.name)
  assert.deepEqual(names, ['idle2'])
})
