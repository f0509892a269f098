// `tspm startup openrc` on a real OpenRC (Debian bookworm with sysvinit-core and openrc, booted
// with systemd-nspawn), across a real reboot: start and save two apps as a user; link the
// tspm-openrc plugin (the registry install is tested in test/integration/registry-plugin.test.ts);
// `tspm startup openrc` as root; reboot; the apps are back, once, as that user, under
// supervise-daemon; `tspm unstartup openrc` removes the script and its runlevel entry. Plus the
// quoting of odd paths, read back through openrc-run's own eval.
//
// Needs root, the root of test/systemd/prepare-rootfs.sh and its OpenRC layer, made by
// test/systemd/prepare-openrc-layer.sh ($TSPM_TEST_ROOTFS, else <repo>/.cache/bookworm-root; the
// layer beside it, ROOT-openrc). Skipped when they are missing, except under CI.
import assert from 'node:assert/strict'
import {chownSync, existsSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test, type TestContext} from 'node:test'

import {jsonResult} from '../helpers/cli.js'
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

const openrcLayer = `${rootfs}-openrc`
const layerReady =
  existsSync(join(rootfs, '.tspm-rootfs-complete')) && existsSync(join(openrcLayer, '.tspm-openrc-layer-complete'))
const IDLE_APP = `${TSPM_DIR}/test/fixtures/apps/idle.js`
const SCRIPT = '/etc/init.d/tspm'
const ALICE_HOME = '/home/alice/.tspm'

const canBootHere = (t: TestContext) =>
  canBoot(
    t,
    layerReady,
    `no prepared root and OpenRC layer at ${rootfs} and ${openrcLayer}: run test/systemd/prepare-rootfs.sh and test/systemd/prepare-openrc-layer.sh (as root)`,
  )

/** Boots OpenRC (the bookworm root with its OpenRC layer) with tspm and node mounted. */
const bootOpenrc = (t: TestContext, name: string) => bootMachine(t, name, {layers: [openrcLayer], init: 'openrc'})

/** Links the plugin for root, who runs startup and unstartup. */
async function linkPlugin(machine: Container): Promise<void> {
  await tspmOk(machine, ['plugins', 'link', `${TSPM_DIR}/plugins/plugin-openrc`, '--no-install'])
}

/** Two idle apps in alice's config, told apart by their argument. */
function writeConfig(machine: Container): string {
  const file = '/home/alice/idle.yaml'
  writeFileSync(
    machine.hostPath(file),
    `processes:\n  - name: one\n    script: ${IDLE_APP}\n    args: [one]\n  - name: two\n    script: ${IDLE_APP}\n    args: [two]\n`,
  )
  chownSync(machine.hostPath(file), 1000, 1000)
  return file
}

async function tspmProcesses(machine: Container) {
  const list = await processes(machine)
  // Node processes only: supervise-daemon's own command line names tspm too.
  const ours = list.filter(
    ({argv}) =>
      argv[0] === NODE && argv.some((arg) => arg.startsWith(`${TSPM_DIR}/`) || arg.startsWith(`${ODD_TSPM_DIR}/`)),
  )
  return {
    list,
    all: ours,
    supervisors: ours.filter(({argv}) =>
      argv.some((arg) => arg.endsWith('/bin/run.js') || arg.endsWith('/supervisor/main.js')),
    ),
    one: ours.filter(({argv}) => argv.includes(IDLE_APP) && argv.at(-1) === 'one'),
    two: ours.filter(({argv}) => argv.includes(IDLE_APP) && argv.at(-1) === 'two'),
  }
}

interface Listed {
  name: string
  status: string
  pid: null | number
}

async function bothOnline(machine: Container, env: Record<string, string> = {}): Promise<Listed[] | undefined> {
  const listed = jsonResult<Listed[]>(await tspmOk(machine, ['list', '--json'], {user: 'alice', env}))
  const online = listed
    .filter((entry) => entry.status === 'online')
    .map((entry) => entry.name)
    .sort()
  return online.join(',') === 'one,two' ? listed : undefined
}

async function serviceStatus(machine: Container, name = 'tspm'): Promise<{code: number; said: string}> {
  const result = await machine.exec(['rc-service', name, 'status'])
  return {code: result.code, said: (result.stdout + result.stderr).trim()}
}

async function runlevelHas(machine: Container, name: string): Promise<boolean> {
  const shown = await machine.execOk(['rc-update', 'show', 'default'])
  return shown.split('\n').some((line) => line.split('|')[0]!.trim() === name)
}

/** The supervisor, once, run by supervise-daemon as alice, and each app once, as alice. */
async function checkRunningOnce(machine: Container, tspmEntry: string): Promise<MachineProcess> {
  // A new supervisor restores its list through a short-lived `tspm resurrect` client of its own
  // (also `... run.js resurrect`): one supervisor is left once that client is done.
  const running = await waitFor(
    async () => {
      const found = await tspmProcesses(machine)
      return found.supervisors.length === 1 ? found : undefined
    },
    {what: 'one supervisor', timeoutMs: 30_000},
  )
  const [supervisor] = running.supervisors
  assert.deepEqual(supervisor!.argv, resurrectArgv(tspmEntry))
  const parent = running.list.find(({pid}) => pid === supervisor!.ppid)
  assert.equal(parent?.argv[0], 'supervise-daemon', `the supervisor's parent: ${JSON.stringify(parent)}`)
  assert.equal(parent.uid, 0)
  assert.equal(running.one.length, 1, `one runs once: ${JSON.stringify(running.one)}`)
  assert.equal(running.two.length, 1, `two runs once: ${JSON.stringify(running.two)}`)
  for (const proc of [supervisor!, ...running.one, ...running.two])
    assert.equal(proc.uid, 1000, `${proc.argv.join(' ')} runs as alice`)
  return supervisor!
}

/** Soft and hard "Max open files" of a process inside. */
async function openFilesLimit(machine: Container, pid: number): Promise<{soft: number; hard: number}> {
  const limits = await machine.execOk(['cat', `/proc/${pid}/limits`])
  const match = /^Max open files\s+(\d+)\s+(\d+)/m.exec(limits)
  assert.ok(match, limits)
  return {soft: Number(match[1]), hard: Number(match[2])}
}

test(
  'save, startup openrc, reboot: the processes come back once, as the user; unstartup removes the script and the runlevel entry',
  {timeout: 300_000},
  async (t) => {
    if (!canBootHere(t)) return
    const scenarioStart = Date.now()
    const machine = await bootOpenrc(t, 'openrc')
    const startupJson = `${ALICE_HOME}/startup/startup.json`

    // 1. As alice: start two apps, save.
    const config = writeConfig(machine)
    await tspmOk(machine, ['start', '-c', config], {user: 'alice'})
    const byHand = await waitFor(() => bothOnline(machine), {what: 'one and two online', timeoutMs: 30_000})
    assert.match(await tspmOk(machine, ['save'], {user: 'alice'}), /saved 2 processes/)

    // 2. As root: the plugin, detected here; startup openrc.
    await linkPlugin(machine)
    const help = await tspmOk(machine, ['startup', '--help'])
    // Wrapped at the terminal's width: compared with its spaces and line breaks as one space.
    const platforms = (help.split(/^PLATFORMS\n/m)[1] ?? '').replaceAll(/\s+/g, ' ')
    assert.match(
      platforms,
      /\bopenrc Linux OpenRC service, kept up by supervise-daemon \(detected on this machine\) systemd /,
    )
    assert.match(
      platforms,
      /\bsystemd Linux systemd system service systemd-user /,
      'systemd is installed, but not what runs',
    )
    const installStart = Date.now()
    const installed = await tspm(machine, ['startup', 'openrc', '-u', 'alice'])
    assert.equal(installed.code, 0, `startup failed\nstdout: ${installed.stdout}\nstderr: ${installed.stderr}`)
    t.diagnostic(`startup openrc took ${Date.now() - installStart} ms; progress:\n${installed.stderr.trim()}`)
    assert.match(
      installed.stdout,
      /the openrc service "tspm" runs `tspm resurrect` as alice for TSPM_HOME=\/home\/alice\/\.tspm/,
    )
    assert.match(installed.stdout, /see it with: sudo rc-service tspm status/)
    assert.match(installed.stderr, /Hand over from the supervisor running for TSPM_HOME=\/home\/alice\/\.tspm/)

    // What was written: the script (0755, what --print shows), the runlevel entry, startup.json.
    const script = readFileSync(machine.hostPath(SCRIPT), 'utf8')
    assert.equal(statSync(machine.hostPath(SCRIPT)).mode & 0o777, 0o755)
    assert.equal(await tspmOk(machine, ['startup', 'openrc', '--print', '-u', 'alice']), script)
    assert.ok(await runlevelHas(machine, 'tspm'), 'tspm is in the default runlevel')
    const status = await serviceStatus(machine)
    assert.equal(status.code, 0, status.said)
    assert.match(status.said, /status: started/)
    const record = JSON.parse(readFileSync(machine.hostPath(startupJson), 'utf8'))
    assert.deepEqual(
      [record.platform, record.service_name, record.unit_path, record.user, record.tspm_home, record.start_command],
      ['openrc', 'tspm', SCRIPT, 'alice', ALICE_HOME, 'sudo rc-service tspm start'],
    )

    // The service's supervisor took over (new pids), with the environment the script gives it.
    const underService = await waitFor(() => bothOnline(machine), {
      what: 'one and two online under the service',
      timeoutMs: 30_000,
    })
    assert.notDeepEqual(underService.map((entry) => entry.pid).sort(), byHand.map((entry) => entry.pid).sort())
    const supervisor = await checkRunningOnce(machine, TSPM)
    const environ = (await machine.execOk(['cat', `/proc/${supervisor.pid}/environ`])).split('\0')
    assert.ok(environ.includes(`TSPM_HOME=${ALICE_HOME}`), environ.join('\n'))
    assert.ok(environ.includes('HOME=/home/alice'), environ.join('\n'))
    assert.ok(
      environ.some((line) => line.startsWith('PATH=/usr/bin:')),
      'the runtime folder leads the PATH',
    )
    assert.ok(!environ.some((line) => line.startsWith('PATH=/lib/rc/')), "openrc's helpers are not on its PATH")
    assert.equal((await machine.execOk(['readlink', `/proc/${supervisor.pid}/cwd`])).trim(), '/home/alice')
    // Its own output goes to TSPM_HOME, in files alice owns.
    assert.equal(statSync(machine.hostPath(`${ALICE_HOME}/openrc-stderr.log`)).uid, 1000)

    // 3. Reboot: everything comes back by itself.
    const rebootStart = Date.now()
    await machine.reboot()
    t.diagnostic(`OpenRC booted again ${Date.now() - rebootStart} ms after reboot`)
    const afterReboot = await waitFor(() => bothOnline(machine), {
      what: 'one and two online after the reboot',
      timeoutMs: 60_000,
    })
    t.diagnostic(`one and two online ${Date.now() - rebootStart} ms after reboot`)
    assert.equal(machine.boots, 2)
    const back = await checkRunningOnce(machine, TSPM)
    assert.notEqual(back.pid, supervisor.pid)
    assert.equal((await tspmProcesses(machine)).one[0]!.pid, afterReboot.find((entry) => entry.name === 'one')!.pid)
    assert.equal((await serviceStatus(machine)).code, 0)

    // rc_ulimit: 65536 open files (Node raises its soft limit to the hard one). Where root may not
    // raise the hard limit above init's (no CAP_SYS_RESOURCE, as in some CI sandboxes), openrc-run
    // says so on the console at boot, and the limit stays init's.
    const init = await openFilesLimit(machine, 1)
    const limits = await openFilesLimit(machine, back.pid)
    t.diagnostic(`open files: init ${init.soft}/${init.hard}, the supervisor ${limits.soft}/${limits.hard}`)
    if (init.hard >= 65_536) {
      assert.deepEqual(limits, {soft: 65_536, hard: 65_536})
    } else {
      assert.equal(limits.hard, init.hard)
      assert.match(machine.readLog(), /tspm: unable to apply RC_ULIMIT settings/)
    }

    // 4. A supervisor that dies is started again by supervise-daemon (after its 10 s delay).
    await machine.execOk(['kill', '-KILL', String(back.pid)])
    const respawned = await waitFor(
      async () => {
        const {supervisors} = await tspmProcesses(machine)
        return supervisors.length === 1 && supervisors[0]!.pid !== back.pid ? supervisors[0] : undefined
      },
      {what: 'supervise-daemon to start the supervisor again', timeoutMs: 60_000},
    )
    await waitFor(() => bothOnline(machine), {what: 'one and two online after the respawn', timeoutMs: 30_000})
    await checkRunningOnce(machine, TSPM)
    t.diagnostic(`respawned as pid ${respawned.pid}`)

    // 5. unstartup, as `sudo tspm unstartup openrc` run by alice.
    const removed = await tspm(machine, ['unstartup', 'openrc'], {env: {SUDO_USER: 'alice'}})
    assert.equal(removed.code, 0, `unstartup failed\nstdout: ${removed.stdout}\nstderr: ${removed.stderr}`)
    assert.match(removed.stdout, /removed the openrc service "tspm" of alice/)
    assert.equal(existsSync(machine.hostPath(SCRIPT)), false, 'the init script is gone')
    assert.equal(await runlevelHas(machine, 'tspm'), false, 'not in the default runlevel any more')
    assert.equal(existsSync(machine.hostPath('/etc/runlevels/default/tspm')), false)
    assert.equal(existsSync(machine.hostPath(startupJson)), false, 'startup.json is gone')
    assert.ok(existsSync(machine.hostPath(`${ALICE_HOME}/dump.json`)), 'the saved list is kept')
    assert.deepEqual((await tspmProcesses(machine)).all, [], 'no tspm process is left')
    assert.ok(
      !(await processes(machine)).some(({argv}) => argv[0] === 'supervise-daemon'),
      'no supervise-daemon is left',
    )
    t.diagnostic(`whole scenario: ${Date.now() - scenarioStart} ms`)
  },
)

test(
  "openrc-run's eval reads back every quoted value; a value it would change is refused",
  {timeout: 300_000},
  async (t) => {
    if (!canBootHere(t)) return
    const machine = await bootOpenrc(t, 'openrc-quoting')
    await linkPlugin(machine)

    // A TSPM_HOME (space, both quotes, a dollar, a backslash, a percent) and a tspm path (the
    // same but the backslash, which Node cannot load an ES module from): through sh, and (all but
    // TSPM_HOME) through supervise-daemon.sh's eval.
    const oddHome = `/home/alice/we ird"q's%h$x\\y`
    await machine.execOk(['mkdir', ODD_TSPM_DIR])
    await machine.execOk(['mount', '--bind', TSPM_DIR, ODD_TSPM_DIR])
    const oddTspm = `${ODD_TSPM_DIR}/bin/run.js`
    const installed = await machine.exec(
      [NODE, oddTspm, 'startup', 'openrc', '-u', 'alice', '--service-name', 'tspm-odd'],
      {env: {TSPM_HOME: oddHome, NO_COLOR: '1'}, timeoutMs: 90_000},
    )
    assert.equal(installed.code, 0, `stdout: ${installed.stdout}\nstderr: ${installed.stderr}`)
    const {supervisors} = await waitFor(
      async () => {
        const found = await tspmProcesses(machine)
        return found.supervisors.length === 1 ? found : undefined
      },
      {what: 'the supervisor of tspm-odd', timeoutMs: 30_000},
    ).catch(async (error: unknown) => {
      const status = await serviceStatus(machine, 'tspm-odd')
      const log = await machine.exec(['cat', `${oddHome}/openrc-stderr.log`])
      const all = (await processes(machine)).map(({argv}) => argv.join(' '))
      throw new Error(`${(error as Error).message}\n${status.said}\n${log.stdout}\n${all.join('\n')}`)
    })
    const [supervisor] = supervisors
    assert.deepEqual(supervisor!.argv, resurrectArgv(oddTspm))
    const environ = (await machine.execOk(['cat', `/proc/${supervisor!.pid}/environ`])).split('\0')
    assert.ok(environ.includes(`TSPM_HOME=${oddHome}`), environ.join('\n'))
    assert.equal((await machine.execOk(['readlink', `/proc/${supervisor!.pid}/cwd`])).trim(), '/home/alice')
    await waitFor(() => existsSync(machine.hostPath(`${oddHome}/tspm.sock`)), {
      what: 'the supervisor to listen in that TSPM_HOME',
      timeoutMs: 30_000,
    })
    assert.ok(existsSync(machine.hostPath(`${oddHome}/openrc-stdout.log`)), 'its output goes to that TSPM_HOME')

    // Installing again over our own script: replaced, handed over from the service's own
    // supervisor (which supervise-daemon would start again in 10 s), restarted with the new script.
    const again = await tspm(machine, ['startup', 'openrc', '-u', 'alice', '--service-name', 'tspm-odd'], {
      env: {TSPM_HOME: oddHome},
    })
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stderr, /replaces the existing \/etc\/init\.d\/tspm-odd/)
    assert.equal((await serviceStatus(machine, 'tspm-odd')).code, 0)
    const reinstalled = await waitFor(
      async () => {
        const found = (await tspmProcesses(machine)).supervisors
        return found.length === 1 && found[0]!.pid !== supervisor!.pid ? found[0] : undefined
      },
      {what: 'one new supervisor after the reinstall', timeoutMs: 30_000},
    )
    // This time installed by the tspm at /opt/tspm, which the new script runs.
    assert.deepEqual(reinstalled.argv, resurrectArgv(TSPM))

    const removed = await tspm(machine, ['unstartup', 'openrc', '-u', 'alice'], {env: {TSPM_HOME: oddHome}})
    assert.equal(removed.code, 0, removed.stderr)
    assert.equal(existsSync(machine.hostPath('/etc/init.d/tspm-odd')), false)
    assert.deepEqual((await tspmProcesses(machine)).all, [], 'no tspm process is left')

    // Two spaces in a row would come out of the eval as one: refused before anything is written.
    // (No PLATFORM: openrc is detected, as it runs here.)
    const refused = await tspm(machine, ['startup', '-u', 'alice'], {
      env: {TSPM_HOME: '/home/alice/two  spaces'},
    })
    assert.equal(refused.code, 2, refused.stderr)
    assert.match(refused.stderr, /two spaces in a row or one of \* \? \[, which openrc-run would change/)
    assert.equal(existsSync(machine.hostPath(SCRIPT)), false)
    assert.equal(await runlevelHas(machine, 'tspm'), false)
  },
)
