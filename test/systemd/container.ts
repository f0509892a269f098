// Test harness: boot a real systemd (Debian bookworm) in a systemd-nspawn
// container on a throw-away overlay of a cached root built by
// prepare-rootfs.sh, run commands inside, reboot it, and tear it all down.
//
// Works without systemd on the host (no machined, no D-Bus): the container is
// started with --register=no --keep-unit and reached with nsenter through the
// host PID of its PID 1. Needs root.
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {
  appendFileSync,
  closeSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import {access, mkdir, mkdtemp, readdir, readFile, rm, rmdir, statfs} from 'node:fs/promises'
import {constants as osConstants, tmpdir} from 'node:os'
import {isAbsolute, join, resolve} from 'node:path'

import {isRunning} from '../helpers/procfs.js'
import {WaitAbort, waitFor} from '../helpers/wait.js'

export interface BootOptions {
  /** Root built by prepare-rootfs.sh; used read-only as the overlay's lower dir. */
  rootfs: string
  /** Host paths bound read-only into the container at the same path. */
  binds?: string[]
  /** Short name used in the machine name / hostname (default "c"). */
  name?: string
  /** Where the per-container temp dir is created (default os.tmpdir()). Must not be on overlayfs. */
  workDir?: string
  /** Deadline for the boot to reach running/degraded (default 60 s). */
  bootTimeoutMs?: number
  /**
   * Read-only layers stacked over rootfs, topmost first: e.g. the OpenRC layer made by
   * prepare-openrc-layer.sh, which swaps systemd-sysv for sysvinit-core and openrc.
   */
  layers?: string[]
  /**
   * What PID 1 is: systemd (`--boot`, the default), or sysvinit's /sbin/init, which runs OpenRC
   * (the root needs the OpenRC layer). Booted means running/degraded for systemd, and for OpenRC
   * that it has reached and finished the default runlevel.
   */
  init?: InitSystem
}

export type InitSystem = 'openrc' | 'systemd'

export interface ExecOptions {
  /** Run as this user of the container (looked up in its /etc/passwd); default root. */
  user?: string
  /** Extra environment on top of the clean one (PATH, HOME, USER, LOGNAME, SHELL...). */
  env?: Record<string, string>
  /** Written to the command's stdin (otherwise stdin is /dev/null). */
  input?: string
  /** Working directory inside the container (default: the user's home). */
  cwd?: string
  /** Kill the command (and its process group) and throw after this long (default 60 s). */
  timeoutMs?: number
}

export interface ExecResult {
  /** Exit code; 128+N when killed by signal N. */
  code: number
  stdout: string
  stderr: string
}

interface PasswdEntry {
  name: string
  uid: number
  gid: number
  home: string
  shell: string
}

const CLEAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
/** systemd-nspawn's exit code when the container asked for a reboot. */
const NSPAWN_REBOOT_EXIT = 133
const READY_STATES = new Set(['degraded', 'running'])
/** Prefix of the per-container temp dirs (also used to find stale ones). */
const DIR_PREFIX = 'tspm-nspawn-'
/** Where nspawn keeps per-machine state; it is left behind when nspawn is killed. */
const NSPAWN_RUN_DIR = '/run/systemd/nspawn'
/** statfs f_type of overlayfs. */
const OVERLAYFS_MAGIC = 0x79_4c_76_30

/** Containers not yet stopped, for the last-resort cleanup at process exit. */
const live = new Set<Container>()
let exitHookInstalled = false

export class Container {
  /** Machine name (also the initial hostname nspawn sets). */
  readonly name: string
  /** Per-container temp dir holding upper/, work/, merged/ and the log. */
  readonly dir: string
  /** The merged root as seen from the host: read (or write) container files here. */
  readonly rootDir: string
  /** Overlay upper dir: everything the container changed, kept across reboots. */
  readonly upperDir: string
  /** systemd-nspawn's console output (all boots appended). */
  readonly logPath: string
  readonly rootfs: string
  readonly binds: readonly string[]
  readonly layers: readonly string[]
  readonly init: InitSystem
  /** Number of boots so far (1 after boot(), +1 per reboot()). */
  boots = 0
  private readonly workDirOverlay: string
  private readonly bootTimeoutMs: number
  private mounted = false
  /** cgroup dirs (one per hierarchy nspawn cares about) the nspawn process is put in. */
  private cgroupDirs: string[] = []
  private nspawn: ChildProcess | undefined
  private nspawnExit: Promise<{code: null | number; signal: NodeJS.Signals | null}> | undefined
  private exited = true
  private pid1 = 0
  private stopPromise: Promise<void> | undefined
  /** nspawn's lock file for our root dir (see nspawnLeftovers). */
  private lockFile: string | undefined

  private constructor(dir: string, opts: BootOptions) {
    this.dir = dir
    this.rootfs = resolve(opts.rootfs)
    this.binds = (opts.binds ?? []).map((b) => resolve(b))
    this.layers = (opts.layers ?? []).map((l) => resolve(l))
    this.init = opts.init ?? 'systemd'
    const suffix = randomBytes(3).toString('hex')
    this.name = `tspm-${(opts.name ?? 'c').replaceAll(/[^a-zA-Z0-9-]/g, '-').slice(0, 40)}-${suffix}`
    this.rootDir = join(dir, 'merged')
    this.upperDir = join(dir, 'upper')
    this.workDirOverlay = join(dir, 'work')
    this.logPath = join(dir, 'nspawn.log')
    this.bootTimeoutMs = opts.bootTimeoutMs ?? 60_000
  }

  /** Host PID of the container's PID 1 (systemd) for the current boot. */
  get pid(): number {
    return this.pid1
  }

  /** Host PID of the systemd-nspawn process for the current boot (0 when not running). */
  get nspawnPid(): number {
    return this.exited ? 0 : (this.nspawn?.pid ?? 0)
  }

  /** nspawn's image lock file (for the synchronous exit cleanup; internal). */
  get nspawnLockFile(): string | undefined {
    return this.lockFile
  }

  /** cgroups of the current boot (for the synchronous exit cleanup; internal). */
  get cgroupPaths(): readonly string[] {
    return this.cgroupDirs
  }

  /** The nspawn console log so far (systemd's status lines of every boot). */
  readLog(): string {
    try {
      return readFileSync(this.logPath, 'utf8')
    } catch {
      return ''
    }
  }

  /**
   * Host path of a path inside the container (through the merged overlay).
   * Symlinks are resolved by the host: an absolute symlink inside the
   * container (e.g. /var/run -> /run) leads out to the host's file.
   */
  hostPath(insidePath: string): string {
    if (!isAbsolute(insidePath)) throw new Error(`not an absolute path: ${insidePath}`)
    return join(this.rootDir, insidePath)
  }

  /** Creates a fresh overlay over `opts.rootfs`, boots it and waits for systemd to be up. */
  static async boot(opts: BootOptions): Promise<Container> {
    if (process.getuid?.() !== 0) throw new Error('Container.boot needs root (mount, systemd-nspawn, nsenter)')
    const rootfs = resolve(opts.rootfs)
    const binds = (opts.binds ?? []).map((b) => resolve(b))
    await access(join(rootfs, 'usr/lib/systemd/systemd')).catch(() => {
      throw new Error(`${rootfs} does not look like a prepared root; run test/systemd/prepare-rootfs.sh`)
    })
    const layers = (opts.layers ?? []).map((l) => resolve(l))
    // Overlay options and nspawn's --bind-ro use ',' and ':' as separators.
    for (const p of [rootfs, ...layers, ...binds]) checkPlainPath(p)

    const workDir = resolve(opts.workDir ?? tmpdir())
    // overlayfs can't use an upper dir that is itself on overlayfs (e.g. a
    // Docker container's /tmp).
    if ((await statfs(workDir)).type === OVERLAYFS_MAGIC) {
      throw new Error(`workDir ${workDir} is on overlayfs, which can't hold an overlay upper dir; pass another workDir`)
    }

    // The owner's PID is part of the name so that cleanupStale() in another
    // test process can tell live containers from leftovers without a race.
    const dir = await mkdtemp(join(workDir, `${DIR_PREFIX}${process.pid}-`))
    checkPlainPath(dir)
    const c = new Container(dir, opts)
    live.add(c)
    installExitHook()
    try {
      await Promise.all([mkdir(c.upperDir), mkdir(c.workDirOverlay), mkdir(c.rootDir)])
      await run('mount', [
        '-t',
        'overlay',
        'overlay',
        '-o',
        `lowerdir=${[...layers, rootfs].join(':')},upperdir=${c.upperDir},workdir=${c.workDirOverlay}`,
        c.rootDir,
      ])
      c.mounted = true
      // nspawn locks the image as /run/systemd/nspawn/locks/inode-DEV:INO.
      const st = statSync(c.rootDir)
      c.lockFile = join(NSPAWN_RUN_DIR, 'locks', `inode-${st.dev}:${st.ino}`)
      // Lets cleanupStale() find nspawn's /run leftovers of a killed run.
      writeFileSync(join(dir, 'machine'), `${c.name}\n${c.lockFile}\n`)
      await c.start()
      return c
    } catch (error) {
      await c.stop().catch((error_: unknown) => {
        // Keep the boot failure as the main error; mention the cleanup one.
        ;(error as Error).message += `\n(cleanup after failed boot also failed: ${String(error_)})`
      })
      throw error
    }
  }

  /** Starts systemd-nspawn on the (already mounted) overlay and waits until systemd is up. */
  private async start(): Promise<void> {
    this.cgroupDirs = await makeCgroups(this.name)
    const args = [
      // Without --boot nspawn runs the command given last as PID 1 (--boot would pick systemd).
      ...(this.init === 'systemd' ? ['--boot'] : []),
      `--directory=${this.rootDir}`,
      `--machine=${this.name}`,
      // No machined on the host: don't register, stay in our own cgroup.
      '--register=no',
      '--keep-unit',
      // The container's console (systemd status lines) streams into the log.
      // ('passive' leaves the pty unread until nspawn exits, so the log of a
      // running boot would stay empty and a chatty console could fill up.)
      '--console=read-only',
      '--private-network',
      // Never touch the host's /var/log/journal.
      '--link-journal=no',
      ...this.binds.map((b) => `--bind-ro=${b}`),
      ...(this.init === 'openrc' ? ['/sbin/init'] : []),
    ]
    // nspawn with --keep-unit creates "supervisor" and "payload" cgroups below
    // its own cgroup. On this host that is the root cgroup, so two containers
    // would share /payload; a tiny fixed wrapper moves itself into a cgroup of
    // our own first. Paths and args are passed as arguments, never spliced in.
    const wrapper = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1"; shift; n=$((n-1)); done; exec "$@"'
    const procsFiles = this.cgroupDirs.map((d) => join(d, 'cgroup.procs'))
    const logFd = openSync(this.logPath, 'a')
    let child: ChildProcess
    try {
      child = spawn(
        '/bin/sh',
        ['-c', wrapper, 'nspawn-wrapper', String(procsFiles.length), ...procsFiles, 'systemd-nspawn', ...args],
        {
          // stdio must not be pipes: the container would inherit them and the
          // caller's pipe would never close.
          stdio: ['ignore', logFd, logFd],
          env: {PATH: CLEAN_PATH, SYSTEMD_LOG_LEVEL: 'info'},
          cwd: '/',
        },
      )
    } finally {
      closeSync(logFd)
    }

    this.nspawn = child
    this.exited = false
    this.pid1 = 0
    this.nspawnExit = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        this.exited = true
        resolveExit({code, signal})
      })
      child.once('error', (err) => {
        this.exited = true
        appendLog(this.logPath, `spawn error: ${err.message}`)
        resolveExit({code: null, signal: null})
      })
    })
    // Don't let a forgotten container keep the test process alive; the exit
    // hook cleans up.
    child.unref()
    this.boots++

    const deadline = Date.now() + this.bootTimeoutMs
    const remaining = () => Math.max(1, deadline - Date.now())
    this.pid1 = await waitFor(
      () => {
        this.assertNspawnAlive('to start the container')
        return findContainerInit(child.pid!)
      },
      {what: `PID 1 of container ${this.name} (log: ${this.logPath})`, timeoutMs: remaining(), intervalMs: 20},
    )
    if (this.init === 'openrc') {
      await waitFor(
        async () => {
          this.assertNspawnAlive('to boot')
          return this.openrcBooted()
        },
        {what: `OpenRC in ${this.name} to finish the default runlevel (log: ${this.logPath})`, timeoutMs: remaining()},
      )
      return
    }

    await waitFor(
      async () => {
        this.assertNspawnAlive('to boot')
        const r = await this.exec(['systemctl', 'is-system-running'], {timeoutMs: 10_000})
        const state = r.stdout.trim()
        if (state === 'maintenance')
          throw new WaitAbort(`container ${this.name} entered maintenance mode; log: ${this.logPath}`)
        return READY_STATES.has(state) ? state : undefined
      },
      {what: `systemd in ${this.name} to be running or degraded (log: ${this.logPath})`, timeoutMs: remaining()},
    )
  }

  /**
   * OpenRC is booted once it has entered the default runlevel (/run/openrc/softlevel, which
   * openrc-run itself checks) and no `openrc` run is still starting that runlevel's services.
   */
  private async openrcBooted(): Promise<boolean> {
    // /run is the container's own tmpfs: read it from inside.
    const softlevel = await this.exec(['cat', '/run/openrc/softlevel'], {timeoutMs: 10_000})
    if (softlevel.stdout.trim() !== 'default') return false
    return (await this.exec(['pgrep', '-x', 'openrc'], {timeoutMs: 10_000})).code === 1
  }

  private assertNspawnAlive(doingWhat: string): void {
    if (this.exited) {
      throw new WaitAbort(`systemd-nspawn exited while waiting ${doingWhat}; last log lines:\n${tailLog(this.logPath)}`)
    }
  }

  /**
   * Runs argv inside the container (all namespaces of its PID 1) with a clean
   * environment, as root or as `opts.user`. Resolves with the exit code and
   * output; throws only if the command could not be run or timed out.
   */
  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new Error('exec: empty argv')
    if (argv[0]!.includes('=')) throw new Error(`exec: command name must not contain '=': ${argv[0]}`)
    if (this.exited || this.pid1 === 0) throw new Error(`exec: container ${this.name} is not running`)

    const user = opts.user && opts.user !== 'root' ? await this.lookupUser(opts.user) : undefined
    const env: Record<string, string> = {
      PATH: CLEAN_PATH,
      HOME: user?.home ?? '/root',
      USER: user?.name ?? 'root',
      LOGNAME: user?.name ?? 'root',
      SHELL: user?.shell ?? '/bin/bash',
    }
    if (user) {
      // What pam_systemd would give a login session; needed by `systemctl --user`.
      env.XDG_RUNTIME_DIR = `/run/user/${user.uid}`
      env.DBUS_SESSION_BUS_ADDRESS = `unix:path=/run/user/${user.uid}/bus`
    }

    for (const [k, v] of Object.entries(opts.env ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`exec: bad environment variable name: ${k}`)
      env[k] = v
    }

    // nsenter (host binary) -> env (container's) -> [setpriv ->] command.
    const inner = [
      '/usr/bin/env',
      '-i',
      `--chdir=${opts.cwd ?? env.HOME}`,
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      ...(user ? ['/usr/bin/setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--'] : []),
      ...argv,
    ]
    const full = ['-t', String(this.pid1), '-a', '--', ...inner]
    return runCapture('nsenter', full, {input: opts.input, timeoutMs: opts.timeoutMs ?? 60_000, label: argv.join(' ')})
  }

  /** Like exec, but throws (with output) unless the exit code is 0; returns stdout. */
  async execOk(argv: string[], opts: ExecOptions = {}): Promise<string> {
    const r = await this.exec(argv, opts)
    if (r.code !== 0) {
      throw new Error(
        `command failed in ${this.name} (exit ${r.code}${opts.user ? `, user ${opts.user}` : ''}): ${argv.join(' ')}\n` +
          `stdout: ${r.stdout}\nstderr: ${r.stderr}`,
      )
    }

    return r.stdout
  }

  /** Major version of the container's systemd, from `systemctl --version` (e.g. 252). */
  async systemdVersion(): Promise<number> {
    const out = await this.execOk(['systemctl', '--version'])
    const m = /^systemd (\d+)/.exec(out)
    if (!m) throw new Error(`unexpected systemctl --version output: ${out}`)
    return Number(m[1])
  }

  /**
   * `systemctl reboot` (OpenRC: sysvinit's `reboot`) inside, wait for nspawn
   * to exit with 133, then boot again on the same overlay (so files written
   * before survive) and wait until the init system has booted.
   */
  async reboot(opts: {timeoutMs?: number} = {}): Promise<void> {
    const exit = this.nspawnExit
    if (!exit || this.exited) throw new Error(`reboot: container ${this.name} is not running`)
    const command = this.init === 'openrc' ? ['reboot'] : ['systemctl', 'reboot']
    const r = await this.exec(command, {timeoutMs: 30_000})
    // The connection may drop while the system goes down; only a failure
    // with the system still up is an error.
    if (r.code !== 0 && !this.exited) {
      throw new Error(`${command.join(' ')} failed (exit ${r.code}): ${r.stderr}`)
    }

    const result = await withTimeout(
      exit,
      opts.timeoutMs ?? 60_000,
      `systemd-nspawn of ${this.name} to exit after reboot`,
    )
    if (result.code !== NSPAWN_REBOOT_EXIT) {
      throw new Error(
        `systemd-nspawn exited with ${result.code ?? result.signal} after reboot, expected ${NSPAWN_REBOOT_EXIT}; log:\n${tailLog(this.logPath)}`,
      )
    }

    await this.removeCgroups()
    removeNspawnLeftovers(this.name, this.lockFile)
    await this.start()
  }

  /**
   * Powers the container off (SIGKILL after a deadline), unmounts the overlay
   * and removes the temp dir and cgroups. Safe to call more than once and
   * after a failed boot.
   */
  stop(): Promise<void> {
    this.stopPromise ??= this.doStop()
    return this.stopPromise
  }

  private async doStop(): Promise<void> {
    const errors: unknown[] = []
    const attempt = async (fn: () => Promise<void>) => {
      try {
        await fn()
      } catch (error) {
        errors.push(error)
      }
    }

    if (!this.exited && this.nspawnExit) {
      const exit = this.nspawnExit
      let asked = false
      if (this.pid1) {
        // Ask for a clean poweroff; systemctl's `--no-block` returns at once,
        // as sysvinit's poweroff does (it only tells init). If even that hangs
        // or fails, go straight to killing.
        const command = this.init === 'openrc' ? ['poweroff'] : ['systemctl', 'poweroff', '--no-block']
        const r = await this.exec(command, {timeoutMs: 5000}).catch(() => {})
        asked = r?.code === 0 || this.exited
      }

      const clean =
        asked &&
        (await withTimeout(exit, 20_000, 'poweroff').then(
          () => true,
          () => false,
        ))
      if (!clean) {
        appendLog(this.logPath, 'harness: no clean poweroff, killing the container')
        // Killing PID 1 kills everything in its PID namespace, and nspawn then
        // reaps it and exits by itself. (Killing nspawn first would leave
        // PID 1 to the host's init, a slow reaper here.)
        let gone = false
        if (this.pid1) {
          killQuietly(this.pid1)
          gone = await withTimeout(exit, 5000, 'nspawn to exit').then(
            () => true,
            () => false,
          )
        }

        if (!gone) {
          killQuietly(this.nspawn?.pid)
          await attempt(() => withTimeout(exit, 10_000, 'systemd-nspawn to die after SIGKILL').then(() => {}))
        }
      }
    }

    this.pid1 = 0
    if (this.exited) removeNspawnLeftovers(this.name, this.lockFile)

    if (this.mounted || isMountPoint(this.rootDir)) {
      await attempt(async () => {
        // A just-exited container may keep the mount busy for a moment.
        await waitFor(
          async () => {
            if (!isMountPoint(this.rootDir)) return true
            const r = await runCapture('umount', [this.rootDir], {timeoutMs: 10_000, label: 'umount'})
            return r.code === 0 || !isMountPoint(this.rootDir)
          },
          {what: `unmount of ${this.rootDir}`, timeoutMs: 10_000, intervalMs: 100},
        ).catch(async (error: unknown) => {
          // Last resort: detach it so that nothing stays visible.
          await runCapture('umount', ['-l', this.rootDir], {timeoutMs: 10_000, label: 'umount -l'})
          throw error
        })
        this.mounted = false
      })
    }

    await attempt(() => this.removeCgroups())

    await attempt(async () => {
      if (mountsUnder(this.dir).length > 0) {
        throw new Error(`not removing ${this.dir}: still has mounts ${mountsUnder(this.dir).join(', ')}`)
      }

      await rm(this.dir, {recursive: true, force: true})
    })

    live.delete(this)
    if (errors.length === 1) throw errors[0]
    if (errors.length > 1) throw new AggregateError(errors, `stopping container ${this.name} failed`)
  }

  private async removeCgroups(): Promise<void> {
    const dirs = this.cgroupDirs
    if (dirs.length === 0) return
    // Processes of a just-killed container can take a moment to leave them.
    await waitFor(
      async () => {
        for (const d of dirs) await removeCgroupTree(d)
        return true
      },
      {what: `removal of cgroups ${dirs.join(', ')}`, timeoutMs: 10_000, intervalMs: 50},
    )
    this.cgroupDirs = []
  }

  private async lookupUser(name: string): Promise<PasswdEntry> {
    const passwd = await readFile(this.hostPath('/etc/passwd'), 'utf8')
    for (const line of passwd.split('\n')) {
      const f = line.split(':')
      if (f[0] === name && f.length >= 7) {
        return {name, uid: Number(f[2]), gid: Number(f[3]), home: f[5]!, shell: f[6]!}
      }
    }

    throw new Error(`no user ${name} in the container's /etc/passwd`)
  }

  /**
   * Removes leftovers of containers whose test process died without cleaning
   * up (kill -9, crash): kills their nspawn and PID 1, unmounts and deletes
   * their temp dirs, and removes their empty cgroups. Containers of live
   * processes are left alone. Returns the temp dirs removed.
   */
  static async cleanupStale(workDir: string = tmpdir()): Promise<string[]> {
    const removed: string[] = []
    for (const entry of await readdir(workDir)) {
      const owner = staleOwner(entry)
      if (owner === undefined || isRunning(owner)) continue
      const dir = join(workDir, entry)
      const merged = join(dir, 'merged')
      const nspawns = nspawnProcessesFor(merged)
      // Killing PID 1 kills its whole PID namespace; nspawn then exits, or is killed.
      for (const pid of nspawns) killQuietly(findContainerInit(pid))
      await waitFor(() => nspawns.every((pid) => !isRunning(pid)), {
        what: `stale nspawn ${nspawns.join(', ')} to exit`,
        timeoutMs: 5000,
        intervalMs: 50,
      }).catch(() => {
        for (const pid of nspawns) killQuietly(pid)
      })
      await waitFor(() => nspawns.every((pid) => !isRunning(pid)), {
        what: `stale nspawn ${nspawns.join(', ')} to die`,
        timeoutMs: 5000,
        intervalMs: 50,
      })
      const [name, lockFile] = (await readFile(join(dir, 'machine'), 'utf8').catch(() => '')).split('\n')
      if (name) removeNspawnLeftovers(name, lockFile || undefined)
      for (const m of mountsUnder(dir).reverse())
        await runCapture('umount', ['-l', m], {timeoutMs: 10_000, label: 'umount -l'})
      if (mountsUnder(dir).length === 0) {
        await rm(dir, {recursive: true, force: true})
        removed.push(dir)
      }
    }

    // cgroups of dead containers: "tspm-*.harness" trees without processes.
    for (const base of cgroupBases()) {
      for (const entry of await readdir(base).catch(() => [] as string[])) {
        if (!/^tspm-.*\.harness$/.test(entry)) continue
        const tree = join(base, entry)
        if (cgroupTreeHasProcesses(tree)) continue
        await removeCgroupTree(tree).catch(() => {})
      }
    }

    return removed
  }
}

/** Owner PID encoded in a temp dir name "tspm-nspawn-<pid>-XXXXXX", if it is one. */
function staleOwner(entry: string): number | undefined {
  const m = new RegExp(`^${DIR_PREFIX}(\\d+)-`).exec(entry)
  return m ? Number(m[1]) : undefined
}

// ---------------------------------------------------------------------------
// helpers

function checkPlainPath(p: string): void {
  if (/[,:\\\s]/.test(p)) throw new Error(`path must not contain ',', ':', '\\' or whitespace: ${p}`)
}

/** Runs a host command, rejecting with its output unless it exits 0. */
async function run(cmd: string, args: string[]): Promise<string> {
  const r = await runCapture(cmd, args, {timeoutMs: 60_000, label: `${cmd} ${args.join(' ')}`})
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.code}): ${r.stderr || r.stdout}`)
  return r.stdout
}

function runCapture(
  cmd: string,
  args: string[],
  opts: {input?: string | undefined; timeoutMs: number; label: string},
): Promise<ExecResult> {
  return new Promise((resolveRun, rejectRun) => {
    // Own process group, so a timeout can find the command's processes
    // (nsenter forks the real command into the container's PID namespace).
    const child = spawn(cmd, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
      env: {PATH: CLEAN_PATH},
      cwd: '/',
    })
    const pgid = child.pid
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout!.on('data', (b: Buffer) => out.push(b))
    child.stderr!.on('data', (b: Buffer) => err.push(b))
    let timedOut = false
    let settled = false
    const timers: NodeJS.Timeout[] = []
    const finish = (code: null | number, signal: NodeJS.Signals | null) => {
      if (settled) return
      settled = true
      for (const timer of timers) clearTimeout(timer)
      const stdout = Buffer.concat(out).toString('utf8')
      const stderr = Buffer.concat(err).toString('utf8')
      if (timedOut) {
        rejectRun(
          new Error(`timed out after ${opts.timeoutMs} ms: ${opts.label}\nstdout: ${stdout}\nstderr: ${stderr}`),
        )
        return
      }

      const sig = signal ? (osConstants.signals[signal] ?? 0) : 0
      resolveRun({code: code ?? 128 + sig, stdout, stderr})
    }

    timers.push(
      setTimeout(() => {
        timedOut = true
        if (pgid === undefined) return
        // Kill the command but not nsenter: nsenter reaps it and exits. Killing
        // nsenter first would orphan the command to the *host's* init (the
        // reaper of nsenter's PID namespace), a zombie the container's
        // systemd can't reap and waits for at shutdown.
        const inner = processGroupMembers(pgid).filter((p) => p !== pgid)
        for (const pid of inner) killQuietly(pid)
        if (inner.length === 0) killQuietly(pgid)
        // Backstop if nsenter does not exit by itself.
        timers.push(setTimeout(() => killQuietly(-pgid), 2000))
      }, opts.timeoutMs),
    )
    child.once('error', (e) => {
      if (settled) return
      settled = true
      for (const timer of timers) clearTimeout(timer)
      rejectRun(new Error(`could not run ${cmd}: ${e.message}`))
    })
    child.once('close', finish)
    // A daemon started by the command may keep our stdout/stderr pipes open,
    // so 'close' would never come: once the command itself has exited, give
    // the pipes a short grace period to drain, then stop reading.
    child.once('exit', (code, signal) => {
      timers.push(
        setTimeout(() => {
          child.stdout?.destroy()
          child.stderr?.destroy()
          finish(code, signal)
        }, 1000),
      )
    })
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => {}) // command may exit without reading
      child.stdin!.end(opts.input)
    }
  })
}

/** PIDs (host view) in process group pgid. */
function processGroupMembers(pgid: number): number[] {
  const pids: number[] = []
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8')
      // After "pid (comm) ": state ppid pgrp ...
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[2]) === pgid) pids.push(Number(e))
    } catch {
      /* gone */
    }
  }

  return pids
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolveP, rejectP) => {
    const timer = setTimeout(() => rejectP(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
    p.then(
      (v) => {
        clearTimeout(timer)
        resolveP(v)
      },
      (error: unknown) => {
        clearTimeout(timer)
        rejectP(error)
      },
    )
  })
}

/**
 * The container's PID 1 is the child of nspawn that is PID 1 in its own PID
 * namespace ("NSpid: <host pid> 1"); nspawn briefly has another helper child
 * while setting up, so the namespace check matters.
 */
function findContainerInit(nspawnPid: number): number | undefined {
  let tasks: string[]
  try {
    tasks = readdirSync(`/proc/${nspawnPid}/task`)
  } catch {
    return undefined
  }

  for (const tid of tasks) {
    let children: string
    try {
      children = readFileSync(`/proc/${nspawnPid}/task/${tid}/children`, 'utf8')
    } catch {
      continue
    }

    for (const pid of children.split(/\s+/).filter(Boolean).map(Number)) {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8')
        const ns = /^NSpid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/)
        if (ns && ns.length > 1 && ns.at(-1) === '1') return pid
      } catch {
        /* exited meanwhile */
      }
    }
  }

  return undefined
}

interface MountInfo {
  root: string
  mountPoint: string
  fsType: string
  superOptions: string
}

function readMountInfo(): MountInfo[] {
  const unescape = (s: string) =>
    s.replaceAll(/\\([0-7]{3})/g, (_, o: string) => String.fromCodePoint(Number.parseInt(o, 8)))
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [left, right = ''] = line.split(' - ')
      const f = left!.split(' ')
      const r = right.split(' ')
      return {root: unescape(f[3]!), mountPoint: unescape(f[4]!), fsType: r[0]!, superOptions: r[2] ?? ''}
    })
}

function isMountPoint(path: string): boolean {
  return readMountInfo().some((m) => m.mountPoint === path)
}

/** Mount points at or below dir, in mount order. */
function mountsUnder(dir: string): string[] {
  return readMountInfo()
    .map((m) => m.mountPoint)
    .filter((mp) => mp === dir || mp.startsWith(dir + '/'))
}

/**
 * The cgroup directories we are in, for the hierarchies nspawn uses: the
 * cgroup2 one and, on hybrid hosts like this one, the named "systemd" v1 one.
 */
function cgroupBases(): string[] {
  const own = readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean)
  // Lines are "ID:CONTROLLERS:PATH"; cgroup2 has empty CONTROLLERS.
  const pathFor = (controllers: string) => {
    const line = own.find((l) => l.split(':')[1] === controllers)
    return line?.split(':').slice(2).join(':')
  }

  const bases: string[] = []
  for (const m of readMountInfo()) {
    let path: string | undefined
    if (m.fsType === 'cgroup2') path = pathFor('')
    else if (m.fsType === 'cgroup' && m.superOptions.split(',').includes('name=systemd')) path = pathFor('name=systemd')
    if (path === undefined) continue
    // Make the cgroup path relative to where this hierarchy is mounted.
    const rel = m.root !== '/' && path.startsWith(m.root) ? path.slice(m.root.length) : path
    const base = join(m.mountPoint, rel)
    if (!bases.includes(base)) bases.push(base)
  }

  return bases
}

/** Creates this container's own cgroup in each hierarchy (see start()). */
async function makeCgroups(name: string): Promise<string[]> {
  const dirs = cgroupBases().map((base) => join(base, `${name}.harness`))
  for (const d of dirs) await mkdir(d, {recursive: true})
  return dirs
}

function cgroupTreeHasProcesses(dir: string): boolean {
  try {
    if (readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim() !== '') return true
    return readdirSync(dir, {withFileTypes: true}).some(
      (e) => e.isDirectory() && cgroupTreeHasProcesses(join(dir, e.name)),
    )
  } catch {
    return false
  }
}

/** Synchronous version of removeCgroupTree, for the exit hook. */
function removeCgroupTreeSync(dir: string): void {
  try {
    for (const e of readdirSync(dir, {withFileTypes: true})) {
      if (e.isDirectory()) removeCgroupTreeSync(join(dir, e.name))
    }

    rmdirSync(dir)
  } catch {
    /* best effort */
  }
}

/** rmdir a cgroup and its children, deepest first (cgroup files can't be unlinked). */
async function removeCgroupTree(dir: string): Promise<void> {
  let entries
  try {
    entries = await readdir(dir, {withFileTypes: true})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }

  for (const e of entries) if (e.isDirectory()) await removeCgroupTree(join(dir, e.name))
  await rmdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
  })
}

function killQuietly(pid: number | undefined): void {
  if (!pid) return
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    /* already gone */
  }
}

/** systemd-nspawn processes booting the given directory (from their command line). */
function nspawnProcessesFor(rootDir: string): number[] {
  const pids: number[] = []
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0')
      if (argv.includes(`--directory=${rootDir}`) && argv.some((a) => a.endsWith('systemd-nspawn')))
        pids.push(Number(e))
    } catch {
      /* gone */
    }
  }

  return pids
}

/**
 * nspawn removes its /run/systemd/nspawn/propagate/<machine> dir and image
 * lock file on a clean exit, but not when killed, and /run is a plain disk
 * directory on this host, so they would pile up. Only call once nspawn is gone.
 */
function removeNspawnLeftovers(name: string, lockFile: string | undefined): void {
  for (const p of [join(NSPAWN_RUN_DIR, 'propagate', name), lockFile]) {
    if (!p || mountsUnder(p).length > 0) continue
    try {
      rmSync(p, {recursive: true, force: true})
    } catch {
      /* best effort */
    }
  }
}

function tailLog(path: string, lines = 40): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

function appendLog(path: string, msg: string): void {
  try {
    appendFileSync(path, `\n${msg}\n`)
  } catch {
    /* best effort */
  }
}

/** Blocks the thread (exit handlers can't await) until cond() or the deadline. */
function pollSync(cond: () => boolean, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs
  const cell = new Int32Array(new SharedArrayBuffer(4))
  while (!cond()) {
    if (Date.now() >= deadline) return false
    Atomics.wait(cell, 0, 0, 20)
  }

  return true
}

/** Kill, unmount and delete a container synchronously (exit/signal path). */
function forceCleanupSync(c: Container): void {
  // PID 1 first (kills the container's PID namespace); nspawn then exits.
  const pids = [c.pid, c.nspawnPid].filter((p) => p > 0)
  killQuietly(c.pid)
  if (!pollSync(() => pids.every((pid) => !isRunning(pid)), 3000)) {
    killQuietly(c.nspawnPid)
    pollSync(() => pids.every((pid) => !isRunning(pid)), 3000)
  }

  if (pids.every((pid) => !isRunning(pid))) removeNspawnLeftovers(c.name, c.nspawnLockFile)
  if (isMountPoint(c.rootDir) && spawnSync('umount', [c.rootDir], {stdio: 'ignore'}).status !== 0) {
    spawnSync('umount', ['-l', c.rootDir], {stdio: 'ignore'})
  }

  if (mountsUnder(c.dir).length === 0) {
    try {
      rmSync(c.dir, {recursive: true, force: true})
    } catch {
      /* best effort */
    }
  }

  for (const d of c.cgroupPaths) removeCgroupTreeSync(d)
}

/**
 * Last resort when the test process exits with containers still up (a test
 * forgot stop(), an uncaught error, Ctrl-C): kill them, unmount the overlays,
 * delete the temp dirs. After `kill -9` of the test process only
 * Container.cleanupStale() can help.
 */
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  const cleanupAll = () => {
    for (const c of live) forceCleanupSync(c)
    live.clear()
  }

  process.on('exit', cleanupAll)
  // Signals end node without 'exit'. Only when nobody else handles them:
  // clean up, then die of the same signal as we would have.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    if (process.listenerCount(sig) > 0) continue
    process.once(sig, () => {
      cleanupAll()
      process.kill(process.pid, sig)
    })
  }
}
