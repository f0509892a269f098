// The guide's Production Server Setup on a real systemd (Debian bookworm booted with
// systemd-nspawn), across a real reboot: start, list, save as a user; `tspm startup systemd` as
// root; reboot; everything is back, once, as that user; `tspm unstartup` leaves nothing behind.
// Plus quoting and refusals checked by systemd itself.
//
// Needs root and the root built by test/systemd/prepare-rootfs.sh ($TSPM_TEST_ROOTFS, else
// <repo>/.cache/bookworm-root). Skipped when that root is missing, except under CI, where a
// missing root is a failure.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {test, type TestContext} from 'node:test'

import {jsonResult, REPO_ROOT} from '../helpers/cli.js'
import {freePort} from '../helpers/net.js'
import {waitFor} from '../helpers/wait.js'
import {type Container} from './container.js'
import {
  bootMachine,
  canBoot,
  type MachineProcess,
  NODE,
  ODD_TSPM_DIR,
  processes,
  resurrectArgv,
  rootfs,
  tspm,
  TSPM,
  TSPM_DIR,
  tspmOk,
} from './machine.js'

const rootfsReady = existsSync(join(rootfs, '.tspm-rootfs-complete'))
const EXAMPLES = `${TSPM_DIR}/examples`
const UNIT_DIR = '/etc/systemd/system'

/**
 * Whether a file or symlink is at this path inside the machine. An enable symlink points at an
 * absolute path inside, which the host resolves to its own file system: existsSync cannot tell.
 */
function linkOrFileAt(machine: Container, path: string): boolean {
  try {
    lstatSync(machine.hostPath(path))
    return true
  } catch {
    return false
  }
}

/** False (skipped, or failed under CI) without the container root or without root. */
const canBootHere = (t: TestContext) =>
  canBoot(
    t,
    rootfsReady,
    `no prepared root at ${rootfs}: run test/systemd/prepare-rootfs.sh (as root) or set TSPM_TEST_ROOTFS`,
  )

/** The processes of tspm: the supervisor and the example apps, recognised by their command line. */
async function tspmProcesses(
  machine: Container,
): Promise<{supervisors: MachineProcess[]; web: MachineProcess[]; worker: MachineProcess[]; all: MachineProcess[]}> {
  const list = await processes(machine)
  const all = list.filter(({argv}) =>
    argv.some((arg) => arg.startsWith(`${TSPM_DIR}/`) || arg.startsWith(`${ODD_TSPM_DIR}/`)),
  )
  return {
    supervisors: all.filter(({argv}) =>
      argv.some((arg) => arg.endsWith('/bin/run.js') || arg.endsWith('/supervisor/main.js')),
    ),
    web: all.filter(({argv}) => argv.includes(`${EXAMPLES}/http-server.js`)),
    worker: all.filter(({argv}) => argv.includes(`${EXAMPLES}/worker.js`)),
    all,
  }
}

interface Listed {
  name: string
  status: string
  pid: null | number
}

async function listAs(machine: Container, user: string): Promise<Listed[]> {
  return jsonResult(await tspmOk(machine, ['list', '--json'], {user}))
}

async function bothOnline(machine: Container, user = 'alice'): Promise<Listed[] | undefined> {
  const listed = await listAs(machine, user)
  const online = listed
    .filter((entry) => entry.status === 'online')
    .map((entry) => entry.name)
    .sort()
  return online.join(',') === 'web,worker' ? listed : undefined
}

/** GET http://127.0.0.1:3000/ from inside, with the container's node (no curl in a minimal root). */
async function fetchWeb(machine: Container, user = 'alice'): Promise<{greeting: string; pid: number}> {
  const script = "fetch('http://127.0.0.1:3000/').then((r) => r.text()).then((t) => process.stdout.write(t))"
  return JSON.parse(await machine.execOk([NODE, '-e', script], {user}))
}

/** Reboots the machine; resolves with the list once the service is active and web and worker are online. */
async function rebootUntilBack(machine: Container): Promise<Listed[]> {
  await machine.reboot()
  await waitFor(async () => (await isActive(machine, 'tspm')) === 'active', {
    what: 'tspm.service active after the reboot',
    timeoutMs: 60_000,
  })
  return waitFor(() => bothOnline(machine), {what: 'web and worker online after the reboot', timeoutMs: 60_000})
}

async function isActive(machine: Container, unit: string): Promise<string> {
  return (await machine.exec(['systemctl', 'is-active', unit])).stdout.trim()
}

test(
  'save, startup, reboot: the processes come back once, as the user; unstartup leaves nothing',
  {timeout: 300_000},
  async (t) => {
    if (!canBootHere(t)) return
    const scenarioStart = Date.now()
    const machine = await bootMachine(t, 'startup')
    const unitFile = `${UNIT_DIR}/tspm.service`
    const startupJson = '/home/alice/.tspm/startup/startup.json'

    // 1. As alice: start the example, list, save.
    assert.match(
      await tspmOk(machine, ['start', '-c', `${EXAMPLES}/tspm.yaml`], {user: 'alice'}),
      /started web\n.*started worker/s,
    )
    const byHand = await waitFor(() => bothOnline(machine), {
      what: 'web and worker online after tspm start',
      timeoutMs: 20_000,
    })
    assert.match(await tspmOk(machine, ['list'], {user: 'alice'}), /web.*online/)
    assert.match(
      await tspmOk(machine, ['save'], {user: 'alice'}),
      /saved 2 processes to \/home\/alice\/\.tspm\/dump\.json: web, worker/,
    )

    // 2. Without root, startup prints the exact command and changes nothing.
    const denied = await tspm(machine, ['startup', 'systemd'], {user: 'alice'})
    assert.equal(denied.code, 5, denied.stderr)
    const sudoLine = denied.stderr
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line.startsWith('sudo '))
    assert.equal(sudoLine, `sudo ${NODE} ${TSPM} startup systemd -u alice`)
    assert.equal(existsSync(machine.hostPath(unitFile)), false)
    assert.equal(existsSync(machine.hostPath(startupJson)), false)

    // 3. As root: exactly that command (sudo is not installed in the minimal root; we are root).
    const installStart = Date.now()
    const [, ...asRoot] = sudoLine!.split(' ')
    const installed = await machine.exec(asRoot, {timeoutMs: 90_000, env: {NO_COLOR: '1'}})
    assert.equal(installed.code, 0, `startup failed\nstdout: ${installed.stdout}\nstderr: ${installed.stderr}`)
    t.diagnostic(`startup systemd took ${Date.now() - installStart} ms; progress:\n${installed.stderr.trim()}`)
    assert.match(
      installed.stdout,
      /the systemd service "tspm" runs `tspm resurrect` as alice for TSPM_HOME=\/home\/alice\/\.tspm/,
    )
    assert.match(
      installed.stderr,
      /Hand over from the supervisor running for TSPM_HOME=\/home\/alice\/\.tspm: stopped the supervisor that ran \(pid \d+\); the service brings back the 2 saved process\(es\)/,
    )

    assert.equal(await isActive(machine, 'tspm'), 'active')
    const status = await machine.exec(['systemctl', 'status', 'tspm', '--no-pager', '--full'])
    assert.equal(status.code, 0, status.stdout)
    assert.match(status.stdout, /Active: active \(running\)/)
    assert.ok(status.stdout.includes(resurrectArgv(TSPM).join(' ')), status.stdout)

    // What was written: the unit (0644), startup.json (alice's, 0600), and --print shows that same unit.
    const unit = readFileSync(machine.hostPath(unitFile), 'utf8')
    assert.equal(statSync(machine.hostPath(unitFile)).mode & 0o777, 0o644)
    const printed = await tspmOk(machine, ['startup', 'systemd', '--print', '-u', 'alice'])
    assert.equal(printed, unit)
    const recordStat = statSync(machine.hostPath(startupJson))
    assert.equal(recordStat.mode & 0o777, 0o600)
    assert.equal(recordStat.uid, 1000)
    const record = JSON.parse(readFileSync(machine.hostPath(startupJson), 'utf8'))
    assert.deepEqual(
      {
        platform: record.platform,
        service_name: record.service_name,
        unit_path: record.unit_path,
        user: record.user,
        tspm_home: record.tspm_home,
        runtime: record.runtime,
        tspm: record.tspm,
      },
      {
        platform: 'systemd',
        service_name: 'tspm',
        unit_path: unitFile,
        user: 'alice',
        tspm_home: '/home/alice/.tspm',
        runtime: NODE,
        tspm: TSPM,
      },
    )
    const verify = await machine.exec(['systemd-analyze', 'verify', unitFile])
    assert.equal(verify.stderr, '', 'systemd-analyze verify says nothing')
    assert.equal(verify.code, 0)

    // The service's supervisor took over: the apps run again, once, under new pids.
    const underService = await waitFor(() => bothOnline(machine), {
      what: 'web and worker online under the service',
      timeoutMs: 30_000,
    })
    assert.notDeepEqual(underService.map((entry) => entry.pid).sort(), byHand.map((entry) => entry.pid).sort())

    // A `tspm start` with no supervisor answering is told to start the service instead.
    await machine.execOk(['systemctl', 'stop', 'tspm'])
    const refused = await tspm(machine, ['start', '-c', `${EXAMPLES}/tspm.yaml`], {user: 'alice'})
    assert.equal(refused.code, 3)
    assert.match(refused.stderr, /installed as the systemd service "tspm".*sudo systemctl start tspm/)
    assert.deepEqual((await tspmProcesses(machine)).all, [], 'no supervisor was started outside the service')
    await machine.execOk(['systemctl', 'start', 'tspm'])
    await waitFor(() => bothOnline(machine), {what: 'web and worker online after systemctl start', timeoutMs: 30_000})

    // 4. Reboot: everything comes back by itself.
    const rebootStart = Date.now()
    const afterReboot = await rebootUntilBack(machine)
    t.diagnostic(`after the reboot, web and worker were online ${Date.now() - rebootStart} ms after systemctl reboot`)

    const running = await tspmProcesses(machine)
    assert.equal(running.supervisors.length, 1, `one supervisor: ${JSON.stringify(running.supervisors)}`)
    assert.deepEqual(running.supervisors[0]!.argv, resurrectArgv(TSPM))
    assert.equal(running.web.length, 1, `web runs once: ${JSON.stringify(running.web)}`)
    assert.equal(running.worker.length, 1, `worker runs once: ${JSON.stringify(running.worker)}`)
    for (const proc of [...running.supervisors, ...running.web, ...running.worker])
      assert.equal(proc.uid, 1000, `${proc.argv.join(' ')} runs as alice`)
    assert.equal(running.web[0]!.pid, afterReboot.find((entry) => entry.name === 'web')!.pid)
    const mainPid = Number(
      (await machine.execOk(['systemctl', 'show', '--property=MainPID', '--value', 'tspm'])).trim(),
    )
    assert.equal(mainPid, running.supervisors[0]!.pid, "the supervisor is the service's main process")

    const answer = await fetchWeb(machine)
    assert.equal(answer.greeting, 'hello from tspm')
    assert.equal(answer.pid, running.web[0]!.pid)

    // tspm doctor, as alice, finds nothing wrong: the service is enabled and active, runs this Node and tspm.
    const doctor = await tspm(machine, ['doctor'], {user: 'alice'})
    assert.equal(doctor.code, 0, `doctor found problems\nstdout: ${doctor.stdout}\nstderr: ${doctor.stderr}`)
    assert.match(
      doctor.stdout,
      /^✓ the systemd service "tspm" \(\/etc\/systemd\/system\/tspm\.service\) is installed for this home \(enabled, active\)$/m,
    )

    // 5. unstartup, as `sudo tspm unstartup` run by alice: SUDO_USER says whose startup.json.
    const removed = await tspm(machine, ['unstartup'], {env: {SUDO_USER: 'alice'}})
    assert.equal(removed.code, 0, `unstartup failed\nstdout: ${removed.stdout}\nstderr: ${removed.stderr}`)
    assert.match(removed.stdout, /removed the systemd service "tspm" of alice/)
    assert.equal(existsSync(machine.hostPath(unitFile)), false, 'the unit file is gone')
    assert.equal(
      linkOrFileAt(machine, `${UNIT_DIR}/multi-user.target.wants/tspm.service`),
      false,
      'not enabled any more',
    )
    assert.equal(existsSync(machine.hostPath(startupJson)), false, 'startup.json is gone')
    assert.ok(existsSync(machine.hostPath('/home/alice/.tspm/dump.json')), 'the saved list is kept')
    assert.notEqual(await isActive(machine, 'tspm'), 'active')
    assert.deepEqual((await tspmProcesses(machine)).all, [], 'no tspm process is left')
    t.diagnostic(`whole scenario: ${Date.now() - scenarioStart} ms`)
  },
)

/** The soft and hard open-files limits of a process inside the machine, from its /proc. */
async function openFilesLimits(machine: Container, pid: number | string): Promise<{soft: number; hard: number}> {
  const line = (await machine.execOk(['cat', `/proc/${pid}/limits`]))
    .split('\n')
    .find((l) => l.startsWith('Max open files'))
  const [soft, hard] = line!.split(/\s+/).slice(3, 5).map(Number)
  return {soft: soft!, hard: hard!}
}

test(
  'without root: a systemd user service (systemd-user) with linger comes back after a reboot, as its user; unstartup removes it',
  {timeout: 400_000},
  async (t) => {
    if (!canBootHere(t)) return
    const scenarioStart = Date.now()
    const machine = await bootMachine(t, 'user-service')
    // A user of their own, with no way to root: this machine has no sudo at all.
    await machine.execOk(['useradd', '--create-home', '--shell', '/bin/bash', 'bob'])
    const uid = Number((await machine.execOk(['id', '-u', 'bob'])).trim())
    assert.notEqual((await machine.exec(['sh', '-c', 'command -v sudo'])).code, 0, 'no sudo in this machine')
    const asBob = {user: 'bob'}
    const unitDir = '/home/bob/.config/systemd/user'
    const unitFile = `${unitDir}/tspm.service`
    const startupJson = '/home/bob/.tspm/startup/startup.json'
    const bobOnline = () => bothOnline(machine, 'bob')
    const userIsActive = async () =>
      (await machine.exec(['systemctl', '--user', 'is-active', 'tspm'], asBob)).stdout.trim()

    // 1. As bob: start the example, save.
    await tspmOk(machine, ['start', '-c', `${EXAMPLES}/tspm.yaml`], asBob)
    const byHand = await waitFor(bobOnline, {what: 'web and worker online after tspm start', timeoutMs: 30_000})
    await tspmOk(machine, ['save'], asBob)

    // 2. No login session and no linger, so no user manager to install into; without polkit only
    // root may turn linger on: the exact command is printed and nothing is changed.
    const noManager = await tspm(machine, ['startup', 'systemd-user'], asBob)
    assert.equal(noManager.code, 5, noManager.stderr)
    assert.match(
      noManager.stderr,
      /bob has no systemd user manager running \(no login session, and linger is off\), and `loginctl enable-linger bob` was refused \(Could not enable linger: Access denied\); turn linger on as root, then run this again/,
    )
    // The last such line: the one under `Error:` or `Warning:` (a failed step's line repeats its message).
    const lingerCommand = (text: string) =>
      text
        .split('\n')
        .map((line) => line.trim())
        .findLast((line) => line.startsWith('sudo '))
    assert.equal(lingerCommand(noManager.stderr), 'sudo loginctl enable-linger bob')
    assert.equal(existsSync(machine.hostPath(unitDir)), false, 'no unit folder was made')
    assert.equal(existsSync(machine.hostPath(startupJson)), false)
    assert.ok(await bobOnline(), 'the supervisor started by hand still runs')

    // Root cannot install it for bob: a user service is its user's own.
    const asRoot = await tspm(machine, ['startup', 'systemd-user'], {env: {SUDO_USER: 'bob'}})
    assert.equal(asRoot.code, 2, asRoot.stderr)
    assert.match(
      asRoot.stderr,
      /a systemd user service is installed by its own user.*run `tspm startup systemd-user` as bob/,
    )

    // 3. Logged in, bob has a user manager (logind starts user@UID.service at a login): the
    // service is installed and runs; linger is still refused, so a warning names the admin's command.
    await machine.execOk(['systemctl', 'start', `user@${uid}.service`])
    const installed = await tspm(machine, ['startup', 'systemd-user'], asBob)
    assert.equal(installed.code, 0, `stdout: ${installed.stdout}\nstderr: ${installed.stderr}`)
    assert.match(
      installed.stdout,
      /^tspm starts with the service manager of bob: the systemd-user service "tspm" runs `tspm resurrect` as bob for TSPM_HOME=\/home\/bob\/\.tspm$/m,
    )
    assert.match(installed.stdout, /see it with: systemctl --user status tspm \(log: journalctl --user -u tspm -n 50\)/)
    assert.match(
      installed.stderr,
      /Warning: linger is off for bob, and `loginctl enable-linger bob` was refused \(Could not enable linger: Access denied\): until root turns it on, the service starts at the first login of bob after a boot, not at boot/,
    )
    const adminCommand = lingerCommand(installed.stderr)
    assert.equal(adminCommand, 'sudo loginctl enable-linger bob')
    assert.equal(await userIsActive(), 'active')

    // What was written: bob's own unit (0644, no User=, wanted by the user's default.target), the
    // same as --print shows, which systemd accepts; startup.json with the user scope.
    const unit = readFileSync(machine.hostPath(unitFile), 'utf8')
    const unitStat = statSync(machine.hostPath(unitFile))
    assert.equal(unitStat.mode & 0o777, 0o644)
    assert.equal(unitStat.uid, uid)
    assert.equal(await tspmOk(machine, ['startup', 'systemd-user', '--print'], asBob), unit)
    assert.match(unit, /^WantedBy=default\.target$/m)
    assert.doesNotMatch(unit, /^(User|Group)=/m)
    assert.match(unit, /^LimitNOFILE=65536$/m)
    const verify = await machine.exec(['systemd-analyze', '--user', 'verify', unitFile], asBob)
    assert.equal(verify.stderr, '', 'systemd-analyze --user verify says nothing')
    assert.equal(verify.code, 0)
    assert.ok(linkOrFileAt(machine, `${unitDir}/default.target.wants/tspm.service`), 'enabled')
    const record = JSON.parse(readFileSync(machine.hostPath(startupJson), 'utf8'))
    assert.deepEqual(
      {
        platform: record.platform,
        scope: record.scope,
        unit_path: record.unit_path,
        user: record.user,
        start_command: record.start_command,
      },
      {
        platform: 'systemd-user',
        scope: 'user',
        unit_path: unitFile,
        user: 'bob',
        start_command: 'systemctl --user start tspm',
      },
    )

    // The service's supervisor took over, in bob's user manager.
    const underService = await waitFor(bobOnline, {
      what: 'web and worker online under the user service',
      timeoutMs: 30_000,
    })
    assert.notDeepEqual(underService.map((entry) => entry.pid).sort(), byHand.map((entry) => entry.pid).sort())
    const mainPid = (
      await machine.execOk(['systemctl', '--user', 'show', '--property=MainPID', '--value', 'tspm'], asBob)
    ).trim()
    assert.match(
      await machine.execOk(['cat', `/proc/${mainPid}/cgroup`]),
      new RegExp(`/user@${uid}\\.service/app\\.slice/tspm\\.service$`, 'm'),
    )
    // A user manager cannot raise the hard limit above its own: systemd gives the closest it may.
    const managerPid = (
      await machine.execOk(['systemctl', 'show', '--property=MainPID', '--value', `user@${uid}.service`])
    ).trim()
    const managerLimits = await openFilesLimits(machine, managerPid)
    const expected = Math.min(65_536, managerLimits.hard)
    assert.deepEqual(await openFilesLimits(machine, mainPid), {soft: expected, hard: expected})
    t.diagnostic(`open files: the user manager has ${JSON.stringify(managerLimits)}, the supervisor ${expected}`)

    // 4. Installed but stopped: `tspm start` says how to start the user service.
    await machine.execOk(['systemctl', '--user', 'stop', 'tspm'], asBob)
    const refused = await tspm(machine, ['start', '-c', `${EXAMPLES}/tspm.yaml`], asBob)
    assert.equal(refused.code, 3, refused.stderr)
    assert.match(
      refused.stderr,
      /installed as the systemd-user service "tspm".*start it with: systemctl --user start tspm/,
    )
    assert.deepEqual((await tspmProcesses(machine)).all, [], 'no supervisor was started outside the service')
    await machine.execOk(['systemctl', '--user', 'start', 'tspm'], asBob)
    await waitFor(bobOnline, {what: 'web and worker online after systemctl --user start', timeoutMs: 30_000})

    // 5. The admin runs what the warning says (no sudo here: we are root), then the machine reboots.
    await machine.execOk(adminCommand!.split(' ').slice(1))
    const rebootStart = Date.now()
    await machine.reboot()
    await waitFor(async () => (await userIsActive()) === 'active', {
      what: "bob's tspm user service active after the reboot",
      timeoutMs: 120_000,
    })
    const afterReboot = await waitFor(bobOnline, {what: 'web and worker online after the reboot', timeoutMs: 60_000})
    t.diagnostic(`after the reboot, web and worker were online ${Date.now() - rebootStart} ms after systemctl reboot`)

    const running = await tspmProcesses(machine)
    assert.equal(running.supervisors.length, 1, `one supervisor: ${JSON.stringify(running.supervisors)}`)
    assert.deepEqual(running.supervisors[0]!.argv, resurrectArgv(TSPM))
    assert.equal(running.web.length, 1, `web runs once: ${JSON.stringify(running.web)}`)
    assert.equal(running.worker.length, 1, `worker runs once: ${JSON.stringify(running.worker)}`)
    for (const proc of [...running.supervisors, ...running.web, ...running.worker])
      assert.equal(proc.uid, uid, `${proc.argv.join(' ')} runs as bob`)
    assert.equal(running.web[0]!.pid, afterReboot.find((entry) => entry.name === 'web')!.pid)
    const bootPid = Number(
      (await machine.execOk(['systemctl', '--user', 'show', '--property=MainPID', '--value', 'tspm'], asBob)).trim(),
    )
    assert.equal(bootPid, running.supervisors[0]!.pid, "the supervisor is the user service's main process")
    assert.equal((await fetchWeb(machine, 'bob')).pid, running.web[0]!.pid)

    // 6. Root cannot remove it; bob can, and linger is left as it is.
    const rootRemove = await tspm(machine, ['unstartup'], {env: {SUDO_USER: 'bob'}})
    assert.equal(rootRemove.code, 2, rootRemove.stderr)
    assert.match(
      rootRemove.stderr,
      /the systemd user service of bob is removed by that user: run `tspm unstartup systemd-user` as bob/,
    )
    assert.equal(await userIsActive(), 'active')

    const removed = await tspm(machine, ['unstartup'], asBob)
    assert.equal(removed.code, 0, `unstartup failed\nstdout: ${removed.stdout}\nstderr: ${removed.stderr}`)
    assert.match(removed.stdout, /removed the systemd-user service "tspm" of bob/)
    assert.match(removed.stderr, /Leave linger of bob as it is: it stays on/)
    assert.equal(existsSync(machine.hostPath(unitFile)), false, 'the unit file is gone')
    assert.equal(linkOrFileAt(machine, `${unitDir}/default.target.wants/tspm.service`), false, 'not enabled')
    assert.equal(existsSync(machine.hostPath(startupJson)), false, 'startup.json is gone')
    assert.ok(existsSync(machine.hostPath('/home/bob/.tspm/dump.json')), 'the saved list is kept')
    assert.ok(existsSync(machine.hostPath('/var/lib/systemd/linger/bob')), 'linger is still on')
    assert.notEqual(await userIsActive(), 'active')
    assert.deepEqual((await tspmProcesses(machine)).all, [], 'no tspm process is left')
    t.diagnostic(`whole scenario: ${Date.now() - scenarioStart} ms`)
  },
)

test(
  'systemd reads back every quoted value; bad names and foreign units are refused',
  {timeout: 300_000},
  async (t) => {
    if (!canBootHere(t)) return
    const machine = await bootMachine(t, 'quoting')
    const unitsBefore = readdirSync(machine.hostPath(UNIT_DIR)).sort()

    // Refused before anything is written, as root and not as a --print.
    for (const bad of ['a"b', 'a b', 'a\nb', 'a;b']) {
      const badUser = await tspm(machine, ['startup', 'systemd', `--user=${bad}`])
      assert.equal(badUser.code, 2, badUser.stderr)
      assert.match(badUser.stderr, /invalid user name/)
      const badService = await tspm(machine, ['startup', 'systemd', '-u', 'alice', `--service-name=${bad}`])
      assert.equal(badService.code, 2, badService.stderr)
      assert.match(badService.stderr, /invalid --service-name/)
    }

    assert.deepEqual(readdirSync(machine.hostPath(UNIT_DIR)).sort(), unitsBefore)
    assert.equal(existsSync(machine.hostPath('/home/alice/.tspm')), false)

    // Processes started by hand but never saved: the hand-over step refuses, and the steps done
    // before it (unit written, daemon reloaded, enabled) are undone on the real systemd.
    await tspmOk(machine, ['start', '-c', `${EXAMPLES}/tspm.yaml`], {user: 'alice'})
    const unsaved = await tspm(machine, ['startup', 'systemd', '-u', 'alice'])
    assert.equal(unsaved.code, 1, unsaved.stderr)
    assert.match(
      unsaved.stderr,
      /runs 2 process\(es\) for TSPM_HOME=\/home\/alice\/\.tspm but they were never saved; run `tspm save` as alice first/,
    )
    assert.match(unsaved.stderr, /the steps done before were undone/)
    assert.deepEqual(readdirSync(machine.hostPath(UNIT_DIR)).sort(), unitsBefore, 'no unit file, not enabled')
    assert.equal((await machine.exec(['systemctl', 'is-enabled', 'tspm'])).code !== 0, true)
    assert.equal(existsSync(machine.hostPath('/home/alice/.tspm/startup/startup.json')), false)
    assert.ok(await bothOnline(machine), 'the processes started by hand still run')
    await tspmOk(machine, ['kill'], {user: 'alice'})

    // A TSPM_HOME (space, both quotes, a specifier, a dollar, a backslash) and a tspm path (the
    // same but the backslash): each has its own systemd rule (Environment= and ExecStart= quoting,
    // %% for specifiers, $$ in ExecStart).
    const oddHome = `/home/alice/we ird"q's%h$x\\y`
    await machine.execOk(['mkdir', ODD_TSPM_DIR])
    await machine.execOk(['mount', '--bind', TSPM_DIR, ODD_TSPM_DIR])
    const oddTspm = `${ODD_TSPM_DIR}/bin/run.js`
    const installed = await machine.exec(
      [NODE, oddTspm, 'startup', 'systemd', '-u', 'alice', '--service-name', 'tspm-odd'],
      {env: {TSPM_HOME: oddHome, NO_COLOR: '1'}, timeoutMs: 90_000},
    )
    assert.equal(installed.code, 0, `stdout: ${installed.stdout}\nstderr: ${installed.stderr}`)
    const unitFile = `${UNIT_DIR}/tspm-odd.service`
    const verify = await machine.exec(['systemd-analyze', 'verify', unitFile])
    assert.equal(verify.stderr, '')
    const mainPid = (await machine.execOk(['systemctl', 'show', '--property=MainPID', '--value', 'tspm-odd'])).trim()
    if (mainPid === '0') {
      const status = await machine.exec(['systemctl', 'status', 'tspm-odd', '--no-pager', '--full', '--lines=40'])
      const log = await machine.exec(['cat', `${oddHome}/tspm.log`])
      assert.fail(`tspm-odd has no main process right after startup:\n${status.stdout}\n${log.stdout}`)
    }

    const environ = (await machine.execOk(['cat', `/proc/${mainPid}/environ`])).split('\0')
    assert.ok(environ.includes(`TSPM_HOME=${oddHome}`), environ.join('\n'))
    assert.ok(
      environ.some((line) => line.startsWith(`PATH=/usr/bin:`)),
      'the runtime folder leads the PATH',
    )
    const argv = (await machine.execOk(['cat', `/proc/${mainPid}/cmdline`])).split('\0').filter(Boolean)
    assert.deepEqual(argv, resurrectArgv(oddTspm))
    assert.equal((await machine.execOk(['readlink', `/proc/${mainPid}/cwd`])).trim(), '/home/alice')
    assert.ok(existsSync(machine.hostPath(`${oddHome}/tspm.sock`)), 'the supervisor listens in that TSPM_HOME')
    assert.equal(statSync(machine.hostPath(oddHome)).uid, 1000, 'TSPM_HOME was created for alice')

    // Installing again over our own unit: replaced, handed over from the service's own supervisor.
    const again = await tspm(machine, ['startup', 'systemd', '-u', 'alice', '--service-name', 'tspm-odd'], {
      env: {TSPM_HOME: oddHome},
    })
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stderr, /replaces the existing \/etc\/systemd\/system\/tspm-odd\.service/)
    assert.equal(await isActive(machine, 'tspm-odd'), 'active')
    // A new supervisor restores its saved list through a short-lived `tspm resurrect` client of
    // its own (TSPM_RESTORE_INTO), also `... run.js resurrect`, until that client exits.
    let {supervisors} = await tspmProcesses(machine)
    if (supervisors.length !== 1) t.diagnostic(`right after the reinstall: ${JSON.stringify(supervisors)}`)
    await waitFor(
      async () => {
        supervisors = (await tspmProcesses(machine)).supervisors
        return supervisors.length === 1
      },
      {what: 'one supervisor after the reinstall', timeoutMs: 20_000},
    )

    // The same service name for another TSPM_HOME: refused, undone, the unit left as it was.
    const unitText = readFileSync(machine.hostPath(unitFile), 'utf8')
    const otherHome = '/home/alice/.tspm-other'
    const clash = await tspm(machine, ['startup', 'systemd', '-u', 'alice', '--service-name', 'tspm-odd'], {
      env: {TSPM_HOME: otherHome},
    })
    assert.equal(clash.code, 1)
    assert.ok(
      clash.stderr.includes(
        `already exists and belongs to TSPM_HOME=${oddHome}; choose another --service-name, or add --force`,
      ),
      clash.stderr,
    )
    assert.equal(readFileSync(machine.hostPath(unitFile), 'utf8'), unitText)
    assert.equal(
      existsSync(machine.hostPath(otherHome)),
      false,
      'the TSPM_HOME created for the attempt was removed again',
    )
    assert.equal(await isActive(machine, 'tspm-odd'), 'active')

    // --force replaces it; the old home's startup.json then points at a unit that is not its own.
    // (No PLATFORM: systemd is detected, as it runs here.)
    const forced = await tspm(machine, ['startup', '-u', 'alice', '--service-name', 'tspm-odd', '--force'], {
      env: {TSPM_HOME: otherHome},
    })
    assert.equal(forced.code, 0, forced.stderr)
    assert.match(
      readFileSync(machine.hostPath(unitFile), 'utf8'),
      /^Environment="TSPM_HOME=\/home\/alice\/\.tspm-other"$/m,
    )
    const stale = await tspm(machine, ['unstartup', '-u', 'alice'], {env: {TSPM_HOME: oddHome}})
    assert.equal(stale.code, 1)
    assert.match(stale.stderr, /belongs to TSPM_HOME=\/home\/alice\/\.tspm-other, not to .*; it was left alone/)
    assert.ok(existsSync(machine.hostPath(unitFile)))

    const removed = await tspm(machine, ['unstartup', '-u', 'alice'], {env: {TSPM_HOME: otherHome}})
    assert.equal(removed.code, 0, removed.stderr)
    assert.equal(existsSync(machine.hostPath(unitFile)), false)
    assert.deepEqual(readdirSync(machine.hostPath(UNIT_DIR)).sort(), unitsBefore)
    assert.deepEqual((await tspmProcesses(machine)).all, [], 'no tspm process is left')
  },
)

/**
 * A dump written by the real PM2 of the dev dependencies, on the host, of the two example apps
 * (web with a secret in its env, on `port`); the host checkout's paths in it made the container's.
 */
function pm2DumpOfExamples(t: TestContext, port: number, secret: string): string {
  const pm2 = join(dirname(createRequire(import.meta.url).resolve('pm2/package.json')), 'bin', 'pm2')
  const pm2Home = mkdtempSync(join(tmpdir(), 'pm2-home-'))
  const env = {...process.env, PM2_HOME: pm2Home}
  const run = (...args: string[]) => {
    const result = spawnSync(process.execPath, [pm2, ...args], {env, encoding: 'utf8', timeout: 60_000})
    assert.equal(result.status, 0, `pm2 ${args.join(' ')}: ${result.stderr}`)
  }

  t.after(() => {
    spawnSync(process.execPath, [pm2, 'kill'], {env, timeout: 30_000})
    rmSync(pm2Home, {recursive: true, force: true})
  })
  const ecosystem = join(pm2Home, 'ecosystem.config.js')
  writeFileSync(
    ecosystem,
    `module.exports = {apps: [
  {name: 'web', script: ${JSON.stringify(join(REPO_ROOT, 'examples', 'http-server.js'))}, env: {PORT: ${port}, GREETING: 'moved from pm2', API_TOKEN: '${secret}'}},
  {name: 'worker', script: ${JSON.stringify(join(REPO_ROOT, 'examples', 'worker.js'))}, args: '--interval 2000'},
]}\n`,
  )
  run('start', ecosystem)
  run('save')
  run('kill')
  return readFileSync(join(pm2Home, 'dump.pm2'), 'utf8').replaceAll(REPO_ROOT, TSPM_DIR)
}

test(
  'moving from PM2: import pm2, start, save, startup, reboot: back as under PM2, nothing secret in dump.json',
  {timeout: 300_000},
  async (t) => {
    if (!canBootHere(t)) return
    const port = await freePort()
    const secret = 'pm2-moved-s3cret'
    const dump = pm2DumpOfExamples(t, port, secret)
    const machine = await bootMachine(t, 'pm2-move')
    writeFileSync(machine.hostPath('/home/alice/dump.pm2'), dump)
    chownSync(machine.hostPath('/home/alice/dump.pm2'), 1000, 1000)

    // As alice: import, start the generated yaml, save; as root: startup.
    const imported = await tspmOk(machine, ['import', 'pm2', '/home/alice/dump.pm2', '-o', '/home/alice/tspm.yaml'], {
      user: 'alice',
    })
    assert.match(imported, /wrote \/home\/alice\/tspm\.yaml: web, worker/)
    assert.doesNotMatch(readFileSync(machine.hostPath('/home/alice/tspm.yaml'), 'utf8'), new RegExp(secret))
    assert.equal(statSync(machine.hostPath('/home/alice/web.env')).mode & 0o777, 0o600)
    await tspmOk(machine, ['start', '/home/alice/tspm.yaml'], {user: 'alice'})
    await waitFor(() => bothOnline(machine), {what: 'web and worker online after tspm start', timeoutMs: 20_000})
    await tspmOk(machine, ['save'], {user: 'alice'})
    await tspmOk(machine, ['startup', 'systemd', '-u', 'alice'])

    const back = await rebootUntilBack(machine)
    const script = `fetch('http://127.0.0.1:${port}/').then((r) => r.text()).then((t) => process.stdout.write(t))`
    const answer = JSON.parse(await machine.execOk([NODE, '-e', script], {user: 'alice'})) as {
      greeting: string
      pid: number
    }
    assert.deepEqual(answer, {
      greeting: 'moved from pm2',
      pid: back.find((entry) => entry.name === 'web')!.pid,
      path: '/',
    })
    const running = await tspmProcesses(machine)
    for (const proc of [...running.web, ...running.worker])
      assert.equal(proc.uid, 1000, `${proc.argv.join(' ')} runs as alice`)
    assert.doesNotMatch(readFileSync(machine.hostPath('/home/alice/.tspm/dump.json'), 'utf8'), new RegExp(secret))
  },
)
