import {availableParallelism} from 'node:os'

import type {ProcessInfo, SavedProcess, StartResponse} from '../model/api.js'
import type {ProcessSpec} from '../model/process-spec.js'
import type {HomePaths} from '../store/home.js'

import {CLOCK_TICKS_PER_SECOND, PAGE_SIZE, readProcStat, signalGroup} from '../os/proc.js'
import {findOrphans, stopOrphans} from '../store/orphans.js'
import {STATUS_FORMAT_VERSION, type StatusFile, writeStatusFile} from '../store/status-file.js'
import {type Clock, isoTimestamp} from './clock.js'
import {LaunchThrottle} from './launch-throttle.js'
import {ManagedProcess, type SpawnFunction} from './managed-process.js'
import {RestartPacer} from './restart-pacer.js'

/** Automatic restarts across all apps: at most two per core in any 100 ms (see RestartPacer). */
const RESTARTS_PER_WINDOW = 2 * availableParallelism()
const RESTART_WINDOW_MS = 100
const STATUS_RETRY_MS = 1000

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
  private statusWriteFailing = false
  private statusRetry: unknown
  private shuttingDown: Promise<void> | undefined
  private readonly restartPacer: RestartPacer
  private readonly launchThrottle: LaunchThrottle

  constructor(private readonly deps: SupervisorDeps) {
    this.restartPacer = new RestartPacer(deps.clock, RESTARTS_PER_WINDOW, RESTART_WINDOW_MS)
    this.launchThrottle = new LaunchThrottle({
      clock: deps.clock,
      // One per core, and one more so no core idles while a slot changes hands.
      slots: availableParallelism() + 1,
      readStat: readProcStat,
      signalGroup,
    })
  }

  /** Starts each process (or registers it stopped); a name that already runs is reported, not duplicated. */
  async start(entries: SavedProcess[]): Promise<StartResponse> {
    if (this.shuttingDown) throw new Error('the supervisor is shutting down; start again once it has stopped')
    const results: StartResponse['results'] = []
    for (const {spec, desired} of entries) {
      const existing = this.processes.get(spec.name)
      if (existing?.isActive || existing?.status === 'stopping') {
        results.push({name: spec.name, outcome: 'already-running'})
        continue
      }

      const managed = existing ?? this.add(spec)
      if (desired === 'stopped') {
        managed.spec = spec
        results.push({name: spec.name, outcome: 'stopped'})
        continue
      }

      managed.start(spec)
      results.push({name: spec.name, outcome: 'started'})
    }

    // Spawn failures (missing script, no permission) are reported on the next tick.
    await new Promise((resolve) => {
      setImmediate(resolve)
    })
    for (const result of results) {
      const managed = this.processes.get(result.name)!
      if (result.outcome === 'started' && managed.status === 'errored') {
        result.outcome = 'failed'
        result.error = managed.snapshot().last_error ?? 'failed to start'
      }
    }

    return {results}
  }

  async stop(target: string): Promise<string[]> {
    const selected = this.select(target)
    await Promise.all(selected.map((managed) => managed.stop()))
    return selected.map((managed) => managed.name)
  }

  async restart(target: string): Promise<string[]> {
    const selected = this.select(target)
    await Promise.all(selected.map((managed) => managed.restart()))
    return selected.map((managed) => managed.name)
  }

  async delete(target: string): Promise<string[]> {
    const selected = this.select(target)
    await Promise.all(selected.map((managed) => managed.halt()))
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
      await Promise.all([...this.processes.values()].map((managed) => managed.halt()))
      for (const managed of this.processes.values()) managed.dispose()
      this.writeStatus()
    })()
    return this.shuttingDown
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
      onChange: () => this.scheduleStatusWrite(),
      onSpawn: () => this.writeStatus(),
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
  private scheduleStatusWrite(): void {
    if (this.statusWriteScheduled) return
    this.statusWriteScheduled = true
    setImmediate(() => {
      this.statusWriteScheduled = false
      this.writeStatus()
    })
  }

  writeStatus(): void {
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
        this.deps.log(`cannot write ${this.deps.paths.statusFile}: ${(error as Error).message}; retrying every second until it can`)
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
