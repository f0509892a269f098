// The steps of `tspm startup systemd-user` and `tspm unstartup` for it, against fake systemctl,
// loginctl and systemd-analyze programs on PATH (this machine need not run systemd): which
// commands run, with what environment, what is written, what a refused linger does, and what an
// undo puts back. The context is the core's own (resolveContext), with a scratch home folder. The
// real install, reboot and removal run in test/systemd/startup-reboot.test.ts.
import assert from 'node:assert/strict'
import {chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, beforeEach, describe, test} from 'node:test'

import type {StartupContext, StartupRecord} from '../../src/index.js'

import {systemdUserPlatform} from '../../plugins/plugin-systemd/src/systemd-user-platform.js'
import {ExitCode, TspmError} from '../../src/model/exit-codes.js'
import {resolveContext} from '../../src/startup/context.js'
import {runSteps} from '../../src/startup/run-steps.js'
import {tempDir} from '../helpers/cli.js'

/**
 * Each fake logs `name args | XDG_RUNTIME_DIR DBUS_SESSION_BUS_ADDRESS` to $FAKE_SYSTEMD/calls and
 * answers from flag files in $FAKE_SYSTEMD (what is not refused there exits 0): `linger` (on), `may-linger` (enable-linger allowed),
 * `manager` (the user manager answers), `start-fails`.
 */
const FAKES: Record<string, string> = {
  loginctl: `case "$1" in
  show-user) [ -e "$FAKE_SYSTEMD/linger" ] && { echo yes; exit 0; }
    echo "Failed to get user: User ID 1000 is not logged in or lingering" >&2; exit 1 ;;
  enable-linger) [ -e "$FAKE_SYSTEMD/may-linger" ] && { touch "$FAKE_SYSTEMD/linger"; exit 0; }
    echo "Could not enable linger: Access denied" >&2; exit 1 ;;
  disable-linger) rm -f "$FAKE_SYSTEMD/linger" ;;
esac`,
  systemctl: `[ "$1" = --version ] && { echo "systemd 252 (252.39-1~deb12u1)"; exit 0; }
[ "$1" = --user ] && shift
[ -e "$FAKE_SYSTEMD/manager" ] || { echo "Failed to connect to bus: No such file or directory" >&2; exit 1; }
case "$1" in
  is-system-running) echo running ;;
  is-enabled) echo disabled; exit 1 ;;
  restart) [ -e "$FAKE_SYSTEMD/start-fails" ] && { echo "Job for $2 failed." >&2; exit 1; } ;;
  is-active) echo active ;;
  show) echo 4242 ;;
esac`,
  'systemd-analyze': `[ "$1" = --version ] && echo "systemd 252"`,
}

const cleanups: Array<() => unknown> = []
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

function scratch(prefix: string): string {
  const dir = tempDir(prefix)
  cleanups.push(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

const fakeBin = scratch('tspm-fake-systemd-bin-')
const state = scratch('tspm-fake-systemd-state-')
const uid = process.getuid!()
const runtimeDir = `/run/user/${uid}`

before(() => {
  for (const [name, body] of Object.entries(FAKES)) {
    const file = join(fakeBin, name)
    writeFileSync(
      file,
      `#!/bin/sh\necho "${name} $* | $XDG_RUNTIME_DIR $DBUS_SESSION_BUS_ADDRESS" >> "$FAKE_SYSTEMD/calls"\n${body}\nexit 0\n`,
    )
    chmodSync(file, 0o755)
  }

  // The context runs programs with this process's environment: the fakes come first on PATH.
  const saved = {PATH: process.env.PATH, FAKE_SYSTEMD: process.env.FAKE_SYSTEMD}
  process.env.PATH = `${fakeBin}:${process.env.PATH}`
  process.env.FAKE_SYSTEMD = state
  cleanups.push(() => Object.assign(process.env, saved))
})

function setFlags(...flags: Array<'linger' | 'manager' | 'may-linger' | 'start-fails'>): void {
  for (const flag of ['linger', 'manager', 'may-linger', 'start-fails']) rmSync(join(state, flag), {force: true})
  for (const flag of flags) writeFileSync(join(state, flag), '')
}

/** The calls the fakes saw since the last one, `program args` (the environment checked apart). */
function calls(): Array<{command: string; env: string}> {
  const file = join(state, 'calls')
  if (!existsSync(file)) return []
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean)
  rmSync(file)
  return lines.map((line) => {
    const [command, env] = line.split('|')
    return {command: command!.trim(), env: env!.trim()}
  })
}

/** The core's context for the current user, with a scratch home (where ~/.config/systemd/user goes). */
async function userContext(): Promise<{context: StartupContext; home: string; warnings: string[]}> {
  const home = scratch('tspm-user-home-')
  const tspmHome = join(home, '.tspm')
  mkdirSync(tspmHome, {mode: 0o700})
  const resolved = await resolveContext({
    serviceName: 'tspm',
    force: false,
    tspmVersion: '0.0.0',
    env: {...process.env, TSPM_HOME: tspmHome},
  })
  const context = {...resolved.context, user: {...resolved.context.user, home}}
  return {context, home, warnings: resolved.warnings}
}

async function failureOf(run: Promise<unknown>): Promise<TspmError> {
  try {
    await run
  } catch (error) {
    assert.ok(error instanceof TspmError, `a TspmError, got ${String(error)}`)
    return error
  }

  assert.fail('did not fail')
}

describe('systemd-user steps', () => {
  beforeEach(() => {
    rmSync(join(state, 'calls'), {force: true})
  })

  test('linger on: the unit goes to ~/.config/systemd/user, every systemctl speaks to the user manager', async () => {
    setFlags('linger', 'manager')
    const {context, home, warnings} = await userContext()
    await runSteps(systemdUserPlatform.installSteps(context), 'silent')
    const seen = calls()

    const unitFile = join(home, '.config', 'systemd', 'user', 'tspm.service')
    assert.equal(systemdUserPlatform.unitPath(context), unitFile)
    const unit = readFileSync(unitFile, 'utf8')
    assert.equal(unit, await systemdUserPlatform.render(context))
    assert.match(unit, /^WantedBy=default\.target$/m)
    assert.equal(statSync(unitFile).mode & 0o777, 0o644)
    assert.equal(statSync(join(home, '.config')).mode & 0o777, 0o700, 'the folders made are private')

    assert.deepEqual(
      // The unit is verified under its own name in a private temp folder.
      seen.map(({command}) => command.replace(/ \S*\/tspm-verify-[^/]+\//, ' VERIFY/')),
      [
        `loginctl show-user ${context.user.name} --property=Linger --value`,
        'systemctl --user is-system-running',
        'systemctl --version',
        'systemd-analyze --version',
        'systemd-analyze --user verify VERIFY/tspm.service',
        'systemctl --user daemon-reload',
        'systemctl --user is-enabled tspm.service',
        'systemctl --user enable tspm.service',
        'systemctl --user restart tspm.service',
        'systemctl --user is-active tspm.service',
        'systemctl --user show --property=MainPID --value tspm.service',
      ],
    )
    for (const {command, env} of seen.filter(({command}) => command.includes('--user')))
      assert.equal(env, `${runtimeDir} unix:path=${runtimeDir}/bus`, `${command} reaches the user manager`)
    assert.deepEqual(warnings, [])
    assert.equal(systemdUserPlatform.startCommand(context), 'systemctl --user start tspm')
    assert.equal(systemdUserPlatform.scope?.(context), 'user')

    // unstartup: stop, disable, remove, reload, through the same manager; linger is left alone.
    calls()
    const record = {unit_path: unitFile} as StartupRecord
    await runSteps(systemdUserPlatform.uninstallSteps(context, record), 'silent')
    assert.equal(existsSync(unitFile), false)
    assert.deepEqual(
      calls().map(({command}) => command),
      [
        'systemctl --user is-system-running',
        'systemctl --user stop tspm.service',
        'systemctl --user disable tspm.service',
        'systemctl --user daemon-reload',
        'systemctl --user reset-failed tspm.service',
        `loginctl show-user ${context.user.name} --property=Linger --value`,
      ],
    )
    assert.ok(existsSync(join(state, 'linger')), 'linger stays on')
  })

  test('linger refused while the user manager runs (a login session): installed, with a warning naming the admin command', async () => {
    setFlags('manager')
    const {context, home, warnings} = await userContext()
    await runSteps(systemdUserPlatform.installSteps(context), 'silent')
    assert.ok(existsSync(join(home, '.config', 'systemd', 'user', 'tspm.service')))
    assert.equal(warnings.length, 1)
    assert.match(
      warnings[0]!,
      /^linger is off for \S+, and `loginctl enable-linger \S+` was refused \(Could not enable linger: Access denied\): until root turns it on, the service starts at the first login of \S+ after a boot, not at boot/,
    )
    assert.ok(warnings[0]!.endsWith(`\n  sudo loginctl enable-linger ${context.user.name}`), warnings[0])
  })

  test('linger refused and no user manager: nothing to install into, the admin command, exit 5, nothing written', async () => {
    setFlags()
    const {context, home} = await userContext()
    const error = await failureOf(runSteps(systemdUserPlatform.installSteps(context), 'silent'))
    assert.equal(error.exitCode, ExitCode.needsRoot)
    assert.equal(error.code, 'needs_linger')
    assert.match(
      error.message,
      /has no systemd user manager running \(no login session, and linger is off\), and `loginctl enable-linger \S+` was refused \(Could not enable linger: Access denied\); turn linger on as root, then run this again:\n {2}sudo loginctl enable-linger /,
    )
    assert.equal(existsSync(join(home, '.config')), false)
    assert.deepEqual(
      calls()
        .map(({command}) => command)
        .filter((command) => command.startsWith('systemctl') && !command.includes('is-system-running')),
      [],
    )
  })

  test('a failed start undoes the install: the unit and its folders removed, disabled, and the linger this install turned on is off again', async () => {
    setFlags('manager', 'may-linger', 'start-fails')
    const {context, home} = await userContext()
    const error = await failureOf(runSteps(systemdUserPlatform.installSteps(context), 'silent'))
    assert.match(
      error.message,
      /systemctl --user restart tspm\.service failed \(exit 1\): Job for tspm\.service failed/,
    )
    assert.match(error.message, /the steps done before were undone/)
    assert.equal(existsSync(join(home, '.config')), false, 'the folders this install made are gone')
    const seen = calls().map(({command}) => command)
    assert.ok(seen.includes('systemctl --user disable tspm.service'), seen.join('\n'))
    assert.ok(seen.includes(`loginctl disable-linger ${context.user.name}`), seen.join('\n'))
    assert.equal(existsSync(join(state, 'linger')), false)
  })

  test("another user's service is refused, before any step: a user service is installed and removed by its user", async () => {
    setFlags('linger', 'manager')
    const {context} = await userContext()
    const someoneElse = {...context, user: {...context.user, name: 'someone', uid: context.user.uid + 1}}
    assert.throws(
      () => systemdUserPlatform.installSteps(someoneElse),
      (error: TspmError) =>
        error.exitCode === ExitCode.usage &&
        /a systemd user service is installed by its own user, in their user manager: run `tspm startup systemd-user` as someone \(without sudo\)/.test(
          error.message,
        ),
    )
    assert.throws(
      () => systemdUserPlatform.uninstallSteps(someoneElse, {} as StartupRecord),
      /the systemd user service of someone is removed by that user: run `tspm unstartup systemd-user` as someone/,
    )
    assert.deepEqual(calls(), [])
  })
})
