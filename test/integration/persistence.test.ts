import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {readdirSync, readFileSync, statSync, watch, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {BIN, REPO_ROOT, tempDir, TestHome} from '../helpers/cli.js'
import {isRunning, processesWithEnv, procStartTime} from '../helpers/procfs.js'
import {waitFor} from '../helpers/wait.js'

const APPS = join(REPO_ROOT, 'test', 'fixtures', 'apps')

interface Listed {
  name: string
  pid: null | number
  status: string
}

interface Dump {
  format: string
  version: number
  processes: Array<{
    name: string
    state: string
    args: string[]
    cwd: string
    env: Record<string, string>
    env_file?: string
  }>
}

function readDump(file: string): Dump {
  return JSON.parse(readFileSync(file, 'utf8')) as Dump
}

async function waitForNames(home: TestHome, expected: Array<[string, string]>): Promise<Listed[]> {
  const key = (entries: Array<[string, string]>) =>
    entries
      .map(([name, status]) => `${name}:${status}`)
      .sort()
      .join(',')
  return waitFor(
    async () => {
      const listed = await home.list<Listed>()
      return key(listed.map((p) => [p.name, p.status])) === key(expected) ? listed : undefined
    },
    {what: `the list to be ${key(expected)}`, timeoutMs: 20_000},
  )
}

function appProcesses(home: TestHome, script: string): number[] {
  return processesWithEnv('TSPM_HOME', home.home)
    .filter((p) => p.cmdline.includes(script))
    .map((p) => p.pid)
}

test('save, kill, resurrect: the same processes, args, cwd, env and states; env_file is re-read and never saved', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const appDir = tempDir('tspm-cwd-')
  writeFileSync(join(dir, 'secrets.env'), 'API_TOKEN=first-secret-value\n')
  writeFileSync(
    join(dir, 'tspm.yaml'),
    `processes:
  - name: api
    script: ${join(APPS, 'env-printer.js')}
    args: [--mode, "two words"]
    cwd: ${appDir}
    env: {SHOW: "API_TOKEN,PLAIN", PLAIN: visible}
    env_file: secrets.env
  - name: idle
    script: ${join(APPS, 'idle.js')}
  - name: parked
    script: ${join(APPS, 'idle.js')}
`,
  )
  assert.equal((await home.run(['start', '-c', join(dir, 'tspm.yaml')])).code, 0)
  assert.equal((await home.run(['stop', 'parked'])).code, 0)
  const apiLog = join(home.paths.logsDir, 'api-out.log')
  await waitFor(() => readFileSync(apiLog, 'utf8').includes('API_TOKEN=first-secret-value'), {
    what: 'api to print its env',
  })

  const saved = await home.run(['save'])
  assert.equal(saved.code, 0, saved.stderr)
  assert.match(saved.stdout, new RegExp(`saved 3 processes to ${home.paths.dumpFile}: api, idle, parked \\(stopped\\)`))
  assert.equal(statSync(home.paths.dumpFile).mode & 0o777, 0o600)
  assert.equal(statSync(home.home).mode & 0o777, 0o700)
  const dumpText = readFileSync(home.paths.dumpFile, 'utf8')
  assert.doesNotMatch(dumpText, /first-secret-value/, 'a value from env_file never reaches dump.json')
  assert.doesNotMatch(dumpText, /"PATH"|"HOME"/, "the caller's environment is not saved")
  const dump = readDump(home.paths.dumpFile)
  assert.equal(dump.format, 'tspm-dump')
  assert.equal(dump.version, 1)
  const api = dump.processes.find((p) => p.name === 'api')!
  assert.deepEqual(api.env, {SHOW: 'API_TOKEN,PLAIN', PLAIN: 'visible'})
  assert.equal(api.env_file, join(dir, 'secrets.env'))
  assert.deepEqual(
    dump.processes.map((p) => [p.name, p.state]),
    [
      ['api', 'online'],
      ['idle', 'online'],
      ['parked', 'stopped'],
    ],
  )

  assert.equal((await home.run(['kill'])).code, 0)
  assert.deepEqual(processesWithEnv('TSPM_HOME', home.home), [])
  assert.equal(readFileSync(home.paths.dumpFile, 'utf8'), dumpText, 'kill leaves dump.json as save wrote it')
  writeFileSync(join(dir, 'secrets.env'), 'API_TOKEN=second-secret-value\n')

  const resurrect = home.resurrectInForeground()
  const listed = await waitForNames(home, [
    ['api', 'online'],
    ['idle', 'online'],
    ['parked', 'stopped'],
  ])
  assert.equal(listed.find((p) => p.name === 'parked')!.pid, null)
  const expectedLines = [
    'API_TOKEN=second-secret-value',
    'PLAIN=visible',
    `args=["--mode","two words"] cwd=${appDir}`,
  ].join('\n')
  await waitFor(() => readFileSync(apiLog, 'utf8').endsWith(`${expectedLines}\n`), {
    what: 'api to print the new env_file value, its args and cwd',
  })

  // SIGTERM: every app stopped gracefully, exit 0 within the largest kill_timeout plus 1 s.
  const pids = listed.filter((p) => p.pid).map((p) => p.pid!)
  const sentAt = Date.now()
  resurrect.child.kill('SIGTERM')
  assert.equal(await resurrect.exited, 0, resurrect.output())
  const took = Date.now() - sentAt
  assert.ok(took < 1600 + 1000, `resurrect exited ${took} ms after SIGTERM`)
  for (const pid of pids) assert.equal(isRunning(pid), false)
  assert.deepEqual(processesWithEnv('TSPM_HOME', home.home), [])
  assert.match(resurrect.output(), /restoring 3 saved process/)
})

test('kill -9 of the supervisor, then resurrect: each saved process runs once, orphans are stopped, a reused pid is left alone', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const names = ['one', 'two', 'three']
  writeFileSync(
    join(dir, 'tspm.yaml'),
    `processes:\n${names.map((name) => `  - name: ${name}\n    script: ${join(APPS, 'idle.js')}\n    args: [${name}]\n`).join('')}`,
  )
  assert.equal((await home.run(['start', '-c', join(dir, 'tspm.yaml')])).code, 0)
  assert.equal((await home.run(['save'])).code, 0)
  const before = await home.list<Listed>()
  const supervisorPid = Number(readFileSync(home.paths.pidFile, 'utf8'))

  // An unrelated process, whose pid status.json will claim with another start time.
  const bystander = spawn('sleep', ['300'], {detached: true, stdio: 'ignore'})
  home.extraPids.add(bystander.pid!)
  t.after(() => bystander.kill('SIGKILL'))

  process.kill(supervisorPid, 'SIGKILL')
  await waitFor(() => !isRunning(supervisorPid), {what: 'the supervisor to die'})
  for (const p of before) assert.ok(isRunning(p.pid!), `${p.name} outlived its supervisor (an orphan)`)

  const status = JSON.parse(readFileSync(home.paths.statusFile, 'utf8'))
  status.processes.push({
    ...status.processes[0],
    name: 'bystander',
    pid: bystander.pid,
    proc_start_time: procStartTime(bystander.pid!) - 1,
  })
  writeFileSync(home.paths.statusFile, JSON.stringify(status))

  const resurrect = home.resurrectInForeground()
  t.after(() => resurrect.child.kill('SIGKILL'))
  const after = await waitForNames(
    home,
    names.map((name) => [name, 'online']),
  )
  for (const p of before) assert.equal(isRunning(p.pid!), false, `the orphan ${p.name} (pid ${p.pid}) was stopped`)
  for (const p of after) assert.ok(!before.some((old) => old.pid === p.pid))
  assert.equal(appProcesses(home, 'idle.js').length, 3, 'exactly the saved set, each once')
  assert.ok(isRunning(bystander.pid!), 'a process with a reused pid is never touched')
  await waitFor(() => /stopped one \(pid \d+\), left running by an earlier supervisor/.test(resurrect.output()), {
    what: 'the orphan report',
  })

  resurrect.child.kill('SIGTERM')
  assert.equal(await resurrect.exited, 0)
})

test('resurrect next to a running supervisor starts only the saved names that are not running', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  writeFileSync(
    join(dir, 'tspm.yaml'),
    `processes:\n  - name: a\n    script: ${join(APPS, 'idle.js')}\n  - name: b\n    script: ${join(APPS, 'idle.js')}\n`,
  )
  assert.equal((await home.run(['start', '-c', join(dir, 'tspm.yaml')])).code, 0)
  assert.equal((await home.run(['save'])).code, 0)
  const aPid = (await home.list<Listed>()).find((p) => p.name === 'a')!.pid
  assert.equal((await home.run(['delete', 'b'])).code, 0)

  const result = await home.run(['resurrect'])
  assert.equal(result.code, 0, result.stderr)
  assert.match(result.stdout, /started b; already running: a/)
  const listed = await waitForNames(home, [
    ['a', 'online'],
    ['b', 'online'],
  ])
  assert.equal(listed.find((p) => p.name === 'a')!.pid, aPid, 'a was not restarted')
})

test('a broken dump.json is reported and left alone; dump.json.bak is used; both broken is an error naming both', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  writeFileSync(join(dir, 'first.yaml'), `processes:\n  - name: first\n    script: ${join(APPS, 'idle.js')}\n`)
  writeFileSync(join(dir, 'second.yaml'), `processes:\n  - name: second\n    script: ${join(APPS, 'idle.js')}\n`)
  assert.equal((await home.run(['start', '-c', join(dir, 'first.yaml')])).code, 0)
  assert.equal((await home.run(['save'])).code, 0)
  assert.equal((await home.run(['start', '-c', join(dir, 'second.yaml')])).code, 0)
  assert.equal((await home.run(['save'])).code, 0)
  assert.deepEqual(
    readDump(home.paths.dumpBackup).processes.map((p) => p.name),
    ['first'],
  )
  assert.equal(statSync(home.paths.dumpBackup).mode & 0o777, 0o600)
  assert.equal((await home.run(['kill'])).code, 0)

  const good = readFileSync(home.paths.dumpFile, 'utf8')
  const backup = readFileSync(home.paths.dumpBackup, 'utf8')
  const brokenDumps = {
    truncated: good.slice(0, Math.floor(good.length / 2)),
    'wrong field': good.replace('"kill_timeout": 1600', '"kill_timeout": "soon"'),
  }
  for (const [kind, broken] of Object.entries(brokenDumps)) {
    assert.notEqual(broken, good)
    writeFileSync(home.paths.dumpFile, broken)
    const resurrect = home.resurrectInForeground()
    await waitForNames(home, [['first', 'online']])
    await waitFor(() => resurrect.output().includes('using the previous save'), {
      what: `the fallback warning (${kind})`,
    })
    assert.match(
      resurrect.output(),
      new RegExp(`${home.paths.dumpFile}:\\d+:\\d+: `),
      `${kind}: names the file and the place`,
    )
    resurrect.child.kill('SIGTERM')
    assert.equal(await resurrect.exited, 0)
    assert.equal(readFileSync(home.paths.dumpFile, 'utf8'), broken, `${kind}: dump.json is untouched`)
    assert.equal(readFileSync(home.paths.dumpBackup, 'utf8'), backup, `${kind}: dump.json.bak is untouched`)
  }

  assert.match(
    await (async () => {
      writeFileSync(home.paths.dumpFile, brokenDumps['wrong field'])
      const resurrect = home.resurrectInForeground()
      await waitFor(() => resurrect.output().includes('using the previous save'), {what: 'the warning'})
      resurrect.child.kill('SIGTERM')
      await resurrect.exited
      return resurrect.output()
    })(),
    /processes\[0\]\.kill_timeout/,
    'a wrong field is named by its path',
  )

  writeFileSync(home.paths.dumpBackup, '{"format": "tspm-dump", "vers')
  const bothBad = await home.run(['resurrect'])
  assert.equal(bothBad.code, 6)
  assert.match(bothBad.stderr, new RegExp(`${home.paths.dumpFile}:`))
  assert.match(bothBad.stderr, new RegExp(`${home.paths.dumpBackup}:`))
  assert.equal(readFileSync(home.paths.dumpFile, 'utf8'), brokenDumps['wrong field'])
  assert.equal(readFileSync(home.paths.dumpBackup, 'utf8'), '{"format": "tspm-dump", "vers')
  assert.deepEqual(processesWithEnv('TSPM_HOME', home.home), [], 'nothing was started')
})

test('save with nothing to save is refused; --force writes an empty list', async (t) => {
  const home = TestHome.forTest(t)
  const refused = await home.run(['save'])
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /nothing to save/)
  assert.throws(() => statSync(home.paths.dumpFile), /ENOENT/)

  const forced = await home.run(['save', '--force'])
  assert.equal(forced.code, 0, forced.stderr)
  assert.deepEqual(readDump(home.paths.dumpFile).processes, [])

  // With no dump at all, resurrect runs as an empty supervisor.
  const empty = TestHome.forTest(t)
  const resurrect = empty.resurrectInForeground()
  await waitFor(() => resurrect.output().includes('listening on'), {what: 'the empty supervisor'})
  await waitFor(() => /no saved list/.test(resurrect.output()), {what: 'the note that nothing was saved'})
  resurrect.child.kill('SIGINT')
  assert.equal(await resurrect.exited, 0)
})

test('kill -9 of `tspm save` at random moments never leaves a broken or mixed dump.json', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const base = Array.from(
    {length: 30},
    (_, i) => `  - name: app${i}\n    script: ${join(APPS, 'idle.js')}\n    env: {FILLER: "${'x'.repeat(200)}"}\n`,
  )
  writeFileSync(join(dir, 'tspm.yaml'), `processes:\n${base.join('')}`)
  writeFileSync(join(dir, 'extra.yaml'), `processes:\n  - name: extra\n    script: ${join(APPS, 'idle.js')}\n`)
  assert.equal((await home.run(['start', '-c', join(dir, 'tspm.yaml')])).code, 0)
  const timed = Date.now()
  assert.equal((await home.run(['save'])).code, 0)
  // Kill moments spread over a whole save, from process start to its last write.
  const saveMs = Date.now() - timed

  const names = (file: string) =>
    readDump(file)
      .processes.map((p) => p.name)
      .join(',')
  let onDisk = names(home.paths.dumpFile)
  const env: NodeJS.ProcessEnv = {...process.env, TSPM_HOME: home.home}
  delete env.NODE_EXTRA_CA_CERTS
  let completed = 0
  let midWrite = 0
  let round = 0
  // Until several kills have landed while a save was writing (its temp file left behind), and at
  // least 50 rounds: a kill before the write or after the rename proves nothing.
  for (; round < 50 || (midWrite < 3 && round < 300); round++) {
    // Alternate the list, so every save has something new to write.
    if (round % 2 === 0) assert.equal((await home.run(['start', '-c', join(dir, 'extra.yaml')])).code, 0)
    else assert.equal((await home.run(['delete', 'extra'])).code, 0)
    const current = (await home.list<Listed>()).map((p) => p.name).join(',')

    const save = spawn(process.execPath, [BIN, 'save'], {env, stdio: 'ignore'})
    const exited = once(save, 'exit').then(([code]) => code as null | number)
    // Most kills at a random moment of the save; every third one the moment its temp file appears
    // (it is writing then), so kills in the middle of a write are sure to happen.
    const killAfter = Math.floor(saveMs * (round % 3 === 0 ? Math.random() * 1.1 : 0.7 + Math.random() * 0.4))
    const timer = round % 3 === 2 ? undefined : setTimeout(() => save.kill('SIGKILL'), killAfter)
    const watcher =
      round % 3 === 2
        ? watch(home.home, (_event, file) => {
            if (file?.startsWith('.dump.json') && file.includes(`.${save.pid}.`)) save.kill('SIGKILL')
          })
        : undefined
    const code = await exited
    clearTimeout(timer)
    watcher?.close()
    if (code === 0) completed++
    else if (readdirSync(home.home).some((entry) => entry.startsWith('.dump.json') && entry.includes(`.${save.pid}.`)))
      midWrite++

    const now = names(home.paths.dumpFile) // throws if dump.json does not parse
    assert.ok(now === onDisk || now === current, `round ${round}: dump.json holds the old or the new list, whole`)
    onDisk = now
  }

  t.diagnostic(`${round} saves: ${completed} finished before their kill, ${midWrite} were killed while writing`)
  assert.ok(midWrite >= 3, `kills landed while a save was writing (${midWrite} of ${round})`)
})

test('two TSPM_HOMEs run two independent supervisors side by side', async (t) => {
  const prod = new TestHome('tspm-prod-')
  const staging = new TestHome('tspm-staging-')
  t.after(() => Promise.all([prod.cleanup(), staging.cleanup()]))
  assert.equal((await prod.run(['start', join(APPS, 'idle.js'), '--name', 'prod-app'])).code, 0)
  assert.equal((await staging.run(['start', join(APPS, 'idle.js'), '--name', 'staging-app'])).code, 0)
  assert.deepEqual(
    (await prod.list<Listed>()).map((p) => p.name),
    ['prod-app'],
  )
  assert.deepEqual(
    (await staging.list<Listed>()).map((p) => p.name),
    ['staging-app'],
  )
  assert.equal((await prod.run(['save'])).code, 0)
  assert.equal((await staging.run(['save'])).code, 0)
  const pidOf = (home: TestHome) => Number(readFileSync(home.paths.pidFile, 'utf8'))
  assert.notEqual(pidOf(prod), pidOf(staging))
  for (const home of [prod, staging]) {
    assert.ok(statSync(home.paths.socket).isSocket(), `${home.paths.socket} is the supervisor's socket`)
    for (const file of [
      home.paths.dumpFile,
      home.paths.statusFile,
      join(home.paths.logsDir, `${home === prod ? 'prod' : 'staging'}-app-out.log`),
    ]) {
      assert.ok(statSync(file).isFile(), `${file} was written in its own home`)
    }
  }

  assert.equal((await prod.run(['kill'])).code, 0)
  assert.deepEqual(
    (await staging.list<Listed>()).map((p) => [p.name, p.status]),
    [['staging-app', 'online']],
  )
})
