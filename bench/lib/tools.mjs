// The two process managers behind one small interface, each driven only through its own CLI,
// each in its own temp home. Equivalent settings are written in each tool's own config format.
import {spawn} from 'node:child_process'
import {
  closeSync,
  // Stable since Node 22.3 and present, unchanged, in the Node 20 we support.
  // eslint-disable-next-line n/no-unsupported-features/node-builtins
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {SUPERVISOR_NODE_FLAGS} from '../../dist/model/supervisor-runtime.js'
import {check, run} from './exec.mjs'
import {alive, findByEnv, signal} from './proc.mjs'
import {sleep} from './stats.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const PM2_BIN = join(dirname(createRequire(import.meta.url).resolve('pm2/package.json')), 'bin', 'pm2')
export const PM2_VERSION = JSON.parse(readFileSync(join(dirname(PM2_BIN), '..', 'package.json'), 'utf8')).version
export const TSPM_VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version

/**
 * An app as the bench describes it; each tool turns it into its own config:
 * {name, script, args?, interpreter? ('none' runs the script directly), env?, autorestart?,
 *  noDelay? (restart at once: no restart delay, no backoff), maxRestarts?, bigLogs? (no rotation
 *  before 1 GiB, so one file holds everything), readyTcp? (the port the app serves on),
 *  instances? (copies of the app), listen? (one port every instance serves: tspm binds it itself
 *  and hands it to each instance, `listen: PORT`; PM2 shares it among the workers of its cluster
 *  mode, `exec_mode: cluster` with PORT in env), readyNotify? (the app calls process.send('ready')
 *  once it serves: tspm `ready: {notify: true}`, PM2 `wait_ready` with a 10 s `listen_timeout`),
 *  time? (PM2's `time: true`: a time stamp in front of what the app writes)}.
 *  Whatever is not given keeps the tool's default.
 */

/**
 * tspm gets `ready: {tcp: PORT}` for an app with readyTcp (its readiness check, being built).
 * BENCH_TSPM_READY=0 leaves the key out, for a tspm that does not know it yet (it rejects unknown
 * keys). PM2 has no TCP readiness check (its wait_ready needs the app to send 'ready'): it gets
 * the same apps without one.
 */
export const TSPM_READY = process.env.BENCH_TSPM_READY !== '0'

/** The fields both tools name alike (PM2's ecosystem names, which tspm.yaml follows). */
function sharedFields(app) {
  const out = {name: app.name, script: app.script}
  if (app.args) out.args = app.args
  if (app.interpreter) out.interpreter = app.interpreter
  if (app.env) out.env = app.env
  if (app.autorestart !== undefined) out.autorestart = app.autorestart
  if (app.maxRestarts !== undefined) out.max_restarts = app.maxRestarts
  if (app.instances !== undefined) out.instances = app.instances
  if (app.time) out.time = true
  return out
}

class Tool {
  constructor(ctx) {
    this.ctx = ctx
  }

  /** A fresh temp home for this tool; everything started with its env carries the run's marker. */
  newHome(tag) {
    const dir = join(this.ctx.tmpRoot, `${this.key}-${tag}`)
    mkdirSync(dir, {recursive: true, mode: 0o700})
    const homeVar = `BENCH_HOME=${dir}`
    const env = {...this.ctx.baseEnv, BENCH_HOME: dir, [this.homeVar]: dir}
    const home = {tool: this, dir, env, homeVar, work: join(this.ctx.tmpRoot, `${this.key}-${tag}-work`)}
    mkdirSync(home.work, {recursive: true})
    this.ctx.homes.push(home)
    return home
  }

  cli(home, args, timeoutMs = 120_000) {
    return run(process.execPath, [this.bin, ...args], {env: home.env, cwd: home.work, timeoutMs})
  }

  /** Pids of every live process started for this home (daemon, apps, CLIs): found by env marker. */
  processes(home) {
    return findByEnv([`BENCH_RUN=${this.ctx.runId}`, home.homeVar])
  }

  /** Pids of the live apps of this home (only apps carry BENCH_APP in their configured env). */
  apps(home) {
    return findByEnv([`BENCH_RUN=${this.ctx.runId}`, home.homeVar, 'BENCH_APP=1'])
  }

  async start(home, apps) {
    const file = this.writeConfig(home, apps)
    return this.cli(home, this.startArgs(file))
  }

  /** {ok, ms, procs: [{name, status, restarts, pid}], error} from the tool's own list command. */
  async list(home, timeoutMs = 30_000) {
    const result = await this.cli(home, this.listArgs, timeoutMs)
    if (result.code !== 0 || result.timedOut) {
      return {
        ok: false,
        ms: result.ms,
        procs: [],
        error: result.timedOut ? 'timed out' : (result.stderr || result.stdout).trim().slice(-300),
      }
    }

    try {
      return {ok: true, ms: result.ms, procs: this.normalize(parseList(result.stdout))}
    } catch (error) {
      return {ok: false, ms: result.ms, procs: [], error: `unparsable list: ${error.message}`}
    }
  }

  /** Polls list until `want(procs)` holds; resolves with the time it first held (ms since t0) and that list. */
  async waitFor(home, want, {t0, deadlineMs = 120_000, what = 'condition'}) {
    const end = performance.now() + deadlineMs
    let last
    while (performance.now() < end) {
      last = await this.list(home)
      if (last.ok && want(last.procs)) return {ms: performance.now() - t0, procs: last.procs}
      await sleep(10)
    }

    throw new Error(
      `${this.label}: ${what} not reached within ${deadlineMs / 1000} s; last list: ${last?.ok ? summarize(last.procs) : last?.error}`,
    )
  }

  async waitOnline(home, count, opts) {
    return this.waitFor(home, (procs) => procs.length === count && procs.every((p) => p.status === 'online'), {
      what: `all ${count} online`,
      ...opts,
    })
  }

  daemonPid(home) {
    try {
      const pid = Number(readFileSync(join(home.dir, this.pidFile), 'utf8').trim().split(/\s+/)[0])
      return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined
    } catch {}
  }

  async waitDaemonPid(home, timeoutMs = 15_000) {
    const end = Date.now() + timeoutMs
    while (Date.now() < end) {
      const pid = this.daemonPid(home)
      if (pid) return pid
      await sleep(20)
    }

    throw new Error(`${this.label}: no live daemon pid in ${join(home.dir, this.pidFile)}`)
  }

  /** A daemon that runs no app: started with one idle app, which is then deleted (both tools alike). */
  async idleDaemon(home) {
    const {idle} = this.ctx.apps
    check(await this.start(home, [{name: 'anchor', script: idle, env: {BENCH_APP: '1'}}]), `${this.label} start anchor`)
    await this.waitOnline(home, 1, {t0: performance.now(), deadlineMs: 30_000})
    check(await this.cli(home, ['delete', 'anchor']), `${this.label} delete anchor`)
    await this.waitFor(home, (procs) => procs.length === 0, {
      t0: performance.now(),
      deadlineMs: 30_000,
      what: 'empty list',
    })
    await waitGone(() => this.apps(home), 10_000)
    return this.waitDaemonPid(home)
  }

  /**
   * The reboot without a goodbye: SIGKILL to the daemon, then to every process of this home (the
   * apps), until none is left. The tool's home keeps its saved list and its stale pid and socket files.
   */
  async killHard(home, timeoutMs = 10_000) {
    const daemon = this.daemonPid(home)
    if (daemon) signal(daemon, 'SIGKILL')
    const left = await waitGone(() => {
      const pids = this.processes(home)
      for (const pid of pids) signal(pid, 'SIGKILL')
      return pids
    }, timeoutMs)
    if (left.length > 0)
      throw new Error(`${this.label}: ${left.length} process(es) still ran ${timeoutMs / 1000} s after SIGKILL`)
  }

  /** Bytes in every file of the app's stdout log (rotated ones included). */
  logBytes(home, name) {
    const dir = join(home.dir, 'logs')
    let total = 0
    let files = []
    try {
      files = readdirSync(dir).filter((f) => f.startsWith(`${name}-out`))
    } catch {
      return 0
    }

    for (const f of files) {
      try {
        total += statSync(join(dir, f)).size
      } catch {}
    }

    return total
  }

  /**
   * Stops everything of this home with the tool's own kill, then makes sure: whatever of it still
   * runs after that is SIGKILLed and reported. Returns the list of leftovers (normally empty).
   */
  async shutdown(home) {
    if (home.closed) return []
    home.closed = true
    const result = await this.cli(home, ['kill'], 60_000)
    if (result.code !== 0)
      this.ctx.note(
        `${this.label} kill exited ${result.code ?? result.signal}: ${(result.stderr || result.stdout).trim().slice(-200)}`,
      )
    if (home.foreground) await waitExit(home.foreground, 15_000)
    const left = await waitGone(() => this.processes(home), 10_000)
    for (const pid of left) signal(pid, 'SIGKILL')
    if (left.length > 0)
      this.ctx.note(`${this.label}: ${left.length} process(es) of ${home.dir} still ran 10 s after \`kill\`; SIGKILLed`)
    return left
  }
}

class Tspm extends Tool {
  key = 'tspm'
  label = 'tspm'
  homeVar = 'TSPM_HOME'
  pidFile = 'tspm.pid'
  listArgs = ['list', '--json']

  startArgs(file) {
    return ['start', '-c', file]
  }

  writeConfig(home, apps) {
    const processes = apps.map((app) => {
      const out = sharedFields(app)
      if (app.noDelay) Object.assign(out, {restart_delay: 0, exp_backoff_restart_delay: 0})
      if (app.bigLogs) out.max_log_size = '1G'
      if (app.readyTcp !== undefined && TSPM_READY) out.ready = {tcp: app.readyTcp}
      if (app.listen !== undefined) out.listen = app.listen
      if (app.readyNotify) out.ready = {notify: true}
      return out
    })
    // The same JSON list PM2 gets (its ecosystem-N.json); tspm reads a .json config with JSON.parse.
    const file = join(home.work, `tspm-${(home.configs = (home.configs ?? 0) + 1)}.json`)
    writeFileSync(file, JSON.stringify({processes}, null, 2))
    return file
  }

  normalize(list) {
    return list.map((p) => ({name: p.name, status: p.status, restarts: p.restarts, pid: p.pid}))
  }

  /**
   * `tspm resurrect` is the supervisor in the foreground: run it in the background here, typed
   * bare, or `asBootService` as the boot service's unit runs it (with the supervisor's flags).
   */
  async resurrect(home, {asBootService = false} = {}) {
    const logFd = openSync(join(home.work, 'resurrect.log'), 'a')
    const flags = asBootService ? SUPERVISOR_NODE_FLAGS : []
    const child = spawn(process.execPath, [...flags, this.bin, 'resurrect'], {
      env: home.env,
      cwd: home.work,
      detached: true,
      stdio: ['ignore', logFd, logFd],
    })
    closeSync(logFd)
    home.foreground = child
    home.closed = false
    child.unref()
    return child
  }
}

class Pm2 extends Tool {
  key = 'pm2'
  label = 'PM2'
  bin = PM2_BIN
  homeVar = 'PM2_HOME'
  pidFile = 'pm2.pid'
  listArgs = ['jlist']

  startArgs(file) {
    return ['start', file]
  }

  writeConfig(home, apps) {
    const list = apps.map((app) => {
      const out = sharedFields(app)
      // PM2 has no backoff unless exp_backoff_restart_delay is set; restart_delay is 0 by default.
      if (app.noDelay) out.restart_delay = 0
      // PM2 never rotates without the pm2-logrotate module: bigLogs needs nothing.
      if (app.listen !== undefined) {
        out.exec_mode = 'cluster'
        out.env = {...out.env, PORT: String(app.listen)}
      }

      if (app.readyNotify) Object.assign(out, {wait_ready: true, listen_timeout: 10_000})
      return out
    })
    const file = join(home.work, `ecosystem-${(home.configs = (home.configs ?? 0) + 1)}.json`)
    writeFileSync(file, JSON.stringify({apps: list}, null, 2))
    return file
  }

  normalize(list) {
    return list.map((p) => ({name: p.name, status: p.pm2_env?.status, restarts: p.pm2_env?.restart_time, pid: p.pid}))
  }

  async resurrect(home) {
    home.closed = false
    return check(await this.cli(home, ['resurrect']), 'pm2 resurrect')
  }
}

export function makeTools(ctx) {
  const tspm = new Tspm(ctx)
  tspm.bin = join(ctx.tspmRoot, 'bin', 'run.js')
  return {tspm, pm2: new Pm2(ctx)}
}

/**
 * A private copy of the tspm build (bin, dist, package.json, manifest; node_modules linked), taken
 * right after `npm run build`: the bench then measures that one build even when someone rebuilds
 * dist/ in the work tree while it runs (a rebuild deletes dist/ first, which breaks a running bench).
 */
export function snapshotTspm(dest) {
  mkdirSync(dest, {recursive: true})
  for (const entry of ['bin', 'dist', 'package.json', 'oclif.manifest.json']) {
    if (existsSync(join(ROOT, entry))) cpSync(join(ROOT, entry), join(dest, entry), {recursive: true})
  }

  symlinkSync(join(ROOT, 'node_modules'), join(dest, 'node_modules'), 'dir')
  return dest
}

/**
 * The process array a list command printed: PM2's bare array (possibly after a banner, when it
 * spawns), or tspm's envelope `{status, result: [...], warnings}`.
 */
export function parseList(text) {
  let value
  try {
    value = JSON.parse(text)
  } catch (error) {
    // A banner line may itself start with `[` ("[PM2] Spawning ..."): try every line that could open the JSON.
    for (const match of text.matchAll(/^[[{]/gm)) {
      try {
        value = JSON.parse(text.slice(match.index))
        break
      } catch {}
    }

    if (value === undefined) throw error
  }

  if (Array.isArray(value)) return value
  if (Array.isArray(value?.result)) return value.result
  throw new Error(`no process array in ${text.trim().slice(0, 100)}`)
}

export function summarize(procs) {
  const counts = {}
  for (const p of procs) counts[p.status] = (counts[p.status] ?? 0) + 1
  return `${procs.length} processes ${JSON.stringify(counts)}`
}

/** Waits until pidsFn() returns nothing; returns what is left at the deadline. */
export async function waitGone(pidsFn, timeoutMs) {
  const end = Date.now() + timeoutMs
  let left = pidsFn()
  while (left.length > 0 && Date.now() < end) {
    await sleep(50)
    left = pidsFn()
  }

  return left
}

function waitExit(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal(child.pid, 'SIGKILL')
      resolve()
    }, timeoutMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}
