// What the reboot tests share: the prepared root, the paths of tspm and node inside a booted
// machine, booting one with them mounted, running tspm in it, and reading its processes.
import assert from 'node:assert/strict'
import {appendFileSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {type TestContext} from 'node:test'

import {SUPERVISOR_NODE_FLAGS} from '../../src/model/supervisor-runtime.js'
import {REPO_ROOT} from '../helpers/cli.js'
import {needs} from '../helpers/needs.js'
import {openRepoView} from '../helpers/repo-view.js'
import {type BootOptions, Container, type ExecOptions, type ExecResult} from './container.js'

export const rootfs = process.env.TSPM_TEST_ROOTFS || join(REPO_ROOT, '.cache', 'bookworm-root')
/** Where the repository and node appear inside: paths any user can traverse (a CI clone may sit under /root). */
export const TSPM_DIR = '/opt/tspm'
export const NODE = '/usr/bin/node'
export const TSPM = `${TSPM_DIR}/bin/run.js`
/** The repository once more, at a path that needs quoting (no backslash: Node cannot load an ES module from such a path). */
export const ODD_TSPM_DIR = `/opt/t s$p%c"q'x`
/** The boot service's supervisor: `<runtime> [runtime flags] <tspm> resurrect`, as the guide says. */
export const resurrectArgv = (tspm: string) => [NODE, ...SUPERVISOR_NODE_FLAGS, tspm, 'resurrect']

/** False (skipped, or failed under CI) without what the machine boots from (`ready`, else `missing` says what) or without root. */
export function canBoot(t: TestContext, ready: boolean, missing: string): boolean {
  return needs(t, ready, missing) && needs(t, process.getuid?.() === 0, 'booting a container needs root')
}

/**
 * Boots a machine with the repository at /opt/tspm and the host's node at /usr/bin/node. The
 * harness binds host paths at the same path; fstab entries bind them again at the neutral paths,
 * at every boot, before any service starts.
 */
export async function bootMachine(
  t: TestContext,
  name: string,
  options: Pick<BootOptions, 'init' | 'layers'> = {},
): Promise<Container> {
  const started = Date.now()
  // alice must be able to enter the checkout, wherever CI cloned it.
  const view = openRepoView()
  let machine: Container
  try {
    machine = await Container.boot({rootfs, ...options, binds: [view.path, process.execPath], name})
  } catch (error) {
    view.close()
    throw error
  }

  t.after(async () => {
    await machine.stop()
    view.close()
  })
  const fstab = [`${view.path} ${TSPM_DIR} none bind,ro 0 0`]
  mkdirSync(machine.hostPath(TSPM_DIR), {recursive: true})
  if (process.execPath !== NODE) {
    writeFileSync(machine.hostPath(NODE), '')
    fstab.push(`${process.execPath} ${NODE} none bind,ro 0 0`)
  }

  appendFileSync(machine.hostPath('/etc/fstab'), `${fstab.join('\n')}\n`)
  // systemd reads fstab into mount units; OpenRC's mountall reads the file itself.
  if (options.init !== 'openrc') await machine.execOk(['systemctl', 'daemon-reload'])
  await machine.execOk(['mount', TSPM_DIR])
  if (process.execPath !== NODE) await machine.execOk(['mount', NODE])
  t.diagnostic(
    `booted ${machine.name}${options.init === 'openrc' ? ' (OpenRC)' : ''} in ${Date.now() - started} ms (log: ${machine.logPath})`,
  )
  return machine
}

export function tspm(machine: Container, args: string[], options: ExecOptions = {}): Promise<ExecResult> {
  return machine.exec([NODE, TSPM, ...args], {timeoutMs: 90_000, ...options, env: {NO_COLOR: '1', ...options.env}})
}

export async function tspmOk(machine: Container, args: string[], options: ExecOptions = {}): Promise<string> {
  const result = await tspm(machine, args, options)
  assert.equal(
    result.code,
    0,
    `tspm ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
  )
  return result.stdout
}

export interface MachineProcess {
  pid: number
  ppid: number
  uid: number
  argv: string[]
}

/** Every process inside the machine, read from its /proc by its own node. */
export async function processes(machine: Container): Promise<MachineProcess[]> {
  const script = `const fs = require('fs'); const list = [];
for (const pid of fs.readdirSync('/proc').filter((entry) => /^\\d+$/.test(entry) && entry !== String(process.pid))) {
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    list.push({pid: Number(pid), ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), uid: fs.statSync('/proc/' + pid).uid, argv: fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0').filter(Boolean)})
  } catch {}
}
console.log(JSON.stringify(list))`
  return JSON.parse(await machine.execOk([NODE, '-e', script]))
}
