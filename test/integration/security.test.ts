// What another local user (or a careless operator) can do to a home, and what tspm does about it:
// no debugger on SIGUSR1, signals handled on purpose, a home only its owner controls (root
// included), no symbolic link written through, a full disk survived.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import {join} from 'node:path'
import {test, type TestContext} from 'node:test'

import {REPO_ROOT, tempDir, TestHome} from '../helpers/cli.js'
import {needs} from '../helpers/needs.js'
import {isRunning, processesWithEnv} from '../helpers/procfs.js'
import {waitFor} from '../helpers/wait.js'

const APPS = join(REPO_ROOT, 'test', 'fixtures', 'apps')
const NOBODY = 65_534
const isRoot = process.geteuid?.() === 0

interface Listed {
  name: string
  pid: null | number
  status: string
  log_bytes_dropped: number
}

function supervisorPid(home: TestHome): number {
  return Number(readFileSync(home.paths.pidFile, 'utf8'))
}

function supervisorLog(home: TestHome): string {
  return existsSync(home.paths.supervisorLog) ? readFileSync(home.paths.supervisorLog, 'utf8') : ''
}

/** Ports some process of `pid` listens on, from /proc/net/tcp{,6} and the process's socket inodes. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>()
  const fdDir = `/proc/${pid}/fd`
  for (const fd of spawnSync('ls', [fdDir], {encoding: 'utf8'}).stdout.split('\n').filter(Boolean)) {
    const target = spawnSync('readlink', [join(fdDir, fd)], {encoding: 'utf8'}).stdout.trim()
    const match = /^socket:\[(\d+)\]$/.exec(target)
    if (match) inodes.add(match[1]!)
  }

  const ports: number[] = []
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      // st 0A is LISTEN; field 9 is the socket's inode.
      if (fields[3] === '0A' && inodes.has(fields[9]!)) ports.push(Number.parseInt(fields[1]!.split(':')[1]!, 16))
    }
  }

  return ports
}

test('SIGUSR1 opens no debugger: the supervisor says so, listens on no port, and keeps supervising', async (t) => {
  const home = TestHome.forTest(t)
  assert.equal((await home.run(['start', join(APPS, 'idle.js'), '--name', 'idle'])).code, 0)
  const pid = supervisorPid(home)
  process.kill(pid, 'SIGUSR1')
  await waitFor(() => supervisorLog(home).includes('received SIGUSR1; ignored'), {
    what: 'the supervisor to handle SIGUSR1',
  })
  assert.deepEqual(listeningPorts(pid), [], 'the supervisor listens on no TCP port (the inspector would be 9229)')
  assert.ok(isRunning(pid))
  assert.equal((await home.list<Listed>())[0]?.status, 'online')
})

test('SIGUSR2 reopens the log files (for logrotate): new output goes to a new file of the same name', async (t) => {
  const home = TestHome.forTest(t)
  assert.equal((await home.run(['start', join(APPS, 'signal-logger.js'), '--name', 'beats'])).code, 0)
  const log = join(home.paths.logsDir, 'beats-out.log')
  await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('beat 2'), {what: 'the first beats'})
  renameSync(log, `${log}.rotated`)
  process.kill(supervisorPid(home), 'SIGUSR2')
  await waitFor(() => existsSync(log) && /beat \d+\n/.test(readFileSync(log, 'utf8')), {
    what: 'beats in a new beats-out.log',
  })
  const moved = readFileSync(`${log}.rotated`, 'utf8').trim().split('\n').at(-1)!
  const fresh = readFileSync(log, 'utf8').trim().split('\n')[0]!
  assert.ok(Number(fresh.split(' ')[1]) > Number(moved.split(' ')[1]), `${fresh} comes after ${moved}`)
  assert.match(supervisorLog(home), /received SIGUSR2: reopening the log files/)
})

test('SIGHUP is ignored; SIGQUIT stops every app gracefully, as SIGTERM does', async (t) => {
  const home = TestHome.forTest(t)
  assert.equal((await home.run(['start', join(APPS, 'idle.js'), '--name', 'idle'])).code, 0)
  const pid = supervisorPid(home)
  process.kill(pid, 'SIGHUP')
  await waitFor(() => supervisorLog(home).includes('received SIGHUP; ignored'), {what: 'SIGHUP handled'})
  assert.ok(isRunning(pid))
  process.kill(pid, 'SIGQUIT')
  await waitFor(() => !isRunning(pid), {what: 'the supervisor to leave after SIGQUIT'})
  assert.match(supervisorLog(home), /received SIGQUIT[^]*supervisor stopped/)
  assert.deepEqual(processesWithEnv('TSPM_HOME', home.home), [], 'no app was orphaned')
})

/** Writes `file` until the file system it is on has no room left. */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w')
  const block = Buffer.alloc(64 * 1024, 1)
  try {
    for (;;) writeSync(fd, block)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
  } finally {
    closeSync(fd)
  }
}

/** A home the test owns as root, then hands to nobody or opens wide. */
function foreignHome(t: TestContext): TestHome {
  const home = TestHome.forTest(t)
  mkdirSync(home.paths.logsDir, {mode: 0o700})
  return home
}

test('a home of another user is refused, as root too, and nothing of it is run', async (t) => {
  if (!needs(t, isRoot, 'needs root to give a folder to another user')) return
  const home = foreignHome(t)
  writeFileSync(home.paths.dumpFile, '{}')
  chownSync(home.home, NOBODY, NOBODY)
  for (const args of [['list'], ['resurrect'], ['start', join(APPS, 'idle.js')], ['save', '--force'], ['logs', 'x']]) {
    const result = await home.run(args, {timeoutMs: 20_000})
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
    assert.match(
      result.stderr,
      new RegExp(`TSPM_HOME=${home.home} belongs to uid ${NOBODY}, not to you \\(uid 0\\)`),
      args.join(' '),
    )
  }

  assert.deepEqual(processesWithEnv('TSPM_HOME', home.home), [])
})

test('a home writable by others (0777) is refused with the chmod to run, and left as it is', async (t) => {
  const home = foreignHome(t)
  chmodSync(home.home, 0o777)
  const result = await home.run(['start', join(APPS, 'idle.js')])
  assert.equal(result.code, 2)
  assert.match(
    result.stderr,
    new RegExp(
      `TSPM_HOME=${home.home} is writable by its group and others \\(mode 0777\\): run chmod 700 ${home.home}`,
    ),
  )
  assert.equal(existsSync(home.paths.socket), false, 'no supervisor was started')
})

test('a file inside the home that belongs to another user is refused, as root too', async (t) => {
  if (!needs(t, isRoot, 'needs root to give a file to another user')) return
  const home = foreignHome(t)
  writeFileSync(home.paths.dumpFile, '{"format": "tspm-dump"}')
  chownSync(home.paths.dumpFile, NOBODY, NOBODY)
  const result = await home.run(['resurrect'], {timeoutMs: 20_000})
  assert.equal(result.code, 2)
  assert.match(result.stderr, new RegExp(`${home.paths.dumpFile} belongs to uid ${NOBODY}, not to you`))
  assert.deepEqual(processesWithEnv('TSPM_HOME', home.home), [])
})

test("a planted symbolic link at an app's log is never written through; the app keeps running", async (t) => {
  const home = TestHome.forTest(t)
  const victim = join(tempDir(), 'victim')
  writeFileSync(victim, 'precious\n')
  mkdirSync(home.paths.logsDir, {mode: 0o700})
  symlinkSync(victim, join(home.paths.logsDir, 'beats-out.log'))
  const started = await home.run(['start', join(APPS, 'signal-logger.js'), '--name', 'beats'])
  assert.equal(started.code, 0, started.stderr)
  await waitFor(() => supervisorLog(home).includes('is a symbolic link; tspm never writes through one'), {
    what: 'the refusal in tspm.log',
  })
  assert.match(
    supervisorLog(home),
    new RegExp(`beats: cannot open ${home.paths.logsDir}/beats-out\\.log: .*symbolic link`),
  )
  await waitFor(async () => (await home.list<Listed>())[0]!.log_bytes_dropped > 0, {
    what: 'the dropped output to be counted',
  })
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the link target is untouched')
  assert.equal((await home.list<Listed>())[0]!.status, 'online')
})

test('a symbolic link at tspm.log is refused before a supervisor starts, and its target is untouched', async (t) => {
  const home = TestHome.forTest(t)
  const victim = join(tempDir(), 'victim')
  writeFileSync(victim, 'precious\n')
  symlinkSync(victim, home.paths.supervisorLog)
  const result = await home.run(['start', join(APPS, 'idle.js')])
  assert.equal(result.code, 2)
  assert.match(
    result.stderr,
    new RegExp(`${home.paths.supervisorLog} is a symbolic link, which tspm never follows: remove it`),
  )
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n')
})

test('a full disk: the supervisor keeps answering, counts the dropped output, and logging resumes when space returns', async (t) => {
  if (!needs(t, isRoot, 'needs root to mount a small tmpfs')) return
  const mount = tempDir('tspm-full-disk-')
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mount])
  assert.equal(mounted.status, 0, String(mounted.stderr))
  const home = new TestHome('home-', mount)
  t.after(async () => {
    await home.cleanup()
    spawnSync('umount', ['-l', mount])
    rmSync(mount, {recursive: true, force: true})
  })
  // Logs capped at about 128 KB, so that once room is made the app cannot fill the disk again.
  const config = join(tempDir(), 'tspm.yaml')
  writeFileSync(
    config,
    `processes:\n  - name: flood\n    script: ${join(APPS, 'flood.js')}\n    max_log_size: 64K\n    log_files: 1\n`,
  )
  assert.equal((await home.run(['start', '-c', config])).code, 0)
  const log = join(home.paths.logsDir, 'flood-out.log')
  await waitFor(() => existsSync(log), {what: 'the app to log'})
  const ballast = join(home.home, 'ballast')
  fillDisk(ballast)

  const dropped = await waitFor(
    async () => {
      const [flood] = await home.list<Listed>()
      return flood!.status === 'online' && flood!.log_bytes_dropped > 0 ? flood!.log_bytes_dropped : undefined
    },
    {what: 'list to answer, with the dropped output counted'},
  )
  assert.ok(dropped > 0)
  // A change while status.json cannot be written: it is retried, so it never stays stale.
  assert.equal((await home.run(['restart', 'flood'])).code, 0)
  const restarted = (await home.list<Listed>())[0]!.pid
  // The table is written out at most twice a second: room is made once that write has failed.
  await waitFor(() => supervisorLog(home).includes(`cannot write ${home.paths.statusFile}: `), {
    what: 'the failed write of status.json in tspm.log',
  })

  rmSync(ballast)
  await waitFor(
    () =>
      (JSON.parse(readFileSync(home.paths.statusFile, 'utf8')) as {processes: Listed[]}).processes[0]?.pid ===
      restarted,
    {what: 'status.json to show the restarted pid once there is room'},
  )
  await waitFor(
    () => /flood: writing .*flood-out\.log again \(\d+ bytes of output dropped so far\)/.test(supervisorLog(home)),
    {
      what: 'logging to resume',
    },
  )
  // Said once each in tspm.log, when it could be written again.
  const said = supervisorLog(home)
  assert.equal(said.match(/flood: cannot write .*flood-out\.log: .*(ENOSPC|no space left)/gi)?.length, 1, said)
  assert.match(said, new RegExp(`cannot write ${home.paths.statusFile}: .*retrying every second until it can`))
  assert.match(said, new RegExp(`${home.paths.statusFile} is written again`))
  assert.equal((await home.run(['kill'])).code, 0)
})
