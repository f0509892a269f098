import {availableParallelism} from 'node:os'

import type {ProcessInfo, SavedProcess, StartResponse, StartTarget, WaitResponse} from '../model/api.js'
import type {ProcessSpec} from '../model/process-spec.js'
import type {HomePaths} from '../store/home.js'

import {CLOCK_TICKS_PER_SECOND, PAGE_SIZE, readProcStat} from '../os/proc.js'
import {findOrphans, stopOrphans} from '../store/orphans.js'
import {STATUS_FORMAT_VERSION, type StatusFile, writeStatusFile} from '../store/status-file.js'
import {type Clock, isoTimestamp} from './clock.js'
import {blockers, type DependencyView, stopWaves, waitingDetail} from './dependencies.js'
import {LaunchThrottle} from './launch-throttle.js'
import {ManagedProcess, type SpawnFunction} from './managed-process.js'
import {RestartPacer} from './restart-pacer.js'

/** Automatic restarts across all apps: at most two per core in any 100 ms (see RestartPacer). */
const RESTARTS_PER_WINDOW = 2 * availableParallelism()
const RESTART_WINDOW_MS = 100
const STATUS_RETRY_MS = 1000
const STATUS_WRITE_INTERVAL_MS = 100

export class UnknownProcessError extends Error {
  constructor(
    readonly processName: string,
    known: string[],
  ) {
    super(
      `no process named "${processName}"` +
        (known.length > 0
          ? `; known: ${known.join(', ')} (or "all")`
          : '; nothing is managed yet (start one with `tspm start`)'),
    )
    this.name = 'UnknownProcessError'
  }
}

export interface SupervisorDeps {
  paths: HomePaths
  clock: Clock
  spawn: SpawnFunction
  baseEnv: NodeJS.ProcessEnv
  log: (message: string) => void
}

/** The process table of one TSPM_HOME and the operations the control API offers on it. */
export class Supervisor {
  private readonly processes = new Map<string, ManagedProcess>()
  private readonly cpuSamples = new Map<number, {ticks: number; at: number}>()
  private statusWriteScheduled = false
  private lastStatusWrite = 0
  private dependencyCheckScheduled = false
  /** Waiters of waitSettled(): each returns true (and is dropped) once it has answered. */
  private readonly settleWaiters = new Set<() => boolean>()
  private statusWriteFailing = false
  private statusRetry: unknown
  private shuttingDown: Promise<void> | undefined
  private readonly restartPacer: RestartPacer
  private readonly launchThrottle: LaunchThrottle

  constructor(private readonly deps: SupervisorDeps) {
    this.restartPacer = new RestartPacer(deps.clock, RESTARTS_PER_WINDOW, RESTART_WINDOW_MS)
    this.launchThrottle = new LaunchThrottle({
      clock: deps.clock,
      // Two per core: a starting app spends part of its start-up waiting (disk, its own listen),
      // and one more so no core idles while a slot changes hands.
      slots: 2 * availableParallelism() + 1,
      readStat: readProcStat,
    })
  }

  /** Starts each process (or registers it stopped); a name that already runs is reported, not duplicated. */
  async start(entries: SavedProcess[]): Promise<StartResponse> {
    if (this.shuttingDown) throw new Error('the supervisor is shutting down; start again once it has stopped')
    const results: StartResponse['results'] = []
    const toStart: Array<{managed: ManagedProcess; spec: ProcessSpec}> = []
    for (const {spec, desired} of entries) {
      const existing = this.processes.get(spec.name)
      if (existing?.isActive || existing?.status === 'stopping') {
        results.push({name: spec.name, outcome: 'already-running'})
        continue
      }

      const managed = existing ?? this.add(spec)
      managed.spec = spec
      if (desired === 'stopped') {
        results.push({name: spec.name, outcome: 'stopped'})
        continue
      }

      toStart.push({managed, spec})
      results.push({name: spec.name, outcome: 'started'})
    }

    // All of them known first, so depends_on within one start sees its dependencies.
    for (const {managed, spec} of toStart) this.startOrWait(managed, spec)

    // Spawn failures (missing script, no permission) are reported on the next tick.
    await new Promise((resolve) => {
      setImmediate(resolve)
    })
    for (const result of results) {
      const managed = this.processes.get(result.name)!
      if (result.outcome !== 'started') continue
      result.attempt = managed.startAttempt
      if (managed.status === 'errored') {
        result.outcome = 'failed'
        result.error = managed.snapshot().last_error ?? 'failed to start'
      }
    }

    return {results}
  }

  /**
   * Resolves once each start asked for is settled: the process is online, or that start failed
   * (see ProcessSnapshot.start). What `tspm start` waits for, without polling the table.
   */
  waitSettled(targets: StartTarget[]): Promise<WaitResponse> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        const results: WaitResponse['results'] = []
        for (const {name, attempt} of targets) {
          const managed = this.processes.get(name)
          if (!managed) {
            results.push({name, online: false, message: 'it was deleted meanwhile'})
            continue
          }

          const {start} = managed.snapshot()
          if (start.attempt < attempt || start.outcome === 'pending') return false
          results.push({name, online: start.outcome === 'ready', message: start.message})
        }

        resolve({results})
        return true
      }

      if (!check()) this.settleWaiters.add(check)
    })
  }

  private answerSettleWaiters(): void {
    for (const check of this.settleWaiters) if (check()) this.settleWaiters.delete(check)
  }

  /** Starts a process now, or makes it wait for what it depends on to be online. */
  private startOrWait(managed: ManagedProcess, spec: ProcessSpec = managed.spec): void {
    const blocked = blockers(managed.name, this.dependencyViews())
    if (blocked.waitingFor.length === 0) managed.start(spec)
    else managed.wait(waitingDetail(blocked), spec)
  }

  private dependencyViews(): Map<string, DependencyView> {
    return new Map(
      [...this.processes.values()].map((managed) => [
        managed.name,
        {
          status: managed.status,
          startFailed: managed.snapshot().start.outcome === 'failed',
          dependsOn: managed.spec.depends_on,
        },
      ]),
    )
  }

  /** After any change: the waiting processes whose dependencies are all online start now. */
  private scheduleDependencyCheck(): void {
    if (this.dependencyCheckScheduled || ![...this.processes.values()].some((managed) => managed.status === 'waiting'))
      return
    this.dependencyCheckScheduled = true
    setImmediate(() => {
      this.dependencyCheckScheduled = false
      const views = this.dependencyViews()
      for (const managed of this.processes.values()) {
        if (managed.status !== 'waiting') continue
        const blocked = blockers(managed.name, views)
        if (blocked.waitingFor.length === 0) managed.start()
        else managed.waitingOn(waitingDetail(blocked), blocked.problems.length > 0)
      }
    })
  }

  async stop(target: string): Promise<string[]> {
    const selected = this.select(target)
    await this.inStopOrder(selected, (managed) => managed.stop())
    return selected.map((managed) => managed.name)
  }

  /** Many at once: all are stopped (dependents first), then started again in dependency order. */
  async restart(target: string): Promise<string[]> {
    const selected = this.select(target)
    if (selected.length === 1) {
      await selected[0]!.restart('manual', () => this.startOrWait(selected[0]!))
    } else {
      await this.inStopOrder(selected, (managed) => managed.restart('manual', () => {}))
      for (const managed of selected) this.startOrWait(managed)
    }

    return selected.map((managed) => managed.name)
  }

  async delete(target: string): Promise<string[]> {
    const selected = this.select(target)
    await this.inStopOrder(selected, (managed) => managed.halt())
    for (const managed of selected) {
      managed.dispose()
      this.processes.delete(managed.name)
    }

    this.scheduleStatusWrite()
    return selected.map((managed) => managed.name)
  }

  /** Stops every app without changing what the user wants, so a later resurrect sees the same list. */
  shutdown(): Promise<void> {
    this.shuttingDown ??= (async () => {
      await this.inStopOrder([...this.processes.values()], (managed) => managed.halt())
      for (const managed of this.processes.values()) managed.dispose()
      this.writeStatus()
    })()
    return this.shuttingDown
  }

  /** Runs `stop` on each, in waves: a process stops only once every process that depends on it has. */
  private async inStopOrder(
    selected: ManagedProcess[],
    stop: (managed: ManagedProcess) => Promise<void>,
  ): Promise<void> {
    const byName = new Map(selected.map((managed) => [managed.name, managed]))
    for (const wave of stopWaves([...byName.keys()], (name) => byName.get(name)!.spec.depends_on)) {
      await Promise.all(wave.map((name) => stop(byName.get(name)!)))
    }
  }

  /** Every app's log files opened again by name (SIGUSR2, after logrotate moved them). */
  reopenLogs(): void {
    for (const managed of this.processes.values()) managed.reopenLogs()
  }

  /** How many processes the table holds, whatever their state. */
  get size(): number {
    return this.processes.size
  }

  list(): ProcessInfo[] {
    const now = Date.now()
    const seen = new Set<number>()
    const infos = [...this.processes.values()].map((managed) => {
      const snapshot = managed.snapshot()
      const {spec} = managed
      let cpu = 0
      let memory = 0
      const stat = snapshot.pid === null ? undefined : readProcStat(snapshot.pid)
      if (stat && snapshot.started_at !== null) {
        seen.add(stat.pid)
        const previous = this.cpuSamples.get(stat.pid) ?? {ticks: 0, at: snapshot.started_at}
        const seconds = (now - previous.at) / 1000
        cpu =
          seconds > 0
            ? Math.round(((stat.cpuTicks - previous.ticks) / CLOCK_TICKS_PER_SECOND / seconds) * 1000) / 10
            : 0
        this.cpuSamples.set(stat.pid, {ticks: stat.cpuTicks, at: now})
        memory = stat.rssPages * PAGE_SIZE
      }

      const online = snapshot.status === 'online' && snapshot.started_at !== null
      return {
        ...snapshot,
        uptime_ms: online ? now - snapshot.started_at! : 0,
        cpu: Math.max(cpu, 0),
        memory,
        script: spec.script,
        args: spec.args,
        cwd: spec.cwd,
      }
    })
    for (const pid of this.cpuSamples.keys()) if (!seen.has(pid)) this.cpuSamples.delete(pid)
    return infos
  }

  /** What `save` writes: each spec as configured and whether the user wants it running. */
  saved(): SavedProcess[] {
    return [...this.processes.values()].map((managed) => ({spec: managed.spec, desired: managed.desired}))
  }

  /**
   * Stops what an earlier supervisor of this home left running (it died without stopping its
   * apps), found by status.json and by the markers in the apps' environment (store/orphans.ts).
   */
  async stopOrphans(): Promise<string[]> {
    const orphans = findOrphans(this.deps.paths)
    await stopOrphans(orphans)
    return orphans.map(
      (orphan) => `stopped ${orphan.name} (pid ${orphan.pids.join(', ')}), left running by an earlier supervisor`,
    )
  }

  private add(spec: ProcessSpec): ManagedProcess {
    const {deps} = this
    const managed = new ManagedProcess(spec, {
      clock: deps.clock,
      spawn: deps.spawn,
      home: deps.paths.home,
      logsDir: deps.paths.logsDir,
      baseEnv: deps.baseEnv,
      log: deps.log,
      onChange: () => {
        this.scheduleStatusWrite()
        this.scheduleDependencyCheck()
        this.answerSettleWaiters()
      },
      onSettled: () => this.answerSettleWaiters(),
      paceRestart: (restart) => this.restartPacer.schedule(restart),
      launchThrottle: this.launchThrottle,
    })
    this.processes.set(spec.name, managed)
    return managed
  }

  private select(target: string): ManagedProcess[] {
    if (target === 'all') return [...this.processes.values()]
    const managed = this.processes.get(target)
    if (!managed) throw new UnknownProcessError(target, [...this.processes.keys()])
    return [managed]
  }

  /** Changes within one tick are written once; status.json then mirrors the table. */
  /**
   * Changes are written out together, at most once per STATUS_WRITE_INTERVAL_MS: fifty apps
   * starting change the table hundreds of times, and each write is a rename. Nothing depends on
   * a write being sooner: every app carries its marker from its exec on (store/orphans.ts).
   */
  private scheduleStatusWrite(): void {
    if (this.statusWriteScheduled) return
    this.statusWriteScheduled = true
    const wait = Math.max(0, this.lastStatusWrite + STATUS_WRITE_INTERVAL_MS - Date.now())
    const write = () => {
      this.statusWriteScheduled = false
      this.writeStatus()
    }

    if (wait === 0) setImmediate(write)
    else setTimeout(write, wait)
  }

  writeStatus(): void {
    this.lastStatusWrite = Date.now()
    const status: StatusFile = {
      version: STATUS_FORMAT_VERSION,
      supervisor_pid: process.pid,
      updated_at: isoTimestamp(),
      processes: [...this.processes.values()].map((managed) => ({
        ...managed.snapshot(),
        stop_signal: managed.spec.stop_signal,
        kill_timeout: managed.spec.kill_timeout,
      })),
    }
    try {
      writeStatusFile(this.deps.paths, status)
    } catch (error) {
      // A stale status.json would let a crash leave a duplicate: retry until it is written.
      if (!this.statusWriteFailing) {
        this.deps.log(
          `cannot write ${this.deps.paths.statusFile}: ${(error as Error).message}; retrying every second until it can`,
        )
      }

      this.statusWriteFailing = true
      this.statusRetry ??= this.deps.clock.setTimeout(() => {
        this.statusRetry = undefined
        this.writeStatus()
      }, STATUS_RETRY_MS)
      return
    }

    if (this.statusWriteFailing) {
      this.statusWriteFailing = false
      this.deps.log(`${this.deps.paths.statusFile} is written again`)
    }
  }
}
