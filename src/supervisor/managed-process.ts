import type {ChildProcess, SpawnOptions} from 'node:child_process'
import type {Readable} from 'node:stream'

import {once} from 'node:events'
import {basename} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'

import type {DesiredState, ProcessSnapshot, ProcessStatus, RestartReason, StartOutcomeState} from '../model/api.js'
import type {ProcessSpec} from '../model/process-spec.js'
import type {Clock} from './clock.js'
import type {Launch, LaunchThrottle} from './launch-throttle.js'

import {readEnvFile} from '../config/dotenv.js'
import {ACTIVE_STATUSES} from '../model/active-statuses.js'
import {compileDateFormat} from '../model/date-format.js'
import {askGroupToStop, processGroupMembers, readProcStat, signalGroup} from '../os/proc.js'
import {appLogPaths} from '../store/home.js'
import {APP_HOME_MARKER, APP_INSTANCE_MARKER, APP_NAME_MARKER} from '../store/orphans.js'
import {HealthMonitor} from './health-monitor.js'
import {LineStamper} from './line-stamp.js'
import {LogFiles, type LogSink, type OpenedLog, type OpenLog} from './log-files.js'
import {noteOutputBytes, noteProcessExit} from './memory.js'
import {Readiness} from './readiness.js'
import {type ExitDecision, RestartPolicy} from './restart-policy.js'

export type SpawnFunction = (command: string, args: string[], options: SpawnOptions) => ChildProcess

export interface ManagedProcessDeps {
  clock: Clock
  spawn: SpawnFunction
  /** TSPM_HOME: it goes into every app's environment, with the app's name, as its marker. */
  home: string
  logsDir: string
  /** The environment every app starts from; env_file and env go on top. */
  baseEnv: NodeJS.ProcessEnv
  /** Called after every change of status, pid or counters. */
  onChange: () => void
  /** The supervisor's own diagnostics. */
  log: (message: string) => void
  /** Runs an automatic restart when the pacing of all restarts allows; returns a cancel function. */
  paceRestart?: (restart: () => void) => () => void
  /** Spreads the start-up of apps launched together (see LaunchThrottle). */
  launchThrottle?: Pick<LaunchThrottle, 'admit' | 'cancel' | 'forget' | 'ready'>
  /** A start the user asked for was settled: it is online, or it failed. */
  onSettled?: () => void
  /** Opens a log file shared by every writer of its path (LogFiles); without it, the process's own. */
  openLog?: OpenLog
  /** The sockets its app holds (listen:), passed to every run as fds 3, 4, ... (see spawnNow). */
  listenSockets?: () => ListenFds | undefined
  /** A second reader of each run's output, after the log files (`tspm run` copies it to its stdout). */
  observeOutput?: OutputObserver
}

export type OutputObserver = (id: string, stdout: null | Readable, stderr: null | Readable) => void

/** Open listening sockets: their fds in the supervisor and their names for LISTEN_FDNAMES. */
export interface ListenFds {
  fds: number[]
  names: string[]
}

/**
 * Sets LISTEN_PID to the app's own pid, which only the new process knows, then becomes the app:
 * a fixed script, never a user's string; the app's argv follows as "$0" "$@".
 */
const LISTEN_PID_WRAPPER = ['/bin/sh', '-c', 'LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"'] as const

const GROUP_POLL_MS = 50

/** node, nodejs, or the very Node that runs tspm (the default for .js files). */
function isNode(command: string): boolean {
  return command === process.execPath || ['node', 'nodejs'].includes(basename(command))
}

function restartNow(restart: () => void): () => void {
  restart()
  return () => {}
}

/**
 * One configured app: spawns it in its own process group, feeds its output to its log files,
 * restarts it as its policy says, and stops the whole group on request.
 */
export class ManagedProcess {
  status: ProcessStatus = 'stopped'
  desired: DesiredState = 'stopped'
  restarts = 0
  /** The restarts by their reason (the metrics' restarts_total); reasons that never happened are absent. */
  restartsByReason: Partial<Record<RestartReason, number>> = {}
  private child: ChildProcess | undefined
  private pid: null | number = null
  private procStartTime: null | number = null
  private startedAt: null | number = null
  private lastExit: ProcessSnapshot['last_exit'] = null
  private lastError: null | string = null
  private policy: RestartPolicy
  private restartTimer: unknown
  private cancelPacedRestart: (() => void) | undefined
  private stopping: Promise<void> | undefined
  /** The tail of the queue of operations on this process, and the one that waits its turn. */
  private operations: Promise<void> = Promise.resolve()
  private waiting: undefined | {kind: 'halt' | 'restart' | 'stop'; done: Promise<void>}
  /** Halted by the supervisor's shutdown: nothing starts it again. */
  private closed = false
  /**
   * Its out, err and combined logs, opened at its first spawn: an app that waits for its turn, or
   * never starts, holds no files.
   */
  private openedLogs: OpenedLog[] | undefined
  private readonly openLog: OpenLog
  /** The paths of its log files (out, err, and the combined one if any). */
  readonly logFiles: string[]
  /** log_date_format, compiled: each line of output is written after its arrival time. */
  private readonly dateFormat: ((ms: number) => string) | undefined
  private statusDetail: null | string = null
  private readiness: Readiness | undefined
  private healthMonitor: HealthMonitor | undefined
  private readyState: ProcessSnapshot['ready'] = null
  private healthState: ProcessSnapshot['health'] = null
  private lastRestartReason: null | RestartReason = null
  private startState: StartOutcomeState = {attempt: 0, outcome: 'none', message: null}
  /** Its place in the queue for a start-up slot, while it waits there (status `queued`). */
  private queued: Launch | undefined
  /** Why the current run is being stopped when it failed to become ready, for what follows the stop. */
  private failedStart: string | undefined
  private readonly settledWaiters: Array<() => boolean> = []
  /** How commands and messages name it: `web`, or `web:2` for one of several instances. */
  id: string

  constructor(
    public spec: ProcessSpec,
    private readonly deps: ManagedProcessDeps,
    /** Which copy of its app it is (TSPM_INSTANCE). */
    readonly instance = 0,
    /** Its number in this home (`tspm stop 3`); a reload's new instance takes its predecessor's. */
    public number = 0,
  ) {
    this.id = spec.name
    this.policy = new RestartPolicy(spec)
    const paths = appLogPaths(spec, deps.logsDir, instance)
    this.openLog = deps.openLog ?? new LogFiles().openLog
    this.logFiles = [paths.out, paths.err, ...(paths.combined ? [paths.combined] : [])]
    this.dateFormat = spec.log_date_format ? compileDateFormat(spec.log_date_format) : undefined
  }

  get name(): string {
    return this.spec.name
  }

  /** Its pid while it runs. */
  get runningPid(): null | number {
    return this.pid
  }

  /**
   * Resolves once the start asked for most recently is settled: true when it came online. What a
   * reload waits for before it stops the instance this one replaces.
   */
  settled(): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.startState.outcome === 'pending') return false
        resolve(this.startState.outcome === 'ready')
        return true
      }

      if (!check()) this.settledWaiters.push(check)
    })
  }

  /** A reload's new instance takes over the count of restarts of the one it replaces. */
  takeOver(previous: ManagedProcess): void {
    this.number = previous.number
    this.restarts = previous.restarts + 1
    this.lastRestartReason = 'reload'
    this.restartsByReason = {...previous.restartsByReason}
    this.countRestart('reload')
  }

  private countRestart(reason: RestartReason): void {
    this.restartsByReason[reason] = (this.restartsByReason[reason] ?? 0) + 1
  }

  /** A start that cannot begin (its app's sockets could not be opened): errored, with why. */
  failStart(message: string): void {
    if (this.startState.outcome !== 'pending') this.newStartAttempt()
    this.desired = 'online'
    this.fail(message)
  }

  /** True while the process runs, waits to run, or is about to run again. */
  get isActive(): boolean {
    return ACTIVE_STATUSES.has(this.status)
  }

  /** The number of the start the user asked for most recently (see ProcessSnapshot.start). */
  get startAttempt(): number {
    return this.startState.attempt
  }

  /** The latest start attempt and how it ended; replaced on each change, never changed in place. */
  get startOutcome(): Readonly<StartOutcomeState> {
    return this.startState
  }

  /**
   * A start asked for (by the user, a resurrect, a dependency that came up): a new spec of the
   * same name may replace the old one first. A process waiting for its dependencies goes on;
   * one that runs, or is being stopped, is left as it is.
   */
  start(spec: ProcessSpec = this.spec): void {
    if ((this.isActive && this.status !== 'waiting') || this.status === 'stopping' || this.closed) return
    // A start asked for while the one before is still pending joins it.
    if (this.startState.outcome !== 'pending') this.newStartAttempt()
    this.spec = spec
    this.policy = new RestartPolicy(spec)
    this.desired = 'online'
    this.statusDetail = null
    this.launch()
  }

  /** Asked to start, but it must wait (for its dependencies): `detail` says on what. */
  wait(detail: string, spec: ProcessSpec = this.spec): void {
    if (this.closed || (this.isActive && this.status !== 'waiting') || this.status === 'stopping') return
    if (this.startState.outcome !== 'pending') this.newStartAttempt()
    this.spec = spec
    this.desired = 'online'
    this.statusDetail = detail
    this.setStatus('waiting')
  }

  /** What it waits for changed (a dependency failed, say); a start waiting on a failure is settled as failed. */
  waitingOn(detail: string, failed: boolean): void {
    if (this.status !== 'waiting') return
    this.statusDetail = detail
    if (failed) this.settle('failed', detail)
    this.deps.onChange()
  }

  /** Stops the process and keeps it stopped. Queued behind (or merged with) other operations on it. */
  stop(): Promise<void> {
    return this.enqueue('stop', async () => {
      this.desired = 'stopped'
      await this.stopNow()
    })
  }

  /**
   * Stops the process, then starts it with a fresh policy (`reason` says who asked: the user,
   * or a failed health check). Queued behind (or merged with) other operations on it.
   */
  restart(reason: RestartReason = 'manual', relaunch: () => void = () => this.launch()): Promise<void> {
    return this.enqueue('restart', async () => {
      await this.stopNow()
      // Started again while it stopped (the relaunch of a restart before this one): that run is
      // this restart too, and a second start attempt would wait for a launch that never comes.
      if (this.closed || this.isActive) return
      this.policy.reset()
      this.desired = 'online'
      this.restarts++
      this.lastRestartReason = reason
      this.countRestart(reason)
      this.statusDetail = null
      if (reason === 'manual') this.newStartAttempt()
      // The supervisor relaunches through its dependency gate; a failed health check at once.
      relaunch()
    })
  }

  /**
   * A restart the supervisor decided on (max_memory_restart, say): said in tspm.log with why, and
   * counted under its reason. Nothing happens unless it is online: a run that is starting, or
   * being stopped, is left to finish that first.
   */
  restartFor(reason: RestartReason, why: string): void {
    if (this.status !== 'online') return
    this.deps.log(`${this.id}: ${why}; restarting it (${reason})`)
    this.restart(reason).catch(() => {})
  }

  /** `tspm reset`: the count of restarts, and of unstable runs (so its backoff), start over. */
  resetCounters(): void {
    this.restarts = 0
    this.policy.reset()
    this.deps.onChange()
  }

  /**
   * Sends `signal` to the running process, or to its whole process group; false when it does not
   * run. The supervisor acts as the user asked, so the restart policy treats an exit that follows
   * as any other.
   */
  sendSignal(signal: NodeJS.Signals, group: boolean): boolean {
    if (this.pid === null || this.stopping) return false
    if (group) return signalGroup(this.pid, signal)
    try {
      process.kill(this.pid, signal)
      return true
    } catch {
      return false
    }
  }

  /** Stops the process for good without changing what the user wants (supervisor shutdown). */
  halt(): Promise<void> {
    return this.enqueue('halt', async () => {
      this.closed = true
      await this.stopNow()
    })
  }

  /**
   * One operation at a time on a process: parallel CLIs asking to restart it must never run two
   * restarts side by side (each would spawn its own copy). An operation asked for while one of
   * the same kind waits its turn joins that one.
   */
  private enqueue(kind: 'halt' | 'restart' | 'stop', run: () => Promise<void>): Promise<void> {
    if (this.waiting?.kind === kind) return this.waiting.done
    const entry: {kind: typeof kind; done: Promise<void>} = {kind, done: Promise.resolve()}
    entry.done = this.operations.then(() => {
      if (this.waiting === entry) this.waiting = undefined
      return run()
    })
    this.waiting = entry
    this.operations = entry.done.catch(() => {})
    return entry.done
  }

  private async stopNow(): Promise<void> {
    if (this.restartTimer !== undefined) {
      this.deps.clock.clearTimeout(this.restartTimer)
      this.restartTimer = undefined
    }

    this.cancelPacedRestart?.()
    this.cancelPacedRestart = undefined
    if (this.queued) {
      this.deps.launchThrottle?.cancel(this.queued)
      this.queued = undefined
    }

    if (this.child && this.pid !== null) {
      this.stopping ??= this.stopGroup(this.child, this.pid)
      await this.stopping
      return
    }

    this.statusDetail = null
    if (this.startState.outcome === 'pending') this.settle('failed', 'stopped before it was online')
    if (this.status !== 'errored' || this.desired === 'stopped') this.setStatus('stopped')
  }

  /** Closes the log files; the process must be stopped first. */
  dispose(): void {
    for (const opened of this.openedLogs ?? []) opened.release()
    this.openedLogs = undefined
  }

  private logSinks(): {combined?: LogSink; err: LogSink; out: LogSink} {
    const report = (message: string) => this.deps.log(`${this.id}: ${message}`)
    const {max_log_size: maxSize, log_files: keepFiles} = this.spec
    this.openedLogs ??= this.logFiles.map((path) => this.openLog(path, maxSize, keepFiles, report))
    const [out, err, combined] = this.openedLogs.map((opened) => opened.log)
    return {out: out!, err: err!, combined}
  }

  snapshot(): ProcessSnapshot {
    return {
      name: this.name,
      instance: this.instance,
      id: this.id,
      number: this.number,
      status: this.status,
      desired: this.desired,
      pid: this.pid,
      proc_start_time: this.procStartTime,
      restarts: this.restarts,
      started_at: this.startedAt,
      last_exit: this.lastExit,
      last_error: this.lastError,
      log_bytes_dropped: (this.openedLogs ?? []).reduce((total, {log}) => total + log.droppedBytes, 0),
      status_detail: this.statusDetail,
      ready: this.readyState,
      health: this.healthState,
      last_restart_reason: this.lastRestartReason,
      start: {...this.startState},
    }
  }

  /** Spawns the app now, or queues it for a start-up slot (LaunchThrottle), spawned when its turn comes. */
  private launch(): void {
    // Never a second copy: a process that has a child (or a place in the queue) runs or will.
    if (this.child || this.queued || this.closed) return
    const throttle = this.deps.launchThrottle
    if (!throttle) {
      this.spawnNow()
      return
    }

    const launch: Launch = {
      untilReady: Boolean(this.spec.ready),
      spawn: () => {
        this.queued = undefined
        return this.spawnNow()
      },
    }
    if (throttle.admit(launch)) return
    this.queued = launch
    this.statusDetail = 'waiting for a start-up slot'
    this.setStatus('queued')
  }

  /** Spawns the app and wires it up; returns its pid (undefined: it could not be started). */
  private spawnNow(): number | undefined {
    if (this.child || this.closed || this.desired !== 'online') return undefined
    const {spec, deps} = this
    this.statusDetail = null
    const env = this.environment()
    if (!env) return undefined

    const sockets = deps.listenSockets?.()
    if (spec.listen.length > 0 && !sockets) {
      this.fail(`${this.id}: its listen sockets are not open`)
      return undefined
    }

    const launch = commandLine(spec, env, sockets)
    if (spec.ready?.kind === 'notify' && !launch.ipc) {
      this.fail(
        `${this.id}: ready: {notify: true} works for Node apps (process.send('ready')), and ${launch.command} is not Node; use a log, tcp, http or exec check`,
      )
      return undefined
    }

    let child: ChildProcess
    try {
      // detached: the app leads its own session and process group, so stop reaches its children.
      child = deps.spawn(launch.program, launch.argv, {
        cwd: spec.cwd,
        env: launch.env,
        detached: true,
        stdio: launch.stdio,
      })
    } catch (error) {
      this.fail(`${this.id}: cannot start ${launch.command}: ${(error as Error).message}`)
      return undefined
    }

    this.child = child
    this.pid = child.pid ?? null
    this.startedAt = deps.clock.now()
    this.procStartTime = this.pid === null ? null : (readProcStat(this.pid)?.startTime ?? null)
    const readiness =
      spec.ready &&
      new Readiness(spec.ready, {
        clock: deps.clock,
        context: {cwd: spec.cwd, env},
        onReady: (result) => this.becomeReady(child, result.message),
        onTimeout: (message) => this.failToStart(child, message),
      })
    this.readiness = readiness
    this.wireOutput(child, readiness, launch.ipc)

    let ended = false
    const onEnd = (code: null | number, signal: NodeJS.Signals | null, error?: Error) => {
      if (ended) return
      ended = true
      if (child.pid !== undefined) deps.launchThrottle?.forget(child.pid)
      if (error && child === this.child) {
        // Not found or not executable: trying again would fail the same way.
        this.child = undefined
        this.fail(`${this.id}: cannot start ${launch.command}: ${error.message}`)
        return
      }

      this.onRunEnded(child, code, signal)
    }

    child.once('error', (error) => onEnd(null, null, error))
    child.once('exit', (code, signal) => onEnd(code, signal))
    if (this.pid === null) return undefined // spawn failed; 'error' follows
    if (readiness) {
      this.setStatus('starting')
      readiness.start()
    } else {
      this.becomeReady(child, 'running (no ready check)')
    }

    return this.pid
  }

  /** App output to its log files (and to a log check); a Node app's messages to its notify check. */
  private wireOutput(child: ChildProcess, readiness: Readiness | undefined, ipc: boolean): void {
    const {clock} = this.deps
    const logs = this.logSinks()
    /** One stream's output to its log (and the combined one), stamped when log_date_format asks. */
    const writer = (log: LogSink) => {
      // A stamp goes at the start of each line; a new run starts at a line start.
      const stamper = this.dateFormat && new LineStamper(this.dateFormat)
      return (chunk: Buffer) => {
        const now = clock.now()
        const text = stamper ? stamper.stamp(chunk, now) : chunk
        log.write(text, now)
        logs.combined?.write(text, now)
        noteOutputBytes(chunk.length)
      }
    }

    const toOut = writer(logs.out)
    child.stdout?.on('data', (chunk: Buffer) => {
      toOut(chunk)
      readiness?.output(chunk)
    })
    child.stderr?.on('data', writer(logs.err))
    this.deps.observeOutput?.(this.id, child.stdout, child.stderr)
    if (ipc) {
      child.on('message', (message) => readiness?.message(message))
      // An app that exits with its channel open must not make the supervisor fail a write to it.
      child.on('error', () => {})
    }
  }

  /** The app's environment: the supervisor's, env_file, env, and the markers; undefined (failed) when env_file cannot be read. */
  private environment(): NodeJS.ProcessEnv | undefined {
    const {spec, deps} = this
    try {
      return {
        ...deps.baseEnv,
        ...(spec.env_file ? readEnvFile(spec.env_file) : {}),
        ...spec.env,
        // The app's own record of whose it is, set by exec itself: a later supervisor (or `tspm
        // list` when none answers) finds it through /proc whatever happened to status.json.
        [APP_HOME_MARKER]: deps.home,
        [APP_NAME_MARKER]: spec.name,
        // Which copy it is, by tspm's name and by PM2's (NODE_APP_INSTANCE).
        [APP_INSTANCE_MARKER]: String(this.instance),
        NODE_APP_INSTANCE: String(this.instance),
      }
    } catch (error) {
      this.fail(`${this.id}: ${(error as Error).message}`)
      return undefined
    }
  }

  /** The run passed its ready check (or has none): it is online, and its health checks begin. */
  private becomeReady(child: ChildProcess, message: string): void {
    if (child !== this.child || this.stopping) return
    // Without a ready check the throttle judges the start-up itself, from /proc.
    if (this.spec.ready) {
      this.readyState = {ok: true, at: this.deps.clock.now(), message}
      this.deps.launchThrottle?.ready(this.pid!)
    }

    this.setStatus('online')
    this.settle('ready', null)
    const {health} = this.spec
    if (!health) return
    this.healthMonitor = new HealthMonitor(health, {
      clock: this.deps.clock,
      context: {cwd: this.spec.cwd, env: {...this.deps.baseEnv, ...this.spec.env}},
      onResult: (state) => {
        this.healthState = state
        this.deps.onChange()
      },
      onUnhealthy: (why) => {
        if (child !== this.child) return
        this.lastError = `${this.id}: ${why}; restarted`
        this.deps.log(this.lastError)
        this.restart('health').catch(() => {})
      },
    })
    this.healthMonitor.start()
  }

  /** Not ready in time: that start failed, counted like a crash; the run is stopped gracefully first. */
  private failToStart(child: ChildProcess, message: string): void {
    if (child !== this.child || this.stopping || this.pid === null) return
    this.lastError = `${this.id}: ${message}`
    this.readyState = {ok: false, at: this.deps.clock.now(), message}
    this.deps.log(this.lastError)
    this.deps.launchThrottle?.ready(this.pid)
    this.settle('failed', message)
    this.failedStart = message
    this.stopping ??= this.stopGroup(child, this.pid)
  }

  /** A new start asked for: what `tspm start` waits for is its outcome. */
  private newStartAttempt(): void {
    this.startState = {attempt: this.startState.attempt + 1, outcome: 'pending', message: null}
  }

  private settle(outcome: 'failed' | 'ready', message: null | string): void {
    // Only the start that was asked for is settled, once: a crash later on is no start failing.
    if (this.startState.outcome !== 'pending') return
    this.startState = {...this.startState, outcome, message}
    for (const [i, check] of [...this.settledWaiters.entries()].reverse()) if (check()) this.settledWaiters.splice(i, 1)
    this.deps.onSettled?.()
  }

  private stopChecks(): void {
    this.readiness?.stop()
    this.readiness = undefined
    this.healthMonitor?.stop()
    this.healthMonitor = undefined
  }

  private onRunEnded(child: ChildProcess, code: null | number, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return
    noteProcessExit()
    const {clock} = this.deps
    const uptimeMs = this.startedAt === null ? 0 : clock.now() - this.startedAt
    const {pid} = this
    this.lastExit = {code, signal, at: clock.now()}
    if (this.stopping) return // stopGroup finishes the job

    const how = signal ? `signal ${signal}` : `code ${code}`
    if (this.status === 'starting' || this.status === 'queued') {
      const message = `exited with ${how} before it was ready`
      if (this.spec.ready) this.readyState = {ok: false, at: clock.now(), message}
      this.settle('failed', message)
    }

    this.stopChecks()
    // The leader died on its own: whatever it left in its group goes with it.
    if (pid !== null) signalGroup(pid, 'SIGKILL')
    this.child = undefined
    this.pid = null
    this.procStartTime = null
    this.afterRun(`${this.id} exited with ${how} after ${uptimeMs} ms`, this.policy.onExit({uptimeMs, exitCode: code}))
  }

  /** What follows a run that ended on its own (or failed to become ready): the policy's decision. */
  private afterRun(what: string, decision: ExitDecision): void {
    const {clock} = this.deps
    switch (decision.action) {
      case 'errored': {
        this.lastError = `${this.id} crashed ${decision.unstableRuns} time${decision.unstableRuns === 1 ? '' : 's'} in a row, each within min_uptime (${this.spec.min_uptime} ms); restart it by hand`
        this.deps.log(this.lastError)
        this.settle('failed', this.lastError)
        this.setStatus('errored')
        break
      }

      case 'restart': {
        this.deps.log(`${what}; restarting in ${decision.delayMs} ms`)
        this.setStatus('waiting-restart')
        this.restartTimer = clock.setTimeout(() => {
          this.restartTimer = undefined
          const restart = () => {
            this.cancelPacedRestart = undefined
            this.restarts++
            this.lastRestartReason = 'crash'
            this.countRestart('crash')
            this.launch()
          }

          this.cancelPacedRestart = (this.deps.paceRestart ?? restartNow)(restart)
        }, decision.delayMs)
        break
      }

      case 'stop': {
        this.deps.log(`${what}; not restarting (${decision.reason})`)
        this.settle('failed', `${what}`)
        this.setStatus('stopped')
        break
      }
    }
  }

  /** stop_signal to the group, kill_timeout for all of it to leave, then SIGKILL to the group. */
  private async stopGroup(child: ChildProcess, pgid: number): Promise<void> {
    const {clock} = this.deps
    this.stopChecks()
    this.setStatus('stopping')
    const deadline = clock.now() + this.spec.kill_timeout
    const leaderGone = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve()
      else child.once('exit', () => resolve())
    })
    this.deps.launchThrottle?.forget(pgid)
    askGroupToStop(pgid, this.spec.stop_signal)
    const killTimer = clock.setTimeout(() => signalGroup(pgid, 'SIGKILL'), this.spec.kill_timeout)
    await leaderGone
    while (groupAlive(pgid) && clock.now() < deadline) {
      await new Promise<void>((resolve) => {
        clock.setTimeout(resolve, GROUP_POLL_MS)
      })
    }

    clock.clearTimeout(killTimer)
    if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL')
    await drainOutput(child)
    this.child = undefined
    this.pid = null
    this.procStartTime = null
    this.stopping = undefined
    const {failedStart} = this
    this.failedStart = undefined
    // Stopped because it was not ready in time, and nobody asked to stop it meanwhile: a crash.
    if (failedStart !== undefined && this.desired === 'online' && !this.closed) {
      this.afterRun(`${this.id} was stopped: ${failedStart}`, this.policy.onExit({uptimeMs: 0, exitCode: null}))
      return
    }

    this.setStatus('stopped')
  }

  private fail(message: string): void {
    this.lastError = message
    this.deps.log(message)
    this.stopChecks()
    this.settle('failed', message)
    this.child = undefined
    this.pid = null
    this.setStatus('errored')
  }

  private setStatus(status: ProcessStatus): void {
    this.status = status
    this.deps.onChange()
  }
}

/**
 * What to spawn for a run: the interpreter (or the script) with its arguments; with sockets, the
 * LISTEN_PID wrapper in front, the sockets as fds 3, 4, ... (systemd's order) and the IPC channel
 * after them. Node apps get an IPC channel, as PM2 gives them: process.send('ready') works, and
 * an app written for PM2 that calls process.send does not crash.
 */
function commandLine(spec: ProcessSpec, env: NodeJS.ProcessEnv, sockets: ListenFds | undefined) {
  const [command, args] = spec.interpreter
    ? [spec.interpreter, [...spec.interpreter_args, spec.script, ...spec.args]]
    : [spec.script, spec.args]
  const ipc = isNode(command)
  const stdio: SpawnOptions['stdio'] = [
    'ignore',
    'pipe',
    'pipe',
    ...(sockets?.fds ?? []),
    ...(ipc ? ['ipc' as const] : []),
  ]
  if (!sockets) return {command, ipc, program: command, argv: args, env, stdio}
  // A Node app also gets the preload that makes its listen(PORT) serve tspm's socket for PORT.
  const ports = spec.listen.flatMap((address, i) => (address.kind === 'tcp' ? [`${address.port}=${3 + i}`] : []))
  const preload = ipc && ports.length > 0 ? ['--require', LISTEN_PRELOAD] : []
  return {
    command,
    ipc,
    program: LISTEN_PID_WRAPPER[0],
    argv: [...LISTEN_PID_WRAPPER.slice(1), command, ...preload, ...args],
    env: {
      ...env,
      LISTEN_FDS: String(sockets.fds.length),
      LISTEN_FDNAMES: sockets.names.join(':'),
      ...(preload.length > 0 ? {TSPM_LISTEN_PORTS: ports.join(',')} : {}),
    },
    stdio,
  }
}

/** supervisor/listen-preload.cts, compiled beside this file. */
const LISTEN_PRELOAD = fileURLToPath(new URL('listen-preload.cjs', import.meta.url))

/** A group with only zombies left counts as gone: nothing in it can hold a port. */
function groupAlive(pgid: number): boolean {
  return signalGroup(pgid, 0) && processGroupMembers(pgid).length > 0
}

const DRAIN_TIMEOUT_MS = 1000

/**
 * The leader's exit can come before its last output is read: wait for the pipes to reach their
 * end (every writer is gone by now), then close them, so nothing is lost and nothing lingers.
 */
async function drainOutput(child: ChildProcess): Promise<void> {
  const streams = [child.stdout, child.stderr].filter((stream) => stream && !stream.readableEnded && !stream.destroyed)
  await Promise.race([
    Promise.all(streams.map((stream) => once(stream!, 'close').catch(() => {}))),
    delay(DRAIN_TIMEOUT_MS, undefined, {ref: false}),
  ])
  for (const stream of streams) stream!.destroy()
}
