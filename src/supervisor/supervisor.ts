import {availableParallelism} from 'node:os'

import type {
  FlushResponse,
  ProcessInfo,
  ReloadResult,
  SavedProcess,
  StartResponse,
  StartTarget,
  WaitResponse,
} from '../model/api.js'
import type {ProcessSpec} from '../model/process-spec.js'

import {CLOCK_TICKS_PER_SECOND, PAGE_SIZE, readProcStat} from '../os/proc.js'
import {appInstanceLogs, appLogPaths, type HomePaths} from '../store/home.js'
import {findOrphans, stopOrphans} from '../store/orphans.js'
import {STATUS_FORMAT_VERSION, type StatusFile, writeStatusFile} from '../store/status-file.js'
import {App} from './app.js'
import {type Clock, isoTimestamp} from './clock.js'
import {blockers, type DependencyView, stopWaves, waitingDetail} from './dependencies.js'
import {LaunchThrottle} from './launch-throttle.js'
import {LogFiles} from './log-files.js'
import {ManagedProcess, type OutputObserver, type SpawnFunction} from './managed-process.js'
import {MemoryLimits} from './memory-limit.js'
import {RestartPacer} from './restart-pacer.js'
import {RestartTriggers, type TriggerReason} from './restart-triggers.js'

/** Automatic restarts across all apps: at most two per core in any 100 ms (see RestartPacer). */
const RESTARTS_PER_WINDOW = 2 * availableParallelism()
const RESTART_WINDOW_MS = 100
const STATUS_RETRY_MS = 1000
const STATUS_WRITE_INTERVAL_MS = 500

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

/** `web:5` when web has fewer instances. */
class UnknownInstanceError extends UnknownProcessError {
  constructor(app: App, number: number) {
    super(`${app.name}:${number}`, [])
    const count = app.instances.length
    this.message = `${app.name} has no instance ${number}: it runs ${count} (${count === 1 ? `${app.name}:0` : `${app.name}:0 to ${app.name}:${count - 1}`})`
  }
}

/** An operation that takes an app, given one instance (`delete web:2`). */
export class NotForInstanceError extends Error {}

/** An operation on a running process (a signal), asked of one that does not run. */
export class NotRunningError extends Error {}

/** `web:2`: one instance of an app; digits after the last ":" (no process name holds a ":"). */
const INSTANCE_TARGET = /^(.+):(\d+)$/

export interface SupervisorDeps {
  paths: HomePaths
  clock: Clock
  spawn: SpawnFunction
  baseEnv: NodeJS.ProcessEnv
  log: (message: string) => void
  /** Told of each run's output and of every change of the table (`tspm run`). */
  observer?: SupervisorObserver
}

export interface SupervisorObserver {
  output?: OutputObserver
  changed?: () => void
}

/** The process table of one TSPM_HOME and the operations the control API offers on it. */
export class Supervisor {
  private readonly apps = new Map<string, App>()
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
  private readonly logFiles = new LogFiles()
  private nextNumber = 0
  private readonly memoryLimits: MemoryLimits
  /** cron_restart and watch, per app, while the app is wanted online; with the key of what they were made for. */
  private readonly triggers = new Map<string, {key: string; triggers: RestartTriggers}>()
  private triggerSyncScheduled = false

  constructor(private readonly deps: SupervisorDeps) {
    this.restartPacer = new RestartPacer(deps.clock, RESTARTS_PER_WINDOW, RESTART_WINDOW_MS)
    this.launchThrottle = new LaunchThrottle({
      clock: deps.clock,
      // Two per core: a starting app spends part of its start-up waiting (disk, its own listen),
      // and one more so no core idles while a slot changes hands.
      slots: 2 * availableParallelism() + 1,
      readStat: readProcStat,
    })
    this.memoryLimits = new MemoryLimits({clock: deps.clock, members: () => this.members, log: deps.log})
  }

  /** Starts each process (or registers it stopped); a name that already runs is reported, not duplicated. */
  async start(entries: SavedProcess[]): Promise<StartResponse> {
    if (this.shuttingDown) throw new Error('the supervisor is shutting down; start again once it has stopped')
    const results: StartResponse['results'] = []
    const toStart: Array<{app: App; spec: ProcessSpec}> = []
    for (const {spec, desired, numbers} of entries) {
      const existing = this.apps.get(spec.name)
      if (existing?.isActive || existing?.status === 'stopping') {
        results.push({name: spec.name, outcome: 'already-running'})
        continue
      }

      const app = existing ?? this.add(spec)
      app.define(spec, existing ? app.numbers : numbers)
      if (desired === 'stopped') {
        results.push({name: spec.name, outcome: 'stopped'})
        continue
      }

      toStart.push({app, spec})
      results.push({name: spec.name, outcome: 'started'})
    }

    // Every socket bound before anything starts, as systemd's sockets come before its services.
    await Promise.all(toStart.map(({app}) => app.openSockets()))
    // All of them known first, so depends_on within one start sees its dependencies.
    for (const {app, spec} of toStart) this.startOrWait(app, spec)

    // Spawn failures (missing script, no permission) are reported on the next tick.
    await new Promise((resolve) => {
      setImmediate(resolve)
    })
    for (const result of results) {
      const app = this.apps.get(result.name)!
      if (result.outcome !== 'started') continue
      result.targets = app.instances.map((member) => ({name: member.id, attempt: member.startAttempt}))
      const failed = app.instances.find((member) => member.status === 'errored')
      if (failed) {
        result.outcome = 'failed'
        result.error = failed.snapshot().last_error ?? 'failed to start'
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
      // Each check goes on from the first target still pending (they mostly settle in order), so
      // fifty starts cost a look each per change, not fifty; all are looked at again before the
      // answer, since a restart meanwhile makes a settled one pending again.
      let next = 0
      const pending = (target: StartTarget): boolean => {
        const start = this.memberById(target.name)?.startOutcome
        return start !== undefined && (start.attempt < target.attempt || start.outcome === 'pending')
      }

      const check = (): boolean => {
        while (next < targets.length && !pending(targets[next]!)) next++
        if (next < targets.length) return false
        next = targets.findIndex((target) => pending(target))
        if (next !== -1) return false
        resolve({results: targets.map((target) => this.settledResult(target))})
        return true
      }

      if (!check()) this.settleWaiters.add(check)
    })
  }

  private settledResult({name}: StartTarget): WaitResponse['results'][number] {
    const start = this.memberById(name)?.startOutcome
    if (!start) return {name, online: false, message: 'it was deleted meanwhile'}
    return {name, online: start.outcome === 'ready', message: start.message}
  }

  private answerSettleWaiters(): void {
    for (const check of this.settleWaiters) if (check()) this.settleWaiters.delete(check)
  }

  /** Starts an app now, or makes it wait for what it depends on to be online. */
  private startOrWait(app: App, spec: ProcessSpec = app.spec): void {
    if (spec.depends_on.length === 0) {
      app.start(spec)
      return
    }

    const blocked = blockers(app.name, this.dependencyViews())
    if (blocked.waitingFor.length === 0) app.start(spec)
    else app.wait(waitingDetail(blocked), spec)
  }

  private dependencyViews(): Map<string, DependencyView> {
    return new Map(
      [...this.apps.values()].map((app) => [
        app.name,
        {status: app.status, startFailed: app.startFailed, dependsOn: app.spec.depends_on},
      ]),
    )
  }

  /** The instance a wait target or a command names: `web` (an app of one instance) or `web:2`. */
  private memberById(id: string): ManagedProcess | undefined {
    for (const app of this.apps.values()) {
      const found = app.instances.find((member) => member.id === id)
      if (found) return found
    }

    return undefined
  }

  /** After any change: the waiting processes whose dependencies are all online start now. */
  private scheduleDependencyCheck(): void {
    // Once per turn of the event loop, however many changes it had (fifty apps starting make hundreds).
    if (this.dependencyCheckScheduled) return
    this.dependencyCheckScheduled = true
    setImmediate(() => {
      this.dependencyCheckScheduled = false
      if (![...this.apps.values()].some((app) => app.status === 'waiting')) return
      const views = this.dependencyViews()
      for (const app of this.apps.values()) {
        if (app.status !== 'waiting') continue
        const blocked = blockers(app.name, views)
        if (blocked.waitingFor.length === 0) app.start()
        else app.waitingOn(waitingDetail(blocked), blocked.problems.length > 0)
      }
    })
  }

  /** Stops an app (all its instances, then its sockets) or one instance; returns the ids stopped. */
  async stop(target: string): Promise<string[]> {
    const selected = this.select(target)
    if (selected.instance) {
      await selected.instance.stop()
      selected.apps[0]!.releaseIfIdle()
      return [selected.instance.id]
    }

    await this.inStopOrder(selected.apps, (app) => app.stop())
    return idsOf(selected.apps)
  }

  /** Many at once: all are stopped (dependents first), then started again in dependency order. */
  async restart(target: string): Promise<string[]> {
    const selected = this.select(target)
    const {instance, apps} = selected
    if (instance) {
      await instance.restart('manual')
      return [instance.id]
    }

    if (apps.length === 1) {
      await apps[0]!.restart('manual', () => this.startOrWait(apps[0]!))
    } else {
      await this.inStopOrder(apps, (app) => app.restart('manual', () => {}))
      for (const app of apps) this.startOrWait(app)
    }

    return idsOf(apps)
  }

  /**
   * Rolls new instances in, one at a time, each ready before the old one stops (App.reload); with
   * `specs`, the apps they name take their new definitions. Apps go one after another, what they
   * depend on first.
   */
  async reload(target: string, specs: ProcessSpec[] = []): Promise<ReloadResult[]> {
    const selected = this.select(target)
    const bySpec = new Map(specs.map((spec) => [spec.name, spec]))
    const results: ReloadResult[] = []
    const order = stopWaves(
      selected.apps.map((app) => app.name),
      (name) => this.apps.get(name)!.spec.depends_on,
    ).reverse()
    for (const name of order.flat()) {
      const app = this.apps.get(name)!
      results.push(await app.reload(bySpec.get(name) ?? app.spec, selected.instance?.instance))
    }

    return results
  }

  /** Starts or stops instances of one app until `count` run. */
  async scale(target: string, count: number): Promise<string[]> {
    const {apps, instance} = this.select(target)
    if (instance || target === 'all') throw new NotForInstanceError(`scale takes the name of one app, got "${target}"`)
    return apps[0]!.scale(count)
  }

  async delete(target: string): Promise<string[]> {
    const {apps, instance} = this.select(target)
    if (instance) {
      throw new NotForInstanceError(
        `delete removes a whole app; to run fewer instances of ${apps[0]!.name}, use \`tspm scale ${apps[0]!.name} N\``,
      )
    }

    await this.inStopOrder(apps, (app) => app.halt())
    const ids = idsOf(apps)
    for (const app of apps) {
      app.dispose()
      this.apps.delete(app.name)
    }

    this.scheduleStatusWrite()
    return ids
  }

  /** Stops every app without changing what the user wants, so a later resurrect sees the same list. */
  shutdown(): Promise<void> {
    this.shuttingDown ??= (async () => {
      this.memoryLimits.stop()
      for (const {triggers} of this.triggers.values()) triggers.stop()
      this.triggers.clear()
      await this.inStopOrder([...this.apps.values()], (app) => app.halt())
      for (const app of this.apps.values()) app.dispose()
      this.writeStatus()
    })()
    return this.shuttingDown
  }

  /** Runs `stop` on each, in waves: an app stops only once every app that depends on it has. */
  private async inStopOrder(selected: App[], stop: (app: App) => Promise<void>): Promise<void> {
    const byName = new Map(selected.map((app) => [app.name, app]))
    for (const wave of stopWaves([...byName.keys()], (name) => byName.get(name)!.spec.depends_on)) {
      await Promise.all(wave.map((name) => stop(byName.get(name)!)))
    }
  }

  /** Sends a signal to the running processes of an app (or one instance), or to their process groups. */
  signal(target: string, signal: NodeJS.Signals, group: boolean): string[] {
    const sent = this.instancesOf(target)
      .filter((member) => member.sendSignal(signal, group))
      .map((member) => member.id)
    if (sent.length === 0) {
      throw new NotRunningError(
        `${target === 'all' ? 'no process' : target} is not running: there is no process to send ${signal} to`,
      )
    }

    return sent
  }

  /** Restart counters back to 0 (`tspm reset`). */
  reset(target: string): string[] {
    const members = this.instancesOf(target)
    for (const member of members) member.resetCounters()
    return members.map((member) => member.id)
  }

  /** The instances `target` names: one (`web:2`, or a number), or every instance of the apps it names. */
  private instancesOf(target: string): ManagedProcess[] {
    const {apps, instance} = this.select(target)
    return instance ? [instance] : apps.flatMap((app) => app.instances)
  }

  /**
   * After any change: each app wanted online has the cron_restart and watch triggers its spec asks
   * for (made again when the spec changes them), and the others have none.
   */
  private scheduleTriggerSync(): void {
    if (this.triggerSyncScheduled) return
    this.triggerSyncScheduled = true
    setImmediate(() => {
      this.triggerSyncScheduled = false
      if (this.shuttingDown) return
      for (const [name, {key, triggers}] of this.triggers) {
        const app = this.apps.get(name)
        if (app && app.desired === 'online' && key === this.triggerKey(app)) continue
        triggers.stop()
        this.triggers.delete(name)
      }

      for (const app of this.apps.values()) {
        if (app.desired !== 'online' || !RestartTriggers.wanted(app.spec) || this.triggers.has(app.name)) continue
        const triggers = new RestartTriggers(app.spec, {
          restart: (reason, why) => this.restartFor(app, reason, why),
          log: this.deps.log,
          logFiles: this.logFilesOf(app),
        })
        this.triggers.set(app.name, {key: this.triggerKey(app), triggers})
        triggers.start().finally(() => this.scheduleStatusWrite())
      }
    })
  }

  private triggerKey(app: App): string {
    return RestartTriggers.key(app.spec, this.logFilesOf(app))
  }

  private logFilesOf(app: App): string[] {
    return app.processes.flatMap((member) => member.logFiles)
  }

  /** A restart by cron_restart or watch: the whole app, through the dependency gate, as `tspm restart` does. */
  private restartFor(app: App, reason: TriggerReason, why: string): void {
    if (this.apps.get(app.name) !== app || app.desired !== 'online' || app.status === 'waiting') return
    this.deps.log(`${app.name}: ${why}; restarting it (${reason})`)
    app.restart(reason, () => this.startOrWait(app)).catch(() => {})
  }

  /** Every app's log files opened again by name (SIGUSR2, after logrotate moved them). */
  reopenLogs(): void {
    this.logFiles.reopenAll()
  }

  /**
   * Empties the log files of an app (those of every instance, gone ones included) or of one
   * instance, while the apps keep writing (RotatingLog.flush); `all`: of every app.
   */
  flushLogs(target: string): FlushResponse {
    const {apps, instance} = this.select(target)
    const {logsDir} = this.deps.paths
    const results = apps.map((app) => {
      const found = instance ? [] : appInstanceLogs(app.spec, logsDir).map((entry) => entry.files)
      const members = (instance ? [instance] : app.processes).map((member) =>
        appLogPaths(member.spec, logsDir, member.instance),
      )
      const paths = new Set([...found, ...members].flatMap(({combined, err, out}) => [out, err, combined ?? []].flat()))
      const emptied: string[] = []
      const removed: string[] = []
      for (const path of paths) {
        const done = this.logFiles.flush(path)
        emptied.push(...done.emptied)
        removed.push(...done.removed)
      }

      return {name: instance?.id ?? app.name, emptied, removed}
    })
    return {results}
  }

  /** How many apps the table holds, whatever their state. */
  get size(): number {
    return this.apps.size
  }

  /** Each process's state, without looking at /proc. */
  snapshots(): ReturnType<ManagedProcess['snapshot']>[] {
    return this.members.map((member) => member.snapshot())
  }

  private get members(): ManagedProcess[] {
    return [...this.apps.values()].flatMap((app) => app.processes)
  }

  /** The instances of every app, one per id (a reload's new and old copies of one are left out), for the metrics. */
  get instances(): ManagedProcess[] {
    return [...this.apps.values()].flatMap((app) => app.instances)
  }

  list(): ProcessInfo[] {
    const now = Date.now()
    const seen = new Set<number>()
    const infos = this.members.map((managed) => {
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
      const triggers = this.triggers.get(managed.name)?.triggers
      return {
        ...snapshot,
        uptime_ms: online ? now - snapshot.started_at! : 0,
        cpu: Math.max(cpu, 0),
        memory,
        script: spec.script,
        args: spec.args,
        cwd: spec.cwd,
        triggers: triggers
          ? {cron_next_at: triggers.nextCronRun, time_zone: triggers.timeZone, watching: triggers.isWatching}
          : null,
      }
    })
    for (const pid of this.cpuSamples.keys()) if (!seen.has(pid)) this.cpuSamples.delete(pid)
    return infos
  }

  /** What `save` writes: each spec as configured and whether the user wants it running. */
  saved(): SavedProcess[] {
    return [...this.apps.values()].map((app) => ({spec: app.spec, desired: app.desired, numbers: app.numbers}))
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

  private add(spec: ProcessSpec): App {
    const {deps, memoryLimits} = this
    const onChange = () => {
      this.scheduleStatusWrite()
      this.scheduleDependencyCheck()
      this.answerSettleWaiters()
      this.scheduleTriggerSync()
      deps.observer?.changed?.()
    }

    const app = new App(spec, {
      log: deps.log,
      onChange,
      createInstance: (instanceSpec, instance, listenSockets, wanted) => {
        const managed: ManagedProcess = new ManagedProcess(
          instanceSpec,
          {
            clock: deps.clock,
            spawn: deps.spawn,
            home: deps.paths.home,
            logsDir: deps.paths.logsDir,
            baseEnv: deps.baseEnv,
            log: deps.log,
            onChange() {
              onChange()
              memoryLimits.changed(managed)
            },
            onSettled: () => this.answerSettleWaiters(),
            paceRestart: (restart) => this.restartPacer.schedule(restart),
            launchThrottle: this.launchThrottle,
            openLog: this.logFiles.openLog,
            listenSockets,
            observeOutput: deps.observer?.output,
          },
          instance,
          this.takeNumber(wanted),
        )
        return managed
      },
    })
    this.apps.set(spec.name, app)
    return app
  }

  /** `wanted` when no process of this home has it, else the next number nobody has had. */
  private takeNumber(wanted: number | undefined): number {
    const used = new Set(this.members.map((member) => member.number))
    if (wanted !== undefined && !used.has(wanted)) {
      this.nextNumber = Math.max(this.nextNumber, wanted + 1)
      return wanted
    }

    while (used.has(this.nextNumber)) this.nextNumber++
    return this.nextNumber++
  }

  /** `all`, an app's name, one instance (`web:2`), or a process's number (`3`). */
  private select(target: string): {apps: App[]; instance?: ManagedProcess} {
    if (target === 'all') return {apps: [...this.apps.values()]}
    const app = this.apps.get(target)
    if (app) return {apps: [app]}
    if (/^\d+$/.test(target)) {
      for (const owner of this.apps.values()) {
        const member = owner.instances.find((candidate) => candidate.number === Number(target))
        // An app of one instance is the app itself: `stop 3` stops it as `stop web` would.
        if (member) return owner.instances.length === 1 ? {apps: [owner]} : {apps: [owner], instance: member}
      }
    }

    const match = INSTANCE_TARGET.exec(target)
    const owner = match ? this.apps.get(match[1]!) : undefined
    if (!owner) throw new UnknownProcessError(target, [...this.apps.keys()])
    const instance = owner.instance(Number(match![2]))
    if (!instance) throw new UnknownInstanceError(owner, Number(match![2]))
    return {apps: [owner], instance}
  }

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
      processes: this.members.map((managed) => ({
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

function idsOf(apps: App[]): string[] {
  return apps.flatMap((app) => app.instances.map((member) => member.id))
}
