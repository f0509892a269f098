// `tspm doctor` against real homes, a real supervisor and real apps. The startup-service checks
// read a unit rendered by `tspm startup --print` and ask a stand-in systemctl on PATH (this
// machine's systemd, if any, is not PID 1 in tests); test/systemd has the real service.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, mkdirSync, readFileSync, statfsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test, type TestContext} from 'node:test'

import type {DoctorCheck} from '../../src/model/doctor.js'

import {BIN, type CliResult, envelope, REPO_ROOT, tempDir, TestHome} from '../helpers/cli.js'
import {isRunning} from '../helpers/procfs.js'
import {waitFor} from '../helpers/wait.js'

const APPS = join(REPO_ROOT, 'test', 'fixtures', 'apps')
const VERSION = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version as string
const userName = spawnSync('id', ['-un'], {encoding: 'utf8'}).stdout.trim()

function configOf(t: TestContext, names: string[], extra = ''): string {
  const dir = tempDir('tspm-doctor-app-')
  t.after(() => spawnSync('rm', ['-rf', dir]))
  const file = join(dir, 'tspm.yaml')
  writeFileSync(
    file,
    `processes:\n${names.map((name) => `  - name: ${name}\n    script: ${join(APPS, 'idle.js')}\n${extra}`).join('')}`,
  )
  return file
}

/** A home with one app running and saved. */
async function savedHome(t: TestContext): Promise<TestHome> {
  const home = TestHome.forTest(t, 'tspm-doctor-')
  assert.equal((await home.run(['start', '-c', configOf(t, ['web'])])).code, 0)
  assert.equal((await home.run(['save'])).code, 0)
  return home
}

function checksOf(result: CliResult): DoctorCheck[] {
  return envelope<DoctorCheck[]>(result.stdout).result
}

function check(checks: DoctorCheck[], id: string): DoctorCheck {
  const found = checks.find((entry) => entry.id === id)
  assert.ok(found, `a ${id} check in ${JSON.stringify(checks)}`)
  return found
}

test('a healthy home (supervisor up, list saved) is all ok, exit 0', async (t) => {
  const home = await savedHome(t)
  const result = await home.run(['doctor'])
  assert.equal(result.code, 0, result.stdout + result.stderr)
  const lines = result.stdout.trim().split('\n')
  assert.deepEqual(
    lines.filter((line) => !line.startsWith('✓ ')),
    [],
  )
  assert.ok(lines.includes(`✓ TSPM_HOME=${home.home} exists, belongs to you and is 0700`), result.stdout)
  assert.ok(lines.includes(`✓ ${home.paths.dumpFile} matches the 1 process of the supervisor`), result.stdout)
  assert.equal(result.stderr, '')
})

test('--json: the checks in the envelope, each {id, ok, message, fix}; on a problem in the error envelope', async (t) => {
  const home = await savedHome(t)
  const healthy = await home.run(['doctor', '--json'])
  assert.equal(healthy.code, 0)
  const answer = envelope<DoctorCheck[]>(healthy.stdout)
  assert.equal(answer.status, 0)
  assert.deepEqual(
    answer.result.map((entry) => entry.id),
    ['home', 'supervisor', 'saved-list', 'startup-service', 'log-space'],
  )
  for (const entry of answer.result) {
    assert.deepEqual(Object.keys(entry).sort(), ['fix', 'id', 'message', 'ok'])
    assert.equal(entry.ok, true)
    assert.equal(entry.fix, null)
    assert.equal(typeof entry.message, 'string')
  }

  chmodSync(home.home, 0o750)
  const sick = await home.run(['doctor', '--json'])
  assert.equal(sick.code, 1)
  const failure = envelope<DoctorCheck[]>(sick.stdout)
  assert.equal(failure.status, 1)
  assert.equal(failure.error?.code, 'problems_found')
  assert.equal(check(failure.result, 'home').ok, false)
  assert.equal(check(failure.result, 'supervisor').ok, true)
})

test('unsaved changes (another app started after the save): exit 1, run tspm save', async (t) => {
  const home = await savedHome(t)
  assert.equal((await home.run(['start', '-c', configOf(t, ['worker'])])).code, 0)
  const result = await home.run(['doctor'])
  assert.equal(result.code, 1, result.stdout)
  assert.match(
    result.stdout,
    /^✗ the running processes differ from .*dump\.json \(unsaved changes\): worker is not saved;/m,
  )
  assert.match(result.stdout, /^ {2}fix: run `tspm save`$/m)
  assert.match(result.stderr, /^Error: 1 problem found \(saved-list\); each says what to do$/m)

  assert.equal((await home.run(['save'])).code, 0)
  assert.equal((await home.run(['doctor'])).code, 0, 'saved: all is well again')
})

test('a home of mode 0755: the problem and the chmod that fixes it', async (t) => {
  const home = await savedHome(t)
  chmodSync(home.home, 0o755)
  const result = await home.run(['doctor'])
  assert.equal(result.code, 1)
  assert.match(
    result.stdout,
    new RegExp(`^✗ TSPM_HOME=${home.home} is mode 0755, not 0700: other users can read its logs`, 'm'),
  )
  assert.match(result.stdout, new RegExp(`^ {2}fix: run chmod 700 ${home.home}$`, 'm'))
  chmodSync(home.home, 0o700)
  assert.equal((await home.run(['doctor'])).code, 0)
})

test('orphans (the supervisor was killed with -9): says so, and what to do', async (t) => {
  const home = await savedHome(t)
  const [app] = await home.list<{pid: number}>()
  const supervisor = Number(readFileSync(home.paths.pidFile, 'utf8'))
  process.kill(supervisor, 'SIGKILL')
  await waitFor(() => !isRunning(supervisor), {what: 'the supervisor to die'})
  assert.ok(isRunning(app!.pid), 'its app runs on')

  const result = await home.run(['doctor', '--json'])
  assert.equal(result.code, 1)
  const found = check(checksOf(result), 'supervisor')
  assert.equal(found.ok, false)
  assert.match(
    found.message,
    /^no supervisor runs, but 1 app of this home still runs without one \(its supervisor was killed\): web \(pid \d+\)/,
  )
  assert.match(found.fix!, /`tspm resurrect` stops them and brings back the saved list/)
})

/** A fake `systemctl` on PATH, whose answers the test chooses. */
function fakeSystemctl(t: TestContext, answers: {enabled: string; active: string}): string {
  const bin = tempDir('tspm-doctor-bin-')
  t.after(() => spawnSync('rm', ['-rf', bin]))
  writeFileSync(
    join(bin, 'systemctl'),
    `#!/bin/sh
case "$1" in
  --version) echo "systemd 252 (252.30-1)" ;;
  is-enabled) echo "${answers.enabled}" ;;
  is-active) echo "${answers.active}" ;;
  *) exit 1 ;;
esac
`,
    {mode: 0o755},
  )
  return bin
}

/**
 * What `tspm startup` leaves behind, without systemd: the unit `--print` renders (written to a
 * folder of the test, which startup.json names) and startup.json. `runtime` replaces this Node's
 * path in both, as after an nvm upgrade removed the Node that startup ran with.
 */
async function installedStartup(
  t: TestContext,
  home: TestHome,
  options: {bin: string; runtime?: string},
): Promise<{unitPath: string}> {
  const env = {PATH: `${options.bin}:${process.env.PATH}`}
  const printed = await home.run(['startup', 'systemd', '--print', '-u', userName, '--service-name', 'tspm-doctor'], {
    env,
  })
  assert.equal(printed.code, 0, printed.stderr)
  const runtime = options.runtime ?? process.execPath
  const unitDir = tempDir('tspm-doctor-unit-')
  t.after(() => spawnSync('rm', ['-rf', unitDir]))
  const unitPath = join(unitDir, 'tspm-doctor.service')
  writeFileSync(unitPath, printed.stdout.replaceAll(process.execPath, runtime))
  mkdirSync(home.paths.startupDir, {mode: 0o700})
  writeFileSync(
    home.paths.startupFile,
    JSON.stringify({
      platform: 'systemd',
      service_name: 'tspm-doctor',
      unit_path: unitPath,
      user: userName,
      home: process.env.HOME ?? '/root',
      tspm_home: home.home,
      runtime,
      tspm: BIN,
      tspm_version: VERSION,
      start_command: 'sudo systemctl start tspm-doctor',
      installed_at: new Date().toISOString(),
    }),
    {mode: 0o600},
  )
  return {unitPath}
}

test('an installed, enabled and active startup service of this tspm: its checks are ok', async (t) => {
  const home = await savedHome(t)
  const bin = fakeSystemctl(t, {enabled: 'enabled', active: 'active'})
  const {unitPath} = await installedStartup(t, home, {bin})
  const result = await home.run(['doctor', '--json'], {env: {PATH: `${bin}:${process.env.PATH}`}})
  assert.equal(result.code, 0, result.stdout)
  const checks = checksOf(result)
  assert.equal(
    check(checks, 'startup-service').message,
    `the systemd service "tspm-doctor" (${unitPath}) is installed for this home (enabled, active)`,
  )
  assert.equal(
    check(checks, 'startup-runtime').message,
    `the startup service runs ${process.execPath} ${BIN}, both there`,
  )
  assert.equal(check(checks, 'startup-version').message, `the startup service runs tspm ${VERSION}, this version`)
  assert.equal(check(checks, 'startup-record').ok, true)
})

test('a startup service that is not running: says so, and how to start it', async (t) => {
  const home = await savedHome(t)
  const bin = fakeSystemctl(t, {enabled: 'enabled', active: 'inactive'})
  await installedStartup(t, home, {bin})
  const result = await home.run(['doctor', '--json'], {env: {PATH: `${bin}:${process.env.PATH}`}})
  assert.equal(result.code, 1)
  const found = check(checksOf(result), 'startup-service')
  assert.match(found.message, /"tspm-doctor" .* is not running now \(enabled, inactive\)$/)
  assert.match(found.fix!, /^start it with `sudo systemctl start tspm-doctor`; see sudo systemctl status tspm-doctor/)
})

test('a startup unit whose Node no longer exists: the runtime is gone, run tspm startup again', async (t) => {
  const home = await savedHome(t)
  const bin = fakeSystemctl(t, {enabled: 'enabled', active: 'active'})
  await installedStartup(t, home, {bin, runtime: '/opt/node-v18.0.0/bin/node'})
  const result = await home.run(['doctor'], {env: {PATH: `${bin}:${process.env.PATH}`}})
  assert.equal(result.code, 1, result.stdout)
  assert.match(
    result.stdout,
    /^✗ the startup service runs the runtime \/opt\/node-v18\.0\.0\/bin\/node, which is gone or cannot be run \(an nvm upgrade or a reinstall removes old versions\)/m,
  )
  assert.match(
    result.stdout,
    /^ {2}fix: run `tspm startup` again, with the Node and the tspm you use now: sudo .*startup systemd -u /m,
  )
  assert.match(result.stderr, /problem found \(startup-runtime\)/)
})

test('logs that could outgrow the free space of their disk: the rule, and what to do', async (t) => {
  const home = TestHome.forTest(t, 'tspm-doctor-disk-')
  const disk = statfsSync(home.home)
  const free = disk.bavail * disk.bsize
  // Two files (out, err), each with one rotated copy: four times this is more than is free.
  const maxLogSize = Math.ceil(free / 4) + 1024 * 1024
  const config = configOf(t, ['big'], `    max_log_size: ${maxLogSize}\n    log_files: 1\n`)
  assert.equal((await home.run(['start', '-c', config])).code, 0)
  assert.equal((await home.run(['save'])).code, 0)
  const result = await home.run(['doctor', '--json'])
  assert.equal(result.code, 1)
  const found = check(checksOf(result), 'log-space')
  assert.match(
    found.message,
    /^the logs may still grow by .+ \(each log file keeps at most \(log_files \+ 1\) × max_log_size\), and only .+ is free on the disk of /,
  )
  assert.match(found.fix!, /lower max_log_size or log_files/)
})
