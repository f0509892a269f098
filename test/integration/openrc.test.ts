// The OpenRC plugin (plugins/plugin-openrc, npm package tspm-openrc), linked into the built CLI
// with `tspm plugins link` in a private oclif data folder. Its init script is read by the real
// /bin/sh, and its eval'd variables through the very line of OpenRC's supervise-daemon.sh that
// starts the service. Installing needs OpenRC running (test/systemd/openrc-reboot.test.ts boots
// one): here it must refuse and change nothing.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, rmSync, writeFileSync} from 'node:fs'
import {userInfo} from 'node:os'
import {delimiter, join} from 'node:path'
import {test} from 'node:test'

import {readExportedVariable} from '../../plugins/plugin-openrc/src/init-script-syntax.js'
import {SUPERVISOR_NODE_FLAGS} from '../../src/model/supervisor-runtime.js'
import {BIN, jsonResult, REPO_ROOT, tempDir} from '../helpers/cli.js'
import {cliWithLinkedPlugin} from '../helpers/registry.js'

const PLUGIN_DIR = join(REPO_ROOT, 'plugins', 'plugin-openrc')
const IS_ROOT = process.getuid?.() === 0
const OPENRC_RUNS = existsSync('/run/openrc/softlevel')

/**
 * Sources the script in /bin/sh as openrc-run.sh does, then runs supervise-daemon.sh's start line
 * of OpenRC 0.45 (Debian bookworm's) with a stand-in that prints its argv; then what openrc-run
 * itself reads: rc_ulimit (word-split), TSPM_HOME, and the dependencies.
 */
function runScript(script: string): {argv: string[]; ulimit: string[]; tspmHome: string; depend: string} {
  const dir = tempDir('tspm-openrc-script-')
  try {
    const file = join(dir, 'tspm')
    writeFileSync(file, script)
    const harness = `set -e
RC_SVCNAME=tspm
need() { echo "need $*"; }
use() { echo "use $*"; }
after() { echo "after $*"; }
supervise_daemon() { for word; do printf '%s\\n' "$word"; done; }
. "$1"
test "$supervisor" = supervise-daemon
eval supervise_daemon "\${RC_SVCNAME}" --start \\
	\${retry:+--retry} $retry \\
	\${directory:+--chdir} $directory  \\
	\${chroot:+--chroot} $chroot \\
	\${output_log+--stdout} \${output_log} \\
	\${error_log+--stderr} $error_log \\
	\${pidfile:+--pidfile} $pidfile \\
	\${respawn_delay:+--respawn-delay} $respawn_delay \\
	\${respawn_max:+--respawn-max} $respawn_max \\
	\${respawn_period:+--respawn-period} $respawn_period \\
	\${command_user+--user} $command_user \\
	\${umask+--umask} $umask \\
	\${supervise_daemon_args:-\${start_stop_daemon_args}} \\
	$command \\
	-- $command_args $command_args_foreground
echo ---
for word in \${rc_ulimit}; do printf '%s\\n' "$word"; done
echo ---
printf '%s\\n' "$TSPM_HOME"
echo ---
depend
`
    const result = spawnSync('/bin/sh', ['-c', harness, 'harness', file], {encoding: 'utf8', cwd: '/'})
    assert.equal(result.status, 0, `sh could not run the init script: ${result.stderr}\n${script}`)
    const [argv, ulimit, tspmHome, depend] = result.stdout.split('---\n').map((part) => part.split('\n').slice(0, -1))
    return {argv: argv!, ulimit: ulimit!, tspmHome: tspmHome!.join('\n'), depend: depend!.join('\n')}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** A CLI with the OpenRC plugin linked in, in private oclif folders and a private TSPM_HOME. */
const linkedCli = (t: {after(fn: () => void): void}, homeName?: string) => cliWithLinkedPlugin(t, PLUGIN_DIR, homeName)

test('tspm startup openrc --print renders an init script that sh and supervise-daemon.sh read back exactly, for odd paths', async (t) => {
  const cli = await linkedCli(t, `tspm home 'q' "d" $x \\b`)
  const oddPath = `/opt/odd 'dir' "q" $y`
  const printed = await cli.run(['startup', 'openrc', '--print'], {PATH: `${oddPath}${delimiter}${process.env.PATH}`})
  assert.equal(printed.code, 0, printed.stderr)
  const script = printed.stdout
  assert.match(script, /^#!\/sbin\/openrc-run\n# Installed by `tspm startup openrc`/)
  assert.match(script, /^supervisor=supervise-daemon$/m)
  assert.match(script, /^respawn_delay=10$/m)
  assert.match(script, /^respawn_max=0$/m)
  // Default kill_timeout 1600 ms: 2 s, plus the margin, as the systemd unit's TimeoutStopSec.
  assert.match(script, /^retry=SIGTERM\/12\/SIGKILL\/5$/m)
  assert.match(script, /^rc_ulimit='-n 65536'$/m)

  const read = runScript(script)
  // The user startup would pick: SUDO_USER under sudo, else the caller; with their primary group.
  const expectedUser = IS_ROOT && process.env.SUDO_USER ? process.env.SUDO_USER : userInfo().username
  const userAndGroup = read.argv[read.argv.indexOf('--user') + 1]!
  assert.match(userAndGroup, new RegExp(`^${expectedUser}:[^:]+$`))
  const pathFlag = read.argv.indexOf('--env')
  const path = read.argv[pathFlag + 1]!
  assert.match(path, /^PATH=/)
  assert.ok(path.slice('PATH='.length).split(delimiter).includes(oddPath), path)
  assert.equal(path.slice('PATH='.length).split(delimiter)[0], join(process.execPath, '..'))
  assert.deepEqual(read.argv, [
    'tspm',
    '--start',
    '--retry',
    'SIGTERM/12/SIGKILL/5',
    '--chdir',
    read.argv[5],
    '--stdout',
    join(cli.home, 'openrc-stdout.log'),
    '--stderr',
    join(cli.home, 'openrc-stderr.log'),
    '--respawn-delay',
    '10',
    '--respawn-max',
    '0',
    '--user',
    userAndGroup,
    '--env',
    path,
    process.execPath,
    '--',
    ...SUPERVISOR_NODE_FLAGS,
    BIN,
    'resurrect',
  ])
  assert.match(read.argv[5]!, /^\//, 'the home folder, absolute')
  assert.deepEqual(read.ulimit, ['-n', '65536'])
  assert.equal(read.tspmHome, cli.home)
  // `use`, not `need`: nothing on Debian's OpenRC provides net.
  assert.equal(read.depend, 'use net')

  // Where it would go, and the TSPM_HOME it is for, read back as the ownership check does.
  const asJson = await cli.run(['startup', 'openrc', '--print', '--json'])
  assert.equal(asJson.code, 0, asJson.stderr)
  const answer = jsonResult<{platform: string; service_name: string; unit_path: string; unit: string}>(asJson.stdout)
  assert.deepEqual([answer.platform, answer.service_name, answer.unit_path], ['openrc', 'tspm', '/etc/init.d/tspm'])
  assert.equal(readExportedVariable(answer.unit, 'TSPM_HOME'), cli.home)
})

test('the init script is /etc/init.d/<service-name>', async (t) => {
  const cli = await linkedCli(t)
  const result = await cli.run(['startup', 'openrc', '--print', '--json', '--service-name', 'tspm-prod.api'])
  assert.equal(result.code, 0, result.stderr)
  assert.equal(jsonResult<{unit_path: string}>(result.stdout).unit_path, '/etc/init.d/tspm-prod.api')
})

test('values that openrc-run would change, or that no script can hold, are refused with a clear message', async (t) => {
  const cli = await linkedCli(t)
  const doubleSpace = await cli.run(['startup', 'openrc', '--print'], {TSPM_HOME: join(cli.home, 'two  spaces')})
  assert.equal(doubleSpace.code, 2, doubleSpace.stderr)
  assert.match(
    doubleSpace.stderr,
    /the stdout log path ".*two {2}spaces\/openrc-stdout\.log" contains two spaces in a row or one of \* \? \[, which openrc-run would change .*; nothing was changed/,
  )
  assert.equal(doubleSpace.stdout, '')
  const glob = await cli.run(['startup', 'openrc', '--print'], {TSPM_HOME: join(cli.home, 'star*')})
  assert.equal(glob.code, 2, glob.stderr)
  const control = await cli.run(['startup', 'openrc', '--print'], {TSPM_HOME: join(cli.home, 'tab\there')})
  assert.equal(control.code, 2, control.stderr)
  assert.match(control.stderr, /control character/)
})

test('on a machine OpenRC did not boot, installing says so and changes nothing', async (t) => {
  if (OPENRC_RUNS) return t.skip('OpenRC runs on this machine')
  const cli = await linkedCli(t)
  const existedBefore = existsSync('/etc/init.d/tspm')
  const result = await cli.run(['startup', 'openrc'])
  if (IS_ROOT) {
    assert.equal(result.code, 1, result.stderr)
    assert.match(result.stderr, /openrc is not the init system running on this machine .*nothing was changed/)
  } else {
    // Without root, the sudo command comes first.
    assert.equal(result.code, 5, result.stderr)
    assert.match(result.stderr, /sudo .* startup openrc -u /)
  }

  assert.equal(existsSync('/etc/init.d/tspm'), existedBefore, '/etc/init.d/tspm appeared')
  assert.equal(existsSync(join(cli.home, 'startup', 'startup.json')), false)
  // Nor is it what `tspm startup` without a platform picks here.
  const help = await cli.run(['startup', '--help'])
  assert.match(help.stdout, /^ {2}openrc +Linux OpenRC service, kept up by supervise-daemon$/m)
})
