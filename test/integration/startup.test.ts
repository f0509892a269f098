// `tspm startup` / `tspm unstartup` without a running systemd: what --print renders and how it
// quotes, what bad input gets, what a non-root user is told, how plugins are collected. The real
// install, reboot and removal run in test/systemd/startup-reboot.test.ts.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, test} from 'node:test'

import {SUPERVISOR_NODE_FLAGS} from '../../src/model/supervisor-runtime.js'
import {BIN, type CliResult, envelope, jsonResult, runCli, runProgram, tempDir, TestHome} from '../helpers/cli.js'
import {needs} from '../helpers/needs.js'
import {openRepoView} from '../helpers/repo-view.js'

const isRoot = process.getuid?.() === 0
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0
const hostSystemdVersion = Number(
  /^systemd (\d+)/.exec(spawnSync('systemctl', ['--version'], {encoding: 'utf8'}).stdout ?? '')?.[1] ?? 0,
)
const systemdRuns = existsSync('/run/systemd/system')
/** The user the rendered units run as: root can name any user; others can only be themselves. */
const unitUser = isRoot ? 'root' : spawnSync('id', ['-un'], {encoding: 'utf8'}).stdout.trim()

const cleanups: Array<() => unknown> = []
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

function scratch(prefix: string): string {
  const dir = tempDir(prefix)
  cleanups.push(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

/** Every file below dir, so a test can say "nothing was written". */
function filesUnder(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, {recursive: true}).map(String).sort() : []
}

function unitLine(unit: string, key: string): string[] {
  return unit.split('\n').filter((line) => line.startsWith(`${key}=`))
}

describe('startup --print', () => {
  test('writes only the unit to stdout, with systemd quoting of every value', async () => {
    const parent = scratch('tspm-print-')
    // Space, quotes, specifier, dollar and backslash: each has its own systemd rule.
    const home = join(parent, `we ird"q's%h$x\\y`)
    const oddPathEntry = join(parent, 'bin 100%')
    const result = await runCli(['startup', 'systemd', '--print', '-u', unitUser], {
      env: {TSPM_HOME: home, PATH: `${oddPathEntry}:relative/bin:${process.env.PATH}`},
    })
    assert.equal(result.code, 0, result.stderr)
    const unit = result.stdout
    assert.match(unit, /^# Installed by `tspm startup systemd`/)
    assert.ok(unit.endsWith('[Install]\nWantedBy=multi-user.target\n'), unit)
    assert.match(result.stderr, /would write to \/etc\/systemd\/system\/tspm\.service/)
    assert.doesNotMatch(result.stderr, /Error/)

    const quotedHome = `${parent}/we ird\\"q's%%h$x\\\\y`
    assert.deepEqual(unitLine(unit, 'Environment')[0], `Environment="TSPM_HOME=${quotedHome}"`)
    const pathLine = unitLine(unit, 'Environment')[1]
    // The runtime's folder first, the caller's absolute entries next; never a relative one.
    assert.ok(pathLine.startsWith(`Environment="PATH=${join(process.execPath, '..')}:${parent}/bin 100%%:`), pathLine)
    assert.doesNotMatch(pathLine, /relative\/bin/)
    assert.deepEqual(unitLine(unit, 'ExecStart'), [
      `ExecStart=${[process.execPath, ...SUPERVISOR_NODE_FLAGS, BIN, 'resurrect'].map((word) => `"${word}"`).join(' ')}`,
    ])
    assert.deepEqual(unitLine(unit, 'User'), [`User=${unitUser}`])
    assert.deepEqual(unitLine(unit, 'Type'), ['Type=simple'])
    assert.deepEqual(unitLine(unit, 'Restart'), ['Restart=on-failure'])
    assert.deepEqual(unitLine(unit, 'RestartSec'), ['RestartSec=10s'])
    assert.deepEqual(unitLine(unit, 'KillMode'), ['KillMode=mixed'])
    // No dump: the default kill_timeout (1.6 s), rounded up, plus the margin.
    assert.deepEqual(unitLine(unit, 'TimeoutStopSec'), ['TimeoutStopSec=12s'])
    // systemd's default soft limit, 1024 open files, is too few for a server.
    assert.deepEqual(unitLine(unit, 'LimitNOFILE'), ['LimitNOFILE=65536'])
    assert.deepEqual(unitLine(unit, 'After'), ['After=network.target'])
    assert.equal(unitLine(unit, 'RestartSteps').length, hostSystemdVersion >= 254 ? 1 : 0)
    assert.equal(existsSync(home), false, '--print creates nothing')
  })

  test('the printed unit passes systemd-analyze verify with nothing on stderr', async (t) => {
    if (!needs(t, hasSystemdAnalyze, 'no systemd-analyze here (apt-get install systemd)')) return
    const dir = scratch('tspm-verify-')
    const result = await runCli(['startup', 'systemd', '--print', '-u', unitUser, '--service-name', 'tspm-verify'], {
      env: {TSPM_HOME: join(dir, 'home')},
    })
    assert.equal(result.code, 0, result.stderr)
    const file = join(dir, 'tspm-verify.service')
    writeFileSync(file, result.stdout)
    const verify = await runProgram('systemd-analyze', ['verify', file])
    assert.equal(verify.stderr, '')
    assert.equal(verify.code, 0)
  })

  test('RestartSteps= and RestartMaxDelaySec= appear when systemctl says 254 or later', async () => {
    // Only the version probe is replaced: a systemctl that answers like systemd 255.
    const fakeBin = scratch('tspm-fake-systemctl-')
    writeFileSync(join(fakeBin, 'systemctl'), '#!/bin/sh\necho "systemd 255 (255.4-1)"\n')
    chmodSync(join(fakeBin, 'systemctl'), 0o755)
    const result = await runCli(['startup', 'systemd', '--print', '-u', unitUser], {
      env: {TSPM_HOME: join(fakeBin, 'home'), PATH: `${fakeBin}:${process.env.PATH}`},
    })
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(unitLine(result.stdout, 'RestartSteps'), ['RestartSteps=5'])
    assert.deepEqual(unitLine(result.stdout, 'RestartMaxDelaySec'), ['RestartMaxDelaySec=5min'])
  })

  test('TimeoutStopSec is above the largest saved kill_timeout', async (t) => {
    const home = TestHome.forTest(t, 'tspm-startup-kt-')
    const app = scratch('tspm-startup-app-')
    writeFileSync(join(app, 'idle.js'), 'setInterval(() => {}, 1000)\n')
    writeFileSync(
      join(app, 'tspm.yaml'),
      [
        'processes:',
        '  - name: quick',
        '    script: idle.js',
        '  - name: slow',
        '    script: idle.js',
        '    kill_timeout: 45s',
        '',
      ].join('\n'),
    )
    assert.equal((await home.run(['start', '-c', join(app, 'tspm.yaml')])).code, 0)
    assert.equal((await home.run(['save'])).code, 0)
    const result = await home.run(['startup', 'systemd', '--print', '-u', unitUser])
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(unitLine(result.stdout, 'TimeoutStopSec'), ['TimeoutStopSec=55s'])
  })

  test('--json gives the unit and where it would go', async () => {
    const result = await runCli(
      ['startup', 'systemd', '--print', '--json', '-u', unitUser, '--service-name', 'web.api_2'],
      {env: {TSPM_HOME: join(scratch('tspm-json-'), 'h')}},
    )
    assert.equal(result.code, 0, result.stderr)
    const answer = jsonResult<{platform: string; service_name: string; unit_path: string; unit: string}>(result.stdout)
    assert.equal(answer.platform, 'systemd')
    assert.equal(answer.service_name, 'web.api_2')
    assert.equal(answer.unit_path, '/etc/systemd/system/web.api_2.service')
    assert.match(answer.unit, /^ExecStart=/m)
  })
})

describe('startup systemd-user --print', () => {
  test("the user's own unit: no User= or Group=, wanted by the user manager's default.target, the same quoting and limit", async () => {
    const parent = scratch('tspm-print-user-')
    const home = join(parent, `we ird"q's%h$x\\y`)
    const result = await runCli(['startup', 'systemd-user', '--print', '-u', unitUser], {env: {TSPM_HOME: home}})
    assert.equal(result.code, 0, result.stderr)
    const unit = result.stdout
    assert.match(unit, /^# Installed by `tspm startup systemd-user`/)
    assert.ok(unit.endsWith('[Install]\nWantedBy=default.target\n'), unit)
    assert.match(result.stderr, /would write to \/\S*\/\.config\/systemd\/user\/tspm\.service for /)
    // The user manager runs it as its user already; network.target is the system manager's.
    for (const key of ['User', 'Group', 'After']) assert.deepEqual(unitLine(unit, key), [], `no ${key}=`)
    assert.deepEqual(unitLine(unit, 'Environment')[0], `Environment="TSPM_HOME=${parent}/we ird\\"q's%%h$x\\\\y"`)
    assert.deepEqual(unitLine(unit, 'ExecStart'), [
      `ExecStart=${[process.execPath, ...SUPERVISOR_NODE_FLAGS, BIN, 'resurrect'].map((word) => `"${word}"`).join(' ')}`,
    ])
    assert.deepEqual(unitLine(unit, 'LimitNOFILE'), ['LimitNOFILE=65536'])
    assert.deepEqual(unitLine(unit, 'KillMode'), ['KillMode=mixed'])
    assert.deepEqual(unitLine(unit, 'Restart'), ['Restart=on-failure'])
    assert.equal(existsSync(home), false, '--print creates nothing')
  })

  test('the printed user unit passes systemd-analyze --user verify with nothing on stderr', async (t) => {
    if (!needs(t, hasSystemdAnalyze, 'no systemd-analyze here (apt-get install systemd)')) return
    const dir = scratch('tspm-verify-user-')
    const result = await runCli(['startup', 'systemd-user', '--print', '-u', unitUser], {
      env: {TSPM_HOME: join(dir, 'home')},
    })
    assert.equal(result.code, 0, result.stderr)
    const file = join(dir, 'tspm.service')
    writeFileSync(file, result.stdout)
    // A user scope needs a runtime folder; a private one does here.
    const runtime = join(dir, 'runtime')
    mkdirSync(runtime, {mode: 0o700})
    const verify = await runProgram('systemd-analyze', ['--user', 'verify', file], {
      env: {...process.env, XDG_RUNTIME_DIR: runtime},
    })
    assert.equal(verify.stderr, '')
    assert.equal(verify.code, 0)
  })
})

describe('bad input is refused before anything is written', () => {
  const badNames = ['a"b', "a'b", 'a b', 'a\nb', 'a;b', '-rf', '']

  for (const bad of badNames) {
    test(`user name ${JSON.stringify(bad)}`, async () => {
      const home = join(scratch('tspm-bad-user-'), 'h')
      // Not --print: the refusal must come before root is even asked about.
      const result = await runCli(['startup', 'systemd', `--user=${bad}`], {env: {TSPM_HOME: home}})
      assert.equal(result.code, 2, result.stderr)
      assert.match(result.stderr, /invalid user name/)
      assert.equal(result.stdout, '')
      assert.equal(existsSync(home), false)
    })

    test(`service name ${JSON.stringify(bad)}`, async () => {
      const home = join(scratch('tspm-bad-service-'), 'h')
      const result = await runCli(['startup', 'systemd', '-u', unitUser, `--service-name=${bad}`], {
        env: {TSPM_HOME: home},
      })
      assert.equal(result.code, 2, result.stderr)
      assert.match(result.stderr, /invalid --service-name/)
      assert.equal(existsSync(home), false)
    })
  }

  test('a user that does not exist', async () => {
    const result = await runCli(['startup', 'systemd', '--print', '-u', 'no-such-user-tspm'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /no user "no-such-user-tspm" in the passwd database/)
    assert.equal(result.stdout, '')
  })

  test('a TSPM_HOME with a newline', async () => {
    const result = await runCli(['startup', 'systemd', '--print', '-u', unitUser], {env: {TSPM_HOME: '/tmp/a\nb'}})
    assert.equal(result.code, 2)
    assert.match(result.stderr, /TSPM_HOME "\/tmp\/a\\nb" contains a newline or control character/)
    assert.equal(result.stdout, '')
  })

  test('a TSPM_HOME that belongs to another user', async (t) => {
    if (!needs(t, isRoot, 'needs root to make a folder of another user')) return
    const home = scratch('tspm-foreign-home-')
    chownSync(home, 65_534, 65_534)
    const result = await runCli(['startup', 'systemd', '--print', '-u', 'root'], {env: {TSPM_HOME: home}})
    assert.equal(result.code, 2)
    assert.match(result.stderr, /belongs to uid 65534, not to root \(uid 0\)/)
  })

  test('a saved list that does not read back: startup refuses (resurrect would fail at every boot), --print warns', async () => {
    const home = scratch('tspm-broken-dump-')
    writeFileSync(join(home, 'dump.json'), '{"format": "tspm-dump", ')
    const result = await runCli(['startup', 'systemd', '-u', unitUser], {env: {TSPM_HOME: home}})
    assert.equal(result.code, 6, result.stderr)
    assert.ok(result.stderr.includes(join(home, 'dump.json')), result.stderr)
    assert.deepEqual(filesUnder(home), ['dump.json'])

    const printed = await runCli(['startup', 'systemd', '--print', '-u', unitUser], {env: {TSPM_HOME: home}})
    assert.equal(printed.code, 0, printed.stderr)
    assert.match(printed.stderr, /Warning: cannot resurrect/)
    assert.match(printed.stdout, /^ExecStart=/m)
  })

  test('an unknown platform lists the installed ones and names the plugin to install', async () => {
    const result = await runCli(['startup', 'launchd', '-u', unitUser])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /unknown startup platform "launchd"; installed platforms: systemd \(/)
    assert.match(result.stderr, /tspm plugins install tspm-launchd/)
  })

  test('--print with --force is a usage error', async () => {
    const result = await runCli(['startup', 'systemd', '--print', '--force'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /--force has no meaning/)
  })

  test('installing where systemd is not running changes nothing', async (t) => {
    if (!needs(t, isRoot, 'needs root')) return
    // Where systemd runs this would install a service: that case is the container test's.
    if (systemdRuns) return t.skip('systemd runs here: the container test covers installing')
    const home = join(scratch('tspm-no-systemd-'), 'h')
    const result = await runCli(['startup', 'systemd', '-u', 'root', '--service-name', 'tspm-test-never'], {
      env: {TSPM_HOME: home},
    })
    assert.equal(result.code, 1)
    assert.match(
      result.stderr,
      /systemd is not the init system running on this machine .*nothing was changed; add --print/,
    )
    assert.equal(existsSync(home), false)
    assert.equal(existsSync('/etc/systemd/system/tspm-test-never.service'), false)
  })
})

describe('without root', () => {
  /** A TSPM_HOME (and HOME, for oclif's data folder) that the unprivileged user can write. */
  function userHome(): string {
    const dir = scratch('tspm-nonroot-')
    chmodSync(dir, 0o700)
    if (isRoot) chownSync(dir, 65_534, 65_534)
    return dir
  }

  // nobody may not be able to enter this checkout; it runs tspm from a view it can enter.
  const view = isRoot ? openRepoView() : undefined
  after(() => view?.close())
  const userBin = view ? join(view.path, 'bin', 'run.js') : BIN

  /** Runs the CLI as nobody (when we are root; else as ourselves, already unprivileged). */
  function runAsUser(args: string[], home: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    const env = {PATH: process.env.PATH, HOME: home, TSPM_HOME: home, NO_COLOR: '1', ...extraEnv}
    if (!isRoot) return runProgram(process.execPath, [BIN, ...args], {env})
    return runProgram(
      'setpriv',
      ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, userBin, ...args],
      {env},
    )
  }

  const user = isRoot ? 'nobody' : unitUser

  test('startup prints the exact sudo command, exits 5 and changes nothing', async () => {
    const home = userHome()
    const result = await runAsUser(['startup', 'systemd', '--service-name', 'my-app'], home)
    assert.equal(result.code, 5, result.stderr)
    assert.match(result.stderr, /installing a systemd service needs root; nothing was changed/)
    // TSPM_HOME was set, so the command carries it through sudo; the same flags, absolute paths.
    const expected = `sudo TSPM_HOME=${home} ${process.execPath} ${userBin} startup systemd -u ${user} --service-name my-app`
    assert.ok(result.stderr.includes(`\n  ${expected}\n`), result.stderr)
    // Where systemd runs, a user service is the way without root.
    const userServiceHint =
      /\nOr, for a Linux systemd user service, no root needed \(starts at boot with linger\):\n {2}tspm startup systemd-user --service-name my-app\n/
    if (systemdRuns) assert.match(result.stderr, userServiceHint)
    else assert.doesNotMatch(result.stderr, userServiceHint)
    assert.deepEqual(
      filesUnder(home).filter((file) => !file.startsWith('.')),
      [],
    )
  })

  test('--json carries the command in the error', async () => {
    const home = userHome()
    const result = await runAsUser(['startup', 'systemd', '--json'], home)
    assert.equal(result.code, 5)
    const answer = envelope(result.stdout)
    assert.equal(answer.error?.code, 'needs_root')
    assert.match(answer.error!.message, /startup systemd -u \S+ --json$/)
  })

  test('--print needs no root', async () => {
    const home = userHome()
    const result = await runAsUser(['startup', 'systemd', '--print'], home)
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, new RegExp(`^User=${user}$`, 'm'))
  })

  test('unstartup reads startup.json and prints its sudo command', async () => {
    const home = userHome()
    const record = {
      platform: 'systemd',
      service_name: 'tspm-mine',
      unit_path: '/etc/systemd/system/tspm-mine.service',
      user,
      home,
      tspm_home: home,
      runtime: process.execPath,
      tspm: BIN,
      tspm_version: '0.1.0',
      installed_at: new Date().toISOString(),
    }
    mkdirSync(join(home, 'startup'))
    writeFileSync(join(home, 'startup', 'startup.json'), JSON.stringify(record))
    if (isRoot) {
      chownSync(join(home, 'startup'), 65_534, 65_534)
      chownSync(join(home, 'startup', 'startup.json'), 65_534, 65_534)
    }

    const result = await runAsUser(['unstartup'], home)
    assert.equal(result.code, 5, result.stderr)
    assert.ok(
      result.stderr.includes(`sudo TSPM_HOME=${home} ${process.execPath} ${userBin} unstartup systemd -u ${user}\n`),
      result.stderr,
    )
    assert.ok(existsSync(join(home, 'startup', 'startup.json')), 'startup.json is kept')

    const mismatch = await runAsUser(['unstartup', 'launchd'], home)
    assert.equal(mismatch.code, 2)
    assert.match(mismatch.stderr, /says the systemd service "tspm-mine" was installed, not launchd/)
  })
})

describe('unstartup', () => {
  test('without startup.json there is nothing to remove', async () => {
    const home = scratch('tspm-unstartup-')
    const result = await runCli(['unstartup', '-u', unitUser], {env: {TSPM_HOME: home}})
    assert.equal(result.code, 1)
    assert.match(result.stderr, /nothing to remove for TSPM_HOME=.*startup\.json does not exist/)
  })

  test('a startup.json that does not read back is named, and nothing is changed', async () => {
    const home = scratch('tspm-unstartup-bad-')
    mkdirSync(join(home, 'startup'))
    writeFileSync(join(home, 'startup', 'startup.json'), '{"platform": "systemd", ')
    const result = await runCli(['unstartup', '-u', unitUser], {env: {TSPM_HOME: home}})
    assert.equal(result.code, 6)
    assert.ok(result.stderr.includes(join(home, 'startup', 'startup.json')), result.stderr)
    assert.ok(existsSync(join(home, 'startup', 'startup.json')))
  })

  test('a startup.json naming an uninstalled platform gets the plugin hint', async () => {
    const home = scratch('tspm-unstartup-launchd-')
    mkdirSync(join(home, 'startup'))
    const record = {
      platform: 'launchd',
      service_name: 'tspm',
      unit_path: '/Library/LaunchDaemons/tspm.plist',
      user: unitUser,
      home,
      tspm_home: home,
      runtime: process.execPath,
      tspm: BIN,
      tspm_version: '0.1.0',
      installed_at: '',
    }
    writeFileSync(join(home, 'startup', 'startup.json'), JSON.stringify(record))
    const result = await runCli(['unstartup', '-u', unitUser], {env: {TSPM_HOME: home}})
    assert.equal(result.code, 2)
    assert.match(result.stderr, /unknown startup platform "launchd".*tspm plugins install tspm-launchd/s)
  })

  test("root does not remove a user's systemd user service: that user does, and nothing is changed", async (t) => {
    if (!needs(t, isRoot, 'needs root')) return
    const home = scratch('tspm-unstartup-user-')
    chownSync(home, 65_534, 65_534)
    mkdirSync(join(home, 'startup'))
    const record = {
      platform: 'systemd-user',
      scope: 'user',
      service_name: 'tspm',
      unit_path: '/nonexistent/.config/systemd/user/tspm.service',
      user: 'nobody',
      home: '/nonexistent',
      tspm_home: home,
      runtime: process.execPath,
      tspm: BIN,
      tspm_version: '0.1.0',
      installed_at: '',
    }
    writeFileSync(join(home, 'startup', 'startup.json'), JSON.stringify(record))
    chownSync(join(home, 'startup'), 65_534, 65_534)
    chownSync(join(home, 'startup', 'startup.json'), 65_534, 65_534)
    const result = await runCli(['unstartup', '-u', 'nobody'], {env: {TSPM_HOME: home}})
    assert.equal(result.code, 2, result.stderr)
    assert.match(
      result.stderr,
      /the systemd user service of nobody is removed by that user: run `tspm unstartup systemd-user` as nobody \(without sudo\); nothing was changed/,
    )
    assert.ok(existsSync(join(home, 'startup', 'startup.json')), 'startup.json is kept')
  })

  test("a startup.json pointing at another unit file is refused (it is the user's file, root acts on it)", async (t) => {
    if (!needs(t, isRoot, 'needs root')) return
    const home = scratch('tspm-unstartup-forged-')
    mkdirSync(join(home, 'startup'))
    const record = {
      platform: 'systemd',
      service_name: 'tspm',
      unit_path: '/etc/passwd',
      user: 'root',
      home: '/root',
      tspm_home: home,
      runtime: process.execPath,
      tspm: BIN,
      tspm_version: '0.1.0',
      installed_at: '',
    }
    writeFileSync(join(home, 'startup', 'startup.json'), JSON.stringify(record))
    const result = await runCli(['unstartup', '-u', 'root'], {env: {TSPM_HOME: home}})
    assert.equal(result.code, 1)
    assert.match(result.stderr, /names the unit file "\/etc\/passwd", not \/etc\/systemd\/system\/tspm\.service/)
    assert.ok(existsSync('/etc/passwd'))
  })
})

describe('startup platforms come from plugins', () => {
  /** A throwaway oclif plugin, linked into a private oclif data folder (TSPM_DATA_DIR). */
  async function linkPlugin(dataDir: string, name: string, hookSource: string): Promise<void> {
    const root = join(scratch('tspm-plugin-src-'), name)
    mkdirSync(root)
    writeFileSync(
      join(root, 'package.json'),
      JSON.stringify({name, version: '1.0.0', type: 'module', oclif: {hooks: {'tspm:startup-platforms': './hook.js'}}}),
    )
    writeFileSync(join(root, 'hook.js'), hookSource)
    const linked = await runCli(['plugins', 'link', '--no-install', root], {env: {TSPM_DATA_DIR: dataDir}})
    assert.equal(linked.code, 0, linked.stderr)
  }

  test('a plugin whose hook throws is reported, and systemd still works', async () => {
    const dataDir = scratch('tspm-data-')
    await linkPlugin(
      dataDir,
      'tspm-broken',
      "export default async function () { throw new Error('broken on purpose') }\n",
    )
    await linkPlugin(
      dataDir,
      'tspm-odd',
      "export default async function () { return [{apiVersion: 1, name: 'odd'}] }\n",
    )
    await linkPlugin(
      dataDir,
      'tspm-future',
      "export default async function () { return [{apiVersion: 2, name: 'future'}] }\n",
    )
    const env = {TSPM_DATA_DIR: dataDir, TSPM_HOME: join(dataDir, 'home')}

    const printed = await runCli(['startup', 'systemd', '--print', '-u', unitUser], {env})
    assert.equal(printed.code, 0, printed.stderr)
    assert.match(printed.stdout, /^ExecStart=/m)
    assert.match(
      printed.stderr,
      /Warning: the plugin tspm-broken failed to list its startup platforms \(broken on purpose\); it is left out/,
    )
    assert.match(
      printed.stderr,
      /the plugin tspm-odd answered a startup platform that cannot be used \("odd" has no detect\(\)\)/,
    )
    assert.match(
      printed.stderr,
      /the plugin tspm-future answered .*"future" was written for version 2 of tspm's startup platform API, and this tspm speaks version 1; update the plugin/,
    )

    const unknown = await runCli(['startup', 'odd', '-u', unitUser], {env})
    assert.equal(unknown.code, 2)
    assert.match(
      unknown.stderr,
      /installed platforms: systemd \(Linux systemd system service\), systemd-user \(Linux systemd user service, no root needed \(starts at boot with linger\)\);/,
    )
  })
})
