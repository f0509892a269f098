// No duplicate and no orphan, whatever is killed when: parallel CLIs, kill -9 of the supervisor at
// any moment of a resurrect, a deleted socket, a missing status.json.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {once} from 'node:events'
import {existsSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {BIN, envelope, REPO_ROOT, tempDir, TestHome} from '../helpers/cli.js'
import {isRunning, processesWithEnv} from '../helpers/procfs.js'
import {waitFor} from '../helpers/wait.js'

const APPS = join(REPO_ROOT, 'test', 'fixtures', 'apps')

interface Listed {
  name: string
  pid: null | number
  status: string
}

/** Live processes started as app `name` of this home (its marker in their environment). */
function copiesOf(home: TestHome, name: string): number[] {
  return processesWithEnv('TSPM_APP', name)
    .map((found) => found.pid)
    .filter((pid) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`TSPM_HOME=${home.home}`))
}

/** The signals pending for a whole process, as /proc shows them (ShdPnd, a bit mask). */
function pendingSignals(pid: number): bigint {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('ShdPnd:'))
  return BigInt(`0x${line!.split(/\s+/)[1]}`)
}

function supervisorPid(home: TestHome): number {
  return Number(readFileSync(home.paths.pidFile, 'utf8'))
}

function config(names: string[]): string {
  const file = join(tempDir(), 'tspm.yaml')
  writeFileSync(
    file,
    `processes:\n${names.map((name) => `  - name: ${name}\n    script: ${join(APPS, 'idle.js')}\n`).join('')}`,
  )
  return file
}

test('tspm.pid holds the bare pid: `kill $(cat tspm.pid)` stops the supervisor gracefully', async (t) => {
  const home = TestHome.forTest(t)
  assert.equal((await home.run(['start', join(APPS, 'idle.js'), '--name', 'idle'])).code, 0)
  const text = readFileSync(home.paths.pidFile, 'utf8')
  assert.match(text, /^\d+\n$/)
  const pid = Number(text)
  const [app] = await home.list<Listed>()
  process.kill(pid, 'SIGTERM')
  await waitFor(() => !isRunning(pid) && !isRunning(app!.pid!), {what: 'the supervisor and its app to stop'})
  assert.throws(() => statSync(home.paths.pidFile), /ENOENT/, 'the pid file goes with it')
})

test('ten parallel restarts of one app leave exactly one copy of it, tracked', async (t) => {
  const home = TestHome.forTest(t)
  assert.equal((await home.run(['start', join(APPS, 'idle.js'), '--name', 'web'])).code, 0)
  const results = await Promise.all(Array.from({length: 10}, () => home.run(['restart', 'web'])))
  for (const result of results) assert.equal(result.code, 0, result.stderr)
  const [web] = await home.list<Listed>()
  assert.equal(web!.status, 'online')
  assert.deepEqual(copiesOf(home, 'web'), [web!.pid], 'one copy runs, and it is the one tspm lists')
  assert.equal((await home.run(['kill'])).code, 0)
  assert.deepEqual(copiesOf(home, 'web'), [], 'and tspm kill leaves none')
})

test('several `tspm start` racing on a fresh home: one supervisor, and only its starter says it started it', async (t) => {
  const home = TestHome.forTest(t)
  const file = config(['solo'])
  const results = await Promise.all(Array.from({length: 4}, () => home.run(['start', '-c', file])))
  for (const result of results) assert.equal(result.code, 0, result.stderr)
  const announced = results.filter((result) => result.stderr.includes('started the supervisor'))
  assert.equal(announced.length, 1, results.map((result) => result.stderr).join('---\n'))
  assert.equal(copiesOf(home, 'solo').length, 1)
})

/** `tspm resurrect` in the foreground (the boot service), with its output collected. */
function resurrect(home: TestHome): {child: ChildProcess; exited: Promise<unknown>} {
  const env: NodeJS.ProcessEnv = {...process.env, TSPM_HOME: home.home}
  delete env.NODE_EXTRA_CA_CERTS
  const child = spawn(process.execPath, [BIN, 'resurrect'], {env, stdio: 'ignore'})
  return {child, exited: once(child, 'exit')}
}

test('kill -9 of resurrect while it launches the saved apps, then resurrect: each app runs exactly once', async (t) => {
  const names = ['a1', 'a2', 'a3', 'a4', 'a5']
  const home = TestHome.forTest(t)
  assert.equal((await home.run(['start', '-c', config(names)])).code, 0)
  assert.equal((await home.run(['save'])).code, 0)
  assert.equal((await home.run(['kill'])).code, 0)

  // Killed once the first app exists, once the third does, once all do.
  for (const moment of [1, 3, 5]) {
    const first = resurrect(home)
    await waitFor(() => names.filter((name) => copiesOf(home, name).length > 0).length >= moment, {
      what: `${moment} app(s) launched`,
      intervalMs: 1,
    })
    // The supervisor is the resurrect process itself, or its child with the runtime flags.
    const supervisor = processesWithEnv('TSPM_HOME', home.home).find(
      (found) => found.cmdline.endsWith(' resurrect') && found.cmdline.includes('--jitless'),
    )
    process.kill(supervisor?.pid ?? first.child.pid!, 'SIGKILL')
    first.child.kill('SIGKILL')
    await first.exited

    const second = resurrect(home)
    await waitFor(
      async () => (await home.list<Listed>()).filter((p) => p.status === 'online').length === names.length,
      {
        what: `all apps online after the resurrect that followed a kill at app ${moment}`,
      },
    ).catch((error: Error) => {
      // What the supervisors said, and what runs, for whoever reads the failure.
      const log = existsSync(home.paths.supervisorLog)
        ? readFileSync(home.paths.supervisorLog, 'utf8')
        : '(no tspm.log)'
      const running = processesWithEnv('TSPM_HOME', home.home).map((found) => `${found.pid} ${found.cmdline}`)
      throw new Error(`${error.message}\ntspm.log:\n${log}\nrunning:\n${running.join('\n')}`)
    })
    for (const name of names)
      assert.equal(copiesOf(home, name).length, 1, `${name} runs once (killed at app ${moment})`)
    second.child.kill('SIGTERM')
    await second.exited
    for (const name of names) assert.deepEqual(copiesOf(home, name), [], `${name} stopped with its supervisor`)
  }
})

test('the client a supervisor starts to restore its list never starts a supervisor when that one is gone', async (t) => {
  const home = TestHome.forTest(t)
  assert.equal((await home.run(['start', '-c', config(['solo'])])).code, 0)
  assert.equal((await home.run(['save'])).code, 0)
  assert.equal((await home.run(['kill'])).code, 0)
  // A pid that no longer runs: the client's supervisor died before it answered.
  const gone = spawn(process.execPath, ['-e', '0'])
  await once(gone, 'exit')
  const restore = await home.run(['resurrect'], {env: {TSPM_RESTORE_INTO: String(gone.pid)}})
  assert.equal(restore.code, 3, restore.stderr)
  assert.match(
    restore.stderr,
    new RegExp(`the supervisor \\(pid ${gone.pid}\\) that asked for the saved list does not answer`),
  )
  assert.equal(existsSync(home.paths.socket), false, 'no supervisor was started')
  assert.deepEqual(copiesOf(home, 'solo'), [], 'and nothing runs')
})

for (const statusFile of ['kept', 'deleted'] as const) {
  test(`kill -9 of the supervisor (status.json ${statusFile}): list shows the orphans and exits 3, kill leaves nothing`, async (t) => {
    const home = TestHome.forTest(t)
    assert.equal((await home.run(['start', '-c', config(['one', 'two'])])).code, 0)
    const before = await home.list<Listed>()
    process.kill(supervisorPid(home), 'SIGKILL')
    await waitFor(() => !isRunning(supervisorPid(home)), {what: 'the supervisor to die'})
    if (statusFile === 'deleted') rmSync(home.paths.statusFile)

    const listed = await home.run(['list', '--json'])
    assert.equal(listed.code, 3)
    const answer = envelope<Listed[]>(listed.stdout)
    assert.equal(answer.error?.code, 'orphans')
    assert.deepEqual(
      answer.result.map((p) => [p.name, p.status, p.pid]).sort(),
      before.map((p) => [p.name, 'orphan', p.pid]).sort(),
    )
    const table = await home.run(['list'])
    assert.equal(table.code, 3)
    assert.match(table.stdout, /^\s*(\d+|-)\s+one\s+\d+\s+orphan/m)
    assert.match(table.stderr, /2 of its apps still run without one[^]*`tspm kill` stops them/)

    const killed = await home.run(['kill'])
    assert.equal(killed.code, 0, killed.stderr)
    assert.match(killed.stdout, /no supervisor was running; stopped what its apps left running: one, two/)
    assert.deepEqual(processesWithEnv('TSPM_HOME', home.home), [], 'nothing of this home runs, checked in /proc')
    const empty = await home.run(['list', '--json'])
    assert.equal(empty.code, 3)
    assert.equal(envelope(empty.stdout).error?.code, 'not_running')
  })
}

test('a deleted socket comes back, and the supervisor answers again', async (t) => {
  const home = TestHome.forTest(t)
  assert.equal((await home.run(['start', join(APPS, 'idle.js'), '--name', 'idle'])).code, 0)
  rmSync(home.paths.socket)
  // The same inode number may come back for the new file: look at the supervisor's word instead.
  await waitFor(
    () => readFileSync(home.paths.supervisorLog, 'utf8').includes('was removed or replaced; binding it again'),
    {
      what: 'the supervisor to notice',
      timeoutMs: 10_000,
    },
  )
  await waitFor(() => existsSync(home.paths.socket) && statSync(home.paths.socket).isSocket(), {
    what: 'the socket to be bound again',
  })
  assert.deepEqual(
    (await home.list<Listed>()).map((p) => p.name),
    ['idle'],
  )
})

test('kill finds a supervisor that lost its socket by its lock, and stops it with its apps', async (t) => {
  const home = TestHome.forTest(t)
  assert.equal((await home.run(['start', join(APPS, 'idle.js'), '--name', 'idle'])).code, 0)
  const pid = supervisorPid(home)
  // Stopped, so it cannot bind its socket again before kill looks.
  process.kill(pid, 'SIGSTOP')
  rmSync(home.paths.socket)
  const killing = home.run(['kill'])
  // kill sends SIGTERM (pending while the supervisor is stopped: bit 15 of ShdPnd); then it goes on.
  await waitFor(() => (pendingSignals(pid) & (1n << 14n)) !== 0n, {what: 'kill to send SIGTERM'})
  process.kill(pid, 'SIGCONT')
  const killed = await killing
  assert.equal(killed.code, 0, killed.stderr)
  assert.deepEqual(processesWithEnv('TSPM_HOME', home.home), [])
})
