import type {ProcStat} from '../os/proc.js'
import type {Clock} from './clock.js'

/** How often the throttle looks at the apps that are starting up, while any is. */
const POLL_MS = 5
/** An app that has used this much CPU (a new process starts from none) is past its start-up. */
const STARTUP_CPU_TICKS = 10
/**
 * Looks in a row that must find the app not running before it counts as waiting for work: Node
 * sleeps for a moment while it boots, and one look would free the slot too early.
 */
const QUIET_POLLS = 2
/** Nobody without a ready check keeps a slot longer than this, whatever it does. */
const STARTUP_MAX_MS = 1000

export interface LaunchThrottleDeps {
  clock: Clock
  /** Apps that may start up at the same time (about two per core). */
  slots: number
  readStat: (pid: number) => ProcStat | undefined
}

/** An app that asks for a start-up slot. */
export interface Launch {
  /** Keep the slot until ready() (or forget()), rather than until it seems to have started up. */
  untilReady: boolean
  /** Spawns the app, once it has a slot; returns its pid, or undefined when the spawn failed. */
  spawn(): number | undefined
}

/**
 * Lets only about two apps per core start up at a time. A Node app burns about 40 ms of CPU before
 * it waits for work; fifty launched at once (`tspm start`, a resurrect after boot) each take a
 * fair share of the CPU at the same time, so they all finish starting late, together, and the
 * supervisor and every `tspm` command starve meanwhile. Here an app that finds the slots full is
 * not spawned yet: it is queued, and spawned when a slot frees up. A slot frees when its app is
 * ready (with a ready check: its turn follows real readiness), or else when it sleeps (waits for
 * work), exits, has used its start-up CPU, or has had a second. The apps finish starting in
 * launch order, the first ones much sooner, the last a little later; nothing else is held up,
 * and a lone launch (one restart) never waits.
 */
export class LaunchThrottle {
  /** Apps in a slot: when each got it, how many looks in a row found it not running, how it ends. */
  private readonly starting = new Map<number, {quietPolls: number; since: number; untilReady: boolean}>()
  private readonly queue: Launch[] = []
  private pollTimer: unknown

  constructor(private readonly deps: LaunchThrottleDeps) {}

  /** Spawns the app now when a slot is free (true), else queues it (false) until one is. */
  admit(launch: Launch): boolean {
    if (this.queue.length > 0 || this.starting.size >= this.deps.slots) {
      this.queue.push(launch)
      return false
    }

    this.spawnInSlot(launch)
    return true
  }

  /** A queued app that is no longer to start (stopped before its turn); false when it was not queued. */
  cancel(launch: Launch): boolean {
    const index = this.queue.indexOf(launch)
    if (index === -1) return false
    this.queue.splice(index, 1)
    return true
  }

  /** The app in this slot is ready (or its start failed): the next one may start up. */
  ready(pid: number): void {
    this.release(pid)
  }

  /** The app's process has ended (or is being stopped): it holds no slot any more. */
  forget(pid: number): void {
    this.release(pid)
  }

  /** True while `launch` waits for a slot. */
  isQueued(launch: Launch): boolean {
    return this.queue.includes(launch)
  }

  private release(pid: number): void {
    if (!this.starting.delete(pid)) return
    this.fillSlots()
    this.schedulePoll()
  }

  private spawnInSlot(launch: Launch): void {
    const pid = launch.spawn()
    if (pid !== undefined) {
      this.starting.set(pid, {since: this.deps.clock.now(), quietPolls: 0, untilReady: launch.untilReady})
    }

    this.schedulePoll()
  }

  /** Spawns the queued apps, in launch order, while slots are free. */
  private fillSlots(): void {
    while (this.queue.length > 0 && this.starting.size < this.deps.slots) this.spawnInSlot(this.queue.shift()!)
  }

  /** Only the apps without a ready check need looks at /proc; ready() and forget() free the others. */
  private schedulePoll(): void {
    if (this.pollTimer !== undefined || [...this.starting.values()].every((app) => app.untilReady)) return
    this.pollTimer = this.deps.clock.setTimeout(() => {
      this.pollTimer = undefined
      this.poll()
    }, POLL_MS)
  }

  private poll(): void {
    const now = this.deps.clock.now()
    for (const [pid, app] of this.starting) {
      if (app.untilReady) continue
      const stat = this.deps.readStat(pid)
      app.quietPolls = stat !== undefined && stat.state !== 'R' ? app.quietPolls + 1 : 0
      const startedUp =
        stat === undefined ||
        app.quietPolls >= QUIET_POLLS ||
        stat.cpuTicks >= STARTUP_CPU_TICKS ||
        now - app.since >= STARTUP_MAX_MS
      if (startedUp) this.starting.delete(pid)
    }

    this.fillSlots()
    this.schedulePoll()
  }
}
