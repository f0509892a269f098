import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
// Smoke test of the systemd-nspawn harness: boot, run as root and as alice,
// install an enabled unit, reboot, check what survived, stop, and check that
// nothing is left behind.
//
// Needs root and the root built by test/systemd/prepare-rootfs.sh, found at
// $TSPM_TEST_ROOTFS or <repo>/.cache/bookworm-root. Without the env var and
// without that root the test is skipped; with the env var set it must exist.
import {test} from 'node:test'
import {fileURLToPath} from 'node:url'

import {needs} from '../helpers/needs.js'
import {isRunning} from '../helpers/procfs.js'
import {waitFor} from '../helpers/wait.js'
import {Container} from './container.js'

/** The repo root: the nearest ancestor with tspm's package.json (the test may run from a build dir). */
function findRepoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as {name?: string}).name === 'tspm-cli') return dir
      } catch {
        /* not ours */
      }
    }

    const parent = dirname(dir)
    if (parent === dir) return process.cwd()
    dir = parent
  }
}

const repoDir = findRepoDir()
const rootfsFromEnv = process.env.TSPM_TEST_ROOTFS
const rootfs = rootfsFromEnv || join(repoDir, '.cache', 'bookworm-root')

const UNIT = `[Unit]
Description=tspm harness smoke unit

[Service]
Type=oneshot
User=alice
# Uses the node bound in from the host, so it also checks binds exist at boot.
ExecStart=${process.execPath} -e "require('fs').writeFileSync('/home/alice/booted', require('fs').readFileSync('/proc/sys/kernel/random/boot_id'))"

[Install]
WantedBy=multi-user.target
`

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((mp) => mp === dir || mp.startsWith(dir + '/'))
}

/** PIDs of processes whose command line mentions `needle`. */
function processesMentioning(needle: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle)
      } catch {
        return false
      }
    })
    .map(Number)
}

test('boots systemd in nspawn, reboots keeping the overlay, stops cleanly', {timeout: 240_000}, async (t) => {
  const prepared = Boolean(rootfsFromEnv) || existsSync(join(rootfs, '.tspm-rootfs-complete'))
  if (
    !needs(
      t,
      prepared,
      `no prepared root at ${rootfs}: run test/systemd/prepare-rootfs.sh (as root) or set TSPM_TEST_ROOTFS`,
    )
  )
    return
  if (!needs(t, process.getuid?.() === 0, 'booting a container needs root')) return

  const bootStart = Date.now()
  const c = await Container.boot({rootfs, binds: [repoDir, process.execPath], name: 'smoke'})
  t.diagnostic(`booted ${c.name} in ${Date.now() - bootStart} ms; log ${c.logPath}`)
  const nspawnPids: number[] = [c.nspawnPid]
  const initPids: number[] = [c.pid]
  try {
    const state = (await c.exec(['systemctl', 'is-system-running'])).stdout.trim()
    if (state === 'degraded') t.diagnostic(await c.execOk(['systemctl', '--failed', '--no-legend']))
    assert.match(state, /^(running|degraded)$/)

    assert.ok((await c.systemdVersion()) >= 252)

    assert.match(await c.execOk(['id', 'alice']), /^uid=1000\(alice\) gid=1000\(alice\)/)
    assert.equal((await c.execOk(['id', '-un'], {user: 'alice'})).trim(), 'alice')
    assert.equal((await c.execOk(['printenv', 'HOME'], {user: 'alice'})).trim(), '/home/alice')
    assert.equal((await c.execOk(['pwd'], {user: 'alice'})).trim(), '/home/alice')
    // Binds: the host's node runs inside, and the repo is at the same path.
    assert.equal((await c.execOk([process.execPath, '--version'])).trim(), process.version)
    assert.equal((await c.exec(['test', '-f', join(repoDir, 'package.json')])).code, 0)
    // Non-zero exit codes are reported, not thrown.
    assert.equal((await c.exec(['sh', '-c', 'exit 7'])).code, 7)

    // State written before the reboot, from inside (as alice, via stdin) and from the host.
    await c.execOk(['tee', '/home/alice/marker'], {user: 'alice', input: 'survives\n'})
    assert.equal(readFileSync(c.hostPath('/home/alice/marker'), 'utf8'), 'survives\n')
    writeFileSync(c.hostPath('/etc/systemd/system/tspm-smoke.service'), UNIT)
    await c.execOk(['systemctl', 'daemon-reload'])
    await c.execOk(['systemctl', 'enable', 'tspm-smoke.service'])

    const bootIdBefore = (await c.execOk(['cat', '/proc/sys/kernel/random/boot_id'])).trim()
    const machineIdBefore = (await c.execOk(['cat', '/etc/machine-id'])).trim()
    const pidBefore = c.pid

    const rebootStart = Date.now()
    await c.reboot()
    t.diagnostic(`rebooted in ${Date.now() - rebootStart} ms`)
    nspawnPids.push(c.nspawnPid)
    initPids.push(c.pid)

    assert.equal(c.boots, 2)
    assert.notEqual(c.pid, pidBefore, 'PID 1 is a new process')
    assert.equal(readFileSync(c.hostPath('/home/alice/marker'), 'utf8'), 'survives\n')
    assert.equal((await c.execOk(['cat', '/home/alice/marker'])).trim(), 'survives')
    const bootIdAfter = (await c.execOk(['cat', '/proc/sys/kernel/random/boot_id'])).trim()
    assert.notEqual(bootIdAfter, bootIdBefore, 'boot id changed')
    assert.equal((await c.execOk(['cat', '/etc/machine-id'])).trim(), machineIdBefore, 'machine id kept')
    // The journal is persistent, so it lists both boots.
    // (journalctl 252 has no --no-legend for --list-boots: count the rows.)
    const boots = (await c.execOk(['journalctl', '--list-boots', '--no-pager']))
      .split('\n')
      .filter((l) => /^\s*-?\d+\s+[0-9a-f]{32}\s/.test(l))
    assert.ok(boots.length >= 2, `journal lists ${boots.length} boot(s)`)

    // The enabled unit ran at boot (as alice, with the bound node), in this boot.
    const booted = await waitFor(
      () => {
        const p = c.hostPath('/home/alice/booted')
        return existsSync(p) && readFileSync(p, 'utf8').trim() === bootIdAfter ? 'yes' : undefined
      },
      {what: 'tspm-smoke.service to record the new boot id', timeoutMs: 30_000},
    )
    assert.equal(booted, 'yes')
    assert.equal((await c.exec(['systemctl', 'is-active', 'tspm-smoke.service'])).stdout.trim(), 'inactive')
    assert.equal((await c.exec(['systemctl', 'is-failed', 'tspm-smoke.service'])).stdout.trim(), 'inactive')
  } catch (error) {
    t.diagnostic(`nspawn console log (tail):\n${c.readLog().slice(-4000)}`)
    throw error
  } finally {
    await c.stop()
  }

  await c.stop() // second call is a no-op
  for (const pid of [...nspawnPids, ...initPids]) assert.equal(isRunning(pid), false, `process ${pid} is gone`)
  assert.deepEqual(processesMentioning(c.name), [], 'no process mentions the machine name')
  assert.deepEqual(mountsUnder(c.dir), [], 'no mount left')
  assert.equal(existsSync(c.dir), false, 'temp dir removed')
})
